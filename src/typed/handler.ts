/**
 * TypedHandler: a consumer MessageHandler that decodes each message of a catalog's events (Avro
 * through the registry, or JSON) and calls the typed function registered for its event:
 *
 * ```ts
 * consumer.registerHandler(new TypedHandler(events, { groupId: 'billing', serde, config })
 *   .on('OrderPlaced', async (order, ctx) => { ... order.total ... ctx.key ... }));
 * ```
 *
 * Its topics are those of its events (from the catalog and the configuration). A message it cannot
 * decode is a DecodeError (non-retriable: dead-lettered at once); a message of an event it has no
 * function for too, unless `unhandled: 'ignore'`. The same dispatch runs in pool workers
 * (src/typed/worker.ts).
 */
import type { ConsumedMessage } from '../message/consumed.js';
import type { MessageHandler } from '../consumer/types.js';
import { InvalidArgumentError, StateError } from '../errors/base.js';
import { DecodeError } from '../schema/errors.js';
import type { EventCatalog, TopicsConfig } from './catalog.js';
import type { DecodedEvent, SchemaSerde } from './serde.js';
import type { EventName, HandlerContext, Serialization, TypedHandlerFn, TypedHandlers, UnhandledPolicy } from './types.js';

type AnyFn = (event: unknown, ctx: HandlerContext) => void | Promise<void>;

/**
 * Decodes messages of a catalog's events and calls typed functions: the dispatch shared by
 * TypedHandler (in-process) and typedWorker (pool workers).
 */
export class TypedDispatch<T = Record<string, object>, I = T> {
  readonly catalog: EventCatalog<T, I>;
  readonly serde: SchemaSerde;
  readonly #fns = new Map<string, AnyFn>();
  readonly #label: string;
  readonly #unhandled: UnhandledPolicy;
  /** Topic → the one event expected on it (for JSON without an event_type header). */
  readonly #expected = new Map<string, string | undefined>();

  constructor(catalog: EventCatalog<T, I>, serde: SchemaSerde, label: string, unhandled: UnhandledPolicy = 'error') {
    if (unhandled !== 'error' && unhandled !== 'ignore') throw new InvalidArgumentError('unhandled', `got ${JSON.stringify(unhandled)}, expected 'error' or 'ignore'`);
    this.catalog = catalog;
    this.serde = serde;
    this.#label = label;
    this.#unhandled = unhandled;
  }

  /** The events with a function, in registration order. */
  get events(): readonly EventName<T>[] {
    return [...this.#fns.keys()] as EventName<T>[];
  }

  on<K extends EventName<T>>(name: K, fn: TypedHandlerFn<T, K>): void {
    this.catalog.event(name); // InvalidEventError for a name the catalog does not have
    if (typeof fn !== 'function') throw new InvalidArgumentError(`on('${name}', fn)`, `got ${typeof fn}, expected a function (event, ctx) => ...`);
    if (this.#fns.has(name)) throw new InvalidArgumentError(`on('${name}', fn)`, `${this.#label} already has a function for ${name}`);
    this.#fns.set(name, fn as unknown as AnyFn);
  }

  onAll(handlers: TypedHandlers<T> | undefined): void {
    if (handlers === undefined) return;
    for (const [name, fn] of Object.entries(handlers)) if (fn !== undefined) this.on(name as EventName<T>, fn as TypedHandlerFn<T, EventName<T>>);
  }

  /** Records which single event (if any) a topic carries among the handled ones. */
  expect(topic: string, event: string): void {
    this.#expected.set(topic, this.#expected.has(topic) && this.#expected.get(topic) !== event ? undefined : event);
  }

  async handle(message: ConsumedMessage): Promise<void> {
    const expected = this.#expected.get(message.topic);
    // The event first (no value decoded): an event without a function is refused or skipped as it is.
    const found = await this.serde.identify(message, expected);
    const name = found.eventName;
    const fn = this.#fns.get(name);
    if (fn === undefined) {
      if (this.#unhandled === 'ignore') return;
      throw new DecodeError(`${this.#label} does not handle ${name} events`, { topic: message.topic, partition: message.partition, offset: message.offset });
    }
    const decoded = this.serde.decodeIdentified(message, found);
    const e = this.catalog.has(name) ? this.catalog.event(name) : undefined;
    // An Avro key's writer schema is fetched now (once per schema id), the key read only when used.
    if (e?.avroKey !== undefined && message.key !== null) {
      const pending = this.serde.prepareKey(message.key, { topic: message.topic, partition: message.partition, offset: message.offset });
      if (pending !== undefined) await pending;
    }
    await fn(decoded.value, new Context(this.serde, e, decoded, message));
  }
}

type CatalogEvent = ReturnType<EventCatalog['event']>;

/** A handler's context; the key is read on first use (most handlers never look at it). */
class Context implements HandlerContext {
  readonly eventName: string;
  readonly message: ConsumedMessage;
  readonly format: Serialization;
  readonly schemaId: number | undefined;
  readonly #serde: SchemaSerde;
  readonly #event: CatalogEvent | undefined;
  #key: unknown;
  #keyRead = false;

  constructor(serde: SchemaSerde, event: CatalogEvent | undefined, decoded: DecodedEvent, message: ConsumedMessage) {
    this.eventName = decoded.eventName;
    this.message = message;
    this.format = decoded.format as Serialization;
    this.schemaId = decoded.schemaId;
    this.#serde = serde;
    this.#event = event;
  }

  get key(): unknown {
    if (!this.#keyRead) {
      this.#key = this.#readKey();
      this.#keyRead = true;
    }
    return this.#key;
  }

  #readKey(): unknown {
    const { message } = this;
    const raw = message.key;
    if (raw === null) return null;
    const where = { topic: message.topic, partition: message.partition, offset: message.offset };
    const e = this.#event;
    if (e?.avroKey !== undefined) return this.#serde.decodeKeyNow(raw, e.avroKey.type, where);
    const serde = e?.keySerde;
    if (serde === undefined) return raw.toString('utf8');
    try {
      return serde.deserialize(raw);
    } catch (err) {
      if (err instanceof DecodeError) throw new DecodeError(`${this.eventName}: ${err.message}`, { ...where, ...err.context }, err);
      throw err;
    }
  }
}

export interface TypedHandlerOptions<T> {
  /** The consumer group. */
  readonly groupId: string;
  /** Decodes values (and Avro keys): catalog.serde({ registry }). */
  readonly serde: SchemaSerde;
  /** Topics for events given by topicKey (a loaded KafkaConfig fits). */
  readonly config?: TopicsConfig | undefined;
  /** Typed functions by event name (more with on()). */
  readonly handlers?: TypedHandlers<T> | undefined;
  /** Instead of the topics of the handled events (e.g. a topic carrying several events). */
  readonly topics?: readonly string[] | undefined;
  /** A message of an event without a function: 'error' (DecodeError, dead-lettered; default) or 'ignore'. */
  readonly unhandled?: UnhandledPolicy | undefined;
  /** Names the handler in messages. Default 'TypedHandler'. */
  readonly name?: string | undefined;
}

/** An in-process typed handler (see the module comment). Register it after the last on(). */
export class TypedHandler<T = Record<string, object>, I = T> implements MessageHandler {
  readonly groupId: string;
  readonly #dispatch: TypedDispatch<T, I>;
  readonly #config: TopicsConfig | undefined;
  readonly #fixedTopics: readonly string[] | undefined;
  #topics: readonly string[] | undefined;

  constructor(catalog: EventCatalog<T, I>, options: TypedHandlerOptions<T>) {
    if (typeof options.groupId !== 'string' || options.groupId === '') throw new InvalidArgumentError('groupId', 'expected a non-empty consumer group id');
    this.groupId = options.groupId;
    this.#config = options.config;
    this.#fixedTopics = options.topics === undefined ? undefined : Object.freeze([...options.topics]);
    this.#dispatch = new TypedDispatch(catalog, options.serde, options.name ?? 'TypedHandler', options.unhandled);
    this.#dispatch.onAll(options.handlers);
  }

  /** Adds the typed function of an event. @throws StateError once the consumer read the topics. */
  on<K extends EventName<T>>(name: K, fn: TypedHandlerFn<T, K>): this {
    if (this.#topics !== undefined) throw new StateError('TypedHandler', 'on', 'registered', ['not yet registered with a consumer (call on() before registerHandler())']);
    this.#dispatch.on(name, fn);
    return this;
  }

  /** The topics of the handled events (fixed once read: the consumer reads them at registration). */
  get topics(): readonly string[] {
    if (this.#topics === undefined) {
      const catalog = this.#dispatch.catalog;
      for (const name of this.#dispatch.events) this.#dispatch.expect(catalog.topicOf(name, this.#config), name);
      this.#topics = this.#fixedTopics ?? Object.freeze([...new Set(this.#dispatch.events.map((n) => catalog.topicOf(n, this.#config)))]);
    }
    return this.#topics;
  }

  handle(message: ConsumedMessage): Promise<void> {
    if (this.#topics === undefined) void this.topics;
    return this.#dispatch.handle(message);
  }
}
