/**
 * What the library knows about librdkafka properties (librdkafka 2.12 CONFIGURATION.md):
 * which ones it manages (a user override is rejected at validation), which ones exist only in the
 * topic configuration, and which ones only a producer or only a consumer understands.
 */
import { CONFIG_FIELDS, howToSet } from './fields.js';

/** Managed properties not tied to one field: why the library owns them. */
const FIXED: ReadonlyArray<readonly [readonly string[], string]> = [
  [['acks', 'request.required.acks'], "not configurable as a property: choose acks per producer with createProducer({ acks: 'all' | 'leader' | 'none' }) (the shared producer uses acks=all)"],
  [['enable.auto.offset.store'], 'managed by the library: the consumer stores offsets itself for at-least-once delivery'],
  [['enable.auto.commit', 'auto.commit.enable'], 'managed by the library: the consumer commits the offsets it stored through auto-commit'],
  [['dr_cb', 'dr_msg_cb'], 'managed by the library: delivery tracking uses dr_cb (dr_msg_cb would copy every payload back to JS)'],
  [['partitioner'], 'managed by the library: murmur2_random for Java-compatible key partitioning'],
  [['partition.assignment.strategy'], 'managed by the library: with group_protocol classic the consumer implements cooperative-sticky (incremental) rebalancing; with group_protocol consumer the broker assigns (group.remote.assignor chooses its assignor)'],
  [['rebalance_cb', 'offset_commit_cb', 'event_cb'], 'managed by the library: the client wrapper installs its own callbacks'],
  [['delivery.report.only.error'], 'managed by the library: publish() resolves on the delivery report of every message, successful ones included'],
  [['transactional.id', 'transaction.timeout.ms'], 'not configurable as a property (it would make every publish of the shared producer transactional): use createTransactionalProducer({ transactionalId, transactionTimeoutMs }) or transform({ transactionalId })'],
  [['queuing.strategy'], 'managed by the library: fifo keeps the per-key order of published messages (lifo reorders them)'],
];

function buildManaged(): ReadonlyMap<string, string> {
  const owners = new Map<string, string[]>();
  for (const field of CONFIG_FIELDS) {
    for (const property of field.librdkafka) {
      owners.set(property, [...(owners.get(property) ?? []), howToSet(field)]);
    }
  }
  const managed = new Map<string, string>();
  for (const [property, how] of owners) {
    managed.set(property, `managed by the library; set ${how.join(' and ')} instead`);
  }
  for (const [properties, message] of FIXED) for (const p of properties) managed.set(p, message);
  return managed;
}

/** librdkafka property → why it may not be overridden and what to set instead. */
export const MANAGED_PROPERTIES: ReadonlyMap<string, string> = buildManaged();

/** The message for a managed property, or undefined when it may be overridden. */
export function managedPropertyMessage(property: string): string | undefined {
  return MANAGED_PROPERTIES.get(property.trim().toLowerCase());
}

/**
 * Properties that exist only in the topic configuration. node-rdkafka always installs a default
 * topic config after creating the global one, which discards topic properties set on the global
 * object (librdkafka: "default_topic_conf overwritten"), so these must travel in `topic`.
 */
export const TOPIC_ONLY_PROPERTIES: ReadonlySet<string> = new Set([
  'acks', 'request.required.acks', 'request.timeout.ms', 'message.timeout.ms', 'delivery.timeout.ms',
  'queuing.strategy', 'produce.offset.report', 'partitioner', 'partitioner_cb', 'msg_order_cmp',
  'compression.level', 'auto.commit.enable', 'auto.offset.reset', 'offset.store.path',
  'offset.store.sync.interval.ms', 'consume.callback.max.messages',
]);

/** Producer-only properties (C/P column "P"); not given to consumers or admin clients. */
export const PRODUCER_ONLY_PROPERTIES: ReadonlySet<string> = new Set([
  'acks', 'batch.num.messages', 'batch.size', 'compression.codec', 'compression.level', 'compression.type',
  'delivery.report.only.error', 'delivery.timeout.ms', 'dr_cb', 'dr_msg_cb', 'enable.gapless.guarantee',
  'enable.idempotence', 'linger.ms', 'message.send.max.retries', 'message.timeout.ms', 'msg_order_cmp',
  'partitioner', 'partitioner_cb', 'produce.offset.report', 'queue.buffering.backpressure.threshold',
  'queue.buffering.max.kbytes', 'queue.buffering.max.messages', 'queue.buffering.max.ms', 'queuing.strategy',
  'request.required.acks', 'request.timeout.ms', 'retries', 'sticky.partitioning.linger.ms',
  'transaction.timeout.ms', 'transactional.id',
]);

/** Consumer-only properties (C/P column "C"); not given to producers or admin clients. */
export const CONSUMER_ONLY_PROPERTIES: ReadonlySet<string> = new Set([
  'auto.commit.enable', 'auto.commit.interval.ms', 'auto.offset.reset', 'check.crcs', 'consume.callback.max.messages',
  'consume_cb', 'coordinator.query.interval.ms', 'enable.auto.commit', 'enable.auto.offset.store',
  'enable.partition.eof', 'fetch.error.backoff.ms', 'fetch.max.bytes', 'fetch.message.max.bytes', 'fetch.min.bytes',
  'fetch.queue.backoff.ms', 'fetch.wait.max.ms', 'group.id', 'group.instance.id', 'group.protocol',
  'group.protocol.type', 'group.remote.assignor', 'heartbeat.interval.ms', 'isolation.level',
  'max.partition.fetch.bytes', 'max.poll.interval.ms', 'offset.store.method', 'offset.store.path',
  'offset.store.sync.interval.ms', 'offset_commit_cb', 'partition.assignment.strategy',
  'queued.max.messages.kbytes', 'queued.min.messages', 'rebalance_cb', 'session.timeout.ms',
]);

/** Property names whose values are secrets (redacted by redactConfig / describeConfig). */
export function isSecretProperty(property: string): boolean {
  return /password|secret|token|jaas|oauthbearer\.config|\.pem$|keystore|private/i.test(property);
}
