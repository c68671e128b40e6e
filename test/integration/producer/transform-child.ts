/**
 * The process transform-crash.test.ts SIGKILLs: a TransactionalTransform of `input` into `output`.
 * Usage: node --import tsx transform-child.ts <input> <output> <groupId> <transactionalId> <runId>
 * (brokers from GOCOFFEE_KAFKA_BROKERS, as every integration test).
 *
 * Input values are "<key>:<seq>"; each output is "<key>:<seq>:<inPartition>:<inOffset>:<runId>:<transaction>"
 * with the input's key, so the test can check exactly-once per input, per-key order, and that no
 * transaction is partly visible. Stdout lines (pipes are synchronous on Linux, so the parent sees
 * them in order): "ready", "begin <runId>:<n>" at a transaction's first message, "commit <runId>:<n>
 * <inputs>" after its commit. SIGTERM stops gracefully (the running transaction commits).
 *
 * XFORM_MODE=start-stop: calls stop() right after start() (while start() still registers the
 * transactional id), prints "stopped <state> <how start() settled>" and then does nothing more:
 * the process must exit by itself (nothing of the transform, e.g. a consumer, left open).
 */
import { TransactionalTransform } from '../../../src/producer/transform.js';
import { newMessage } from '../../../src/producer/index.js';
import { txnDeps } from './transaction-helpers.js';

const [input, output, groupId, transactionalId, runId] = process.argv.slice(2);
if (runId === undefined) {
  process.stderr.write('usage: transform-child.ts <input> <output> <groupId> <transactionalId> <runId>\n');
  process.exit(2);
}

const slow = process.env.XFORM_SLOW === '1';
let lastTransaction = 0;
const transform = new TransactionalTransform(txnDeps({ groupId: groupId! }), {
  groupId: groupId!,
  inputTopics: [input!],
  transactionalId: transactionalId!,
  // Static membership: the restarted process takes its partitions back at once (no wait for the
  // killed member's session to expire).
  groupInstanceId: `${transactionalId}-member`,
  batchSize: 100,
  transactionTimeoutMs: 15_000,
  transform: async (m, { transaction }) => {
    if (transaction !== lastTransaction) {
      lastTransaction = transaction;
      process.stdout.write(`begin ${runId}:${transaction}\n`);
    }
    // Runs that will be killed (XFORM_SLOW=1) take ~2 ms per message, so a transaction stays open
    // a few hundred ms with its first outputs already written: a kill lands inside it. The last
    // run yields once per message only.
    await new Promise((r) => (slow ? setTimeout(r, 2) : setImmediate(r)));
    const v = m.value === null ? '' : m.value.toString();
    const key = m.key === null || m.key === undefined ? '' : m.key.toString();
    return newMessage(output!, `${v}:${m.partition}:${m.offset}:${runId}:${transaction}`).withKey(key);
  },
  onCommit: ({ transaction, inputs }) => process.stdout.write(`commit ${runId}:${transaction} ${inputs}\n`),
  onError: (e) => process.stderr.write(`transform error: ${(e as { code?: string }).code ?? ''} ${e.message}\n`),
});

process.on('SIGTERM', () => {
  transform.stop(5000).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

if (process.env.XFORM_MODE === 'start-stop') {
  const started = transform.start().then(
    () => 'resolved',
    (e: Error) => `rejected: ${e.message}`,
  );
  await transform.stop(5000);
  process.stdout.write(`stopped ${transform.state} ${await started}\n`);
} else {
  transform.start().then(
    () => process.stdout.write('ready\n'),
    (e: Error) => {
      process.stderr.write(`start failed: ${e.message}\n`);
      process.exit(1);
    },
  );
}
