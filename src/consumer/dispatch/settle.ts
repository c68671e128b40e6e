import { GoCoffeeKafkaError } from '../../errors/base.js';
import { WorkerError } from '../../pool/executor.js';
import { Status, type TaskFailure, type TaskResult } from '../../message/task.js';
import type { PartitionState } from '../group/partition-state.js';
import type { Lane } from './lane.js';
import type { Pending } from './pending.js';
import type { DispatcherEvents } from './types.js';

/**
 * Settling a finished task's result: done messages complete in their partition's tracker, a failed
 * one and what its lane skipped after it go back to the front of the lane, lanes are released and
 * the partitions' counts announced. Plain functions over the dispatcher's state (lanes, partitions,
 * the released list), called once per task (and per dead-letter write): their loops are the
 * per-message part, as they were inside the Dispatcher.
 */

/** Where a failed message goes next (retry.ts): a retry after a backoff, or the dead-letter topic. */
export interface FailurePolicy {
  failed(p: Pending, retriable: boolean): void;
  /** The failure was the infrastructure's (e.g. the registry unreachable): run it again later, no attempt charged. */
  notCharged(p: Pending, f: TaskFailure): void;
}

const WORKER_FAILURE_NAME = 'WorkerError';

export function allOk(statuses: Uint8Array, count: number): boolean {
  for (let i = 0; i < count; i++) if (statuses[i] !== Status.Ok) return false;
  return true;
}

/**
 * The task failed as a whole without telling what ran (the executor threw, the pool rejected a
 * task that never started): no message of it counts as done. The first message of each
 * exclusive lane failed this attempt (so a broken pool backs off instead of spinning), the rest
 * of the lane is skipped; in 'unordered' mode every message failed. A worker that died mid-task
 * is not this case: PoolExecutor reports from the task's shared progress what was done.
 */
export function taskFailed(pendings: Pending[], err: unknown, events: DispatcherEvents): TaskResult {
  const e = err instanceof GoCoffeeKafkaError ? err : new WorkerError('the executor could not run a handler task', err);
  events.taskError(e);
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

/** The usual task: every message done. One pass, one lane run at a time. */
export function settleAllOk(pendings: Pending[], released: PartitionState[]): void {
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
    completed(ps, i - start, moved, released);
    release(lane);
  }
}

export function settle(pendings: Pending[], result: TaskResult, released: PartitionState[], policy: FailurePolicy): void {
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
      if (f.infrastructure === true) {
        if (lane.exclusive) {
          blocked = true;
          (held ??= []).push(p);
        }
        policy.notCharged(p, f);
        continue;
      }
      p.failed(Date.now(), f.name, f.message);
      if (lane.exclusive) {
        blocked = true;
        (held ??= []).push(p); // keeps its place at the front of the lane
      }
      policy.failed(p, f.retriable);
    }
    if (held !== undefined) lane.unshift(held);
    completed(ps, done, moved, released);
    if (!blocked) release(lane);
  }
}

export function release(lane: Lane): void {
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
 * announced by announce(released) once the caller has settled everything.
 */
export function completed(ps: PartitionState, done: number, moved: boolean, released: PartitionState[]): void {
  if (done === 0 || ps.revoked) return;
  ps.open -= done;
  if (ps.releasing === 0) released.push(ps);
  ps.releasing += done;
  if (moved) ps.progressed = true;
}

export function announce(released: PartitionState[], events: DispatcherEvents): void {
  for (const ps of released) {
    const n = ps.releasing;
    ps.releasing = 0;
    if (ps.progressed) {
      ps.progressed = false;
      events.progressed(ps);
    }
    events.released(ps, n);
  }
}
