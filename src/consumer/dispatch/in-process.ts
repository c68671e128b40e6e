import type { NativeMessage } from '../../native/types.js';
import type { Executor } from '../../message/task.js';
import { describeFailure, runTask, type HandleFn } from '../../pool/run-task.js';
import { runWithCorrelationId } from '../../diagnostics/correlation.js';
import { ConsumedMessage } from '../../message/consumed.js';
import { HEADERS } from '../../message/headers.js';
import { Status, type TaskFailure, type TaskResult, type TraceHost } from '../../message/task.js';
import { HandlerTimeoutError } from '../../pool/executor.js';
import { Watchdog } from '../../pool/watchdog.js';

/** An awaited handler promise under the handler-timeout watchdog. */
interface Guarded {
  readonly deadline: number;
  readonly reject: (e: Error) => void;
}

const CORRELATION_HEADER = HEADERS.CORRELATION_ID;

/** Where a task stands (kept across an await of an async handler). */
interface TaskState {
  readonly messages: readonly NativeMessage[];
  readonly lanes: readonly number[];
  readonly attempts: readonly number[];
  readonly statuses: Uint8Array;
  readonly failures: TaskFailure[];
  failedLanes: Set<number> | undefined;
}

/**
 * Runs a task's messages on the main thread with the same contract as `runTask` (in order; after a
 * failure the rest of that message's lane in the task is skipped; whatever is thrown is described,
 * never thrown out), without per-message garbage beyond the message view: no closure for the
 * correlation id when the message has none, no array of views, and no promise or microtask per
 * message for a handler that returns a non-thenable (an async handler's promise is awaited before
 * the next message, as before). A message published by the handler inherits the consumed
 * message's correlation id.
 *
 * With tracing on (`traces`), the task goes through `runTask`, which runs each message in its span
 * context.
 */
export class InProcessExecutor implements Executor {
  readonly capacity: number;
  readonly #handle: HandleFn;
  #running = 0;

  readonly #trace: TraceHost | undefined;
  readonly #timeoutMs: number | undefined;
  readonly #watchdog: Watchdog<Guarded> | undefined;
  readonly #guard: ((pending: PromiseLike<unknown>) => PromiseLike<unknown>) | undefined;

  /**
   * `trace`: where the trace runner of traced tasks comes from (the client's Diagnostics).
   * `handlerTimeoutMs`: an async handler that has not settled by then fails with
   * HandlerTimeoutError (its promise is abandoned: JS cannot cancel it).
   */
  constructor(handle: HandleFn, concurrency: number, trace?: TraceHost, handlerTimeoutMs?: number) {
    this.capacity = concurrency;
    this.#handle = handle;
    this.#trace = trace;
    this.#timeoutMs = handlerTimeoutMs;
    this.#watchdog =
      handlerTimeoutMs === undefined
        ? undefined
        : new Watchdog<Guarded>(handlerTimeoutMs, (g, now) => {
            if (g.deadline > now) return false;
            g.reject(new HandlerTimeoutError(handlerTimeoutMs, 'in-process'));
            return true;
          });
    this.#guard = handlerTimeoutMs === undefined ? undefined : (p) => this.#guarded_(p);
  }

  /**
   * `pending` raced against the timeout. One watchdog interval per executor (not a timer per
   * message) checks the deadlines a few times per timeout, only while something is awaited.
   */
  #guarded_(pending: PromiseLike<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const g: Guarded = { deadline: performance.now() + this.#timeoutMs!, reject };
      const watchdog = this.#watchdog!;
      watchdog.watch(g);
      pending.then(
        (v) => {
          if (watchdog.forget(g)) resolve(v);
        },
        (e: unknown) => {
          if (watchdog.forget(g)) reject(e);
        },
      );
    });
  }



  get queueSize(): number {
    return 0;
  }

  get utilization(): number {
    return this.#running / this.capacity;
  }

  run(messages: readonly NativeMessage[], lanes: readonly number[], attempts: readonly number[], traces?: readonly (string | undefined)[]): Promise<TaskResult> {
    this.#running++;
    if (traces !== undefined) return this.#traced(messages, lanes, attempts, traces);
    const t: TaskState = { messages, lanes, attempts, statuses: new Uint8Array(messages.length), failures: [], failedLanes: undefined };
    for (let i = 0; i < messages.length; i++) {
      const pending = this.#step(t, i);
      if (pending !== undefined) return this.#continue(t, i, pending);
    }
    this.#running--;
    return Promise.resolve({ statuses: t.statuses, failures: t.failures });
  }

  /** Runs message i; returns the handler's thenable if it has to be awaited. */
  #step(t: TaskState, i: number): PromiseLike<unknown> | undefined {
    if (t.failedLanes !== undefined && t.failedLanes.has(t.lanes[i]!)) {
      t.statuses[i] = Status.Skipped;
      return undefined;
    }
    const raw = t.messages[i]!;
    const m = new ConsumedMessage(raw, t.attempts[i]);
    try {
      const id = raw.headers === undefined ? undefined : m.header(CORRELATION_HEADER);
      const handle = this.#handle;
      const r = id === undefined ? handle(m) : runWithCorrelationId(id, () => handle(m));
      // `!= null`: a handler returning null (or any non-thenable) succeeded.
      if (r != null && typeof (r as PromiseLike<void>).then === 'function') return r as PromiseLike<unknown>;
    } catch (e) {
      this.#failed(t, i, e);
    }
    return undefined;
  }

  #failed(t: TaskState, i: number, e: unknown): void {
    t.statuses[i] = Status.Failed;
    t.failures.push(describeFailure(i, e));
    (t.failedLanes ??= new Set()).add(t.lanes[i]!);
  }

  /** An async handler: awaits message i, then goes on one message at a time. */
  async #continue(t: TaskState, i: number, pending: PromiseLike<unknown>): Promise<TaskResult> {
    try {
      for (;;) {
        try {
          await (this.#guard === undefined ? pending : this.#guard(pending));
        } catch (e) {
          this.#failed(t, i, e);
        }
        let next: PromiseLike<unknown> | undefined;
        while (++i < t.messages.length && (next = this.#step(t, i)) === undefined);
        if (i >= t.messages.length) return { statuses: t.statuses, failures: t.failures };
        pending = next!;
      }
    } finally {
      this.#running--;
    }
  }

  async #traced(messages: readonly NativeMessage[], lanes: readonly number[], attempts: readonly number[], traces: readonly (string | undefined)[]): Promise<TaskResult> {
    const handle = this.#handle;
    try {
      const views = messages.map((m, i) => new ConsumedMessage(m, attempts[i]));
      return await runTask((m) => runWithCorrelationId(m.header(CORRELATION_HEADER), () => handle(m)), views, lanes, undefined, undefined, traces, this.#trace?.traceRunner, undefined, this.#guard);
    } finally {
      this.#running--;
    }
  }

  async close(): Promise<void> {
    this.#watchdog?.stop();
  }
}
