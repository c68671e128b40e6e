import type { Pending } from '../dispatch/pending.js';
import type { OrderingMode } from '../types.js';

export interface GroupOptions {
  readonly ordering: OrderingMode;
  readonly maxInFlightPerPartition: number;
  readonly maxInFlight: number;
  readonly fetchBatchSize: number;
  readonly fetchWaitMs: number;
  readonly taskBatchSize: number;
  readonly retryMax: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly revokeTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** Counters a group exposes (metrics and health read them). */
export interface GroupStats {
  consumed: number;
  processed: number;
  retried: number;
  deadLettered: number;
  taskErrors: number;
  rebalances: number;
  /** Handler runs that hit handlerTimeoutMs. */
  handlerTimeouts: number;
}

/**
 * The caller's hooks. Each call is guarded (see guardHooks in consumer/options.ts): a hook that
 * throws is reported to onError as a HookError and the consumer goes on; what onError itself
 * throws is rethrown asynchronously (an uncaughtException), never into the consumer.
 */
export interface GroupHooks {
  onError?(err: Error): void;
  onRetry?(topic: string, p: Pending): void;
  onDeadLetter?(topic: string, p: Pending): void;
  /**
   * Offsets were handed to librdkafka: each is a partition's contiguous watermark (every message
   * before it is done), committed by the next auto-commit (every commitIntervalMs), or at once on
   * a revoke and on stop(). Called per store (at most once per event-loop turn), not per message.
   */
  onOffsetsStored?(groupId: string, offsets: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly offset: number }>): void;
  /**
   * The group assigned (`assign`) or started revoking (`revoke`) partitions of this consumer:
   * called from librdkafka's rebalance callback, after the assignment is applied / after the
   * revoked partitions stopped dispatching, before their running work is awaited and committed.
   */
  onRebalance?(groupId: string, kind: 'assign' | 'revoke', partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }>): void;
  /** A log line of the group's librdkafka consumer (syslog severity 0–7, facility, text). */
  onLibrdkafkaLog?(groupId: string, log: { severity: number; fac: string; message: string }): void;
  /** librdkafka's statistics JSON of the group's consumer (every `statistics.interval.ms`, when set). */
  onStatistics?(groupId: string, json: string): void;
}
