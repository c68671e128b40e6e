import { StateError } from '../errors/base.js';
import type { KafkaConfig } from '../config/types.js';
import { ConnectionManager, type ConnectionManagerOptions } from '../client.js';
import { Consumer } from '../consumer/consumer.js';
import type { GroupHooks } from '../consumer/group/types.js';
import type { ConsumerOptions, MessageHandler } from '../consumer/types.js';
import { TopicManager, type EnsureDefaults, type EnsureResult } from '../admin/topic-manager.js';
import type { DeliveryResult } from '../delivery/engine.js';
import { EventSerde, registerSchemas } from './serde.js';
import type { SubjectStrategy } from '../schema/subjects.js';
import { SchemaRegistry } from '../schema/registry.js';
import { EVENTS, type EventName } from './catalog.js';
import { EventPublisher, type PublishEventOptions } from './publisher.js';
import type { EventContext } from './handlers.js';
import type { AIRequestCompletedInput, BeverageCreatedInput, BeverageUpdatedInput, NotificationSentInput, SystemEventInput, TaskCreatedInput, TaskUpdatedInput } from './generated.js';
import { EventBus, type EventSink } from './event-bus.js';
import type { RegistrationResult } from '../schema/registration/types.js';
import { checkHealth, collectStatistics, type HealthStatus, type Statistics } from './health.js';
import { ConfigError } from '../config/errors.js';

export interface ManagerOptions {
  /** Connection options (tests pass a fake binding). */
  readonly connection?: ConnectionManagerOptions;
  /** Subject naming. Default 'topic' (`<topic>-value`). */
  readonly subjectStrategy?: SubjectStrategy;
  /** Register each event's schema on first publish instead of looking it up. Default false. */
  readonly autoRegisterSchemas?: boolean;
  /**
   * Register every schema of schemas/ at initialize() (in version order, compatibility checked, as
   * `gocoffee-kafka schemas register` does). Default false: register them at deploy time with the CLI.
   */
  readonly registerSchemas?: boolean;
  /** Create missing topics at initialize() (event topics and their `.dlq` topics). Default false. */
  readonly ensureTopics?: boolean | EnsureDefaults;
  /** Handlers registered at initialize() (the default handlers of this service). */
  readonly handlers?: readonly MessageHandler[] | ((ctx: EventContext) => readonly MessageHandler[]);
  readonly consumer?: ConsumerOptions;
  readonly consumerHooks?: GroupHooks;
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
  readonly registry: SchemaRegistry;
  readonly eventBus: EventBus;
  readonly consumer: Consumer;
  readonly #options: ManagerOptions;
  readonly #publisher: EventPublisher;
  #state: State = 'created';
  #initializing: Promise<void> | undefined;
  #ensured: EnsureResult[] = [];
  #registered: RegistrationResult[] = [];

  constructor(config: KafkaConfig, options: ManagerOptions = {}) {
    this.config = config;
    this.#options = options;
    if (config.schemaRegistryUrl === undefined) {
      throw new ConfigError([{ path: 'kafka.schema_registry_url', message: 'the Manager needs a Schema Registry (versioned events): set kafka.schema_registry_url or GOCOFFEE_KAFKA_SCHEMA_REGISTRY_URL' }]);
    }
    this.connection = new ConnectionManager(config, options.connection ?? {});
    this.topics = new TopicManager(this.connection);
    this.registry = new SchemaRegistry({ url: config.schemaRegistryUrl, username: config.schemaRegistryUsername, password: config.schemaRegistryPassword, timeoutMs: config.readTimeoutMs });
    const byEventType = new Map(EVENTS.map((e) => [e.eventType, e.name] as const));
    this.serde = new EventSerde(
      { registry: this.registry, strategy: options.subjectStrategy ?? 'topic', autoRegister: options.autoRegisterSchemas ?? false },
      (t) => byEventType.get(t),
    );
    this.#publisher = new EventPublisher(config, this.serde, () => this.connection.producer);
    this.eventBus = new EventBus(this);
    this.consumer = new Consumer(this.connection, options.consumer ?? {}, options.consumerHooks ?? {});
  }

  get state(): State {
    return this.#state;
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
   * Connects (verifying the cluster answers within connect_timeout), optionally ensures topics,
   * registers the default handlers. Concurrent calls share one initialization; on failure every
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

  registerHandler(handler: MessageHandler): void {
    this.consumer.registerHandler(handler);
  }

  async startConsumer(signal?: AbortSignal): Promise<void> {
    this.#assertReady('startConsumer');
    await this.consumer.start(signal);
  }

  /** Graceful: finishes in-flight work (bounded), commits, leaves the groups. */
  stopConsumer(): Promise<boolean> {
    return this.consumer.stop();
  }

  /** Publishes one domain event, keyed by its entity id. */
  publishEvent(name: EventName, event: object, options?: PublishEventOptions): Promise<DeliveryResult> {
    try {
      this.#assertReady(`publish${name}`);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return this.#publisher.publish(name, event, options);
  }

  publishBeverageCreated(event: BeverageCreatedInput, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('BeverageCreated', event, options);
  }
  publishBeverageUpdated(event: BeverageUpdatedInput, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('BeverageUpdated', event, options);
  }
  publishTaskCreated(event: TaskCreatedInput, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('TaskCreated', event, options);
  }
  publishTaskUpdated(event: TaskUpdatedInput, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('TaskUpdated', event, options);
  }
  publishNotificationSent(event: NotificationSentInput, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('NotificationSent', event, options);
  }
  publishAIRequestCompleted(event: AIRequestCompletedInput, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('AIRequestCompleted', event, options);
  }
  publishSystemEvent(event: SystemEventInput, options?: PublishEventOptions): Promise<DeliveryResult> {
    return this.publishEvent('SystemEvent', event, options);
  }

  /** Never throws; also answers (unhealthy, with the reason) before initialize(). */
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
      this.registry.close();
      this.#state = 'closed';
    }
  }
}
