/**
 * Configuration types.
 *
 * `KafkaConfig` is the fully resolved, validated and deeply frozen configuration: every field is
 * present (defaults applied), durations are milliseconds. The fields added after the first release
 * (`serialization`, `topicSerialization`, `eventTypeSuffixes`) are optional in the type, so a
 * KafkaConfig built by hand (a test double, a spread of an older one) still type-checks; loadConfig
 * and resolveConfig always set them, and the library reads a missing one as its default. `KafkaConfigInput` is what a program may
 * pass to `resolveConfig` / `loadConfig({ overrides })`: every field optional, durations as
 * milliseconds or a duration string ("100ms", "10s", "1.5s", "2m", "1h", "1m30s").
 */

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';

export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** The consumer group protocol: the classic one, or KIP-848's consumer protocol (Kafka >= 4.0). */
export type GroupProtocol = 'classic' | 'consumer';

/** How events are written: Avro in Confluent wire format (registry), or JSON (the Go services' format for the Go Coffee events). */
export type Serialization = 'avro' | 'json';

/** The Go Coffee event topics and their Kafka topic names (before `topicSuffix`): always present, with defaults. */
export interface TopicNames {
  beverageCreated: string;
  beverageUpdated: string;
  taskCreated: string;
  taskUpdated: string;
  notificationSent: string;
  aiRequestCompleted: string;
  systemEvent: string;
}

/**
 * Topic keys and their Kafka topic names (before `topicSuffix`): the Go Coffee keys (always
 * present) and any key of the application's own (`topics.order_placed` in YAML,
 * `GOCOFFEE_KAFKA_TOPICS_ORDER_PLACED`, `orderPlaced` here: see src/config/topics.ts).
 */
export type ConfiguredTopics = Readonly<TopicNames> & { readonly [key: string]: string };

/** A raw librdkafka property value. */
export type LibrdkafkaValue = string | number | boolean;

export interface KafkaConfig {
  /** Bootstrap brokers, `host:port` each; never empty. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  /**
   * The consumer group protocol: 'classic' (default, also when undefined) or 'consumer' (KIP-848:
   * the broker assigns partitions and owns the session timeout). See docs/consumer-groups.md.
   */
  readonly groupProtocol?: GroupProtocol;
  /**
   * Static membership (KIP-345): the `group.instance.id` of this client's consumers; a restart
   * within the session timeout keeps the partitions without a rebalance. Unset: dynamic members.
   * A Consumer's own `groupInstanceId` option wins.
   */
  readonly groupInstanceId?: string | undefined;
  readonly enableSasl: boolean;
  readonly saslMechanism: SaslMechanism;
  readonly saslUsername: string | undefined;
  readonly saslPassword: string | undefined;
  readonly enableTls: boolean;
  readonly tlsSkipVerify: boolean;
  /** Absolute path of a readable file (checked at load). */
  readonly tlsCaFile: string | undefined;
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  readonly tlsKeyPassword: string | undefined;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly deliveryTimeoutMs: number;
  /** Messages per producer batch. */
  readonly batchSize: number;
  readonly batchTimeoutMs: number;
  readonly retryMax: number;
  readonly retryBackoffMs: number;
  readonly compression: CompressionType;
  readonly idempotence: boolean;
  readonly messageIds: boolean;
  /** Appended to every topic name by the producer/consumer (e.g. '.dev'); may be ''. */
  readonly topicSuffix: string;
  /**
   * Environment suffixes an `event_type` header may carry when read (the Go Manager writes
   * `beverage.created.dev` in dev): `<event type><suffix>` is read as that event. Default
   * `['.dev', '.staging', '.test']` (when undefined too); `[]`: exact event types only.
   */
  readonly eventTypeSuffixes?: readonly string[];
  readonly schemaRegistryUrl: string | undefined;
  readonly schemaRegistryUsername: string | undefined;
  readonly schemaRegistryPassword: string | undefined;
  /** How the Go Coffee events are written (Manager, EventBus): 'avro' (default, also when undefined) or 'json' (the Go services' JSON). */
  readonly serialization?: Serialization;
  /**
   * Per topic key (camelCase, as in `topics`): how the events of that topic are written; wins over
   * `serialization` and over an event's own serialization (defineEvents). Empty by default (also when undefined).
   */
  readonly topicSerialization?: Readonly<Record<string, Serialization>>;
  readonly topics: ConfiguredTopics;
  /** Raw librdkafka overrides (never a property the library manages). */
  readonly librdkafka: Readonly<Record<string, LibrdkafkaValue>>;
}

/** A duration: milliseconds, or a string such as "250ms", "10s", "1.5s", "2m", "1h", "1m30s". */
export type DurationInput = number | string;

type Opt<T> = T | undefined;

export interface KafkaConfigInput {
  /** A list of `host:port`, or one comma-separated string. */
  brokers?: Opt<readonly string[] | string>;
  clientId?: Opt<string>;
  groupId?: Opt<string>;
  /** Case-insensitive. */
  groupProtocol?: Opt<GroupProtocol | Uppercase<GroupProtocol>>;
  groupInstanceId?: Opt<string>;
  enableSasl?: Opt<boolean>;
  /** Case-insensitive; normalised to upper case. */
  saslMechanism?: Opt<SaslMechanism | Lowercase<SaslMechanism>>;
  saslUsername?: Opt<string>;
  saslPassword?: Opt<string>;
  enableTls?: Opt<boolean>;
  tlsSkipVerify?: Opt<boolean>;
  tlsCaFile?: Opt<string>;
  tlsCertFile?: Opt<string>;
  tlsKeyFile?: Opt<string>;
  tlsKeyPassword?: Opt<string>;
  connectTimeoutMs?: Opt<DurationInput>;
  readTimeoutMs?: Opt<DurationInput>;
  writeTimeoutMs?: Opt<DurationInput>;
  deliveryTimeoutMs?: Opt<DurationInput>;
  batchSize?: Opt<number>;
  batchTimeoutMs?: Opt<DurationInput>;
  retryMax?: Opt<number>;
  retryBackoffMs?: Opt<DurationInput>;
  compression?: Opt<CompressionType>;
  idempotence?: Opt<boolean>;
  messageIds?: Opt<boolean>;
  topicSuffix?: Opt<string>;
  /** A list, or one comma-separated string; `[]` or `'none'` for none. */
  eventTypeSuffixes?: Opt<readonly string[] | string>;
  schemaRegistryUrl?: Opt<string>;
  schemaRegistryUsername?: Opt<string>;
  schemaRegistryPassword?: Opt<string>;
  /** Case-insensitive. */
  serialization?: Opt<Serialization | Uppercase<Serialization>>;
  /** Per topic key (camelCase or snake_case, as in `topics`): avro or json. */
  topicSerialization?: Opt<{ readonly [key: string]: Opt<Serialization | Uppercase<Serialization>> }>;
  /** Topic names by key: the Go Coffee keys and keys of your own (camelCase or snake_case). */
  topics?: Opt<{ readonly [K in keyof TopicNames]?: Opt<string> } & { readonly [key: string]: Opt<string> }>;
  librdkafka?: Opt<Readonly<Record<string, LibrdkafkaValue>>>;
}

/** The key of one configuration field: a top-level KafkaConfig key or `topics.<key>` (camelCase). */
export type ConfigFieldKey = Exclude<keyof KafkaConfig, 'topics'> | `topics.${string}`;

/** Which librdkafka client a property set is for. */
export type ClientRole = 'producer' | 'consumer' | 'admin';

/** node-rdkafka takes a global config and a default topic config (see librdkafka.ts). */
export interface LibrdkafkaConfig {
  global: Record<string, LibrdkafkaValue>;
  topic: Record<string, LibrdkafkaValue>;
}
