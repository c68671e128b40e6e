/**
 * The ONE mapping from KafkaConfig to librdkafka properties, for every client role.
 *
 * Global vs topic: node-rdkafka always installs a default topic config (from its second
 * constructor argument, `{}` when omitted) after building the global one, and librdkafka then
 * discards topic-level properties that were set on the global object. Topic-only properties
 * (acks, message.timeout.ms, request.timeout.ms, partitioner, auto.offset.reset, ...) therefore go
 * in `topic`, which callers pass as node-rdkafka's topic config; everything else goes in `global`.
 *
 * | field            | property                                   | roles             |
 * |------------------|--------------------------------------------|-------------------|
 * | brokers          | bootstrap.servers                          | all               |
 * | client_id        | client.id                                  | all               |
 * | connect_timeout  | socket.connection.setup.timeout.ms         | all               |
 * | read_timeout     | socket.timeout.ms (producer: max with write_timeout, ≤ 5 min) | all     |
 * | retry_backoff    | retry.backoff.ms, retry.backoff.max.ms = clamp(10x, 1s..5m) | all |
 * | enable_sasl/tls  | security.protocol                          | all (one helper)  |
 * | sasl_*           | sasl.mechanisms, sasl.username, sasl.password | all            |
 * | tls_*            | ssl.ca/certificate/key.location, ssl.key.password | all        |
 * | tls_skip_verify  | enable.ssl.certificate.verification, ssl.endpoint.identification.algorithm | all |
 * | idempotence      | enable.idempotence                         | producer          |
 * | batch_timeout    | linger.ms                                  | producer          |
 * | batch_size       | batch.num.messages                         | producer          |
 * | compression      | compression.type                           | producer          |
 * | retry_max        | (library-level retries; librdkafka keeps its own unbounded retries within delivery_timeout) | |
 * | delivery_timeout | message.timeout.ms (topic)                 | producer          |
 * | write_timeout    | request.timeout.ms (topic)                 | producer          |
 * | group_id         | group.id                                   | consumer          |
 * | group_protocol   | group.protocol (classic: also partition.assignment.strategy, session.timeout.ms) | consumer |
 * | group_instance_id| group.instance.id                          | consumer          |
 */
import { ConfigError, type ConfigIssue } from './errors.js';
import {
  CONSUMER_ONLY_PROPERTIES,
  PRODUCER_ONLY_PROPERTIES,
  TOPIC_ONLY_PROPERTIES,
  managedPropertyMessage,
} from './properties.js';
import { groupInstanceIdProblem, groupProtocolIssues, GROUP_INSTANCE_ID_EXPECTED } from './group.js';
import type { ClientRole, GroupProtocol, KafkaConfig, LibrdkafkaConfig, LibrdkafkaValue } from './types.js';

type Props = Record<string, LibrdkafkaValue>;

/** One consumer's own group settings (its options), winning over the configuration's. */
export interface ConsumerGroupSettings {
  readonly groupProtocol?: GroupProtocol | undefined;
  /**
   * null: a dynamic member whatever group_instance_id says (a handle that must not share the
   * configured instance id, e.g. one Reader per topic of the same group would fence each other).
   */
  readonly groupInstanceId?: string | null | undefined;
}

/**
 * Builds node-rdkafka's `(globalConfig, topicConfig)` for one client role. `group` (consumer role
 * only) is one consumer's own group protocol and instance id.
 * @throws ConfigError when an override is managed or does not exist under the group protocol.
 */
export function toLibrdkafkaConfig(config: KafkaConfig, role: ClientRole, group: ConsumerGroupSettings = {}): LibrdkafkaConfig {
  assertNoManagedOverrides(config.librdkafka);
  const protocol = group.groupProtocol ?? config.groupProtocol ?? 'classic';
  const instanceId = group.groupInstanceId === null ? undefined : (group.groupInstanceId ?? config.groupInstanceId);
  if (role === 'consumer') assertGroupSettings(config, protocol, instanceId);
  const global: Props = { ...commonProperties(config, role), ...securityProperties(config) };
  const topic: Props = {};

  if (role === 'producer') {
    Object.assign(global, {
      'enable.idempotence': config.idempotence,
      'linger.ms': config.batchTimeoutMs,
      'batch.num.messages': config.batchSize,
      'compression.type': config.compression,
      'queue.buffering.max.messages': 100_000, // overridable
      dr_cb: true, // never dr_msg_cb: it copies every payload back to JS
    });
    Object.assign(topic, {
      'request.required.acks': -1, // all in-sync replicas
      partitioner: 'murmur2_random', // the Java client's default: same key → same partition
      'message.timeout.ms': config.deliveryTimeoutMs,
      'request.timeout.ms': config.writeTimeoutMs,
    });
  } else if (role === 'consumer') {
    Object.assign(global, {
      'group.id': config.groupId,
      // At-least-once: the consumer stores an offset only once its message (and every earlier
      // one of the partition) is done; auto-commit then commits only stored offsets.
      'enable.auto.commit': true,
      'enable.auto.offset.store': false,
      'auto.commit.interval.ms': 1000, // overridable
      'group.protocol': protocol,
      'fetch.wait.max.ms': 100, // overridable: low latency for small batches
    });
    // KIP-848: the broker assigns (always incrementally) and owns the session timeout; librdkafka
    // refuses to create a consumer protocol member with either property set.
    if (protocol === 'classic') {
      global['partition.assignment.strategy'] = 'cooperative-sticky';
      global['session.timeout.ms'] = 45_000; // overridable
    }
    if (instanceId !== undefined) global['group.instance.id'] = instanceId;
    Object.assign(topic, { 'auto.offset.reset': 'earliest' }); // overridable
  }

  for (const [property, value] of Object.entries(config.librdkafka)) {
    if (!appliesTo(property, role)) continue;
    if (TOPIC_ONLY_PROPERTIES.has(property)) topic[property] = value;
    else global[property] = value;
  }
  return { global, topic };
}

function commonProperties(config: KafkaConfig, role: ClientRole): Props {
  return {
    'bootstrap.servers': config.brokers.join(','),
    'client.id': config.clientId,
    'socket.connection.setup.timeout.ms': config.connectTimeoutMs,
    // Network request timeout. A producer must not abandon a ProduceRequest before the broker's
    // own acknowledgement timeout (write_timeout) has passed, so it uses the larger of the two.
    // (librdkafka allows socket.timeout.ms up to 5 min; request.timeout.ms, i.e. write_timeout, up to 15)
    'socket.timeout.ms': role === 'producer' ? Math.min(300_000, Math.max(config.readTimeoutMs, config.writeTimeoutMs)) : config.readTimeoutMs,
    'socket.keepalive.enable': true,
    'retry.backoff.ms': config.retryBackoffMs,
    'retry.backoff.max.ms': Math.min(300_000, Math.max(config.retryBackoffMs * 10, 1000)), // overridable
    'log.connection.close': false, // idle-connection closes by the broker are normal, not errors
  };
}

/** `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`. */
export function securityProtocol(config: Pick<KafkaConfig, 'enableSasl' | 'enableTls'>): string {
  if (config.enableSasl) return config.enableTls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
  return config.enableTls ? 'SSL' : 'PLAINTEXT';
}

/** The security properties: one helper, identical for producer, consumer and admin. */
export function securityProperties(config: KafkaConfig): Props {
  const props: Props = { 'security.protocol': securityProtocol(config) };
  if (config.enableSasl) {
    props['sasl.mechanisms'] = config.saslMechanism;
    // OAUTHBEARER takes its token from sasl.oauthbearer.* overrides or a refresh callback.
    if (config.saslMechanism !== 'OAUTHBEARER') {
      if (config.saslUsername !== undefined) props['sasl.username'] = config.saslUsername;
      if (config.saslPassword !== undefined) props['sasl.password'] = config.saslPassword;
    }
  }
  if (config.enableTls) {
    if (config.tlsCaFile !== undefined) props['ssl.ca.location'] = config.tlsCaFile;
    if (config.tlsCertFile !== undefined) props['ssl.certificate.location'] = config.tlsCertFile;
    if (config.tlsKeyFile !== undefined) props['ssl.key.location'] = config.tlsKeyFile;
    if (config.tlsKeyPassword !== undefined) props['ssl.key.password'] = config.tlsKeyPassword;
    if (config.tlsSkipVerify) {
      props['enable.ssl.certificate.verification'] = false;
      props['ssl.endpoint.identification.algorithm'] = 'none';
    } else {
      props['ssl.endpoint.identification.algorithm'] = 'https';
    }
  }
  return props;
}

/** Producer-only properties are not given to consumers and vice versa (librdkafka would warn). */
function appliesTo(property: string, role: ClientRole): boolean {
  if (role !== 'producer' && PRODUCER_ONLY_PROPERTIES.has(property)) return false;
  if (role !== 'consumer' && CONSUMER_ONLY_PROPERTIES.has(property)) return false;
  return true;
}

/**
 * The group settings as this consumer will use them: validation already checked the
 * configuration's, but a consumer's own protocol may differ from it (and a hand-built config is
 * not validated).
 */
function assertGroupSettings(config: KafkaConfig, protocol: GroupProtocol, instanceId: string | undefined): void {
  const issues: ConfigIssue[] = [];
  if (protocol !== 'classic' && protocol !== 'consumer') {
    issues.push({ path: 'groupProtocol', message: `got ${JSON.stringify(protocol)}, expected one of classic, consumer` });
  } else {
    issues.push(...groupProtocolIssues(protocol, config.librdkafka, 'kafka.librdkafka'));
  }
  if (instanceId !== undefined) {
    const problem = groupInstanceIdProblem(instanceId);
    if (problem !== undefined) issues.push({ path: 'groupInstanceId', message: `got ${JSON.stringify(instanceId)} (${problem}), expected ${GROUP_INSTANCE_ID_EXPECTED}` });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** Defence in depth for hand-built configs: validation already rejects managed overrides. */
function assertNoManagedOverrides(overrides: Readonly<Record<string, LibrdkafkaValue>>): void {
  const issues: ConfigIssue[] = [];
  for (const property of Object.keys(overrides)) {
    const message = managedPropertyMessage(property);
    if (message !== undefined) issues.push({ path: `kafka.librdkafka[${JSON.stringify(property)}]`, message });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}
