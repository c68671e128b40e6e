/**
 * piscina worker entry. Receives a packed task (one transferred ArrayBuffer), rebuilds the
 * messages as views on that buffer, loads the handler module once per worker, runs the task.
 * Progress goes to the task's SharedArrayBuffer as each message finishes (see progressViews).
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConsumedMessage } from '../consumer/message.js';
import { runTask, type HandleFn } from './run-task.js';
import { progressViews, unpackMessages, type PackedTask } from './codec.js';
import type { TaskResult } from '../consumer/types.js';
import { ensureContextManager } from '../telemetry/context-manager.js';

export interface WorkerTask extends PackedTask {
  readonly module: string;
  /** Progress and statuses shared with the main thread (absent: a load-only task). */
  readonly shared?: SharedArrayBuffer;
  /** Per message, the traceparent of its process span (tracing on only). */
  readonly traces?: readonly (string | undefined)[];
}

let contextReady = false;

const handlers = new Map<string, Promise<HandleFn>>();

async function importModule(spec: string): Promise<{ default?: unknown; handle?: unknown }> {
  const url = spec.startsWith('file:') ? spec : pathToFileURL(spec).href;
  try {
    return (await import(url)) as { default?: unknown; handle?: unknown };
  } catch (e) {
    // A TypeScript handler run through a require-hook loader (tsx, ts-node): in Node 20 the ESM
    // loader hooks of the main thread do not reach worker threads, the CommonJS hooks do (this is
    // also how piscina itself loads this file from source).
    if ((e as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
    return createRequire(import.meta.url)(spec.startsWith('file:') ? fileURLToPath(spec) : spec) as { default?: unknown; handle?: unknown };
  }
}

async function loadHandler(spec: string): Promise<HandleFn> {
  const mod = await importModule(spec);
  const exp = mod.default ?? mod;
  if (typeof exp === 'function') return exp as HandleFn;
  if (exp !== null && typeof exp === 'object' && typeof (exp as { handle?: unknown }).handle === 'function') {
    const obj = exp as { handle: HandleFn };
    return (m) => obj.handle(m);
  }
  throw new TypeError(`handler module ${spec} must export a function or an object with handle(message) (default export or named "handle")`);
}

export default async function run(task: WorkerTask): Promise<TaskResult | null> {
  let h = handlers.get(task.module);
  if (h === undefined) {
    h = loadHandler(task.module);
    handlers.set(task.module, h);
    h.catch(() => handlers.delete(task.module)); // a failed load is tried again by the next task
  }
  const handle = await h;
  if (task.shared === undefined) return null;
  const { progress, statuses } = progressViews(task.shared, task.count);
  Atomics.store(progress, 1, 1); // started
  const raw = unpackMessages(task);
  const messages = raw.map((m) => new ConsumedMessage(m, m.attempt));
  const lanes = raw.map((m) => m.lane);
  if (task.traces !== undefined && !contextReady) {
    // Worker threads start without a context manager, and context.with() needs one; a handler
    // module that registered an OTel SDK keeps its own (setGlobalContextManager refuses a second).
    ensureContextManager();
    contextReady = true;
  }
  return runTask(handle, messages, lanes, statuses, progress, task.traces);
}
