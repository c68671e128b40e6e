import type { NativeMessage } from '../native/types.js';
import type { DeadLetterWriter } from './dead-letter.js';
import { HandlerEntry, Lane, PartitionState, Pending } from './partition-state.js';
import { Status, type OrderingMode, type TaskFailure, type TaskResult } from './types.js';

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
  /** A message finished (done or dead-lettered): in-flight count went down. */
  released(ps: PartitionState, count: number): void;
  /** A dead-letter write failed; the partition must pause until it succeeds. */
  dlqFailing(ps: PartitionState, err: Error): void;
  dlqRecovered(ps: PartitionState): void;
  retried(ps: PartitionState, p: Pending): void;
  deadLettered(ps: PartitionState, p: Pending): void;
  taskError(err: Error): void;
}

const WORKER_FAILURE_NAME = 'WorkerError';

/**
 * Turns fetched messages into tasks while keeping order where the ordering mode demands it.
 *
 * Each partition has lanes (one per key, one for null keys, or one per partition). A lane runs
 * one task at a time and a task takes many whole lanes, so a task carries hundreds of messages
 * (a pool task costs 30–80 µs) while different keys still run in parallel across tasks. A failed
 * message is retried before the rest of its lane; after retry_max it goes to the dead-letter
 * topic, and only then is it counted as done.
 */
export class Dispatcher {
  readonly #opts: DispatcherOptions;
  readonly #events: DispatcherEvents;
  readonly #dlq: DeadLetterWriter;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(opts: DispatcherOptions, events: DispatcherEvents, dlq: DeadLetterWriter) {
    this.#opts = opts;
    this.#events = events;
    this.#dlq = dlq;
  }

  /** Queues a fetched message in its lane. */
  ingest(ps: PartitionState, msg: NativeMessage): void {
    const lane = this.#laneOf(ps, msg);
    const p = new Pending(msg, ps.tracker.add(msg.offset), lane);
    lane.push(p);
    if (!lane.listed && !lane.busy) {
      lane.listed = true;
      ps.entry.ready.push(lane);
    }
  }

  #laneOf(ps: PartitionState, msg: NativeMessage): Lane {
    const mode = this.#opts.ordering;
    if (mode !== 'key') {
      let lane = ps.nullLane;
      if (lane === undefined) {
        lane = new Lane(ps, mode === 'partition');
        ps.nullLane = lane;
      }
      return lane;
    }
    const key = msg.key;
    if (key === null || key === undefined) {
      let lane = ps.nullLane;
      if (lane === undefined) {
        lane = new Lane(ps, true);
        ps.nullLane = lane;
      }
      return lane;
    }
    const k = typeof key === 'string' ? key : key.toString('latin1');
    let lane = ps.lanes.get(k);
    if (lane === undefined) {
      lane = new Lane(ps, true);
      ps.lanes.set(k, lane);
    }
    return lane;
  }

  /** Starts as many tasks as the handler's executor takes. */
  dispatch(entry: HandlerEntry): void {
    const cap = entry.executor.capacity;
    const batch = this.#opts.taskBatchSize;
    while (entry.running < cap && entry.readyHead < entry.ready.length) {
      const pendings: Pending[] = [];
      const lanes: number[] = [];
      let laneNo = 0;
      while (pendings.length < batch && entry.readyHead < entry.ready.length) {
        const lane = entry.ready[entry.readyHead++]!;
        lane.listed = false;
        if (lane.ps.revoked || lane.busy || lane.size === 0) continue;
        const taken = lane.take(lane.exclusive ? batch * 2 : batch - pendings.length);
        if (lane.exclusive) {
          lane.busy = true;
          for (const p of taken) {
            pendings.push(p);
            lanes.push(laneNo);
          }
          laneNo++;
        } else {
          // unordered: every message is its own lane (no skipping after a failure)
          for (const p of taken) {
            pendings.push(p);
            lanes.push(laneNo++);
          }
          if (lane.size > 0) {
            lane.listed = true;
            entry.ready.push(lane);
          }
        }
      }
      if (entry.readyHead === entry.ready.length) {
        entry.ready = [];
        entry.readyHead = 0;
      } else if (entry.readyHead > 4096) {
        entry.ready = entry.ready.slice(entry.readyHead);
        entry.readyHead = 0;
      }
      if (pendings.length === 0) break;
      this.#start(entry, pendings, lanes);
    }
  }

  #start(entry: HandlerEntry, pendings: Pending[], lanes: number[]): void {
    entry.running++;
    for (const p of pendings) p.lane.ps.busyCount++;
    const msgs = pendings.map((p) => p.msg);
    const attempts = pendings.map((p) => p.attempts + 1);
    entry.executor.run(msgs, lanes, attempts).then(
      (result) => this.#finish(entry, pendings, result),
      (err: unknown) => {
        // The task as a whole failed (a worker died or the pool is closing): every message in it
        // failed this attempt and runs again.
        const e = err instanceof Error ? err : new Error(String(err));
        this.#events.taskError(e);
        const statuses = new Uint8Array(pendings.length);
        const failures: TaskFailure[] = [];
        const seen = new Set<Lane>();
        for (let i = 0; i < pendings.length; i++) {
          const lane = pendings[i]!.lane;
          if (lane.exclusive && seen.has(lane)) {
            statuses[i] = Status.Skipped;
            continue;
          }
          seen.add(lane);
          statuses[i] = Status.Failed;
          failures.push({ index: i, name: WORKER_FAILURE_NAME, message: e.message, retriable: true });
        }
        this.#finish(entry, pendings, { statuses, failures });
      },
    );
  }

  #finish(entry: HandlerEntry, pendings: Pending[], result: TaskResult): void {
    entry.running--;
    const failures = new Map<number, TaskFailure>();
    for (const f of result.failures) failures.set(f.index, f);
    const now = Date.now();
    // A lane's messages are contiguous in a task: [done..., failed, skipped...]. The done ones
    // complete; the failed one and the skipped ones go back to the front of the lane, which stays
    // busy until the retry backoff or the dead-letter write is over.
    let held: Pending[] = [];
    const flushHeld = () => {
      if (held.length > 0) held[0]!.lane.unshift(held);
      held = [];
    };
    const freeLanes = new Set<Lane>();
    const released = new Map<PartitionState, number>();
    for (let i = 0; i < pendings.length; i++) {
      const p = pendings[i]!;
      const lane = p.lane;
      lane.ps.busyCount--;
      const status = result.statuses[i];
      if (status === Status.Ok) {
        this.#complete(p, released);
        if (lane.exclusive) freeLanes.add(lane);
        continue;
      }
      if (status === Status.Skipped) {
        held.push(p);
        continue;
      }
      flushHeld();
      const f = failures.get(i) ?? { index: i, name: 'Error', message: 'handler failed', retriable: true };
      p.attempts++;
      if (p.firstFailure === 0) p.firstFailure = now;
      p.lastFailure = now;
      p.errorType = f.name;
      p.errorMessage = f.message;
      if (lane.exclusive) {
        freeLanes.delete(lane);
        held.push(p); // keeps its place at the front of the lane
      }
      if (f.retriable && p.attempts <= this.#opts.retryMax) this.#retryLater(p);
      else this.#deadLetter(p);
    }
    flushHeld();
    for (const lane of freeLanes) this.#release(lane);
    for (const [ps, n] of released) this.#events.released(ps, n);
    this.dispatch(entry);
  }

  #release(lane: Lane): void {
    lane.busy = false;
    if (lane.size > 0 && !lane.listed && !lane.ps.revoked) {
      lane.listed = true;
      lane.ps.entry.ready.push(lane);
    }
  }

  #complete(p: Pending, released: Map<PartitionState, number>): void {
    const ps = p.lane.ps;
    if (ps.revoked) return;
    if (ps.tracker.done(p.seq)) this.#events.progressed(ps);
    released.set(ps, (released.get(ps) ?? 0) + 1);
  }

  #backoff(attempt: number): number {
    const base = Math.min(this.#opts.retryBackoffMs * 2 ** (attempt - 1), this.#opts.retryBackoffMaxMs);
    return base / 2 + Math.random() * (base / 2); // "equal jitter": at least half the backoff
  }

  #later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #retryLater(p: Pending): void {
    const lane = p.lane;
    this.#events.retried(lane.ps, p);
    this.#later(() => {
      if (this.#stopped || lane.ps.revoked) return; // re-delivered to whoever owns it next
      if (!lane.exclusive) lane.unshift([p]);
      this.#release(lane);
      this.dispatch(lane.ps.entry);
    }, this.#backoff(p.attempts));
  }

  #deadLetter(p: Pending): void {
    const lane = p.lane;
    const ps = lane.ps;
    ps.busyCount++;
    let failures = 0;
    const attempt = () => {
      if (this.#stopped || ps.revoked) {
        ps.busyCount--;
        if (failures > 0) this.#events.dlqRecovered(ps);
        return;
      }
      const info = { errorType: p.errorType, errorMessage: p.errorMessage, attempts: p.attempts, firstFailure: p.firstFailure, lastFailure: p.lastFailure };
      this.#dlq.write(p.msg, info).then(
        () => {
          ps.busyCount--;
          if (failures > 0) this.#events.dlqRecovered(ps);
          if (lane.exclusive && lane.queue[lane.head] === p) lane.take(1);
          this.#events.deadLettered(ps, p);
          const released = new Map<PartitionState, number>();
          this.#complete(p, released);
          for (const [s, n] of released) this.#events.released(s, n);
          if (lane.exclusive) this.#release(lane);
          this.dispatch(ps.entry);
        },
        (err: unknown) => {
          // Not done: its offset must not be committed. Pause the partition and try again.
          if (failures++ === 0) this.#events.dlqFailing(ps, err instanceof Error ? err : new Error(String(err)));
          this.#later(attempt, this.#backoff(Math.min(failures, 8)));
        },
      );
    };
    attempt();
  }

  /** Cancels retry timers; pending messages stay un-done (they are re-delivered later). */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  /** Drops the queued (not started) messages of a revoked partition. */
  dropQueued(ps: PartitionState): number {
    let n = 0;
    for (const lane of ps.lanes.values()) {
      n += lane.size;
      lane.take(lane.size);
    }
    if (ps.nullLane) {
      n += ps.nullLane.size;
      ps.nullLane.take(ps.nullLane.size);
    }
    return n;
  }
}
