/**
 * Configuration: loaded once (YAML + `${VAR}` expansion + GOCOFFEE_KAFKA_* env + overrides),
 * validated once (every problem in one ConfigError), mapped to librdkafka in one function.
 */
export type {
  ClientRole,
  CompressionType,
  ConfigFieldKey,
  DurationInput,
  GroupProtocol,
  KafkaConfig,
  KafkaConfigInput,
  LibrdkafkaConfig,
  LibrdkafkaValue,
  SaslMechanism,
  TopicNames,
  ConfiguredTopics,
} from './types.js';
export { ConfigError, type ConfigIssue } from './errors.js';
export {
  CONFIG_FIELDS,
  ENV_PREFIX,
  YAML_SECTION,
  fieldByKey,
  fieldByYamlKey,
  formatDuration,
  type ConfigField,
  type FieldDefault,
  type FieldKind,
} from './fields.js';
export { parseDuration } from './parse.js';
export { loadConfig, readKafkaSection, type LoadConfigOptions } from './load.js';
export { resolveConfig } from './resolve.js';
export { toLibrdkafkaConfig, securityProperties, securityProtocol, type ConsumerGroupSettings } from './librdkafka.js';
export { GROUP_PROTOCOLS, GROUP_INSTANCE_ID_EXPECTED, groupInstanceIdProblem, groupProtocolIssues } from './group.js';
export {
  MANAGED_PROPERTIES,
  TOPIC_ONLY_PROPERTIES,
  PRODUCER_ONLY_PROPERTIES,
  CONSUMER_ONLY_PROPERTIES,
  managedPropertyMessage,
} from './properties.js';
export { REDACTED, describeConfig, redactConfig, secretsOf } from './redact.js';
export { topicName, canonicalTopicKey, snakeTopicKey, userTopicField, TOPIC_ENV_PREFIX } from './topics.js';
export { redactUrlCredentials } from './parse.js';
export { renderConfigReference } from './reference.js';
