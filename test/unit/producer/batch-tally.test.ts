import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { newMessage, type OutgoingMessage } from '../../../src/message/outgoing.js';
import { DeliveryError, FlushIncompleteError, InvalidArgumentError, StateError } from '../../../src/errors/index.js';
import { CHANNELS } from '../../../src/diagnostics/channels.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import { BatchTally, TallyItem } from '../../../src/producer/outbound-kinds.js';
import { firstAttemptFails, handedOver, setupEngine as setup } from '../../helpers/engine.js';

const TOO_LARGE = { message: 'Broker: Message size too large', code: 10 };

describe("publishBatch(messages, { results: 'failures' }) (fake binding)", () => {
  it('counts deliveries and lists only the failures, by index in input order; every message is produced, in order', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().outcome = (r) => (r.value!.toString().startsWith('bad') ? TOO_LARGE : null);
    native().autoDeliver = true;
    const values = ['a', 'bad-1', 'b', 'c', 'bad-4', 'd'];
    const ms: OutgoingMessage[] = values.map((v) => newMessage('t', v).withKey('k'));
    // Not a message at all: refused while encoding, reported at its index like a delivery failure.
    ms.splice(2, 0, { topic: 't' } as unknown as OutgoingMessage);
    const summary = await producer.publishBatch(ms, { results: 'failures' });
    assert.equal(summary.delivered, 4);
    assert.deepEqual(summary.failed.map((f) => f.index), [1, 2, 5]);
    assert.ok(summary.failed[0]!.error instanceof DeliveryError);
    assert.equal((summary.failed[0]!.error as DeliveryError).messageId, ms[1]!.id);
    assert.ok(summary.failed[1]!.error instanceof InvalidArgumentError);
    assert.match(summary.failed[1]!.error.message, /publishBatch\(messages\)/);
    assert.ok(summary.failed[2]!.error instanceof DeliveryError);
    assert.deepEqual(summary.possibleDuplicates, []);
    assert.equal(summary.delivered + summary.failed.length, ms.length);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), values);
    assert.equal(engine.inflightCount, 0);
    await engine.close(100);
  });

  it("resolves only once the last message settled; { results: 'all' } and no options still give one outcome per message", async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    let settled = false;
    const p = producer.publishBatch([newMessage('t', 'a'), newMessage('t', 'b')], { results: 'failures' }).then((s) => {
      settled = true;
      return s;
    });
    await handedOver();
    const second = native().queue.splice(1);
    native().deliverAll(); // the first one's report only
    await handedOver();
    assert.equal(settled, false, 'one of two reported');
    native().queue.push(...second);
    native().deliverAll();
    assert.deepEqual(await p, { delivered: 2, failed: [], possibleDuplicates: [] });
    native().autoDeliver = true;
    const all = await producer.publishBatch([newMessage('t', 'c')], { results: 'all' });
    assert.equal(all.length, 1);
    assert.ok(all[0]!.ok && all[0]!.result.offset === 2);
    assert.equal((await producer.publishBatch([newMessage('t', 'd')])).length, 1);
    assert.deepEqual(await producer.publishBatch([], { results: 'failures' }), { delivered: 0, failed: [], possibleDuplicates: [] });
    await engine.close(100);
  });

  it('rejects bad options with an InvalidArgumentError naming them, before anything is produced', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    const m = [newMessage('t', 'a')];
    const cases: Array<[unknown, RegExp]> = [
      [null, /got null/],
      ['failures', /got 'failures'; pass \{ results: 'failures' \}/],
      [{ results: 'some' }, /options\.results must be 'all' or 'failures', got 'some'/],
      [{ results: false }, /got false/],
      [{ results: 1n }, /got 1n/],
      [{ result: 'failures' }, /unknown option 'result'/],
    ];
    for (const [bad, named] of cases) {
      const e = await producer.publishBatch(m, bad as never).then(
        () => assert.fail(`accepted ${String(bad)}`),
        (err: unknown) => err,
      );
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.match((e as Error).message, /publishBatch\(messages, options\)/);
      assert.match((e as Error).message, named);
    }
    await assert.rejects(producer.publishBatch('x' as never, { results: 'failures' }), InvalidArgumentError);
    assert.equal(native().produced.length, 0);
    await engine.close(100);
    await assert.rejects(producer.publishBatch(m, { results: 'failures' }), StateError);
  });

  it('lists possible duplicates: a library retry after a possibly persisted failure (idempotence off), not after one that was not written', async () => {
    const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true, retryBackoffMs: 1 });
    await engine.connect();
    native().outcome = firstAttemptFails();
    native().autoDeliver = true;
    const summary = await producer.publishBatch(['a', 'not-leader', 'maybe-twice', 'b'].map((v) => newMessage('t', v)), { results: 'failures' });
    assert.deepEqual(summary, { delivered: 4, failed: [], possibleDuplicates: [2] });
    assert.equal(native().produced.length, 6, 'two of them produced twice');
    await engine.close(100);
  });

  it('the tally: failures and possible duplicates in input order whatever order they settle in', () => {
    let got: unknown;
    const t = new BatchTally(5, (x) => (got = x));
    const e1 = new Error('one');
    const e4 = new Error('four');
    t.ok(3, true);
    t.fail(4, e4);
    t.ok(0, true);
    t.fail(1, e1);
    assert.equal(got, undefined, 'not before the last one');
    t.ok(2, false);
    assert.deepEqual(got, { delivered: 3, failed: [{ index: 1, error: e1 }, { index: 4, error: e4 }], possibleDuplicates: [0, 3] });
  });

  it('without per-message subscribers the batch is packed (no TallyItem); with them the engine builds no DeliveryResult (deliveredAt) unless producer:settled listens', async () => {
    const diagnostics = new Diagnostics({ clientId: 'test' });
    const { engine, producer, native } = setup({ diagnostics });
    await engine.connect();
    const origDelivered = TallyItem.prototype.delivered;
    const origAt = TallyItem.prototype.deliveredAt;
    let built = 0;
    let items = 0;
    TallyItem.prototype.delivered = function (this: TallyItem, r) {
      built++;
      origDelivered.call(this, r);
    };
    TallyItem.prototype.deliveredAt = function (this: TallyItem, p, o, t) {
      items++;
      origAt.call(this, p, o, t);
    };
    const onSend = (): void => undefined;
    try {
      native().autoDeliver = true;
      // Nobody subscribed: packed (sendBatch's path), no TallyItem at all.
      assert.deepEqual(await producer.publishBatch([newMessage('t', 'a'), newMessage('t', 'b')], { results: 'failures' }), { delivered: 2, failed: [], possibleDuplicates: [] });
      assert.equal(items, 0, 'packed: no TallyItem');
      // A producer:send subscriber (the tracing adapter adds headers there): one TallyItem each, reported without a result object.
      subscribe(CHANNELS.PRODUCER_SEND, onSend);
      assert.deepEqual(await producer.publishBatch([newMessage('t', 'c')], { results: 'failures' }), { delivered: 1, failed: [], possibleDuplicates: [] });
      assert.equal(items, 1);
      assert.equal(built, 0, 'reported through deliveredAt, no result object');
    } finally {
      unsubscribe(CHANNELS.PRODUCER_SEND, onSend);
      TallyItem.prototype.delivered = origDelivered;
      TallyItem.prototype.deliveredAt = origAt;
    }
    // A producer:settled subscriber (the metrics adapter) gets each message's result.
    native().autoDeliver = false;
    await handedOver(); // autoDeliver's second scheduled deliverAll() runs now, not on the next batch
    assert.equal(native().queue.length, 0);
    const seen: Array<{ partition: number; offset: number } | undefined> = [];
    const onSettled = (ev: unknown): void => void seen.push((ev as { result?: { partition: number; offset: number } }).result);
    subscribe(CHANNELS.PRODUCER_SETTLED, onSettled);
    try {
      const p = producer.publishBatch([newMessage('t', 'd')], { results: 'failures' });
      await handedOver();
      native().deliverAll();
      await p;
    } finally {
      unsubscribe(CHANNELS.PRODUCER_SETTLED, onSettled);
    }
    assert.equal(seen.length, 1);
    assert.deepEqual({ partition: seen[0]!.partition, offset: seen[0]!.offset }, { partition: 0, offset: 3 });
    const c = diagnostics.counters.publish('t');
    assert.deepEqual([c.total, c.success], [4, 4], 'counted on both paths');
    await engine.close(100);
  });

  it('close() fails what is still in flight: the summary lists each, and close() rejects naming them', async () => {
    const { engine, producer } = setup();
    await engine.connect();
    const p = producer.publishBatch([newMessage('t', 'a').withKey('k1'), newMessage('t', 'b').withKey('k2')], { results: 'failures' });
    await handedOver();
    const closing = await engine.close(20).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(closing instanceof FlushIncompleteError);
    assert.equal(closing.undelivered.length, 2);
    const summary = await p;
    assert.equal(summary.delivered, 0);
    assert.deepEqual(summary.failed.map((f) => f.index), [0, 1]);
    for (const f of summary.failed) assert.ok(f.error instanceof DeliveryError && f.error.possiblyPersisted === true, String(f.error));
  });
});
