/**
 * piscina worker entry. Receives a packed task (one transferred ArrayBuffer), rebuilds the
 * messages as views on that buffer, loads the handler module once per worker, runs the task.
 * Progress goes to the task's SharedArrayBuffer as each message finishes (see progressViews).
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConsumedMessage } from '../message/consumed.js';
import { describeFailure, runTask, type HandleFn, type RunInTrace } from './run-task.js';
import { failureKind, progressViews, unpackMessages, type PackedTask } from './codec.js';
import { Status, type TaskFailure, type TaskResult } from '../message/task.js';

export interface WorkerTask extends PackedTask {
  readonly module: string;
  /** Progress and statuses shared with the main thread (absent: a load-only task). */
  readonly shared?: SharedArrayBuffer;
  /** Per message, the traceparent of its process span (tracing on only). */
  readonly traces?: readonly (string | undefined)[];
  /** With traces: the module (file URL) exporting `runInTrace(traceparent, fn)` (the tracing adapter's). */
  readonly traceModule?: string;
}

/** Loaded trace modules' runInTrace, per module URL (one per worker thread). */
const traceRunners = new Map<string, Promise<RunInTrace>>();

const untraced: RunInTrace = (_traceparent, fn) => fn();

function traceRunner(spec: string): Promise<RunInTrace> {
  let r = traceRunners.get(spec);
  if (r === undefined) {
    // A module that cannot be loaded is not the messages' fault: they run untraced (and the load is
    // tried again by the next traced task).
    r = importModule(spec).then(
      (mod) => {
        const f = (mod as { runInTrace?: unknown }).runInTrace;
        return typeof f === 'function' ? (f as RunInTrace) : untraced;
      },
      () => {
        traceRunners.delete(spec);
        return untraced;
      },
    );
    traceRunners.set(spec, r);
  }
  return r;
}

const handlers = new Map<string, Promise<LoadedHandler>>();

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

/** A loaded handler module: its handle function and, optionally, its per-task flush. */
interface LoadedHandler {
  readonly handle: HandleFn;
  readonly flush: (() => unknown) | undefined;
}

async function loadHandler(spec: string): Promise<LoadedHandler> {
  const mod = await importModule(spec);
  const exp = mod.default ?? mod;
  // Optional named export `flush` (or a `flush` method of a default-exported object): see run().
  const flushOf = (o: unknown): (() => unknown) | undefined => {
    if (o === null || (typeof o !== 'object' && typeof o !== 'function')) return undefined;
    const f = (o as { flush?: unknown }).flush;
    if (f === undefined) return undefined;
    if (typeof f !== 'function') throw new TypeError(`handler module ${spec}: "flush" must be a function, got ${typeof f}`);
    return () => (f as () => unknown).call(o);
  };
  const flush = flushOf(mod) ?? (exp !== mod ? flushOf(exp) : undefined);
  if (typeof exp === 'function') return { handle: exp as HandleFn, flush };
  if (exp !== null && typeof exp === 'object' && typeof (exp as { handle?: unknown }).handle === 'function') {
    const obj = exp as { handle: HandleFn };
    return { handle: (m) => obj.handle(m), flush };
  }
  throw new TypeError(`handler module ${spec} must export a function or an object with handle(message) (default export or named "handle")`);
}

/**
 * Runs one task. A module that exports `flush()` buffers side effects of its messages (e.g. events
 * it derives from them, published through the main thread's producer) and makes them durable in
 * flush(), which runs once after the task's messages: the task's messages count as done only once
 * flush() resolved, so the consumer commits nothing whose side effects were not confirmed, without
 * waiting for a confirmation per message. Until then the main thread sees none of them as done: a
 * worker that dies (or is timed out) in a handler has the whole task run again, the message that
 * was running charged one attempt. When flush() throws or rejects — or its worker dies or is timed
 * out in it — every message of the task that succeeded fails with that error (retried, then
 * dead-lettered, as a handler error would be): the flush failed, not one of the messages.
 */
export default async function run(task: WorkerTask): Promise<TaskResult | null> {
  let h = handlers.get(task.module);
  if (h === undefined) {
    h = loadHandler(task.module);
    handlers.set(task.module, h);
    h.catch(() => handlers.delete(task.module)); // a failed load is tried again by the next task
  }
  const { handle, flush } = await h;
  if (task.shared === undefined) return null;
  const { progress, statuses, kinds } = progressViews(task.shared, task.count);
  Atomics.store(progress, 1, 1); // started
  const raw = unpackMessages(task);
  const messages = raw.map((m) => new ConsumedMessage(m, m.attempt));
  const lanes = raw.map((m) => m.lane);
  // Tracing on: the handler runs under its message's process span (the adapter's module installs a
  // context manager in this thread unless the handler module registered an OTel SDK of its own).
  const runInTrace = task.traces !== undefined && task.traceModule !== undefined ? await traceRunner(task.traceModule) : undefined;
  if (flush === undefined) return runTask(handle, messages, lanes, statuses, progress, task.traces, runInTrace, progress, undefined, kinds);
  // Statuses stay local (no progress reported) until flush() settled; the heartbeat still beats.
  const result = await runTask(handle, messages, lanes, new Uint8Array(task.count), undefined, task.traces, runInTrace, progress);
  let failures = result.failures;
  // The flush phase, shared for the main thread in case this worker dies or is timed out in
  // flush(): the handlers' statuses, and messages begun past the last one (also the watchdog's
  // heartbeat: flush() gets a handlerTimeoutMs of its own). See crashResult (executor.ts).
  for (const f of failures) kinds[f.index] = failureKind(f);
  statuses.set(result.statuses);
  Atomics.store(progress, 2, task.count + 1);
  try {
    await flush();
  } catch (e) {
    const more: TaskFailure[] = [];
    for (let i = 0; i < task.count; i++) {
      if (result.statuses[i] !== Status.Ok) continue;
      result.statuses[i] = Status.Failed;
      more.push(describeFailure(i, e));
    }
    failures = [...failures, ...more].sort((a, b) => a.index - b.index);
  }
  statuses.set(result.statuses);
  Atomics.store(progress, 0, task.count);
  return { statuses, failures };
}
