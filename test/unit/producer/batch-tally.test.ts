import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { newMessage, type OutgoingMessage } from '../../../src/message/outgoing.js';
import { DeliveryError, FlushIncompleteError, InvalidArgumentError, StateError } from '../../../src/errors/index.js';
import { CHANNELS } from '../../../src/diagnostics/channels.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import { BatchTally, TallyItem } from '../../../src/producer/outbound-kinds.js';
import { encodingOf } from '../../../src/producer/encode.js';
import { handedOver, setupEngine as setup } from '../../helpers/engine.js';

const TOO_LARGE = { message: 'Broker: Message size too large', code: 10 };
const TIMED_OUT = { message: 'Local: Message timed out', code: -1 };

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
    for (const bad of [null, 'failures', { results: 'some' }, { results: false }]) {
      const e = await producer.publishBatch(m, bad as never).then(
        () => assert.fail(`accepted ${JSON.stringify(bad)}`),
        (err: unknown) => err,
      );
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.match((e as Error).message, /publishBatch\(messages, options\)/);
    }
    await assert.rejects(producer.publishBatch('x' as never, { results: 'failures' }), InvalidArgumentError);
    assert.equal(native().produced.length, 0);
    await engine.close(100);
    await assert.rejects(producer.publishBatch(m, { results: 'failures' }), StateError);
  });

  it('lists possible duplicates: a library retry after a possibly persisted failure (idempotence off), not after one that was not written', async () => {
    const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true, retryBackoffMs: 1 });
    await engine.connect();
    const attempts = new Map<string, number>();
    native().outcome = (r) => {
      const v = r.value!.toString();
      const n = (attempts.get(v) ?? 0) + 1;
      attempts.set(v, n);
      if (n > 1) return null;
      return v === 'maybe-twice' ? TIMED_OUT : v === 'not-leader' ? { message: 'Broker: Not leader for partition', code: 6 } : null;
    };
    native().autoDeliver = true;
    const summary = await producer.publishBatch(['a', 'not-leader', 'maybe-twice', 'b'].map((v) => newMessage('t', v)), { results: 'failures' });
    assert.deepEqual(summary, { delivered: 4, failed: [], possibleDuplicates: [2] });
    assert.equal(native().produced.length, 6, 'two of them produced twice');
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

  it('counts in the topic counters; a DeliveryResult is built only for producer:settled subscribers (tracing ends its span with it)', async () => {
    const diagnostics = new Diagnostics({ clientId: 'test' });
    const { engine, producer, native } = setup({ diagnostics });
    await engine.connect();
    native().autoDeliver = true;
    await producer.publishBatch([newMessage('t', 'a'), newMessage('t', 'b')], { results: 'failures' });
    const c = diagnostics.counters.publish('t');
    assert.equal(c.total, 2);
    assert.equal(c.success, 2);
    const tally = new BatchTally(1, () => undefined);
    assert.equal(new TallyItem(newMessage('t', 'x'), encodingOf({}), tally, 0).wantsResult, false, 'nobody subscribed: no result object');
    const seen: Array<{ partition: number; offset: number } | undefined> = [];
    const onSettled = (ev: unknown): void => void seen.push((ev as { result?: { partition: number; offset: number } }).result);
    subscribe(CHANNELS.PRODUCER_SETTLED, onSettled);
    try {
      assert.equal(new TallyItem(newMessage('t', 'x'), encodingOf({}), tally, 0).wantsResult, true);
      await producer.publishBatch([newMessage('t', 'c')], { results: 'failures' });
    } finally {
      unsubscribe(CHANNELS.PRODUCER_SETTLED, onSettled);
    }
    assert.equal(seen.length, 1);
    assert.deepEqual({ partition: seen[0]!.partition, offset: seen[0]!.offset }, { partition: 0, offset: 2 });
    assert.equal(c.success, 3);
    await engine.close(100);
  });
});
