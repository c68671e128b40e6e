/**
 * Loaded by pool workers (src/pool/worker.ts, by URL: pool/ never imports telemetry/) when a task
 * carries trace contexts: runs each handler under its message's process span. Worker threads start
 * without a context manager, and context.with() needs one: this installs the library's ALS context
 * manager unless the handler module registered an OTel SDK of its own (loaded before this module;
 * setGlobalContextManager refuses a second).
 */
import { ensureContextManager } from './context-manager.js';
import { fromTraceparent, withSpanContext } from './tracing.js';

ensureContextManager();

export function runInTrace<T>(traceparent: string | undefined, fn: () => T): T {
  return withSpanContext(fromTraceparent(traceparent), fn);
}
