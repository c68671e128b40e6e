import type { Span } from '@opentelemetry/api';
import type { NativeMessage } from '../native/types.js';
import type { Executor } from '../pool/executor.js';
import { KeyLanes } from './key-lanes.js';
import { PartitionTracker } from './tracker.js';
import type { MessageHandler } from './types.js';

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
  queue: Pending[] = [];
  head = 0;
  /** A task or a retry/DLQ of this lane is under way (exclusive lanes only). */
  busy = false;
  /** Listed in the handler's ready list. */
  listed = false;
  /** The next key lane filed under the same hash (KeyLanes). */
  chain: Lane | undefined = undefined;
  constructor(
    readonly ps: PartitionState,
    readonly exclusive: boolean,
    /** The key of a key lane (removed from its partition's lanes once idle and empty). */
    readonly key?: Buffer,
    /** Where the key lane is filed (slotOf(key)). */
    readonly slot: number | string = 0,
  ) {}

  get size(): number {
    return this.queue.length - this.head;
  }

  push(p: Pending): void {
    this.queue.push(p);
  }

  /** Puts messages back in front (a failed message and the ones skipped after it). */
  unshift(ps: readonly Pending[]): void {
    const rest = this.queue.slice(this.head);
    this.queue = [...ps, ...rest];
    this.head = 0;
  }

  take(max: number): Pending[] {
    const end = Math.min(this.queue.length, this.head + max);
    const out = this.queue.slice(this.head, end);
    this.#advance(end);
    return out;
  }

  /** Moves up to `max` queued messages to the end of `out`; returns how many. */
  takeInto(out: Pending[], max: number): number {
    const q = this.queue;
    const start = this.head;
    const end = Math.min(q.length, start + max);
    for (let i = start; i < end; i++) out.push(q[i]!);
    this.#advance(end);
    return end - start;
  }

  #advance(end: number): void {
    this.head = end;
    if (end === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
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
