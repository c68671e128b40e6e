import type { NativeMessage } from '../../native/types.js';
import { GoCoffeeKafkaError } from '../../errors/base.js';
import { WorkerError } from '../../pool/executor.js';
import { backoffDelay } from '../../errors/backoff.js';
import type { DeadLetterWriter } from '../dead-letter.js';
import type { PartitionState } from '../group/partition-state.js';
import type { HandlerEntry } from './handler-entry.js';
import { slotOf } from './key-lanes.js';
import { Lane } from './lane.js';
import { Pending } from './pending.js';
import { Retrier } from './retry.js';
import type { HeldDispatch } from './holds.js';
import { allOk, announce, settle, settleAllOk, taskFailed } from './settle.js';
import type { DispatcherEvents, DispatcherOptions } from './types.js';
import { Status, type TaskResult } from '../../message/task.js';
import type { ConsumerObserver } from '../observer.js';

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
 *
 * Settling a task's result is settle.ts; retries, backoffs and dead-letter writes are retry.ts.
 */
export class Dispatcher {
  readonly #opts: DispatcherOptions;
  readonly #events: DispatcherEvents;
  readonly #retry: Retrier;
  #stopped = false;
  /** Timers ending an infrastructure-failure hold of a handler's dispatch (cleared by stop()). */
  readonly #holds = new Set<NodeJS.Timeout>();

  readonly #observer: ConsumerObserver | undefined;

  constructor(opts: DispatcherOptions, events: DispatcherEvents, dlq: Pick<DeadLetterWriter, 'write' | 'writeAlone'>, observer?: ConsumerObserver) {
    this.#opts = opts;
    this.#events = events;
    this.#observer = observer;
    this.#retry = new Retrier(opts, events, dlq, observer, this);
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
    if (this.#stopped || entry.held) return;
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
      (err: unknown) => {
        if (this.#stopped) this.#finishStopped(entry, pendings, undefined);
        else if (err instanceof WorkerError && err.neverStarted) this.#infraFailure(entry, pendings, err);
        else this.#finish(entry, pendings, taskFailed(pendings, err, this.#events));
      },
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
    // A task that never ran still ends its messages' spans (as not run).
    this.#observeFinished(pendings, result ?? notRun(pendings.length));
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
   * A task that never started (the pool refused it, or a replacement worker could not load the
   * handler module): not the messages' failure. It is reported (onError), its messages go back to
   * their lanes without being charged an attempt, and the handler's dispatch is held for a backoff
   * that grows while such failures go on (fetching pauses meanwhile as in-flight work builds up).
   */
  #infraFailure(entry: HandlerEntry, pendings: Pending[], err: WorkerError): void {
    entry.running--;
    this.#events.taskError(err);
    const result = notRun(pendings.length);
    this.#observeFinished(pendings, result);
    const released: PartitionState[] = [];
    settle(pendings, result, released, this.#retry);
    announce(released, this.#events);
    entry.infraFailures++;
    this.#retry.holds.handler(entry, `${err.name}: ${err.message}`);
    entry.held = true;
    const t = setTimeout(() => {
      this.#holds.delete(t);
      entry.held = false;
      this.dispatch(entry);
    }, backoffDelay(entry.infraFailures, this.#opts.retryBackoffMs, this.#opts.retryBackoffMaxMs));
    this.#holds.add(t);
  }

  #finish(entry: HandlerEntry, pendings: Pending[], result: TaskResult): void {
    entry.running--;
    entry.infraFailures = 0;
    this.#observeFinished(pendings, result);
    if (result.error !== undefined) {
      const e = result.error;
      this.#events.taskError(e instanceof GoCoffeeKafkaError ? e : new WorkerError('a handler task ended abnormally', e));
    }
    const statuses = result.statuses;
    const released: PartitionState[] = [];
    if (result.failures.length === 0 && allOk(statuses, pendings.length)) settleAllOk(pendings, released);
    else settle(pendings, result, released, this.#retry);
    announce(released, this.#events);
    this.dispatch(entry);
  }

  /**
   * Cancels retry timers; pending messages stay un-done (they are re-delivered later). From now
   * on no timer is made and tasks that still end only update the offset trackers.
   */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#holds) clearTimeout(t);
    this.#holds.clear();
    this.#retry.stop();
  }

  /** Dispatch held by infrastructure failures right now (consumer.stats(), health). */
  held(): HeldDispatch {
    return this.#retry.holds.snapshot();
  }

  /** Drops the queued (not started) messages of a revoked partition; returns how many. */
  dropQueued(ps: PartitionState): number {
    let n = 0;
    for (const lane of ps.lanes.values()) n += lane.take(lane.size).length;
    if (ps.nullLane) n += ps.nullLane.take(ps.nullLane.size).length;
    return n;
  }
}

/** A task result where nothing ran (every message Skipped: queued again, no attempt charged). */
function notRun(count: number): TaskResult {
  return { statuses: new Uint8Array(count).fill(Status.Skipped), failures: [] };
}
