import { StateError } from '../errors/base.js';
import type { KafkaConfig } from '../config/types.js';
import { ConnectionManager, type ConnectionManagerOptions } from '../client.js';
import type { GroupHooks } from '../consumer/group/types.js';
import type { ConsumerOptions, MessageHandler } from '../consumer/types.js';
import { TopicManager, type EnsureDefaults, type EnsureResult } from '../admin/topic-manager.js';
import type { DeliveryResult } from '../delivery/engine.js';
import { EventSerde, registerSchemas } from './serde.js';
import type { SubjectStrategy } from '../schema/subjects.js';
import { SchemaRegistry } from '../schema/registry.js';
import { EVENTS, goCoffeeEvents, topicKeyTypos, type EventName } from './catalog.js';
import { EventPublisher, type PublishEventOptions } from './publisher.js';
import type { EventContext } from './handlers.js';
import { EventBus, type EventSink } from './event-bus.js';
import { defaultHandlers, groupOf, ManagerConsumer, type DefaultGroups } from './defaults.js';
import { withZeroValues, type PublishInput } from './zero.js';
import type { RegistrationResult } from '../schema/registration/types.js';
import { checkHealth, collectStatistics, type HealthStatus, type Statistics } from './health.js';
import { ConfigError } from '../config/errors.js';

export interface ManagerOptions {
  /** Connection options (tests pass a fake binding). */
  readonly connection?: ConnectionManagerOptions;
  /** Subject naming. Default 'topic' (`<topic>-value`). */
  readonly subjectStrategy?: SubjectStrategy;
  /** Register each event's schema on first publish instead of looking it up. Default false. Needs a Schema Registry. */
  readonly autoRegisterSchemas?: boolean;
  /**
   * Register every schema of schemas/ at initialize() (in version order, compatibility checked, as
   * `gocoffee-kafka schemas register` does). Default false: register them at deploy time with the CLI.
   * Needs a Schema Registry.
   */
  readonly registerSchemas?: boolean;
  /** Create missing topics at initialize() (event topics and their `.dlq` topics). Default false. */
  readonly ensureTopics?: boolean | EnsureDefaults;
  /** Handlers registered at initialize() (the handlers of this service). */
  readonly handlers?: readonly MessageHandler[] | ((ctx: EventContext) => readonly MessageHandler[]);
  /**
   * Default handlers like the Go package's (log each beverage / task event at info and acknowledge
   * it; consumer groups: `defaultGroups`), added by the first startConsumer():
   * - not set (default): only when no handler is registered at all, so initialize() then
   *   startConsumer() runs as in Go, and a Manager with handlers of its own runs exactly those;
   * - true: always, as Go does, for every beverage / task topic no registered handler consumes (a
   *   handler of yours for an event replaces the default one for it);
   * - false: never (startConsumer() without a handler rejects with HandlerRegistrationError).
   */
  readonly defaultHandlers?: boolean;
  /**
   * The consumer groups of the default handlers. Default `<group_id>-beverage` and
   * `<group_id>-task` (this library's names; set them to the groups a Go service used to continue
   * from its committed offsets).
   */
  readonly defaultGroups?: DefaultGroups;
  readonly consumer?: ConsumerOptions;
  readonly consumerHooks?: GroupHooks;
  /**
   * healthCheck() reports the Manager unhealthy once a consumer group's dispatch has been held
   * (handlers whose tasks cannot start, key lanes waiting out an infrastructure failure) this long.
   * Default 60000 ms; the hold is shown in the health details from its start.
   */
  readonly heldDispatchUnhealthyAfterMs?: number;
}

type State = 'created' | 'initializing' | 'ready' | 'closing' | 'closed' | 'failed';

/**
 * The central coordinator (the seed's Manager): the connection, topic management, the schema
 * registry and serdes, domain-event publishing, the consumer with its handlers, health and
 * statistics. `initialize()` either completes or leaves nothing open behind it.
 */
export class Manager implements EventSink, EventContext {
  readonly config: KafkaConfig;
  readonly connection: ConnectionManager;
  readonly topics: TopicManager;
  readonly serde: EventSerde;
  readonly eventBus: EventBus;
  /** The Manager's consumer (a Consumer that remembers its handlers). */
  readonly consumer: ManagerConsumer;
  readonly #options: ManagerOptions;
  readonly #publisher: EventPublisher;
  readonly #registry: SchemaRegistry | undefined;
  #state: State = 'created';
  #initializing: Promise<void> | undefined;
  #ensured: EnsureResult[] = [];
  #registered: RegistrationResult[] = [];
  #defaultsAdded = false;

  /**
   * @throws ConfigError naming kafka.schema_registry_url when no registry is configured and one is
   *   needed: some event is written as Avro (kafka.serialization or a topic_serialization entry
   *   avro; avro is the default), or registerSchemas / autoRegisterSchemas is on. With every event
   *   written as JSON (the Go services' format) no registry is needed; an Avro message read then is
   *   dead-lettered with a DecodeError saying that a registry is missing.
   */
  constructor(config: KafkaConfig, options: ManagerOptions = {}) {
    this.config = config;
    this.#options = options;
    const typos = topicKeyTypos(config);
    if (typos.length > 0) throw new ConfigError(typos);
    const url = config.schemaRegistryUrl;
    this.#registry = url === undefined ? undefined : new SchemaRegistry({ url, username: config.schemaRegistryUsername, password: config.schemaRegistryPassword, timeoutMs: config.readTimeoutMs });
    // The Go services' event_type values, with the configured environment suffixes (event_type_suffixes).
    // Without a registry the serde writes and reads JSON; Avro data read is a DecodeError naming the missing registry.
    this.serde = new EventSerde(
      // (EventSerdeOptions types the registry as required; the serde itself works without: see SchemaSerde)
      { registry: this.#registry, strategy: options.subjectStrategy ?? 'topic', autoRegister: options.autoRegisterSchemas ?? false },
      goCoffeeEvents().eventTypeResolver(config.eventTypeSuffixes),
    );
    this.#publisher = new EventPublisher(config, this.serde, () => this.connection.producer);
    // Before anything opens: a registry is needed when an event is written as Avro or schemas are registered.
    const needs = this.#registry === undefined ? registryNeeds(options, (name) => this.#publisher.serializationOf(name)) : undefined;
    if (needs !== undefined) {
      const orJson = needs.avro ? ', or write every event as JSON: kafka.serialization: json' : '';
      throw new ConfigError([{ path: 'kafka.schema_registry_url', message: `not set, expected an http:// or https:// URL: ${needs.reason} (set kafka.schema_registry_url or GOCOFFEE_KAFKA_SCHEMA_REGISTRY_URL${orJson})` }]);
    }
    for (const which of ['beverage', 'task'] as const) groupOf(options.defaultGroups ?? {}, which, ''); // fail here, not at startConsumer()
    this.connection = new ConnectionManager(config, options.connection ?? {});
    this.topics = new TopicManager(this.connection);
    this.eventBus = new EventBus(this);
    this.consumer = new ManagerConsumer(this.connection, options.consumer ?? {}, options.consumerHooks ?? {});
  }

  get state(): State {
    return this.#state;
  }

  /** Whether a Schema Registry is configured (kafka.schema_registry_url). */
  get hasRegistry(): boolean {
    return this.#registry !== undefined;
  }

  /**
   * The Manager's Schema Registry client.
   * @throws ConfigError naming kafka.schema_registry_url when none is configured (a Manager whose
   *   events are all JSON needs none; see hasRegistry).
   */
  get registry(): SchemaRegistry {
    if (this.#registry === undefined) {
      throw new ConfigError([{ path: 'kafka.schema_registry_url', message: 'not set, expected an http:// or https:// URL: this Manager has no Schema Registry (every event is written as JSON)' }]);
    }
    return this.#registry;
  }

  /** Results of the schema registration at initialize() (empty when registerSchemas is off). */
  get registeredSchemas(): readonly RegistrationResult[] {
    return this.#registered;
  }

  /** Results of the topic check at initialize() (empty when ensureTopics is off). */
  get ensuredTopics(): readonly EnsureResult[] {
    return this.#ensured;
  }

  /**
   * Connects (verifying the cluster answers within connect_timeout), optionally ensures topics and
   * registers schemas, registers the `handlers` option's handlers. Concurrent calls share one initialization; on failure every
   * connection opened so far is closed and the Manager is `failed` (a failed Manager cannot be
   * initialized again: create a new one; initGlobalManager() does so on its next call).
   */
  initialize(): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    if (this.#state === 'initializing') return this.#initializing!;
    if (this.#state !== 'created') return Promise.reject(new StateError('Manager', 'initialize', this.#state, ['created']));
    this.#state = 'initializing';
    this.#initializing = this.#init().then(
      () => {
        this.#state = 'ready';
      },
      async (err: unknown) => {
        await this.connection.close().catch(() => undefined);
        this.#state = 'failed';
        throw err;
      },
    );
    return this.#initializing;
  }

  async #init(): Promise<void> {
    await this.connection.initialize();
    const ensure = this.#options.ensureTopics;
    if (ensure !== undefined && ensure !== false) this.#ensured = await this.topics.ensureTopics(undefined, ensure === true ? {} : ensure);
    if (this.#options.registerSchemas === true) {
      this.#registered = await registerSchemas({ config: this.config, strategy: this.serde.strategy });
    }
    const hs = this.#options.handlers;
    const handlers = typeof hs === 'function' ? hs(this) : (hs ?? []);
    for (const h of handlers) this.consumer.registerHandler(h);
  }

  #assertReady(op: string): void {
    if (this.#state !== 'ready') throw new StateError('Manager', op, this.#state, ['ready']);
  }

  /** Adds a handler (before the consumer starts); one for a beverage / task topic replaces its default handler. */
  registerHandler(handler: MessageHandler): void {
    this.consumer.registerHandler(handler);
  }

  /**
   * Starts the consumer: the first call adds the default handlers (see the `defaultHandlers`
   * option), then every group joins and subscribes.
   */
  async startConsumer(signal?: AbortSignal): Promise<void> {
    this.#assertReady('startConsumer');
    if (!this.#defaultsAdded) {
      this.#defaultsAdded = true;
      const mode = this.#options.defaultHandlers;
      const user = this.consumer.userHandlers;
      if (mode === true || (mode === undefined && user.length === 0)) {
        this.consumer.registerDefaults(defaultHandlers(this, user, this.connection.diagnostics, this.#options.defaultGroups));
      }
    }
    await this.consumer.start(signal);
  }

  /** Graceful: finishes in-flight work (bounded), commits, leaves the groups. */
  stopConsumer(): Promise<boolean> {
    return this.consumer.stop();
  }

  /**
   * Publishes one domain event, keyed by its entity id. A field left out is sent as Go's zero value
   * ('' / 0 / false / [] / {} / null; src/gocoffee/zero.ts), except the entity id and the
   * timestamps, which stay required.
   */
  publishEvent(name: EventName, event: object, options?: PublishEventOptions): Promise<DeliveryResult> {
    try {
      this.#assertReady(`publish${name}`);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return this.#publisher.publish(name, withZeroValues(name, event), options);
  }

  publishBeverageCreated(event: PublishInput<'BeverageCreated'>, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('BeverageCreated', event, options);
  }
  publishBeverageUpdated(event: PublishInput<'BeverageUpdated'>, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('BeverageUpdated', event, options);
  }
  publishTaskCreated(event: PublishInput<'TaskCreated'>, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('TaskCreated', event, options);
  }
  publishTaskUpdated(event: PublishInput<'TaskUpdated'>, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('TaskUpdated', event, options);
  }
  publishNotificationSent(event: PublishInput<'NotificationSent'>, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('NotificationSent', event, options);
  }
  publishAIRequestCompleted(event: PublishInput<'AIRequestCompleted'>, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('AIRequestCompleted', event, options);
  }
  publishSystemEvent(event: PublishInput<'SystemEvent'>, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('SystemEvent', event, options);
  }

  /** Never throws; also answers (unhealthy, with the reason) before initialize(). */
  /** How long a held dispatch may last before healthCheck() reports it (ManagerOptions). */
  get heldDispatchUnhealthyAfterMs(): number {
    return this.#options.heldDispatchUnhealthyAfterMs ?? 60_000;
  }

  healthCheck(): Promise<HealthStatus> {
    return checkHealth(this);
  }

  getStatistics(): Statistics {
    return collectStatistics(this);
  }

  /** Stops the consumer, flushes and closes the producer, closes the registry client. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'initializing') await this.#initializing?.catch(() => undefined);
    this.#state = 'closing';
    try {
      await this.consumer.stop();
      await this.connection.close();
    } finally {
      this.#registry?.close();
      this.#state = 'closed';
    }
  }
}

/**
 * Why this Manager needs a Schema Registry (for the error message), or undefined when it does not:
 * the registration options, or the events written as Avro.
 */
function registryNeeds(options: ManagerOptions, serializationOf: (name: EventName) => 'avro' | 'json'): { readonly reason: string; readonly avro: boolean } | undefined {
  const asked = (['registerSchemas', 'autoRegisterSchemas'] as const).filter((k) => options[k] === true);
  if (asked.length > 0) return { reason: `the Manager option ${asked.join(' and ')} needs a Schema Registry`, avro: false };
  const avro = EVENTS.filter((e) => serializationOf(e.name) === 'avro').map((e) => e.name);
  if (avro.length === 0) return undefined;
  const all = avro.length === EVENTS.length;
  const which = all ? 'every event is' : `${avro.join(', ')} ${avro.length === 1 ? 'is' : 'are'}`;
  return { reason: `${which} written as Avro (kafka.serialization${all ? '' : ' / kafka.topic_serialization'}; avro is the default), which needs a Schema Registry`, avro: true };
}
