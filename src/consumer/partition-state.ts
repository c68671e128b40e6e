import type { Span } from '@opentelemetry/api';
import type { NativeMessage } from '../native/types.js';
import type { Executor } from '../pool/executor.js';
import { KeyLanes } from './key-lanes.js';
import { PartitionTracker } from './tracker.js';
import type { MessageHandler } from './types.js';
import type { TopicCounters } from '../telemetry/counters.js';

/** One registered handler and where its tasks run. */
export class HandlerEntry {
  running = 0;
  /** Lanes with queued messages, not busy, waiting for a task. */
  ready: Lane[] = [];
  readyHead = 0;
  constructor(
    readonly handler: MessageHandler,
    readonly executor: Executor,
  ) {}
}

/** Failures of one message (a Pending without any has none: most messages never fail). */
interface Failures {
  first: number;
  last: number;
  type: string;
  message: string;
}

/** A fetched message on its way through the dispatcher. */
export class Pending {
  /** The running attempt's process span (tracing on only). */
  span: Span | undefined = undefined;
  /** performance.now() when fetched (consume-duration metric). */
  fetchedAt = 0;
  /** Failed attempts so far. */
  attempts = 0;
  #failures: Failures | undefined = undefined;
  constructor(
    readonly msg: NativeMessage,
    readonly seq: number,
    readonly lane: Lane,
  ) {}

  /** Counts a failed attempt at `now` (epoch ms) with the error's type (class or code) and message. */
  failed(now: number, type: string, message: string): void {
    this.attempts++;
    const f = this.#failures;
    if (f === undefined) this.#failures = { first: now, last: now, type, message };
    else {
      f.last = now;
      f.type = type;
      f.message = message;
    }
  }

  /** Epoch ms of the first failure (0: none). */
  get firstFailure(): number {
    return this.#failures?.first ?? 0;
  }

  /** Epoch ms of the last failure (0: none). */
  get lastFailure(): number {
    return this.#failures?.last ?? 0;
  }

  /** The last error's class or code ('' before a failure). */
  get errorType(): string {
    return this.#failures?.type ?? '';
  }

  /** The last error's message ('' before a failure). */
  get errorMessage(): string {
    return this.#failures?.message ?? '';
  }
}

/**
 * An ordering lane: messages in one lane run strictly one after another (a key of a partition in
 * 'key' mode, the whole partition in 'partition' mode). In 'unordered' mode a partition has one
 * non-exclusive lane whose messages may run in parallel.
 */
export class Lane {
  /** Queued messages in [head, tail); the array is kept (not re-made) when the lane runs empty. */
  #queue: Array<Pending | undefined> = [];
  #head = 0;
  #tail = 0;
  /** A task or a retry/DLQ of this lane is under way (exclusive lanes only). */
  busy = false;
  /** Listed in the handler's ready list. */
  listed = false;
  /** The next key lane filed under the same hash (KeyLanes). */
  chain: Lane | undefined = undefined;
  constructor(
    readonly ps: PartitionState,
    readonly exclusive: boolean,
    /** The key of a key lane (kept in its partition's lanes while the key recurs). */
    readonly key?: Buffer,
    /** Where the key lane is filed (slotOf(key)). */
    readonly slot: number | string = 0,
  ) {}

  get size(): number {
    return this.#tail - this.#head;
  }

  /** The first queued message. */
  peek(): Pending | undefined {
    return this.#head < this.#tail ? this.#queue[this.#head] : undefined;
  }

  push(p: Pending): void {
    const q = this.#queue;
    if (this.#tail === q.length) q.push(p);
    else q[this.#tail] = p;
    this.#tail++;
  }

  /** Puts messages back in front (a failed message and the ones skipped after it). */
  unshift(ps: readonly Pending[]): void {
    const q = [...ps, ...this.#queue.slice(this.#head, this.#tail)];
    this.#queue = q;
    this.#head = 0;
    this.#tail = q.length;
  }

  take(max: number): Pending[] {
    const out: Pending[] = [];
    this.takeInto(out, 0, max);
    return out;
  }

  /**
   * Moves up to `max` queued messages into `out` from index `at` on; returns how many. Their slots
   * are cleared, so that an idle lane keeps no message alive.
   */
  takeInto(out: Pending[], at: number, max: number): number {
    const q = this.#queue;
    const start = this.#head;
    const end = Math.min(this.#tail, start + max);
    for (let i = start; i < end; i++) {
      out[at++] = q[i]!;
      q[i] = undefined;
    }
    if (end === this.#tail) {
      this.#head = 0;
      this.#tail = 0;
    } else this.#head = end;
    return end - start;
  }
}

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
  /** Paused by the consumer (backpressure or a failing dead-letter write). */
  paused = false;
  /** Why it is paused (PAUSE_* bits of backpressure.ts). */
  pauseMask = 0;
  revoked = false;
  /** Its topic's consume counters (getStatistics, metrics): `total` counts the messages taken in. */
  consumeCounters: TopicCounters | undefined = undefined;
  /** Completions counted by the dispatcher, not yet announced (Dispatcher#announce). */
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
