import type { NativeMessage } from '../native/types.js';

/**
 * What a handler task is and returns, shared by the consumer (which builds tasks and settles their
 * results) and the executors that run them (in-process, or the piscina pool in pool/, which imports
 * message/ only, never consumer/).
 */

/** Outcome of one message within a task. */
export const enum Status {
  Ok = 0,
  Failed = 1,
  /** Not run: an earlier message of its lane failed in the same task. */
  Skipped = 2,
}

export interface TaskFailure {
  readonly index: number;
  readonly name: string;
  readonly message: string;
  readonly retriable: boolean;
  /**
   * The error says the failure is the infrastructure's, not the message's (`infrastructure: true`,
   * e.g. a retriable RegistryError: the registry was unreachable): retried without charging an attempt.
   */
  readonly infrastructure?: boolean;
}

export interface TaskResult {
  readonly statuses: Uint8Array;
  readonly failures: readonly TaskFailure[];
  /**
   * The task did not complete normally (its worker thread died): `statuses` then tell what was
   * done before, which message was running (Failed) and what never ran (Skipped).
   */
  readonly error?: Error;
}

/** Runs tasks (batches of messages) for one handler. */
export interface Executor {
  /** Tasks that may run at once before the dispatcher holds back. */
  readonly capacity: number;
  /** `traces`: per message, the traceparent of its process span (tracing on only). */
  run(messages: readonly NativeMessage[], lanes: readonly number[], attempts: readonly number[], traces?: readonly (string | undefined)[]): Promise<TaskResult>;
  /** Tasks waiting for a worker (0 in-process). */
  readonly queueSize: number;
  /** Share of worker time spent running tasks, 0..1 (in-process: running / capacity). */
  readonly utilization: number;
  /** Loads what tasks need (a pool loads the handler module in a worker); rejects if it cannot. */
  ready?(): Promise<void>;
  /** Waits for running tasks, or with `force` abandons them. */
  close(force?: boolean): Promise<void>;
}

/**
 * Runs a handler under a trace context: `run(traceparent, fn)` (in-process tasks) or, in pool
 * workers (functions do not cross threads), the module at `module` exporting `runInTrace`. The
 * client's Diagnostics is one: the tracing adapter sets both while it is attached; undefined means
 * handlers run as they are.
 */
export interface TraceHost {
  readonly traceRunner: (<T>(traceparent: string | undefined, fn: () => T) => T) | undefined;
  readonly traceModule: string | undefined;
}
