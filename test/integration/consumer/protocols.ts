/**
 * The consumer group protocols the consumer tests run under: the classic one (cooperative-sticky,
 * assigned by the group leader) and KIP-848's consumer protocol (assigned by the broker, always
 * incremental). The local stack's Kafka 4 broker has both.
 */
import { toLibrdkafkaConfig, type GroupProtocol } from '../../../src/config/index.js';
import { createNativeAdminClient } from '../../../src/native/admin.js';
import { testConfig } from '../helpers.js';

export const PROTOCOLS: readonly GroupProtocol[] = ['classic', 'consumer'];

/**
 * Under the consumer protocol the session timeout is the broker's (group.consumer.session.timeout.ms,
 * 45 s by default): a member that died without leaving keeps its partitions that long. A group may
 * set its own (`consumer.session.timeout.ms`, a group config) down to the broker's
 * group.consumer.min.session.timeout.ms, which the local stack lowers to 6 s; tests that kill a
 * member set their group's with shortSessionTimeout().
 */
export const CONSUMER_SESSION_TIMEOUT_MS = 10_000;

/** Sets the KIP-848 group's session timeout to CONSUMER_SESSION_TIMEOUT_MS (before its members join). */
export async function shortSessionTimeout(groupId: string): Promise<void> {
  const admin = createNativeAdminClient(toLibrdkafkaConfig(testConfig(), 'admin').global);
  try {
    const [r] = await admin.incrementalAlterConfigs([{ type: 'group', name: groupId, ops: [{ name: 'consumer.session.timeout.ms', op: 'set', value: String(CONSUMER_SESSION_TIMEOUT_MS) }] }], { timeoutMs: 10_000 });
    if (r?.error) throw new Error(`group ${groupId}: consumer.session.timeout.ms refused: ${r.error.message}`);
  } finally {
    await admin.close();
  }
}

/** `describe` once per protocol: `<title> [group.protocol=<protocol>]`. */
export function describeEachProtocol(title: string, body: (this: Mocha.Suite, protocol: GroupProtocol) => void): void {
  for (const protocol of PROTOCOLS) {
    describe(`${title} [group.protocol=${protocol}]`, function () {
      body.call(this, protocol);
    });
  }
}
