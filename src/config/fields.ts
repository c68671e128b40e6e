/**
 * CONFIG_FIELDS: the single source of truth for every configuration field — its YAML key, its
 * environment variable, kind, default, bounds, what a valid value looks like, a one-line
 * description and the librdkafka properties derived from it. Environment reading, parsing,
 * validation, the "managed librdkafka property" check and the configuration reference (docs/configuration.md) are
 * all driven by this table.
 */
import { GROUP_INSTANCE_ID_EXPECTED, GROUP_PROTOCOLS } from './group.js';
import type { ConfigFieldKey, LibrdkafkaValue, TopicNames } from './types.js';

export const ENV_PREFIX = 'GOCOFFEE_KAFKA_';
export const YAML_SECTION = 'kafka';

export type FieldKind =
  | 'brokers' // list of host:port (YAML list, or a comma-separated string)
  | 'string' // non-empty string
  | 'secret' // non-empty string, never echoed
  | 'boolean' // true/false/1/0/yes/no
  | 'enum' // one of `values`, case-insensitive
  | 'duration' // ms number or "10s"-style string; whole milliseconds in [min, max]
  | 'integer' // integer in [min, max]
  | 'topic' // Kafka topic name
  | 'topicSuffix' // topic-name characters, may be empty
  | 'url' // http(s) URL
  | 'file' // path of a readable file (checked at load)
  | 'suffixes' // list of suffixes of [a-zA-Z0-9._-] (YAML list, or a comma-separated string; may be empty)
  | 'librdkafka' // map of raw librdkafka properties
  | 'serializations'; // map of topic keys to avro/json (env: a JSON object, or one variable per key)

export type FieldDefault = string | number | boolean | undefined | readonly string[] | Readonly<Record<string, LibrdkafkaValue>>;

/** The default `event_type_suffixes` (the same as the typed catalogs' DEFAULT_EVENT_TYPE_SUFFIXES). */
export const DEFAULT_EVENT_TYPE_SUFFIXES: readonly string[] = Object.freeze(['.dev', '.staging', '.test']);

export interface ConfigField {
  /** Property path in KafkaConfig / KafkaConfigInput, e.g. `batchSize`, `topics.taskCreated`. */
  readonly key: ConfigFieldKey | 'librdkafka';
  /** Key under `kafka:` in YAML, e.g. `batch_size`, `topics.task_created`. */
  readonly yamlKey: string;
  /** Full path used in messages, e.g. `kafka.batch_size`. */
  readonly path: string;
  /** The environment variable (exactly one `GOCOFFEE_KAFKA_` prefix). */
  readonly env: string;
  /** Read when `env` is absent (e.g. the test harness's GOCOFFEE_SCHEMA_REGISTRY_URL). */
  readonly envAliases: readonly string[];
  readonly kind: FieldKind;
  /** Resolved default (durations in ms); undefined = not set. */
  readonly default: FieldDefault;
  /** The default as a human writes it (docs/configuration.md). */
  readonly defaultText: string;
  readonly required: boolean;
  /** Never echoed in errors, logs or describeConfig(). */
  readonly secret: boolean;
  /** Completes "expected ...", e.g. "a positive integer (1..1000000)". */
  readonly expected: string;
  readonly description: string;
  /** librdkafka properties derived from this field (a user override of them is rejected). */
  readonly librdkafka: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
}

type Spec = Omit<ConfigField, 'path' | 'env' | 'envAliases' | 'required' | 'secret' | 'librdkafka' | 'defaultText'> &
  Partial<Pick<ConfigField, 'envAliases' | 'required' | 'secret' | 'librdkafka' | 'defaultText'>>;

const BOOL = 'a boolean (true/false, 1/0, yes/no)';
const STR = 'a non-empty string';
const FILE = 'the path of a readable file (PEM)';

/** Milliseconds as the shortest exact unit string: 90000 → "90s", 120000 → "2m". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function duration(key: ConfigFieldKey, yamlKey: string, def: number, min: number, max: number, description: string, librdkafka: string[]): Spec {
  const range = `${formatDuration(min)}..${formatDuration(max)}`;
  return {
    key, yamlKey, kind: 'duration', default: def, defaultText: formatDuration(def), min, max, librdkafka, description,
    expected: `a duration in whole milliseconds such as "250ms", "10s", "1.5s", "2m" (a bare number means ms), within ${range}`,
  };
}

function topic(name: keyof TopicNames, yamlName: string, def: string, event: string): Spec {
  return {
    key: `topics.${name}`, yamlKey: `topics.${yamlName}`, kind: 'topic', default: def,
    expected: 'a Kafka topic name: 1..249 characters of [a-zA-Z0-9._-], not "." or ".."',
    description: `Topic of ${event} events (topic_suffix is appended).`,
  };
}

const SPECS: readonly Spec[] = [
  { key: 'brokers', yamlKey: 'brokers', kind: 'brokers', default: undefined, required: true, defaultText: '(required)',
    expected: 'a non-empty list of host:port with a port 1..65535',
    description: 'Bootstrap brokers: a YAML list, or comma-separated in the environment variable.',
    librdkafka: ['bootstrap.servers', 'metadata.broker.list'] },
  { key: 'clientId', yamlKey: 'client_id', kind: 'string', default: 'gocoffee-kafka', expected: STR,
    description: 'Client id sent to the brokers (broker logs, quotas, metrics).', librdkafka: ['client.id'] },
  { key: 'groupId', yamlKey: 'group_id', kind: 'string', default: 'gocoffee-kafka-group', expected: STR,
    description: 'Default consumer group id.', librdkafka: ['group.id'] },
  { key: 'groupProtocol', yamlKey: 'group_protocol', kind: 'enum', default: 'classic', values: GROUP_PROTOCOLS,
    expected: 'one of classic, consumer (case-insensitive)',
    description: 'Consumer group protocol: classic, or consumer (KIP-848, Kafka >= 4.0: the broker assigns partitions and sets the session timeout and heartbeat; session.timeout.ms, heartbeat.interval.ms and group.protocol.type overrides are then refused, group.remote.assignor may be set). A Consumer\'s groupProtocol option wins. See docs/consumer-groups.md.',
    librdkafka: ['group.protocol'] },
  { key: 'groupInstanceId', yamlKey: 'group_instance_id', kind: 'string', default: undefined,
    expected: GROUP_INSTANCE_ID_EXPECTED,
    description: 'Static membership: the group.instance.id of this client\'s consumers (e.g. the pod name); a restart within the session timeout gets the same partitions back without a rebalance. Two running consumers of one group must not share it. A Consumer\'s groupInstanceId option wins. See docs/consumer-groups.md.',
    librdkafka: ['group.instance.id'] },
  { key: 'enableSasl', yamlKey: 'enable_sasl', kind: 'boolean', default: false, expected: BOOL,
    description: 'Authenticate with SASL (security.protocol SASL_PLAINTEXT, or SASL_SSL with TLS).',
    librdkafka: ['security.protocol'] },
  { key: 'saslMechanism', yamlKey: 'sasl_mechanism', kind: 'enum', default: 'PLAIN',
    values: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'],
    expected: 'one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (case-insensitive)',
    description: 'SASL mechanism; an unknown one is an error, never a fallback.',
    librdkafka: ['sasl.mechanisms', 'sasl.mechanism'] },
  { key: 'saslUsername', yamlKey: 'sasl_username', kind: 'string', default: undefined, expected: STR,
    description: 'SASL username (required for PLAIN and SCRAM).', librdkafka: ['sasl.username'] },
  { key: 'saslPassword', yamlKey: 'sasl_password', kind: 'secret', secret: true, default: undefined, expected: STR,
    description: 'SASL password (required for PLAIN and SCRAM); never logged.', librdkafka: ['sasl.password'] },
  { key: 'enableTls', yamlKey: 'enable_tls', kind: 'boolean', default: false, expected: BOOL,
    description: 'Encrypt connections with TLS (security.protocol SSL, or SASL_SSL with SASL).',
    librdkafka: ['security.protocol'] },
  { key: 'tlsSkipVerify', yamlKey: 'tls_skip_verify', kind: 'boolean', default: false, expected: BOOL,
    description: 'Disable broker certificate and hostname verification (testing only).',
    librdkafka: ['enable.ssl.certificate.verification', 'ssl.endpoint.identification.algorithm'] },
  { key: 'tlsCaFile', yamlKey: 'tls_ca_file', kind: 'file', default: undefined, expected: FILE,
    description: 'CA certificate(s) to verify the brokers; default: the system CA store.', librdkafka: ['ssl.ca.location'] },
  { key: 'tlsCertFile', yamlKey: 'tls_cert_file', kind: 'file', default: undefined, expected: FILE,
    description: 'Client certificate for mutual TLS (requires tls_key_file).', librdkafka: ['ssl.certificate.location'] },
  { key: 'tlsKeyFile', yamlKey: 'tls_key_file', kind: 'file', default: undefined, expected: FILE,
    description: 'Client private key for mutual TLS (requires tls_cert_file).', librdkafka: ['ssl.key.location'] },
  { key: 'tlsKeyPassword', yamlKey: 'tls_key_password', kind: 'secret', secret: true, default: undefined, expected: STR,
    description: 'Passphrase of the client private key; never logged.', librdkafka: ['ssl.key.password'] },
  duration('connectTimeoutMs', 'connect_timeout', 10_000, 1000, 3_600_000,
    'Maximum time to set up a broker connection (TCP + TLS + SASL).', ['socket.connection.setup.timeout.ms']),
  duration('readTimeoutMs', 'read_timeout', 10_000, 10, 300_000,
    'Network request timeout (socket.timeout.ms; the producer uses write_timeout when larger, up to librdkafka\'s 5 min).', ['socket.timeout.ms']),
  duration('writeTimeoutMs', 'write_timeout', 10_000, 1, 900_000,
    'Produce request timeout: how long the broker may take to acknowledge (acks=all).', ['request.timeout.ms']),
  duration('deliveryTimeoutMs', 'delivery_timeout', 120_000, 1, 86_400_000,
    'Upper bound on one message\'s delivery, retries included; >= batch_timeout + write_timeout.',
    ['message.timeout.ms', 'delivery.timeout.ms']),
  { key: 'batchSize', yamlKey: 'batch_size', kind: 'integer', default: 10_000, min: 1, max: 1_000_000,
    expected: 'a positive integer (1..1000000)', description: 'Maximum messages per producer batch (MessageSet).',
    librdkafka: ['batch.num.messages'] },
  duration('batchTimeoutMs', 'batch_timeout', 5, 0, 900_000,
    'How long the producer waits to fill a batch (linger); 0 sends at once.', ['linger.ms', 'queue.buffering.max.ms']),
  { key: 'retryMax', yamlKey: 'retry_max', kind: 'integer', default: 3, min: 0, max: 100,
    expected: 'an integer between 0 and 100',
    description: 'Library-level retries of a retriable failure, on top of librdkafka\'s own (which retry within delivery_timeout): a failed handler runs again, and with idempotence: false a publish that failed retriably is produced again (with idempotence on, librdkafka\'s retries within delivery_timeout are the only ones: a re-produce could duplicate); exponential backoff with jitter from retry_backoff.',
    librdkafka: [] },
  duration('retryBackoffMs', 'retry_backoff', 100, 1, 300_000,
    'First retry backoff; doubles per attempt up to 10x (at least 1s).', ['retry.backoff.ms']),
  { key: 'compression', yamlKey: 'compression', kind: 'enum', default: 'lz4', values: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
    expected: 'one of none, gzip, snappy, lz4, zstd', description: 'Producer batch compression codec.',
    librdkafka: ['compression.type', 'compression.codec'] },
  { key: 'idempotence', yamlKey: 'idempotence', kind: 'boolean', default: true, expected: BOOL,
    description: 'Idempotent producer (the shared producer, and createProducer() with acks all unless it says otherwise): no duplicates or reordering on retries.', librdkafka: ['enable.idempotence'] },
  { key: 'messageIds', yamlKey: 'message_ids', kind: 'boolean', default: true, expected: BOOL,
    description: 'Give every published message an id, sent in the message_id header. false sends ids only for messages that have one (withId(), or id read before publishing): one header less per message, ~1 µs of main-thread CPU on 2 vCPUs.',
    librdkafka: [] },
  { key: 'topicSuffix', yamlKey: 'topic_suffix', kind: 'topicSuffix', default: '', defaultText: '(empty)',
    expected: 'characters of [a-zA-Z0-9._-] (may be empty)',
    description: 'Appended to the configured event topics (topics.*) and their schema subjects, e.g. ".dev" for per-environment topics; topic names passed to newMessage() or a handler are used as given.' },
  { key: 'eventTypeSuffixes', yamlKey: 'event_type_suffixes', kind: 'suffixes', default: DEFAULT_EVENT_TYPE_SUFFIXES, defaultText: '.dev,.staging,.test',
    expected: 'a list of suffixes of [a-zA-Z0-9._-] (a YAML list, or comma-separated in the environment variable), or none ([] in YAML, "none" in the variable)',
    description: 'Environment suffixes of the event_type header understood when reading (Manager, typed handlers, goCoffeeWorker): the Go Manager writes beverage.created.dev in dev, read as beverage.created. Events are written without a suffix.' },
  { key: 'schemaRegistryUrl', yamlKey: 'schema_registry_url', kind: 'url', default: undefined,
    envAliases: ['GOCOFFEE_SCHEMA_REGISTRY_URL'], expected: 'an http:// or https:// URL',
    description: 'Schema Registry base URL (Confluent-compatible API).' },
  { key: 'schemaRegistryUsername', yamlKey: 'schema_registry_username', kind: 'string', default: undefined,
    envAliases: ['GOCOFFEE_SCHEMA_REGISTRY_USERNAME'], expected: STR, description: 'Schema Registry basic-auth user.' },
  { key: 'schemaRegistryPassword', yamlKey: 'schema_registry_password', kind: 'secret', secret: true, default: undefined,
    envAliases: ['GOCOFFEE_SCHEMA_REGISTRY_PASSWORD'], expected: STR,
    description: 'Schema Registry basic-auth password; never logged.' },
  { key: 'serialization', yamlKey: 'serialization', kind: 'enum', default: 'avro', values: ['avro', 'json'],
    expected: 'one of avro, json (case-insensitive)',
    description: 'How the Go Coffee events are written (Manager, EventBus): avro (Confluent wire format, needs the registry) or json (exactly what the Go services write, readable by Go consumers). Your own events choose theirs in defineEvents().' },
  { key: 'topicSerialization', yamlKey: 'topic_serialization', kind: 'serializations', default: Object.freeze({}), defaultText: '{}',
    expected: 'a mapping of topic keys (as under topics:) to avro or json',
    description: 'Per topic key (as under topics:), avro or json for the events published to that topic, e.g. beverage_created: json; wins over serialization and over an event\'s own serialization. Env: a JSON object, or one variable per key (GOCOFFEE_KAFKA_TOPIC_SERIALIZATION_BEVERAGE_CREATED=json, which wins).' },
  topic('beverageCreated', 'beverage_created', 'beverage.created', 'BeverageCreated'),
  topic('beverageUpdated', 'beverage_updated', 'beverage.updated', 'BeverageUpdated'),
  topic('taskCreated', 'task_created', 'task.created', 'TaskCreated'),
  topic('taskUpdated', 'task_updated', 'task.updated', 'TaskUpdated'),
  topic('notificationSent', 'notification_sent', 'notification.sent', 'NotificationSent'),
  topic('aiRequestCompleted', 'ai_request_completed', 'ai.request.completed', 'AIRequestCompleted'),
  topic('systemEvent', 'system_event', 'system.event', 'system'),
  { key: 'librdkafka', yamlKey: 'librdkafka', kind: 'librdkafka', default: Object.freeze({}), defaultText: '{}',
    expected: 'a mapping of librdkafka property names to string, number or boolean values',
    description: 'Raw librdkafka properties for everything the library does not manage (env: a JSON object).' },
];

function build(spec: Spec): ConfigField {
  const field: ConfigField = {
    ...spec,
    path: `${YAML_SECTION}.${spec.yamlKey}`,
    env: ENV_PREFIX + spec.yamlKey.replace(/\./g, '_').toUpperCase(),
    envAliases: Object.freeze([...(spec.envAliases ?? [])]),
    required: spec.required ?? false,
    secret: spec.secret ?? false,
    librdkafka: Object.freeze([...(spec.librdkafka ?? [])]),
    defaultText: spec.defaultText ?? (spec.default === undefined ? '(unset)' : String(spec.default)),
  };
  if (field.values) Object.freeze(field.values);
  return Object.freeze(field);
}

/** Every configuration field, in documentation order. */
export const CONFIG_FIELDS: readonly ConfigField[] = Object.freeze(SPECS.map(build));

const BY_KEY = new Map(CONFIG_FIELDS.map((f) => [f.key, f] as const));
const BY_YAML = new Map(CONFIG_FIELDS.map((f) => [f.yamlKey, f] as const));

/** The field with this KafkaConfig key (`batchSize`, `topics.taskCreated`). */
export function fieldByKey(key: ConfigField['key']): ConfigField {
  const field = BY_KEY.get(key);
  if (!field) throw new Error(`no configuration field ${key}`);
  return field;
}

/** The field with this YAML key (`batch_size`, `topics.task_created`), if any. */
export function fieldByYamlKey(yamlKey: string): ConfigField | undefined {
  return BY_YAML.get(yamlKey);
}

/** How to set a field, for messages: `kafka.brokers (GOCOFFEE_KAFKA_BROKERS)`. */
export function howToSet(field: ConfigField): string {
  return `${field.path} (${field.env})`;
}
