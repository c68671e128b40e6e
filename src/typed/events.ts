/**
 * TypedEvents: a catalog wired to a client — one registry client and serde shared by the
 * publisher and the handlers, topics from the configuration — so an application writes:
 *
 * ```ts
 * const cm = new ConnectionManager(config);
 * await cm.initialize();
 * const bus = new TypedEvents(events, { client: cm });         // registry from config.schemaRegistryUrl
 * await bus.registerSchemas();
 * await bus.publish('OrderPlaced', { order_id: 'o-1', ... });
 * consumer.registerHandler(bus.handler('billing').on('OrderPlaced', async (order, ctx) => { ... }));
 * consumer.registerHandler(bus.workerHandler('shipping', ['OrderPlaced'], new URL('./order-worker.js', import.meta.url)));
 * ```
 */
import { ConfigError } from '../config/errors.js';
import type { KafkaConfig } from '../config/types.js';
import type { DeliveryResult } from '../delivery/engine.js';
import type { MessageHandler } from '../consumer/types.js';
import { InvalidArgumentError, StateError } from '../errors/base.js';
import type { RegistrationResult } from '../schema/registration/types.js';
import { SchemaRegistry, type RegistryOptions } from '../schema/registry.js';
import type { SubjectStrategy } from '../schema/subjects.js';
import type { EventCatalog, TopicsConfig } from './catalog.js';
import { TypedHandler } from './handler.js';
import { effectiveSerialization, TypedPublisher, type EventProducer, type PublishEventOptions } from './publisher.js';
import type { RegisterEventSchemasOptions } from './register.js';
import type { SchemaSerde } from './serde.js';
import type { EventName, InputOf, TypedHandlers, UnhandledPolicy } from './types.js';
import { workerHandler } from './worker.js';

/** What TypedEvents publishes through and reads its configuration from (a ConnectionManager fits). */
export interface EventClient {
  readonly config: KafkaConfig;
  /** Read per publish (a client's producer exists once it is connected). */
  readonly producer: EventProducer;
}

export interface TypedEventsOptions {
  /** The client: configuration (topics, suffix, registry settings) and producer. */
  readonly client?: EventClient | undefined;
  /** Without a client: the topics configuration (and registry settings), and a producer if you publish. */
  readonly config?: (TopicsConfig & Partial<Pick<KafkaConfig, 'schemaRegistryUrl' | 'schemaRegistryUsername' | 'schemaRegistryPassword' | 'readTimeoutMs' | 'topicSerialization'>>) | undefined;
  readonly producer?: EventProducer | (() => EventProducer) | undefined;
  /** A registry client, or its options; default: from the configuration's schema_registry_* settings. */
  readonly registry?: SchemaRegistry | RegistryOptions | undefined;
  /** Subject naming. Default 'topic' (`<topic>-value`). */
  readonly strategy?: SubjectStrategy | undefined;
  /** Register each schema on first publish instead of looking it up. Default false. */
  readonly autoRegister?: boolean | undefined;
}

/** A catalog wired to a client (see the module comment). */
export class TypedEvents<T = Record<string, object>, I = T> {
  readonly catalog: EventCatalog<T, I>;
  readonly serde: SchemaSerde;
  readonly registry: SchemaRegistry | undefined;
  readonly config: TypedEventsOptions['config'];
  readonly #publisher: TypedPublisher<T, I>;
  readonly #ownsRegistry: boolean;
  readonly #registration: { url: string; username?: string | undefined; password?: string | undefined } | undefined;
  readonly #strategy: SubjectStrategy | undefined;

  /**
   * @throws ConfigError naming kafka.schema_registry_url when an event is written as Avro — its
   *   own serialization, or its topic's `topic_serialization` (which wins, as when publishing) —
   *   or has an Avro key, and no registry is given or configured; InvalidArgumentError for bad
   *   options.
   */
  constructor(catalog: EventCatalog<T, I>, options: TypedEventsOptions = {}) {
    this.catalog = catalog;
    const client = options.client;
    const config = options.config ?? client?.config;
    this.config = config;
    this.#strategy = options.strategy;
    const r = options.registry;
    if (r instanceof SchemaRegistry) {
      this.registry = r;
      this.#ownsRegistry = false;
      this.#registration = { url: r.url };
    } else if (r !== undefined) {
      if (r === null || typeof r !== 'object' || typeof r.url !== 'string') throw new InvalidArgumentError('registry', 'expected a SchemaRegistry or its options ({ url, username?, password? })');
      this.registry = new SchemaRegistry(r);
      this.#ownsRegistry = true;
      this.#registration = { url: r.url, username: r.username, password: r.password };
    } else if (config?.schemaRegistryUrl !== undefined) {
      const registration = { url: config.schemaRegistryUrl, username: config.schemaRegistryUsername, password: config.schemaRegistryPassword };
      this.registry = new SchemaRegistry({ ...registration, timeoutMs: config.readTimeoutMs });
      this.#ownsRegistry = true;
      this.#registration = registration;
    } else {
      this.registry = undefined;
      this.#ownsRegistry = false;
      this.#registration = undefined;
      // What the publisher will write (topic_serialization wins over the event's own serialization).
      const avro = catalog.names.filter((n) => effectiveSerialization(catalog.event(n), config) === 'avro' || catalog.event(n).avroKey !== undefined);
      if (avro.length > 0) {
        const forced = avro.filter((n) => catalog.event(n).serialization !== 'avro' && catalog.event(n).avroKey === undefined);
        const why = forced.length > 0 ? ` (${forced.join(', ')}: Avro by kafka.topic_serialization)` : '';
        throw new ConfigError([{ path: 'kafka.schema_registry_url', message: `not set, expected an http:// or https:// URL: ${avro.join(', ')} use Avro${why} and need a Schema Registry (or give them serialization: 'json', or set their topics to json in topic_serialization)` }]);
      }
    }
    this.serde = catalog.serde({ registry: this.registry, strategy: options.strategy, autoRegister: options.autoRegister });
    const producer = options.producer ?? (client !== undefined ? () => client.producer : undefined);
    this.#publisher = new TypedPublisher(catalog, {
      serde: this.serde,
      config,
      producer: producer ?? (() => {
        throw new StateError('TypedEvents', 'publish', 'without a producer', ['created with a client or a producer']);
      }),
    });
  }

  /** The Kafka topic of an event. */
  topicOf(name: EventName<T>): string {
    return this.#publisher.topicOf(name);
  }

  /** Publishes one event (see TypedPublisher.publish). */
  publish<K extends EventName<T>>(name: K, event: InputOf<I, K>, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.#publisher.publish(name, event, options);
  }

  /** An in-process typed handler of `groupId` (add functions with on() before registering it). */
  handler(groupId: string, options: { readonly handlers?: TypedHandlers<T>; readonly unhandled?: UnhandledPolicy; readonly topics?: readonly string[] } = {}): TypedHandler<T, I> {
    return new TypedHandler(this.catalog, { groupId, serde: this.serde, config: this.config, ...options });
  }

  /** The main thread's handler for a typed worker module (typedWorker) handling `events`. */
  workerHandler(groupId: string, events: readonly EventName<T>[], module: string | URL): MessageHandler {
    return workerHandler(this.catalog, { groupId, events, module, config: this.config });
  }

  /** Registers the catalog's schemas with this registry, under the configured topics' subjects. */
  registerSchemas(options: Omit<RegisterEventSchemasOptions, 'config' | 'registryUrl'> = {}): Promise<RegistrationResult[]> {
    const reg = this.#registration;
    if (reg === undefined) return Promise.reject(new InvalidArgumentError('registry', 'no Schema Registry: configure schema_registry_url or pass registry'));
    return this.catalog.registerSchemas({
      strategy: this.#strategy,
      ...options,
      registryUrl: reg.url,
      username: options.username ?? reg.username,
      password: options.password ?? reg.password,
      ...(this.config !== undefined ? { config: { topics: this.config.topics, topicSuffix: this.config.topicSuffix } } : {}),
    });
  }

  /** Closes the registry client it created (one passed in stays open). Idempotent. */
  close(): void {
    if (this.#ownsRegistry) this.registry?.close();
  }
}
