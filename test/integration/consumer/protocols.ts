/**
 * The consumer group protocols the consumer tests run under: the classic one (cooperative-sticky,
 * assigned by the group leader) and KIP-848's consumer protocol (assigned by the broker, always
 * incremental). The local stack's Kafka 4 broker has both.
 */
import type { GroupProtocol } from '../../../src/config/index.js';

export const PROTOCOLS: readonly GroupProtocol[] = ['classic', 'consumer'];

/**
 * Under the consumer protocol the session timeout is the broker's (group.consumer.session.timeout.ms,
 * 45 s by default, and no group may go below group.consumer.min.session.timeout.ms, also 45 s): a
 * member that died without leaving keeps its partitions that long. Tests that kill a member wait for it.
 */
export const BROKER_SESSION_TIMEOUT_MS = 45_000;

/** `describe` once per protocol: `<title> [group.protocol=<protocol>]`. */
export function describeEachProtocol(title: string, body: (this: Mocha.Suite, protocol: GroupProtocol) => void): void {
  for (const protocol of PROTOCOLS) {
    describe(`${title} [group.protocol=${protocol}]`, function () {
      body.call(this, protocol);
    });
  }
}
