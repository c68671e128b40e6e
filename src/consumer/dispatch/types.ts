import type { PartitionState } from '../group/partition-state.js';
import type { OrderingMode } from '../types.js';
import type { Pending } from './pending.js';

export interface DispatcherOptions {
  readonly ordering: OrderingMode;
  readonly taskBatchSize: number;
  readonly retryMax: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
}

/** What the dispatcher tells its owner (the group consumer). */
export interface DispatcherEvents {
  /** A partition's watermark moved. */
  progressed(ps: PartitionState): void;
  /** Messages finished (done or dead-lettered): the partition's `open` count went down by `count`. */
  released(ps: PartitionState, count: number): void;
  /** A dead-letter write failed; the partition must pause until it succeeds. */
  dlqFailing(ps: PartitionState, err: Error): void;
  dlqRecovered(ps: PartitionState): void;
  retried(ps: PartitionState, p: Pending): void;
  deadLettered(ps: PartitionState, p: Pending): void;
  taskError(err: Error): void;
}
