/**
 * Helpers of the transaction tests: deps for TransactionalProducer / TransactionalTransform built
 * the way src/client.ts builds them, and a raw reader (node-rdkafka consumer, independent of the
 * library's consumers) with an explicit isolation level.
 */
import { loadNativeBinding, connectClient, disconnectClient, type NativeMessage } from '../../../src/native/index.js';
import { toLibrdkafkaConfig, type KafkaConfigInput } from '../../../src/config/index.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import type { TransactionalDeps } from '../../../src/producer/transaction-engine.js';
import { TransactionalProducer } from '../../../src/producer/transaction.js';
import { testConfig, uniqueName } from '../helpers.js';

export function txnDeps(input: KafkaConfigInput = {}): TransactionalDeps {
  const config = testConfig(input);
  return { binding: loadNativeBinding(), config, diagnostics: new Diagnostics({ clientId: config.clientId }) };
}

export type Isolation = 'read_committed' | 'read_uncommitted';

/**
 * Reads partitions 0..partitions-1 of `topics` from the beginning with the given isolation level until `done(messages)` says so
 * (e.g. a sentinel written after the transactions under test was seen: with read_committed, every
 * record before it that belongs to a committed transaction has been delivered by then, and an
 * aborted one never will be). Fails after `timeoutMs` (a safety net, not an assertion).
 */
export async function readUntil(topics: string[], isolation: Isolation, done: (all: NativeMessage[]) => boolean, timeoutMs = 45_000, partitions = 1): Promise<NativeMessage[]> {
  const binding = loadNativeBinding();
  const cfg = toLibrdkafkaConfig(testConfig({ groupId: uniqueName('txn-verify') }), 'consumer');
  const c = binding.createConsumer({ ...cfg.global, 'enable.auto.commit': false, 'isolation.level': isolation }, { ...cfg.topic, 'auto.offset.reset': 'earliest' });
  await connectClient(c, 10_000, 'test cluster');
  // Assigned from the beginning, not subscribed: no group join to wait for.
  c.assign(topics.flatMap((topic) => Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: -2 }))) as never);
  c.setDefaultConsumeTimeout(200);
  const out: NativeMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (!done(out)) {
      if (Date.now() > deadline) throw new Error(`readUntil(${topics.join(',')}, ${isolation}): gave up after ${timeoutMs} ms with ${out.length} messages`);
      const batch = await new Promise<NativeMessage[]>((resolve, reject) => c.consume(1000, (err, m) => (err ? reject(err) : resolve(m))));
      out.push(...batch);
    }
  } finally {
    await disconnectClient(c, 5000);
  }
  return out;
}

export const keyOf = (m: NativeMessage): string => (m.key === null || m.key === undefined ? '' : m.key.toString());
export const valueOf = (m: NativeMessage): string => (m.value === null ? '' : m.value.toString());

/**
 * Inside a describe(): connected TransactionalProducers (a new transactional id unless given) with
 * `transactionTimeoutMs`, every one closed after each test.
 */
export function useTransactionalProducers(prefix: string, transactionTimeoutMs = 20_000): (transactionalId?: string) => Promise<TransactionalProducer> {
  const open: TransactionalProducer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((tp) => tp.close(5000).catch(() => undefined)));
  });
  return async (transactionalId = uniqueName(prefix)) => {
    const tp = new TransactionalProducer(txnDeps(), { transactionalId, transactionTimeoutMs });
    open.push(tp);
    await tp.connect();
    return tp;
  };
}
