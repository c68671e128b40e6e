/**
 * What the main thread and the task manager's worker threads share: the run id, event metadata
 * keys, and the messages on the two BroadcastChannels between them (one producer per process: the
 * workers hand the TaskCreated events they derive to the main thread, which publishes them and
 * answers with the outcome; see task-worker.ts and task-bridge.ts).
 */

/**
 * The run id reaches the worker threads through their environment: piscina starts them (with a
 * copy of process.env) when the consumer starts, after main.ts has set it.
 */
export const RUN_ID_ENV = 'GOCOFFEE_DEMO_RUN_ID';

/** Keys in the events' `metadata` map. */
export const META_RUN = 'demo_run';
/** Present (value "1") on the start-up probes (see barrier.ts); real events do not carry it. */
export const META_PROBE = 'demo_probe';
/** On TaskCreated: the beverage it was created for. */
export const META_BEVERAGE = 'beverage_id';

export const TASK_MANAGER = 'task-manager-agent';
export const INVENTOR = 'beverage-inventor-agent';

export function toMainChannel(runId: string): string {
  return `gocoffee-demo:${runId}:to-main`;
}

export function toWorkersChannel(runId: string): string {
  return `gocoffee-demo:${runId}:to-workers`;
}

/** A worker's task, sent by its flush(): the TaskCreated events to publish and what it handled. */
export interface TaskBatch {
  readonly kind: 'batch';
  /** worker threadId + per-worker sequence number: the reply's address. */
  readonly worker: number;
  readonly seq: number;
  /** Kafka keys (task ids) of the encoded TaskCreated events. */
  readonly keys: readonly string[];
  /** The encoded events (Confluent wire format), concatenated; `lengths[i]` bytes each. */
  readonly values: Uint8Array;
  readonly lengths: readonly number[];
  /** BeverageCreated events of this run handled (one TaskCreated each). */
  readonly handled: number;
  /** Events of other producers or earlier runs on the shared topic (skipped). */
  readonly foreign: number;
  /** Partitions on which a start-up probe of this run was seen. */
  readonly probes: readonly number[];
  /** End-to-end latency (BeverageCreated.created_at → handled) as sparse histogram buckets. */
  readonly latency: readonly number[];
}

/** The main thread's answer to one batch. */
export interface BatchOutcome {
  readonly kind: 'outcome';
  readonly worker: number;
  readonly seq: number;
  /** TaskCreated events that were not acknowledged (0: all were). */
  readonly failed: number;
  readonly error?: string;
}
