import type { ConsumedMessage } from '../consumer/message.js';
import { Status, type TaskFailure, type TaskResult } from '../consumer/types.js';

export type HandleFn = (message: ConsumedMessage) => void | Promise<void>;

function retriableOf(err: unknown): boolean {
  if (err !== null && typeof err === 'object' && 'retriable' in err) return (err as { retriable: unknown }).retriable !== false;
  return true;
}

/**
 * Runs a task's messages in order. After a failure, the rest of that message's lane in this task
 * is skipped (returned as Skipped) so that the dispatcher can retry the failed message first and
 * keep the lane's order; other lanes go on. Shared by the in-process executor and the worker.
 */
export async function runTask(handle: HandleFn, messages: readonly ConsumedMessage[], lanes: ArrayLike<number>): Promise<TaskResult> {
  const statuses = new Uint8Array(messages.length);
  const failures: TaskFailure[] = [];
  let failedLanes: Set<number> | undefined;
  for (let i = 0; i < messages.length; i++) {
    const lane = lanes[i]!;
    if (failedLanes !== undefined && failedLanes.has(lane)) {
      statuses[i] = Status.Skipped;
      continue;
    }
    try {
      const r = handle(messages[i]!);
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') await r;
    } catch (e) {
      statuses[i] = Status.Failed;
      const err = e instanceof Error ? e : new Error(String(e));
      failures.push({ index: i, name: err.name || 'Error', message: err.message, retriable: retriableOf(e) });
      (failedLanes ??= new Set()).add(lane);
    }
  }
  return { statuses, failures };
}
