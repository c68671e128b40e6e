/**
 * Topic keys: `topics:` maps logical names to Kafka topic names. The seven Go Coffee keys have
 * defaults (fields.ts); any other key names a topic of the application's own events. A key is
 * written in YAML as snake_case or camelCase (`order_placed`, `orderPlaced`), in the environment
 * as `GOCOFFEE_KAFKA_TOPICS_ORDER_PLACED`, and is `orderPlaced` in `KafkaConfig.topics`: every
 * spelling maps to one camelCase key, so YAML, environment and program agree.
 */
import { ConfigError } from './errors.js';
import { CONFIG_FIELDS, ENV_PREFIX, YAML_SECTION, type ConfigField } from './fields.js';
import type { ConfigFieldKey, KafkaConfig } from './types.js';

/** What a topic key may look like before normalisation (it also names an environment variable). */
export const TOPIC_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The prefix of every topic variable: `GOCOFFEE_KAFKA_TOPICS_<KEY>`. */
export const TOPIC_ENV_PREFIX = `${ENV_PREFIX}TOPICS_`;

/** The prefix of every per-topic serialization variable: `GOCOFFEE_KAFKA_TOPIC_SERIALIZATION_<KEY>`. */
export const SERIALIZATION_ENV_PREFIX = `${ENV_PREFIX}TOPIC_SERIALIZATION_`;

/** `orderPlaced` / `OrderPlaced` / `ORDER_PLACED` → `order_placed`. */
export function snakeTopicKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/_+/g, '_').replace(/^_|_$/g, '');
}

/** `order_placed` / `ORDER_PLACED` / `orderPlaced` → `orderPlaced` (the key in KafkaConfig.topics). */
export function canonicalTopicKey(key: string): string {
  return snakeTopicKey(key).replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The configuration field of a topic key of the application's own (no default, not required). */
export function userTopicField(key: string): ConfigField {
  const snake = snakeTopicKey(key);
  return Object.freeze({
    key: `topics.${canonicalTopicKey(key)}` as ConfigFieldKey,
    yamlKey: `topics.${snake}`,
    path: `${YAML_SECTION}.topics.${snake}`,
    env: `${TOPIC_ENV_PREFIX}${snake.toUpperCase()}`,
    envAliases: Object.freeze([]),
    kind: 'topic',
    default: undefined,
    defaultText: '(none)',
    required: false,
    secret: false,
    expected: 'a Kafka topic name: 1..249 characters of [a-zA-Z0-9._-], not "." or ".."',
    description: `Topic of the application's own "${canonicalTopicKey(key)}" events (topic_suffix is appended).`,
    librdkafka: Object.freeze([]),
  });
}

/** The field of a topic key as written: one of the Go Coffee fields, or one of the application's own. */
export function topicField(key: string): ConfigField {
  const canonical = `topics.${canonicalTopicKey(key)}`;
  return CONFIG_FIELDS.find((f) => f.key === canonical) ?? userTopicField(key);
}

/** The problem with a topic key as written, or undefined when it is usable. */
export function topicKeyProblem(key: string): string | undefined {
  if (TOPIC_KEY_PATTERN.test(key) && snakeTopicKey(key) !== '') return undefined;
  return 'invalid topic key, expected letters, digits and _ starting with a letter (the key also names the GOCOFFEE_KAFKA_TOPICS_<KEY> variable)';
}

/**
 * The Kafka topic of a topic key, with `topicSuffix` applied: `topicName(config, 'taskCreated')`,
 * `topicName(config, 'orderPlaced')` (`order_placed` works too).
 * @throws ConfigError naming `kafka.topics.<key>` and its variable when the key is not configured.
 */
export function topicName(config: Pick<KafkaConfig, 'topics' | 'topicSuffix'>, key: string): string {
  const name = config.topics[key] ?? config.topics[canonicalTopicKey(key)];
  if (name === undefined) {
    const field = userTopicField(key);
    throw new ConfigError([{ path: field.path, message: `not set, expected ${field.expected} for the topic key "${key}" (set ${field.path} or ${field.env})` }]);
  }
  return name + config.topicSuffix;
}
