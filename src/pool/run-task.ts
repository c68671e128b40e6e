import type { ConsumedMessage } from '../message/consumed.js';
import { Status, type TaskFailure, type TaskResult } from '../message/task.js';
import { failureKind } from './codec.js';

export type HandleFn = (message: ConsumedMessage) => void | Promise<void>;

/** Runs `fn` under the trace context of a W3C traceparent (see TraceHost). */
export type RunInTrace = <T>(traceparent: string | undefined, fn: () => T) => T;

function retriableOf(err: unknown): boolean {
  if (err !== null && typeof err === 'object' && 'retriable' in err) return (err as { retriable: unknown }).retriable !== false;
  return true;
}

function infrastructureOf(err: Error): boolean {
  try {
    return (err as { infrastructure?: unknown }).infrastructure === true;
  } catch {
    return false; // a throwing getter
  }
}

function text(v: unknown, fallback: string): string {
  try {
    return typeof v === 'string' ? v : String(v);
  } catch {
    return fallback; // e.g. an object without a prototype, or a throwing toString()
  }
}

/**
 * Describes whatever a handler threw. Handlers may throw non-Error values (strings, plain objects,
 * null); none of them may make the task itself fail, since that would re-run the task's messages
 * that already succeeded.
 */
export function describeFailure(index: number, e: unknown): TaskFailure {
  if (e instanceof Error) {
    const f = { index, name: e.name || 'Error', message: text(e.message, 'Error'), retriable: retriableOf(e) };
    return infrastructureOf(e) ? { ...f, infrastructure: true } : f;
  }
  if (e !== null && typeof e === 'object') {
    const o = e as { name?: unknown; message?: unknown };
    let name = 'NonErrorThrown';
    let message: string;
    try {
      if (typeof o.name === 'string' && o.name !== '') name = o.name;
      message = typeof o.message === 'string' ? o.message : text(e, '[unprintable object]');
    } catch {
      message = '[unprintable object]';
    }
    let retriable = true;
    try {
      retriable = retriableOf(e);
    } catch {
      /* a throwing getter: retry */
    }
    return { index, name, message, retriable };
  }
  return { index, name: 'NonErrorThrown', message: text(e, typeof e), retriable: true };
}

/**
 * Runs a task's messages in order. After a failure, the rest of that message's lane in this task
 * is skipped (returned as Skipped) so that the dispatcher can retry the failed message first and
 * keep the lane's order; other lanes go on. Shared by the in-process executor and the worker.
 *
 * With `progress` (pool tasks: views on a SharedArrayBuffer the main thread keeps), each status is
 * written as soon as it is known and `progress[0]` counts the messages finished, so that if the
 * worker thread dies mid-task the main thread knows which messages were done and which one was
 * running.
 */
export async function runTask(
  handle: HandleFn,
  messages: readonly ConsumedMessage[],
  lanes: ArrayLike<number>,
  statuses: Uint8Array = new Uint8Array(messages.length),
  progress?: Int32Array,
  traces?: readonly (string | undefined)[],
  runInTrace?: RunInTrace,
  /** Pool tasks: `heartbeat[2]` counts the messages begun (the main thread's handler-timeout watchdog reads it). */
  heartbeat?: Int32Array,
  /** In-process with handlerTimeoutMs: wraps each awaited handler promise (rejects it on timeout). */
  guard?: (pending: PromiseLike<unknown>) => PromiseLike<unknown>,
  /** Pool tasks: the shared failure kind of each failed message (progressViews). */
  kinds?: Uint8Array,
): Promise<TaskResult> {
  const failures: TaskFailure[] = [];
  let failedLanes: Set<number> | undefined;
  for (let i = 0; i < messages.length; i++) {
    const lane = lanes[i]!;
    if (failedLanes !== undefined && failedLanes.has(lane)) {
      statuses[i] = Status.Skipped;
      if (progress !== undefined) Atomics.store(progress, 0, i + 1);
      continue;
    }
    if (heartbeat !== undefined) Atomics.store(heartbeat, 2, i + 1);
    try {
      const m = messages[i]!;
      const r = traces === undefined || runInTrace === undefined ? handle(m) : runInTrace(traces[i], () => handle(m));
      // `!= null`: a handler returning null (or any non-thenable) succeeded.
      if (r != null && typeof (r as Promise<void>).then === 'function') await (guard === undefined ? r : guard(r as PromiseLike<unknown>));
    } catch (e) {
      statuses[i] = Status.Failed;
      const f = describeFailure(i, e);
      failures.push(f);
      if (kinds !== undefined) kinds[i] = failureKind(f);
      (failedLanes ??= new Set()).add(lane);
    }
    if (progress !== undefined) Atomics.store(progress, 0, i + 1);
  }
  return { statuses, failures };
}
