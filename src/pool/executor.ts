import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { GoCoffeeKafkaError } from '../errors/base.js';
import { Status, type Executor, type TaskFailure, type TaskResult, type TraceHost } from '../message/task.js';
import type { NativeMessage } from '../native/types.js';
import { FailureKind, newProgress, packMessages, progressViews } from './codec.js';
import { Watchdog } from './watchdog.js';

/**
 * A handler task failed as a whole in the executor, not in the handler: its worker thread died
 * (process.exit() in a handler, OOM, a native crash) or the pool refused or dropped the task.
 * `cause` is what the pool reported (piscina's Error). Retriable: the messages are run again.
 */
export class WorkerError extends GoCoffeeKafkaError {
  /**
   * The task never started (no worker took it, or the handler module could not be loaded in a
   * replacement worker): an infrastructure failure, not the messages' — the dispatcher runs them
   * again later without charging them an attempt.
   */
  readonly neverStarted: boolean;
  constructor(what: string, cause: unknown, context: Record<string, unknown> = {}, neverStarted = false) {
    super('GCK_WORKER', `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { retriable: true, cause, context: { ...context, neverStarted } });
    this.neverStarted = neverStarted;
  }
}

/**
 * A handler did not settle within the consumer's handlerTimeoutMs. Retriable: the message runs
 * again per the retry policy (and is dead-lettered when its attempts are used up).
 */
export class HandlerTimeoutError extends GoCoffeeKafkaError {
  constructor(timeoutMs: number, where: 'in-process' | 'worker' | 'flush', context: Record<string, unknown> = {}) {
    super(
      'GCK_HANDLER_TIMEOUT',
      where === 'worker'
        ? `the handler did not finish a message within ${timeoutMs} ms (handlerTimeoutMs): its worker thread was terminated and replaced`
        : where === 'flush'
          ? `the handler module's flush() did not settle within ${timeoutMs} ms (handlerTimeoutMs): its worker thread was terminated and replaced; every message of the task whose handler had succeeded fails with this error`
          : `the handler did not settle within ${timeoutMs} ms (handlerTimeoutMs): its promise is abandoned and the key lane moves on`,
      { retriable: true, context: { ...context, timeoutMs } },
    );
  }
}


/** A running pool task under the handler-timeout watchdog. */
interface Watch {
  readonly progress: Int32Array;
  readonly controller: AbortController;
  /** Messages begun at the last look, and since when (performance.now(); 0: not yet seen running). */
  begun: number;
  since: number;
  timedOut: boolean;
}

/**
 * Whether a watched task is stuck: started, and no new message begun for longer than the timeout
 * (then its controller is aborted: piscina terminates the worker running it and starts a replacement).
 */
function stuck(x: Watch, now: number, timeoutMs: number): boolean {
  if (Atomics.load(x.progress, 1) === 0) return false; // still queued: not timed
  const begun = Atomics.load(x.progress, 2);
  if (begun !== x.begun || x.since === 0) {
    x.begun = begun;
    x.since = now;
    return false;
  }
  if (now - x.since <= timeoutMs) return false;
  x.timedOut = true;
  x.controller.abort();
  return true;
}

function workerFile(): string {
  // Compiled: dist/pool/worker.js. From source (tsx, tests): src/pool/worker.ts.
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./worker.ts', import.meta.url));
}

/**
 * A piscina pool running a handler module in worker threads. Each task carries its messages in one
 * transferred ArrayBuffer, and a small SharedArrayBuffer where the worker records its progress. A
 * worker that dies (process.exit in a handler, a native crash, OOM) rejects its task and piscina
 * starts a replacement; the progress tells which messages were done (kept), which one was running
 * (a failed attempt: retried, and dead-lettered if it keeps killing workers) and which never ran
 * (re-run without counting an attempt).
 */
export class PoolExecutor implements Executor {
  readonly capacity: number;
  readonly #pool: Piscina;
  readonly #module: string;

  readonly #trace: TraceHost | undefined;
  readonly #timeoutMs: number | undefined;
  /** Watches running tasks (only with handlerTimeoutMs): aborts one stuck on a message. */
  readonly #watchdog: Watchdog<Watch> | undefined;

  /**
   * `trace`: where the trace runner of traced tasks comes from (the client's Diagnostics).
   * `handlerTimeoutMs`: a message whose handler runs longer gets its worker terminated (and
   * replaced by piscina); it fails with HandlerTimeoutError, what its task finished before is kept.
   */
  constructor(module: string | URL, workers: number = availableParallelism(), queueBeyondWorkers?: number, trace?: TraceHost, handlerTimeoutMs?: number) {
    this.#trace = trace;
    this.#timeoutMs = handlerTimeoutMs;
    this.#watchdog = handlerTimeoutMs === undefined ? undefined : new Watchdog<Watch>(handlerTimeoutMs, (x, now) => stuck(x, now, handlerTimeoutMs), 10);
    this.#module = typeof module === 'string' ? module : module.href;
    this.#pool = new Piscina({
      filename: workerFile(),
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
    this.capacity = workers + (queueBeyondWorkers ?? workers * 2);
  }

  get queueSize(): number {
    return this.#pool.queueSize;
  }

  get utilization(): number {
    return this.#pool.utilization;
  }

  get threads(): number {
    return this.#pool.threads.length;
  }

  /** Loads the handler module in a worker: a bad module path fails start(), not every message. */
  async ready(): Promise<void> {
    await this.#pool.run({ buffer: new ArrayBuffer(0), topics: [], count: 0, module: this.#module });
  }

  run(messages: readonly NativeMessage[], lanes: readonly number[], attempts: readonly number[], traces?: readonly (string | undefined)[]): Promise<TaskResult> {
    const packed = packMessages(messages, lanes, attempts);
    const shared = newProgress(messages.length);
    const traceModule = this.#trace?.traceModule;
    const task = traces === undefined || traceModule === undefined ? { ...packed, module: this.#module, shared } : { ...packed, module: this.#module, shared, traces, traceModule };
    if (this.#timeoutMs === undefined) {
      return (this.#pool.run(task, { transferList: [packed.buffer] }) as Promise<TaskResult>).then(
        undefined,
        (err: unknown) => crashResult(err, shared, lanes, this.#module),
      );
    }
    const watch: Watch = { progress: progressViews(shared, messages.length).progress, controller: new AbortController(), begun: 0, since: 0, timedOut: false };
    this.#watchdog!.watch(watch);
    return (this.#pool.run(task, { transferList: [packed.buffer], signal: watch.controller.signal }) as Promise<TaskResult>).then(
      (r) => {
        this.#watchdog!.forget(watch);
        return r;
      },
      (err: unknown) => {
        this.#watchdog!.forget(watch);
        return crashResult(err, shared, lanes, this.#module, watch.timedOut ? this.#timeoutMs : undefined);
      },
    );
  }



  async close(force = false): Promise<void> {
    try {
      // The watchdog keeps running while a graceful close waits for running tasks: a hung handler
      // is still terminated (with handlerTimeoutMs), so the close cannot hang on it.
      if (force) await this.#pool.destroy();
      else await this.#pool.close({ force: false });
    } finally {
      this.#watchdog?.stop();
    }
  }
}

/**
 * The result of a task whose worker died, from the progress it shared. Throws a WorkerError with
 * `neverStarted` when the task never started (the dispatcher then runs its messages again after a
 * backoff, without charging them an attempt).
 */
function crashResult(err: unknown, shared: SharedArrayBuffer, lanes: readonly number[], module: string, timeoutMs?: number): TaskResult {
  const count = lanes.length;
  const { progress, statuses, kinds } = progressViews(shared, count);
  if (Atomics.load(progress, 1) === 0) throw new WorkerError('the worker pool did not run a handler task', err, { workerModule: module }, true);
  const done = Math.min(Atomics.load(progress, 0), count);
  const begun = Atomics.load(progress, 2);
  // In a worker module's flush() (worker.ts marks it): the flush failed, not one message.
  if (begun > count && done < count) {
    const error = timeoutMs !== undefined ? new HandlerTimeoutError(timeoutMs, 'flush', { workerModule: module, messages: count }) : new WorkerError("a worker thread died while running its handler module's flush()", err, { workerModule: module, messages: count });
    return flushFailed(statuses, kinds, error);
  }
  const error: GoCoffeeKafkaError = timeoutMs !== undefined ? new HandlerTimeoutError(timeoutMs, 'worker', { workerModule: module }) : new WorkerError('a worker thread died while running a handler task', err, { workerModule: module });
  const out = new Uint8Array(count);
  const failures: TaskFailure[] = [];
  for (let i = 0; i < done; i++) {
    out[i] = statuses[i]!;
    // Its error details died with the worker (its kind did not).
    if (out[i] === Status.Failed) failures.push(lostFailure(i, kinds[i]!, error));
  }
  for (let i = done; i < count; i++) out[i] = Status.Skipped;
  // The message running when the worker died: the last one begun. (A module with flush() reports
  // no message finished before its flush, so `done` alone would charge its first message.)
  const running = Math.max(done, Math.min(begun, count) - 1);
  if (running < count) {
    out[running] = Status.Failed;
    failures.push({ index: running, name: error.name, message: error.message, retriable: true });
  }
  return { statuses: out, failures, error };
}

/**
 * A worker module's flush() failed by its worker's death or its timeout: as when flush() rejects
 * (worker.ts), every message whose handler succeeded fails with the error; a handler's own failure
 * stays failed (its details died with the worker, its kind did not), a skipped message is run again.
 */
function flushFailed(statuses: Uint8Array, kinds: Uint8Array, error: GoCoffeeKafkaError): TaskResult {
  const out = Uint8Array.from(statuses);
  const failures: TaskFailure[] = [];
  for (let i = 0; i < out.length; i++) {
    if (out[i] === Status.Ok) {
      out[i] = Status.Failed;
      failures.push({ index: i, name: error.name, message: error.message, retriable: true });
    } else if (out[i] === Status.Failed) {
      failures.push(lostFailure(i, kinds[i]!, error));
    }
  }
  return { statuses: out, failures, error };
}

/** A handler's failure whose details died with its worker: only its kind is known (progressViews). */
function lostFailure(index: number, kind: number, error: Error): TaskFailure {
  const message = `handler failed (details lost: ${error.message})`;
  if (kind === FailureKind.Permanent) return { index, name: 'PermanentError', message, retriable: false };
  if (kind === FailureKind.Infrastructure) return { index, name: 'Error', message, retriable: true, infrastructure: true };
  return { index, name: 'Error', message, retriable: true };
}

export type { Executor } from '../message/task.js';
