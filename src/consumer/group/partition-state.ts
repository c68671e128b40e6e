import { KeyLanes } from '../dispatch/key-lanes.js';
import type { HandlerEntry } from '../dispatch/handler-entry.js';
import type { Lane } from '../dispatch/lane.js';
import type { TopicCounters } from '../../diagnostics/counters.js';
import { PartitionTracker } from './tracker.js';

/** An assigned partition: its offsets, lanes, pause state. */
export class PartitionState {
  readonly tracker: PartitionTracker;
  readonly lanes = new KeyLanes();
  nullLane: Lane | undefined;
  /** Messages of this partition inside running tasks or dead-letter writes (not retry waits). */
  busyCount = 0;
  /**
   * Fetched messages not yet done or dead-lettered: this partition's share of the group's
   * in-flight count (unlike `tracker.pending`, it excludes messages done out of order).
   */
  open = 0;
  /** Dead-letter writes of this partition failing right now (it stays paused while > 0). */
  dlqBlocked = 0;
  /**
   * The last error of a failing dead-letter write of this partition (undefined once none fails):
   * `permanent` when retrying cannot clear it (not authorized, invalid topic, even the reduced copy
   * too large) — health reports the consumer unhealthy then.
   */
  dlqError: { readonly error: Error; readonly permanent: boolean; readonly since: number } | undefined = undefined;
  /** Paused natively (backpressure, a failing dead-letter write, the application, a seek's drain). */
  paused = false;
  /** Why it is paused (PAUSE_* bits of backpressure.ts). */
  pauseMask = 0;
  /**
   * No longer the group's state of this partition: revoked in a rebalance, or replaced by a seek
   * (control.ts: the seek's new state is a new PartitionState, the "epoch"). Either way its queued
   * messages are dropped and what its running work completes moves no committed offset.
   */
  revoked = false;
  /** The offset a seek restarted the partition at (-1: made by an assignment, not by a seek). */
  seekedTo = -1;
  /**
   * States this one replaced in seeks whose running work had not finished: it stays paused
   * (PAUSE_SEEK) until that work is over, so one key's messages never run twice at once.
   */
  superseded: PartitionState[] = [];
  /** Its topic's consume counters (getStatistics, metrics): `total` counts the messages taken in. */
  consumeCounters: TopicCounters | undefined = undefined;
  /** Completions counted by the dispatcher, not yet announced (announce() in dispatch/settle.ts). */
  releasing = 0;
  /** Its watermark moved with those completions (not yet announced). */
  progressed = false;
  /** The last fetch that brought messages of this partition (GroupConsumer's bookkeeping). */
  fetchNo = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly entry: HandlerEntry,
  ) {
    this.tracker = new PartitionTracker(topic, partition);
  }
}
