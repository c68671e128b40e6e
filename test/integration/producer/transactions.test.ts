import assert from 'node:assert/strict';
import { TransactionalProducer } from '../../../src/producer/transaction.js';
import { TransactionAbortedError, TransactionFencedError } from '../../../src/producer/transaction-errors.js';
import { newMessage } from '../../../src/producer/index.js';
import { GoCoffeeKafkaError, InvalidArgumentError, StateError } from '../../../src/errors/index.js';
import { newBatchConsumer } from '../../../src/native/batch-consumer.js';
import { ConfigError, toLibrdkafkaConfig } from '../../../src/config/index.js';
import { ConnectionManager } from '../../../src/client.js';
import { loadNativeBinding, type NativeMessage } from '../../../src/native/index.js';
import { transactionalProperties } from '../../../src/producer/transaction-engine.js';
import { createTopic, testConfig, uniqueName, waitFor } from '../helpers.js';
import { keyOf, readUntil, txnDeps, useTransactionalProducers, valueOf } from './transaction-helpers.js';

/**
 * Transactions (issue 18 item 1) against the real broker: what a read_committed reader sees of
 * committed and aborted transactions, misuse errors, and fencing by a second producer with the same
 * transactional id.
 */
describe('TransactionalProducer against the real broker', function () {
  this.timeout(120_000);
  const producer = useTransactionalProducers('txn', 20_000);

  const sentinel = (key: string) => (all: NativeMessage[]) => all.some((m) => keyOf(m) === key);

  it('commit: the messages become visible to a read_committed reader, with their offsets', async () => {
    const topic = uniqueName('txn-commit');
    await createTopic(topic, 1);
    const tp = await producer();
    assert.equal(tp.state, 'ready');
    const result = await tp.transaction(async (tx) => {
      const a = await tx.publish(newMessage(topic, 'a').withKey('k'));
      const rest = await tx.publishBatch([newMessage(topic, 'b').withKey('k'), newMessage(topic, 'c').withKey('k')]);
      return [a.offset, ...rest.map((o) => (o.ok ? o.result.offset : -1))];
    });
    assert.deepEqual(result, [0, 1, 2]);
    const seen = await readUntil([topic], 'read_committed', (all) => all.length >= 3);
    assert.deepEqual(seen.map(valueOf), ['a', 'b', 'c']);
    assert.deepEqual(tp.counts, { committed: 1, aborted: 0 });
  });

  it("publishBatch(…, { results: 'failures' }) in a transaction: the count on commit; a failed message aborts it", async () => {
    const topic = uniqueName('txn-tally');
    await createTopic(topic, 1);
    const tp = await producer();
    const summary = await tp.transaction((tx) => tx.publishBatch(['a', 'b', 'c'].map((v) => newMessage(topic, v).withKey('k')), { results: 'failures' }));
    assert.deepEqual(summary, { delivered: 3, failed: [], possibleDuplicates: [] });
    await assert.rejects(
      tp.transaction(async (tx) => {
        const s = await tx.publishBatch([newMessage(topic, 'x').withKey('k'), newMessage(topic, Buffer.alloc(2_000_000)).withKey('k')], { results: 'failures' });
        assert.deepEqual(s.failed.map((f) => f.index), [1]);
      }),
      (e: unknown) => e instanceof TransactionAbortedError,
    );
    await tp.transaction(async (tx) => {
      await tx.publish(newMessage(topic, 'end').withKey('end'));
    });
    const committed = await readUntil([topic], 'read_committed', sentinel('end'));
    assert.deepEqual(committed.map(valueOf), ['a', 'b', 'c', 'end']);
    assert.deepEqual(tp.counts, { committed: 2, aborted: 1 });
  });

  it('abort: a callback that throws aborts (transaction() rethrows its error); read_committed never sees the messages, read_uncommitted does', async () => {
    const topic = uniqueName('txn-abort');
    await createTopic(topic, 1);
    const tp = await producer();
    const boom = new Error('boom');
    await assert.rejects(
      tp.transaction(async (tx) => {
        // Awaited: the broker has written them (read_uncommitted proves it below).
        await tx.publish(newMessage(topic, 'aborted-1').withKey('x'));
        await tx.publish(newMessage(topic, 'aborted-2').withKey('x'));
        throw boom;
      }),
      (e: unknown) => e === boom,
    );
    await tp.transaction(async (tx) => {
      await tx.publish(newMessage(topic, 'committed').withKey('end'));
    });
    assert.deepEqual(tp.counts, { committed: 1, aborted: 1 });

    const committed = await readUntil([topic], 'read_committed', sentinel('end'));
    assert.deepEqual(committed.map(valueOf), ['committed']);
    const uncommitted = await readUntil([topic], 'read_uncommitted', sentinel('end'));
    assert.deepEqual(uncommitted.map(valueOf), ['aborted-1', 'aborted-2', 'committed']);
  });

  it('a failed publish aborts the whole transaction with GCK_TRANSACTION_ABORTED (retriable), even when its promise was ignored; running it again commits', async () => {
    const topic = uniqueName('txn-failed-publish');
    await createTopic(topic, 1);
    const tp = await producer();
    let attempt = 0;
    const run = () =>
      tp.transaction(async (tx) => {
        attempt++;
        void tx.publish(newMessage(topic, `ok-${attempt}`).withKey('k'));
        // 2 MB > the broker's and librdkafka's 1 MB message limit on the first attempt: refused.
        void tx.publish(newMessage(topic, attempt === 1 ? Buffer.alloc(2_000_000) : `small-${attempt}`).withKey('k'));
      });
    await assert.rejects(run(), (e: unknown) => {
      assert.ok(e instanceof TransactionAbortedError, String(e));
      assert.equal(e.code, 'GCK_TRANSACTION_ABORTED');
      assert.equal(e.retriable, true);
      assert.equal(e.fatal, false);
      assert.match(e.message, /MSG_SIZE_TOO_LARGE|too large/i);
      return true;
    });
    await run();
    const seen = await readUntil([topic], 'read_committed', (all) => all.length >= 2);
    assert.deepEqual(seen.map(valueOf), ['ok-2', 'small-2']);
  });

  it('misuse: publishing outside the transaction, nested transactions and a missing transactional id are typed errors; concurrent calls run one after the other', async () => {
    assert.throws(() => new TransactionalProducer(txnDeps(), { transactionalId: '' }), InvalidArgumentError);
    assert.throws(() => new TransactionalProducer(txnDeps(), {} as never), (e: unknown) => e instanceof GoCoffeeKafkaError && e.code === 'GCK_INVALID_ARGUMENT');

    const topic = uniqueName('txn-misuse');
    await createTopic(topic, 1);
    const tp = await producer();
    let leaked: import('../../../src/producer/transaction-scope.js').Transaction | undefined;
    await tp.transaction(async (tx) => {
      leaked = tx;
      await tx.publish(newMessage(topic, 'inside').withKey('k'));
      // A transaction from inside one of the same producer would wait for itself: refused.
      await assert.rejects(tp.transaction(() => undefined), (e: unknown) => e instanceof StateError && e.code === 'GCK_STATE');
    });
    assert.equal(leaked!.state, 'committed');
    await assert.rejects(leaked!.publish(newMessage(topic, 'outside').withKey('k')), (e: unknown) => e instanceof StateError && e.code === 'GCK_STATE');
    assert.throws(() => leaked!.sendOffsets([{ topic, partition: 0, offset: 1 }], Buffer.from('x')), StateError);

    // Two concurrent transactions: the second's callback starts only once the first is over.
    const events: string[] = [];
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((r) => (releaseFirst = r));
    const first = tp.transaction(async (tx) => {
      events.push('first:start');
      await tx.publish(newMessage(topic, 'first').withKey('k'));
      await firstMayEnd;
      events.push('first:end');
    });
    const second = tp.transaction(async (tx) => {
      events.push('second:start');
      await tx.publish(newMessage(topic, 'second').withKey('k'));
    });
    await waitFor(() => events.length > 0, 10_000, 'the first transaction to start');
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(events, ['first:start', 'first:end', 'second:start']);

    await tp.close();
    assert.equal(tp.state, 'closed');
    await assert.rejects(tp.transaction(() => undefined), (e: unknown) => e instanceof StateError && e.code === 'GCK_STATE');
    const seen = await readUntil([topic], 'read_committed', (all) => all.length >= 3);
    assert.deepEqual(seen.map(valueOf), ['inside', 'first', 'second']);
  });

  it('offsets: sendOffsets commits a consumer group position with the transaction (and only when it commits)', async () => {
    const input = uniqueName('txn-offsets-in');
    const output = uniqueName('txn-offsets-out');
    await Promise.all([createTopic(input, 1), createTopic(output, 1)]);
    const groupId = uniqueName('txn-offsets-group');
    const tp = await producer();
    await tp.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) await tx.publish(newMessage(input, `in-${i}`).withKey('k'));
    });
    // A group member (the batch consumer) for its group metadata.
    const cfg = toLibrdkafkaConfig(testConfig({ groupId }), 'consumer');
    const consumer = newBatchConsumer({ ...cfg.global, 'enable.auto.commit': false }, cfg.topic);
    await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
    const fetched: NativeMessage[] = [];
    consumer.subscribe([input]);
    consumer.startFetching({ batch: (msgs) => void fetched.push(...msgs), error: () => undefined, room: () => 100 });
    try {
      await waitFor(() => fetched.length >= 5, 30_000, 'the input messages');
      const md = consumer.groupMetadata();
      assert.ok(md !== null && md.length > 0);
      // Aborted: the offsets are not committed.
      await assert.rejects(
        tp.transaction(async (tx) => {
          await tx.publish(newMessage(output, 'x').withKey('k'));
          tx.sendOffsets([{ topic: input, partition: 0, offset: 2 }], md);
          throw new Error('abort this one');
        }),
        /abort this one/,
      );
      const none = await committed(consumer, input);
      assert.ok(none < 0, `no committed offset after the abort, got ${none}`);
      await tp.transaction(async (tx) => {
        await tx.publish(newMessage(output, 'y').withKey('k'));
        tx.sendOffsets([{ topic: input, partition: 0, offset: 3 }], md);
        tx.sendOffsets([{ topic: input, partition: 0, offset: 5 }], md); // the last one wins
      });
      assert.equal(await committed(consumer, input), 5);
    } finally {
      consumer.stopFetching();
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    }
  });

  it('fencing: a second producer with the same transactional id fences the first; its next transaction fails with GCK_TRANSACTION_FENCED (fatal) and it stays unusable', async () => {
    const topic = uniqueName('txn-fenced');
    await createTopic(topic, 1);
    const id = uniqueName('txn-fenced-id');
    const first = await producer(id);
    await first.transaction(async (tx) => {
      await tx.publish(newMessage(topic, 'first-1').withKey('k'));
    });
    const second = await producer(id); // init_transactions with the same id: bumps the epoch
    const isFenced = (e: unknown) => {
      assert.ok(e instanceof TransactionFencedError, `expected TransactionFencedError, got ${String(e)} (${(e as { code?: string }).code})`);
      assert.equal(e.code, 'GCK_TRANSACTION_FENCED');
      assert.equal(e.fatal, true);
      assert.equal(e.retriable, false);
      assert.equal(e.context['transactionalId'], id);
      return true;
    };
    await assert.rejects(
      first.transaction(async (tx) => {
        await tx.publish(newMessage(topic, 'zombie').withKey('k'));
      }),
      isFenced,
    );
    assert.equal(first.state, 'failed');
    assert.ok(first.fatalError instanceof TransactionFencedError);
    // Unusable afterwards: at once, the same fatal error.
    await assert.rejects(first.transaction(() => undefined), isFenced);

    await second.transaction(async (tx) => {
      await tx.publish(newMessage(topic, 'second-1').withKey('end'));
    });
    const seen = await readUntil([topic], 'read_committed', sentinel('end'));
    assert.deepEqual(seen.map(valueOf), ['first-1', 'second-1']);
  });

  it('through the client: createTransactionalProducer() resolves connected, the client\'s close() closes it; a transactional.id override is refused (it would make the shared producer transactional)', async () => {
    const topic = uniqueName('txn-client');
    await createTopic(topic, 1);
    const cm = new ConnectionManager(testConfig());
    await cm.initialize();
    try {
      const tp = await cm.createTransactionalProducer({ transactionalId: uniqueName('txn-client'), transactionTimeoutMs: 20_000 });
      assert.equal(tp.state, 'ready');
      await tp.transaction(async (tx) => {
        await tx.publish(newMessage(topic, 'via-client').withKey('c'));
      });
      const seen = await readUntil([topic], 'read_committed', (all) => all.length >= 1);
      assert.deepEqual(seen.map(valueOf), ['via-client']);
      await cm.close();
      assert.equal(tp.state, 'closed');
    } finally {
      await cm.close().catch(() => undefined);
    }
    assert.throws(
      () => new ConnectionManager(testConfig({ librdkafka: { 'transactional.id': 'x' } })),
      (e: unknown) => e instanceof ConfigError && /createTransactionalProducer/.test(e.message),
    );
  });

  it('the addon: every close() returns the first call\'s promise, settled only after the transactional call under way (init_transactions) has', async () => {
    const props = transactionalProperties(testConfig(), uniqueName('txn-close'), 20_000);
    const native = loadNativeBinding().createBatchProducer(props.global, props.topic, { onReports: () => undefined, onError: () => undefined, onLog: () => undefined, onStats: () => undefined });
    const order: string[] = [];
    const init = native.initTransactions!(20_000).then(
      () => order.push('init'),
      () => order.push('init failed'),
    );
    const first = native.close();
    const second = native.close();
    assert.equal(second, first, 'the same promise');
    await Promise.all([init, first.then(() => order.push('close 1')), second.then(() => order.push('close 2'))]);
    // Before, the second close() resolved at once, while the first still waited for the worker.
    assert.deepEqual(order, ['init', 'close 1', 'close 2']);
  });
});

/** The group's committed offset of partition 0 (negative: none). */
function committed(consumer: ReturnType<typeof newBatchConsumer>, topic: string): Promise<number> {
  return new Promise((resolve, reject) =>
    consumer.committed([{ topic, partition: 0 }], 10_000, (err, offsets) => (err ? reject(err) : resolve(offsets[0]?.offset ?? -1))),
  );
}
