import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { TransactionalProducer } from '../../../src/producer/transaction.js';
import { newMessage } from '../../../src/producer/index.js';
import { GoCoffeeKafkaError } from '../../../src/errors/index.js';
import type { NativeMessage } from '../../../src/native/index.js';
import { createTopic, uniqueName } from '../helpers.js';
import { keyOf, readUntil, useTransactionalProducers, valueOf } from './transaction-helpers.js';

/**
 * Starts a transaction that publishes `value` to `topic`, then waits at a gate: resolves once the
 * publish was acknowledged, with the transaction's promise and the gate's opener.
 */
async function gatedTransaction(tp: TransactionalProducer, topic: string, value: string): Promise<{ running: Promise<string>; open: () => void }> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let published!: () => void;
  const publishedOnce = new Promise<void>((resolve) => (published = resolve));
  const running = tp.transaction(async (tx) => {
    await tx.publish(newMessage(topic, value).withKey('k'));
    published();
    await gate;
    return 'done';
  });
  await Promise.race([publishedOnce, running]);
  return { running, open };
}

/**
 * close() of a TransactionalProducer while a transaction runs (issue 18 item 1): it waits for the
 * running transaction (up to its timeout) and commits it when the callback finishes in time; when
 * the callback outlives the timeout, the producer closes anyway, the late callback's transaction
 * fails with a typed error, and none of its messages ever becomes visible to read_committed.
 */
describe('TransactionalProducer.close() during a running transaction', function () {
  this.timeout(120_000);
  const producer = useTransactionalProducers('txn-close', 30_000);

  it('waits for the running transaction, which commits; later calls are GCK_STATE', async () => {
    const topic = uniqueName('txn-close-wait');
    await createTopic(topic, 1);
    const tp = await producer();
    const { running, open } = await gatedTransaction(tp, topic, 'inside');
    let closed = false;
    const closing = tp.close(20_000).then(() => (closed = true));
    await delay(500);
    assert.equal(closed, false, 'close() waits while the transaction runs');
    assert.equal(tp.state, 'closing');
    open();
    assert.equal(await running, 'done');
    await closing;
    assert.equal(tp.state, 'closed');
    assert.deepEqual(tp.counts, { committed: 1, aborted: 0 });
    await assert.rejects(tp.transaction(async () => undefined), (e: unknown) => e instanceof GoCoffeeKafkaError && e.code === 'GCK_STATE');
    const seen = await readUntil([topic], 'read_committed', (all) => all.length >= 1);
    assert.deepEqual(seen.map(valueOf), ['inside']);
  });

  it('a transaction outliving close(timeoutMs): the producer closes at the timeout, the late transaction fails typed, its messages never become visible', async () => {
    const topic = uniqueName('txn-close-late');
    await createTopic(topic, 1);
    const transactionalId = uniqueName('txn-close-late');
    const tp = await producer(transactionalId);
    const { running, open } = await gatedTransaction(tp, topic, 'late');
    const outcome = running.then(
      () => undefined,
      (e: unknown) => e,
    );
    const t0 = Date.now();
    await tp.close(1500);
    const took = Date.now() - t0;
    assert.ok(took >= 1400, `close(1500) returned after ${took} ms, before its timeout`);
    assert.equal(tp.state, 'closed');
    open();
    const err = await outcome;
    assert.ok(err instanceof GoCoffeeKafkaError, `the late transaction settles with a typed error, got ${String(err)}`);
    assert.equal(err.code, 'GCK_KAFKA__STATE');
    assert.match(err.message, /producer closed/);
    // A new producer with the same transactional id aborts what the closed one left open at once
    // (instead of after transaction.timeout.ms); a committed sentinel then bounds the read.
    const next = await producer(transactionalId);
    await next.transaction(async (tx) => {
      await tx.publish(newMessage(topic, 'sentinel').withKey('s'));
    });
    const seen = await readUntil([topic], 'read_committed', (all: NativeMessage[]) => all.some((m) => keyOf(m) === 's'));
    assert.deepEqual(seen.map(valueOf), ['sentinel']);
  });
});
