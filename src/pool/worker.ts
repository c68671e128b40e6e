/**
 * piscina worker entry. Receives a packed task (one transferred ArrayBuffer), rebuilds the
 * messages as views on that buffer, loads the handler module once per worker, runs the task.
 */
import { pathToFileURL } from 'node:url';
import { ConsumedMessage } from '../consumer/message.js';
import { runTask, type HandleFn } from './run-task.js';
import { unpackMessages, type PackedTask } from './codec.js';
import type { TaskResult } from '../consumer/types.js';

export interface WorkerTask extends PackedTask {
  readonly module: string;
}

const handlers = new Map<string, Promise<HandleFn>>();

async function loadHandler(spec: string): Promise<HandleFn> {
  const url = spec.startsWith('file:') ? spec : pathToFileURL(spec).href;
  const mod = (await import(url)) as { default?: unknown; handle?: unknown };
  const exp = mod.default ?? mod;
  if (typeof exp === 'function') return exp as HandleFn;
  if (exp !== null && typeof exp === 'object' && typeof (exp as { handle?: unknown }).handle === 'function') {
    const obj = exp as { handle: HandleFn };
    return (m) => obj.handle(m);
  }
  throw new TypeError(`handler module ${spec} must export a function or an object with handle(message) (default export or named "handle")`);
}

export default async function run(task: WorkerTask): Promise<TaskResult> {
  let h = handlers.get(task.module);
  if (h === undefined) {
    h = loadHandler(task.module);
    handlers.set(task.module, h);
  }
  const handle = await h;
  const raw = unpackMessages(task);
  const messages = raw.map((m) => new ConsumedMessage(m, m.attempt));
  const lanes = raw.map((m) => m.lane);
  return runTask(handle, messages, lanes);
}
