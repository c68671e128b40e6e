import type { GroupProtocol } from '../config/types.js';
import type { ConsumedMessage } from '../message/consumed.js';
import type { KafkaConfig } from '../config/types.js';
import type { ProducerEngine } from '../delivery/index.js';
import type { NativeBinding } from '../native/types.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';

/**
 * What a Consumer needs from the client that owns the connections (the ConnectionManager in
 * client.ts is one): the configuration, the native binding, diagnostics, and the shared producer
 * engine its dead-letter writer publishes through. Defined here so consumer/ never imports the
 * composition root above it.
 */
export interface ConsumerHost {
  readonly config: KafkaConfig;
  readonly diagnostics: Diagnostics;
  readonly binding: NativeBinding;
  /** The shared producer engine; throws StateError while the client is not ready. */
  producerEngine(): ProducerEngine;
}

/** How messages of one partition may run in parallel. */
export type OrderingMode = 'key' | 'partition' | 'unordered';

/**
 * A message handler (the seed's `MessageHandler`): the topics it consumes, its consumer group, and
 * either an in-process `handle` function or a `workerModule` run in the piscina worker pool.
 *
 * A worker module's default export is a function `(message) => void | Promise<void>` or an object
 * with such a `handle` method; it runs in a worker thread, so it must not rely on the main
 * thread's state. Throwing (or rejecting) fails the message: it is retried with backoff up to
 * retry_max, then parked in the dead-letter topic. Throw a `PermanentError` to skip the retries.
 *
 * A worker module may also export `flush(): void | Promise<void>`, run once after each task's
 * messages: the task's messages count as done (and become committable) only once it resolved; if
 * it throws, every message of the task that succeeded fails with its error. It lets a handler
 * buffer side effects (e.g. events published through the main thread) and confirm them per task
 * instead of awaiting a confirmation per message (examples/demo/task-worker.ts).
 */
export interface MessageHandler {
  readonly topics: readonly string[];
  readonly groupId: string;
  handle?(message: ConsumedMessage): void | Promise<void>;
  readonly workerModule?: string | URL;
}

/**
 * Options of `new Consumer(cm, options, hooks)`, checked once by the constructor: a value it
 * cannot use (0 where a count of at least 1 is needed, a negative, fractional or non-finite
 * number, a timer beyond setTimeout's 2^31−1 ms) throws InvalidArgumentError naming the option.
 */
export interface ConsumerOptions {
  /** This consumer's group protocol, winning over the configuration's group_protocol (docs/consumer-groups.md). */
  readonly groupProtocol?: GroupProtocol;
  /** Static membership for this consumer (group.instance.id), winning over group_instance_id; null: a dynamic member. */
  readonly groupInstanceId?: string | null;
  /** Default 'key'. */
  readonly ordering?: OrderingMode;
  /**
   * Fetched messages of a partition above its committable watermark (unfinished, or done behind an
   * unfinished one) before that partition pauses; it resumes at half. One fetch may overshoot by
   * less than fetchBatchSize. Default 2000.
   */
  readonly maxInFlightPerPartition?: number;
  /**
   * Fetched-but-unfinished messages (queued, running, waiting for a retry or a dead-letter write)
   * over all partitions; fetching never goes past it, and all partitions pause at it (resume at
   * half). Default 20000.
   */
  readonly maxInFlight?: number;
  /**
   * Messages per fetched batch: the bound of one slab of the batch engine (one JS call per slab),
   * and never more than maxInFlight leaves room for. Default 1000.
   */
  readonly fetchBatchSize?: number;
  /**
   * Accepted and checked (ms, default 100) but no longer used: on the batch engine the consumer is
   * woken by librdkafka as messages arrive instead of polling with a timeout; librdkafka's
   * fetch.wait.max.ms (`librdkafka:` override) still bounds how long the broker holds a fetch.
   */
  readonly fetchWaitMs?: number;
  /** Messages per pool/in-process task. Default 500. */
  readonly taskBatchSize?: number;
  /** In-process: tasks running at once (useful for async I/O handlers). Default 4. */
  readonly concurrency?: number;
  /** Worker threads for workerModule handlers. Default: available cores. */
  readonly workers?: number;
  /**
   * Pool tasks handed to piscina beyond the running ones (so a worker never waits for the main
   * thread). Further messages wait in the dispatcher's lanes, counted by maxInFlight, which pauses
   * fetching. Default workers × 2.
   */
  readonly maxPoolQueue?: number;
  /** Retries after the first failure (default: config retry_max). */
  readonly retryMax?: number;
  /** First retry backoff in ms, doubled per attempt, with jitter (default: config retry_backoff). */
  readonly retryBackoffMs?: number;
  /** Upper bound of one backoff (ms). Default 30 s. */
  readonly retryBackoffMaxMs?: number;
  /** Dead-letter topic for a source topic. Default `<topic>.dlq`. */
  readonly deadLetterTopic?: (topic: string) => string;
  /** How long stop() and a revoke wait for in-flight work (ms). Default 30 s / 10 s. */
  readonly stopTimeoutMs?: number;
  readonly revokeTimeoutMs?: number;
  /** How often stored offsets are committed (ms). Default 1000. */
  readonly commitIntervalMs?: number;
  /**
   * The longest one message's handler may run (ms); default: no limit. A handler that has not
   * settled by then fails with HandlerTimeoutError (GCK_HANDLER_TIMEOUT, retriable): its key lane
   * moves on per the retry policy and its partition's commit point is no longer held. In-process the
   * handler's promise is abandoned (JS cannot cancel it); in the worker pool the worker running it
   * is terminated and replaced.
   */
  readonly handlerTimeoutMs?: number;
}

