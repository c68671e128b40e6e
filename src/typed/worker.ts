/**
 * Typed handlers inside pool workers. A worker module (the consumer's `workerModule`, run in a
 * piscina worker thread) exports what typedWorker() returns; it decodes with its own registry
 * client (worker threads share nothing with the main thread) and calls the typed function of each
 * message's event:
 *
 * ```ts
 * // order-worker.ts
 * import { typedWorker } from '@gocoffee/kafka';
 * import { events } from './events.js';                 // the same defineEvents() as the main thread
 * export default typedWorker(events, {
 *   registry: { url: process.env.GOCOFFEE_SCHEMA_REGISTRY_URL! },
 *   handlers: { OrderPlaced: async (order, ctx) => { ... } },
 * });
 * ```
 *
 * and the main thread registers `workerHandler(events, { groupId, events: ['OrderPlaced'], module })`.
 */
import type { KafkaConfig } from '../config/types.js';
import type { ConsumedMessage } from '../message/consumed.js';
import type { MessageHandler } from '../consumer/types.js';
import { InvalidArgumentError } from '../errors/base.js';
import { SchemaRegistry, type RegistryOptions } from '../schema/registry.js';
import { readOnlyCatalog, type EventCatalog, type TopicsConfig } from './catalog.js';
import { TypedDispatch } from './handler.js';
import { effectiveSerialization } from './publisher.js';
import type { EventName, TypedHandlers, UnhandledPolicy } from './types.js';

export interface TypedWorkerOptions<T> {
  /** The worker's registry client, or the options to create one (needed for Avro values and keys). */
  readonly registry?: SchemaRegistry | RegistryOptions | undefined;
  /** Typed functions by event name. */
  readonly handlers: TypedHandlers<T>;
  /** A message of an event without a function: 'error' (DecodeError, dead-lettered; default) or 'ignore'. */
  readonly unhandled?: UnhandledPolicy | undefined;
  /**
   * Topics of events given by topicKey, so JSON without an event_type header is read as the topic's
   * event; its `topicSerialization` (a loaded KafkaConfig's) decides, as when publishing, which
   * events are Avro and need `registry`.
   */
  readonly config?: (TopicsConfig & Partial<Pick<KafkaConfig, 'topicSerialization'>>) | undefined;
  /** Run once after each task's messages (the pool's worker-module flush(), see MessageHandler). */
  readonly flush?: (() => void | Promise<void>) | undefined;
}

/** What a typed worker module exports (default export): the pool calls handle() and flush(). */
export interface TypedWorkerModule {
  handle(message: ConsumedMessage): Promise<void>;
  readonly flush?: () => void | Promise<void>;
  /** The events with a function. */
  readonly events: readonly string[];
}

function registryOf(r: SchemaRegistry | RegistryOptions | undefined): SchemaRegistry | undefined {
  if (r === undefined || r instanceof SchemaRegistry) return r;
  if (r === null || typeof r !== 'object' || typeof r.url !== 'string') throw new InvalidArgumentError('registry', 'expected a SchemaRegistry or its options ({ url, username?, password? })');
  return new SchemaRegistry(r);
}

/**
 * The default export of a typed worker module. `events`: the catalog (defineEvents), or
 * `{ schemasDir }` to read every event of a schemas folder (string keys).
 * @throws InvalidArgumentError (no handlers, a bad option, Avro events without a registry),
 *   InvalidEventError (a handler for an event the catalog does not have); the consumer reports it
 *   as a HandlerRegistrationError at start(), when the pool loads the module.
 */
export function typedWorker<T, I = T>(events: EventCatalog<T, I> | { readonly schemasDir: string | URL }, options: TypedWorkerOptions<T>): TypedWorkerModule {
  const catalog = 'schemasDir' in events && !('names' in events) ? readOnlyCatalog<T>(events.schemasDir) : (events as EventCatalog<T, I>);
  if (options === null || typeof options !== 'object' || options.handlers === null || typeof options.handlers !== 'object') {
    throw new InvalidArgumentError('typedWorker(events, options)', 'expected { handlers: { EventName: async (event, ctx) => ... }, registry? }');
  }
  const registry = registryOf(options.registry);
  const typed = catalog as unknown as EventCatalog<T, T>;
  const dispatch = new TypedDispatch(typed, typed.serde({ registry }), 'typedWorker', options.unhandled);
  dispatch.onAll(options.handlers);
  if (dispatch.events.length === 0) throw new InvalidArgumentError('handlers', 'expected at least one typed function, e.g. { OrderPlaced: async (event, ctx) => ... }');
  const avro = dispatch.events.filter((n) => effectiveSerialization(catalog.event(n), options.config) === 'avro' || catalog.event(n).avroKey !== undefined);
  if (registry === undefined && 'names' in events && avro.length > 0) {
    throw new InvalidArgumentError('registry', `${avro.join(', ')} ${avro.length === 1 ? 'is' : 'are'} Avro and need${avro.length === 1 ? 's' : ''} a Schema Registry in the worker: pass registry: { url, username?, password? }`);
  }
  for (const name of dispatch.events) {
    const e = catalog.event(name);
    if (e.topic !== undefined) dispatch.expect(e.topic, name);
    else if (e.topicKey !== undefined && options.config !== undefined) dispatch.expect(catalog.topicOf(name, options.config), name);
  }
  if (options.flush !== undefined && typeof options.flush !== 'function') throw new InvalidArgumentError('flush', 'expected a function');
  const mod: TypedWorkerModule = {
    handle: (message) => dispatch.handle(message),
    events: Object.freeze([...dispatch.events]),
    ...(options.flush !== undefined ? { flush: options.flush } : {}),
  };
  return Object.freeze(mod);
}

export interface WorkerHandlerOptions<T> {
  readonly groupId: string;
  /** The events the worker module handles (its topics are theirs). */
  readonly events: readonly EventName<T>[];
  /** The worker module: its path or file: URL (e.g. `new URL('./order-worker.js', import.meta.url)`). */
  readonly module: string | URL;
  /** Topics of events given by topicKey (a loaded KafkaConfig fits). */
  readonly config?: TopicsConfig | undefined;
}

/** The main thread's side of a typed worker module: a MessageHandler for Consumer.registerHandler(). */
export function workerHandler<T, I = T>(catalog: EventCatalog<T, I>, options: WorkerHandlerOptions<T>): MessageHandler {
  if (!Array.isArray(options.events) || options.events.length === 0) throw new InvalidArgumentError('events', 'expected the names of the events the worker module handles');
  if (typeof options.module !== 'string' && !(options.module instanceof URL)) throw new InvalidArgumentError('module', 'expected the path or file: URL of the worker module');
  const topics = [...new Set(options.events.map((n) => catalog.topicOf(n, options.config)))];
  return Object.freeze({ groupId: options.groupId, topics: Object.freeze(topics), workerModule: options.module });
}
