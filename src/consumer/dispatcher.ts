import type { NativeMessage } from '../native/types.js';
import { GoCoffeeKafkaError } from '../errors/base.js';
import { backoffDelay } from '../errors/backoff.js';
import { WorkerError } from '../pool/executor.js';
import type { DeadLetterWriter } from './dead-letter.js';
import { slotOf } from './key-lanes.js';
import { HandlerEntry, Lane, PartitionState, Pending } from './partition-state.js';
import { Status, type OrderingMode, type TaskFailure, type TaskResult } from './types.js';
import type { ConsumerObserver } from '../telemetry/consumer-observer.js';

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

const WORKER_FAILURE_NAME = 'WorkerError';

function allOk(statuses: Uint8Array, count: number): boolean {
  for (let i = 0; i < count; i++) if (statuses[i] !== Status.Ok) return false;
  return true;
}

/**
 * Turns fetched messages into tasks while keeping order where the ordering mode demands it.
 *
 * Each partition has lanes (one per key, one for null keys, or one per partition). An exclusive
 * lane runs in one task at a time and a task takes many lanes, so a task carries hundreds of
 * messages (a pool task costs 30–80 µs) while different keys still run in parallel across tasks.
 * A failed message goes back to the front of its lane with the messages skipped after it, and the
 * lane stays busy (nothing later of that key runs) until the retry backoff or the dead-letter
 * write is over; after retry_max the message goes to the dead-letter topic, and only then is it
 * counted as done.
 *
 * Revoked partitions: queued messages are dropped (the next owner re-reads them from the
 * committed offset); work that finishes after the revoke still advances the partition's tracker
 * (so the revoke's commit covers it) but no longer counts as in flight; failures of a revoked
 * partition are neither retried nor dead-lettered here. A partition's `busyCount` (what a revoke
 * waits for) counts its messages in running tasks and in dead-letter writes in flight, never the
 * ones waiting out a retry or dead-letter backoff: those are delivered again to the next owner.
 */
export class Dispatcher {
  readonly #opts: DispatcherOptions;
  readonly #events: DispatcherEvents;
  readonly #dlq: Pick<DeadLetterWriter, 'write'>;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  readonly #observer: ConsumerObserver | undefined;

  constructor(opts: DispatcherOptions, events: DispatcherEvents, dlq: Pick<DeadLetterWriter, 'write'>, observer?: ConsumerObserver) {
    this.#opts = opts;
    this.#events = events;
    this.#dlq = dlq;
    this.#observer = observer;
  }

  /** Queues a fetched message in its lane. */
  ingest(ps: PartitionState, msg: NativeMessage, fetchedAt = 0): void {
    const lane = this.#laneOf(ps, msg);
    const p = new Pending(msg, ps.tracker.add(msg.offset), lane);
    p.fetchedAt = fetchedAt;
    ps.open++;
    lane.push(p);
    if (!lane.listed && !lane.busy) {
      lane.listed = true;
      ps.entry.ready.push(lane);
    }
  }

  #laneOf(ps: PartitionState, msg: NativeMessage): Lane {
    const mode = this.#opts.ordering;
    const key = msg.key;
    if (mode !== 'key' || key === null || key === undefined) {
      let lane = ps.nullLane;
      if (lane === undefined) {
        lane = new Lane(ps, mode !== 'unordered');
        ps.nullLane = lane;
      }
      return lane;
    }
    const bytes = typeof key === 'string' ? Buffer.from(key) : key;
    const slot = slotOf(bytes);
    let lane = ps.lanes.find(bytes, slot);
    if (lane === undefined) {
      lane = new Lane(ps, true, bytes, slot);
      ps.lanes.add(lane);
    }
    return lane;
  }

  /** Starts as many tasks as the handler's executor takes. */
  dispatch(entry: HandlerEntry): void {
    if (this.#stopped) return;
    const cap = entry.executor.capacity;
    const batch = this.#opts.taskBatchSize;
    while (entry.running < cap && entry.readyHead < entry.ready.length) {
      // The task's size first, so that its arrays are made once at their size (not grown).
      const n = this.#taskSize(entry, batch);
      if (n === 0) {
        // nothing left to run: what is listed is revoked, busy or empty
        for (let i = entry.readyHead; i < entry.ready.length; i++) entry.ready[i]!.listed = false;
        entry.ready = [];
        entry.readyHead = 0;
        break;
      }
      const pendings = new Array<Pending>(n);
      const msgs = new Array<NativeMessage>(n);
      const lanes = new Array<number>(n);
      const attempts = new Array<number>(n);
      let k = 0;
      let laneNo = 0;
      while (k < n) {
        const lane = entry.ready[entry.readyHead++]!;
        lane.listed = false;
        if (lane.ps.revoked || lane.busy || lane.size === 0) continue;
        const from = k;
        k += lane.takeInto(pendings, k, n - k);
        lane.ps.busyCount += k - from;
        for (let i = from; i < k; i++) {
          const p = pendings[i]!;
          msgs[i] = p.msg;
          attempts[i] = p.attempts + 1;
          // unordered: every message is its own lane (no skipping after a failure)
          lanes[i] = lane.exclusive ? laneNo : laneNo++;
        }
        if (lane.exclusive) {
          // One task at a time per exclusive lane: its messages are contiguous in this task, and
          // what did not fit waits until this task is over (the lane is re-listed on release).
          lane.busy = true;
          laneNo++;
        } else if (lane.size > 0) {
          lane.listed = true;
          entry.ready.push(lane);
        }
      }
      if (entry.readyHead === entry.ready.length) {
        entry.ready = [];
        entry.readyHead = 0;
      } else if (entry.readyHead > 4096) {
        entry.ready = entry.ready.slice(entry.readyHead);
        entry.readyHead = 0;
      }
      this.#start(entry, pendings, msgs, lanes, attempts);
    }
  }

  /** How many messages the next task takes: dispatch()'s loop, counting only. */
  #taskSize(entry: HandlerEntry, batch: number): number {
    const ready = entry.ready;
    let n = 0;
    for (let i = entry.readyHead; i < ready.length && n < batch; i++) {
      const lane = ready[i]!;
      if (lane.ps.revoked || lane.busy || lane.size === 0) continue;
      n += Math.min(lane.size, batch - n);
    }
    return n;
  }

  #start(entry: HandlerEntry, pendings: Pending[], msgs: NativeMessage[], lanes: number[], attempts: number[]): void {
    entry.running++;
    let run: Promise<TaskResult>;
    try {
      run = entry.executor.run(msgs, lanes, attempts, this.#observer?.started(pendings));
    } catch (e) {
      run = Promise.reject(e); // e.g. packing the task failed: same as a failed task
    }
    run.then(
      (result) => (this.#stopped ? this.#finishStopped(entry, pendings, result) : this.#finish(entry, pendings, result)),
      (err: unknown) => (this.#stopped ? this.#finishStopped(entry, pendings, undefined) : this.#finish(entry, pendings, this.#taskFailed(pendings, err))),
    );
  }

  /**
   * A task that ends after stop() (stop() returned before it, or the pool was destroyed under it):
   * only the offset tracker learns what was done, so that the final commit covers it, and the
   * partition's busy count drops (a revoke waiting for it is not held up). No retry, no timer, no
   * event (no hook, no resume of a consumer that is disconnecting): what did not finish is
   * delivered again to whoever owns the partition next.
   */
  #finishStopped(entry: HandlerEntry, pendings: Pending[], result: TaskResult | undefined): void {
    entry.running--;
    if (result !== undefined) this.#observeFinished(pendings, result);
    const statuses = result?.statuses;
    for (let i = 0; i < pendings.length; i++) {
      const p = pendings[i]!;
      const ps = p.lane.ps;
      ps.busyCount--;
      if (statuses !== undefined && statuses[i] === Status.Ok) ps.tracker.done(p.seq);
    }
  }

  /** Spans, counters and durations of a finished task (telemetry). */
  #observeFinished(pendings: Pending[], result: TaskResult): void {
    this.#observer?.finished(pendings, result.statuses, (i) => result.failures.find((f) => f.index === i));
  }

  /**
   * The task failed as a whole without telling what ran (the executor threw, the pool rejected a
   * task that never started): no message of it counts as done. The first message of each
   * exclusive lane failed this attempt (so a broken pool backs off instead of spinning), the rest
   * of the lane is skipped; in 'unordered' mode every message failed. A worker that died mid-task
   * is not this case: PoolExecutor reports from the task's shared progress what was done.
   */
  #taskFailed(pendings: Pending[], err: unknown): TaskResult {
    const e = err instanceof GoCoffeeKafkaError ? err : new WorkerError('the executor could not run a handler task', err);
    this.#events.taskError(e);
    const statuses = new Uint8Array(pendings.length);
    const failures: TaskFailure[] = [];
    let prev: Lane | undefined;
    for (let i = 0; i < pendings.length; i++) {
      const lane = pendings[i]!.lane;
      if (lane.exclusive && lane === prev) {
        statuses[i] = Status.Skipped;
        continue;
      }
      prev = lane;
      statuses[i] = Status.Failed;
      failures.push({ index: i, name: WORKER_FAILURE_NAME, message: e.message, retriable: true });
    }
    return { statuses, failures };
  }

  #finish(entry: HandlerEntry, pendings: Pending[], result: TaskResult): void {
    entry.running--;
    this.#observeFinished(pendings, result);
    if (result.error !== undefined) {
      const e = result.error;
      this.#events.taskError(e instanceof GoCoffeeKafkaError ? e : new WorkerError('a handler task ended abnormally', e));
    }
    const statuses = result.statuses;
    const released: PartitionState[] = [];
    if (result.failures.length === 0 && allOk(statuses, pendings.length)) this.#settleAllOk(pendings, released);
    else this.#settle(pendings, result, released);
    this.#announce(released);
    this.dispatch(entry);
  }

  /** The usual task: every message done. One pass, one lane run at a time. */
  #settleAllOk(pendings: Pending[], released: PartitionState[]): void {
    const count = pendings.length;
    for (let i = 0; i < count; ) {
      const start = i;
      const lane = pendings[i]!.lane;
      const ps = lane.ps;
      const tracker = ps.tracker;
      let moved = false;
      do {
        if (tracker.done(pendings[i]!.seq)) moved = true;
      } while (++i < count && pendings[i]!.lane === lane);
      ps.busyCount -= i - start;
      this.#completed(ps, i - start, moved, released);
      this.#release(lane);
    }
  }

  #settle(pendings: Pending[], result: TaskResult, released: PartitionState[]): void {
    const statuses = result.statuses;
    let failures: Map<number, TaskFailure> | undefined;
    // An exclusive lane's messages are contiguous in a task: [done..., failed, not run...]. The
    // done ones complete; the failed one and the ones not run after it go back to the front of the
    // lane, in order, and the lane stays busy until the retry backoff or the dead-letter write is
    // over. A lane without a failure is released (what did not run is queued again first).
    // Messages are settled one lane run at a time; counts go to the partition once per run.
    const count = pendings.length;
    let end = 0;
    for (let start = 0; start < count; start = end) {
      const lane = pendings[start]!.lane;
      const ps = lane.ps;
      end = start + 1;
      while (end < count && pendings[end]!.lane === lane) end++;
      ps.busyCount -= end - start;
      let held: Pending[] | undefined;
      let blocked = false;
      let moved = false;
      let done = 0;
      for (let i = start; i < end; i++) {
        const p = pendings[i]!;
        const status = statuses[i];
        if (status === Status.Ok) {
          if (ps.tracker.done(p.seq)) moved = true;
          done++;
          continue;
        }
        if (ps.revoked) continue; // the next owner re-reads it from the committed offset
        if (status !== Status.Failed) {
          if (lane.exclusive) (held ??= []).push(p);
          else lane.unshift([p]); // unordered: not run, queue it again
          continue;
        }
        failures ??= new Map(result.failures.map((f) => [f.index, f]));
        const f = failures.get(i) ?? { index: i, name: 'Error', message: 'handler failed', retriable: true };
        p.failed(Date.now(), f.name, f.message);
        if (lane.exclusive) {
          blocked = true;
          (held ??= []).push(p); // keeps its place at the front of the lane
        }
        if (f.retriable && p.attempts <= this.#opts.retryMax) this.#retryLater(p);
        else this.#deadLetter(p);
      }
      if (held !== undefined) lane.unshift(held);
      this.#completed(ps, done, moved, released);
      if (!blocked) this.#release(lane);
    }
  }

  #release(lane: Lane): void {
    lane.busy = false;
    const ps = lane.ps;
    // (An idle, empty key lane stays filed for the key's next message; KeyLanes sweeps idle ones.)
    if (lane.size > 0 && !lane.listed && !ps.revoked) {
      lane.listed = true;
      ps.entry.ready.push(lane);
    }
  }

  /**
   * `done` messages of `ps` completed (its tracker already knows; `moved`: its watermark moved).
   * A revoked partition's completions still move its watermark (the revoke commits it after
   * waiting for running work), but its messages no longer count as in flight. The counts are
   * announced by #announce(released) once the caller has settled everything.
   */
  #completed(ps: PartitionState, done: number, moved: boolean, released: PartitionState[]): void {
    if (done === 0 || ps.revoked) return;
    ps.open -= done;
    if (ps.releasing === 0) released.push(ps);
    ps.releasing += done;
    if (moved) ps.progressed = true;
  }

  #announce(released: PartitionState[]): void {
    for (const ps of released) {
      const n = ps.releasing;
      ps.releasing = 0;
      if (ps.progressed) {
        ps.progressed = false;
        this.#events.progressed(ps);
      }
      this.#events.released(ps, n);
    }
  }

  #backoff(attempt: number): number {
    return backoffDelay(attempt, this.#opts.retryBackoffMs, this.#opts.retryBackoffMaxMs);
  }

  /** Runs `fn` after `ms`, unless stop() comes first (then no timer is made, or it is cleared). */
  #later(fn: () => void, ms: number): void {
    if (this.#stopped) return;
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

  /**
   * Writes a failed message to the dead-letter topic, again after a backoff while the write fails.
   * The partition counts as busy only while a write is in flight: a revoke waits for that write (a
   * message written but not committed would be written again by the next owner), but not for a
   * backoff between writes (a dead-letter outage would stall the group's rebalance; the next owner
   * handles the message again instead, and stop() clears the backoff timer).
   */
  #deadLetter(p: Pending): void {
    const lane = p.lane;
    const ps = lane.ps;
    let failing = false;
    let failures = 0;
    const unblock = () => {
      if (!failing) return;
      failing = false;
      if (--ps.dlqBlocked === 0) this.#events.dlqRecovered(ps);
    };
    const attempt = () => {
      if (this.#stopped || ps.revoked) return unblock();
      const info = { errorType: p.errorType, errorMessage: p.errorMessage, attempts: p.attempts, firstFailure: p.firstFailure, lastFailure: p.lastFailure };
      ps.busyCount++;
      let write: Promise<unknown>;
      try {
        write = this.#dlq.write(p.msg, info);
      } catch (e) {
        write = Promise.reject(e);
      }
      write.then(
        () => {
          ps.busyCount--;
          unblock();
          // Written: counted and logged also after stop() or a revoke (it is parked all the same).
          this.#observer?.deadLettered(p, this.#stopped || ps.revoked);
          if (this.#stopped) {
            // written: done for the final commit, nothing else (see #finishStopped)
            ps.tracker.done(p.seq);
            return;
          }
          if (lane.exclusive && lane.peek() === p) lane.take(1);
          if (!ps.revoked) this.#events.deadLettered(ps, p);
          const released: PartitionState[] = [];
          this.#completed(ps, 1, ps.tracker.done(p.seq), released);
          this.#announce(released);
          if (lane.exclusive) this.#release(lane);
          this.dispatch(ps.entry);
        },
        (err: unknown) => {
          ps.busyCount--;
          if (this.#stopped || ps.revoked) return unblock();
          // Not done: its offset must not be committed. Pause the partition and try again.
          if (!failing) {
            failing = true;
            if (ps.dlqBlocked++ === 0) this.#events.dlqFailing(ps, err instanceof Error ? err : new Error(String(err)));
          }
          this.#later(attempt, this.#backoff(Math.min(++failures, 8)));
        },
      );
    };
    attempt();
  }

  /**
   * Cancels retry timers; pending messages stay un-done (they are re-delivered later). From now
   * on no timer is made and tasks that still end only update the offset trackers.
   */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  /** Drops the queued (not started) messages of a revoked partition; returns how many. */
  dropQueued(ps: PartitionState): number {
    let n = 0;
    for (const lane of ps.lanes.values()) n += lane.take(lane.size).length;
    if (ps.nullLane) n += ps.nullLane.take(ps.nullLane.size).length;
    return n;
  }
}
