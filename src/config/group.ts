/**
 * Consumer group settings that depend on each other: the group protocol (classic or KIP-848's
 * consumer) decides which librdkafka properties exist at all, and a static member's instance id
 * must be one the broker accepts. Used by the configuration's validation (resolve.ts, rules.ts),
 * by toLibrdkafkaConfig for hand-built configs and per-consumer settings, and by the consumer's
 * option check.
 */
import type { ConfigIssue } from './errors.js';
import type { GroupProtocol, LibrdkafkaValue } from './types.js';

export const GROUP_PROTOCOLS: readonly GroupProtocol[] = Object.freeze(['classic', 'consumer']);

/**
 * With group.protocol=consumer these properties do not exist for the client: librdkafka refuses to
 * create the consumer when one is set (rd_kafka_conf_finalize). Why, and what replaces it.
 */
const REFUSED_WITH_CONSUMER: ReadonlyMap<string, string> = new Map([
  ['session.timeout.ms', 'is not used with group_protocol consumer: the broker sets the session timeout (group.consumer.session.timeout.ms, or the group config consumer.session.timeout.ms)'],
  ['heartbeat.interval.ms', 'is not used with group_protocol consumer: the broker sets the heartbeat interval (group.consumer.heartbeat.interval.ms, or the group config consumer.heartbeat.interval.ms)'],
  ['group.protocol.type', 'is not used with group_protocol consumer (classic protocol only)'],
]);

/** Only the KIP-848 protocol has server-side assignors. */
const REFUSED_WITH_CLASSIC: ReadonlyMap<string, string> = new Map([
  ['group.remote.assignor', 'is only used with group_protocol consumer (the broker\'s assignor: uniform or range); with classic the library uses cooperative-sticky'],
]);

/**
 * The issues of raw librdkafka overrides under `protocol`: each names the property, why it cannot
 * be set, and what to do instead. `where` is how the overrides were given (e.g. `kafka.librdkafka`).
 */
export function groupProtocolIssues(protocol: GroupProtocol, overrides: Readonly<Record<string, LibrdkafkaValue>>, where: string): ConfigIssue[] {
  const refused = protocol === 'consumer' ? REFUSED_WITH_CONSUMER : REFUSED_WITH_CLASSIC;
  const issues: ConfigIssue[] = [];
  for (const property of Object.keys(overrides)) {
    const why = refused.get(property.trim().toLowerCase());
    if (why !== undefined) issues.push({ path: `${where}[${JSON.stringify(property)}]`, message: `${property} ${why}; remove it or set group_protocol ${protocol === 'consumer' ? 'classic' : 'consumer'}` });
  }
  return issues;
}

const INSTANCE_ID = /^[a-zA-Z0-9._-]+$/;
const MAX_INSTANCE_ID = 249;

/**
 * Why `value` is not a group instance id the broker accepts (Kafka checks it like a topic name:
 * 1..249 of [a-zA-Z0-9._-], not "." or ".."; JoinGroupRequest.validateGroupInstanceId), or
 * undefined when it is one.
 */
export function groupInstanceIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'expected a string';
  if (value.length === 0) return 'empty';
  if (/\s/.test(value)) return 'contains whitespace';
  if (!INSTANCE_ID.test(value)) return 'contains a character other than [a-zA-Z0-9._-]';
  if (value.length > MAX_INSTANCE_ID) return `${value.length} characters, at most ${MAX_INSTANCE_ID}`;
  if (value === '.' || value === '..') return 'not allowed: "." and ".."';
  return undefined;
}

/** What a group instance id must look like (completes "expected ..."). */
export const GROUP_INSTANCE_ID_EXPECTED = '1..249 characters of [a-zA-Z0-9._-] (no whitespace), not "." or "..", unique per consumer of the group';
