import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { newMessage } from '../../../src/message/outgoing.js';
import { DeliveryError, FlushIncompleteError } from '../../../src/errors/index.js';
import type { FakeProducer } from '../../helpers/fake-binding.js';
import { handedOver, setupEngine } from '../../helpers/engine.js';

const setup = setupEngine;
const TIMED_OUT = { message: 'Local: Message timed out', code: -1 };

/** An engine (idempotence off) whose library retries wait long enough that close() finds them pending. */
function slowRetries() {
  return setupEngine({ retryMax: 3, retryDelivered: true, retryBackoffMs: 60_000 });
}

/** The rejection of `p` (fails the test if it resolves). */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (r) => assert.fail(`expected a rejection, got ${JSON.stringify(r)}`),
    (e: unknown) => e,
  );
}

/** Makes the fake's produce() throw `err` from its `n`-th call on (1-based). */
function refuseFrom(native: FakeProducer, n: number, err: { message: string; code: number }): void {
  const produce = native.produce.bind(native);
  let calls = 0;
  native.produce = (...args) => {
    if (++calls >= n) throw Object.assign(new Error(err.message), { code: err.code });
    return produce(...args);
  };
}

describe('ProducerEngine failure outcomes (possiblyPersisted, drain)', () => {
  describe('close() with undelivered messages', () => {
    it('an in-flight message fails with GCK_KAFKA__TIMED_OUT and possiblyPersisted: librdkafka had it and may have sent it', async () => {
      const { engine, producer } = setup();
      await engine.connect();
      const x = rejectionOf(producer.publish(newMessage('t', 'x'))); // handed to librdkafka, never reported
      await assert.rejects(engine.close(20), FlushIncompleteError);
      const e = await x;
      assert.ok(e instanceof DeliveryError, `expected a DeliveryError, got ${String(e)}`);
      assert.equal(e.code, 'GCK_KAFKA__TIMED_OUT');
      assert.equal(e.possiblyPersisted, true);
      assert.equal(e.attempts, 1);
      assert.match(e.message, /may have been written \(it was handed to librdkafka/);
    });

    it('a message still waiting for room fails with GCK_KAFKA__PURGE_QUEUE, possiblyPersisted false: it was never handed over', async () => {
      const { engine, producer, native } = setup({ maxInFlight: 1 });
      await engine.connect();
      const a = rejectionOf(producer.publish(newMessage('t', 'a')));
      const b = rejectionOf(producer.publish(newMessage('t', 'b').withKey('kb'))); // waits behind the full window
      assert.equal(engine.waitingCount, 1);
      const closed = await rejectionOf(engine.close(20));
      const ea = await a;
      assert.ok(ea instanceof DeliveryError && ea.possiblyPersisted, 'a was in flight');
      const eb = await b;
      assert.ok(eb instanceof DeliveryError, `expected a DeliveryError, got ${String(eb)}`);
      assert.equal(eb.code, 'GCK_KAFKA__PURGE_QUEUE');
      assert.equal(eb.possiblyPersisted, false);
      assert.equal(eb.retriable, false);
      assert.equal(eb.attempts, 0);
      assert.match(eb.message, /never written/);
      assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['a']);
      assert.ok(closed instanceof FlushIncompleteError);
      assert.deepEqual(closed.undelivered.map((u) => u.key), [undefined, 'kb'], 'listed in hand-over order');
    });

    it('a message waiting for its library retry fails with its earlier DeliveryError (possiblyPersisted kept), not a fresh one', async () => {
      const { engine, producer, native } = slowRetries();
      await engine.connect();
      native().outcome = () => TIMED_OUT;
      const x = rejectionOf(producer.publish(newMessage('t', 'x')));
      await handedOver();
      native().deliverAll(); // timed out in flight (may have been written): a retry is scheduled, far away
      assert.equal(engine.inflightCount, 1, 'a message awaiting its retry still counts');
      await assert.rejects(engine.close(10), (e: unknown) => e instanceof FlushIncompleteError && e.undelivered.length === 1);
      const e = await x;
      assert.ok(e instanceof DeliveryError, `expected a DeliveryError, got ${String(e)}`);
      assert.equal(e.code, 'GCK_KAFKA__MSG_TIMED_OUT');
      assert.equal(e.possiblyPersisted, true);
      assert.equal(e.attempts, 1);
      assert.equal(native().produced.length, 1, 'never produced again');
    });

    it('a retried message waiting in the FIFO for room fails with its earlier DeliveryError too', async () => {
      const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true });
      await engine.connect();
      native().outcome = () => TIMED_OUT;
      const x = rejectionOf(producer.publish(newMessage('t', 'x')));
      await handedOver();
      native().deliverAll();
      native().queueLimit = 0; // the retry finds no room
      while (engine.waitingCount === 0) await delay(1);
      await assert.rejects(engine.close(5), FlushIncompleteError);
      const e = await x;
      assert.ok(e instanceof DeliveryError, `expected a DeliveryError, got ${String(e)}`);
      assert.equal(e.code, 'GCK_KAFKA__MSG_TIMED_OUT');
      assert.equal(e.possiblyPersisted, true);
    });
  });

  describe('a library retry that cannot be handed over', () => {
    it('librdkafka refusing the retry (not queue full) keeps the earlier possiblyPersisted', async () => {
      const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true });
      await engine.connect();
      native().outcome = () => TIMED_OUT;
      refuseFrom(native(), 2, { message: 'Local: Unknown partition', code: -190 });
      const x = producer.publish(newMessage('t', 'x'));
      await handedOver();
      native().deliverAll(); // attempt 1 timed out in flight; attempt 2 is refused by produce()
      const e = await rejectionOf(x);
      assert.ok(e instanceof DeliveryError, `expected a DeliveryError, got ${String(e)}`);
      assert.equal(e.code, 'GCK_KAFKA__UNKNOWN_PARTITION');
      assert.equal(e.attempts, 2);
      assert.equal(e.possiblyPersisted, true, 'attempt 1 may have been written');
      assert.equal(engine.inflightCount, 0);
      await engine.close(10);
    });

    it('GCK_KAFKA__FATAL from the retry\'s produce() puts the engine in its fatal state, as on a first attempt', async () => {
      const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true });
      await engine.connect();
      native().outcome = () => TIMED_OUT;
      refuseFrom(native(), 2, { message: 'Fatal error: test', code: -150 });
      const x = producer.publish(newMessage('t', 'x'));
      await handedOver();
      native().deliverAll();
      const e = await rejectionOf(x);
      assert.ok(engine.fatalError, 'the engine knows it is fatal');
      assert.equal(engine.state, 'failed');
      assert.ok(e instanceof DeliveryError && e.code === 'GCK_KAFKA__FATAL' && e.possiblyPersisted, `got ${String(e)}`);
      await engine.close(10);
    });

    it('a retry that comes due after a fatal error fails with the message\'s own DeliveryError, not the fatal KafkaError', async () => {
      const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true });
      await engine.connect();
      native().outcome = () => TIMED_OUT;
      const x = producer.publish(newMessage('t', 'x'));
      await handedOver();
      native().deliverAll(); // retry scheduled
      native().emit('event.error', Object.assign(new Error('Fatal error: Broker: Invalid producer epoch'), { code: -1 }));
      assert.ok(engine.fatalError);
      const e = await rejectionOf(x);
      assert.ok(e instanceof DeliveryError, `expected a DeliveryError, got ${String(e)}`);
      assert.equal(e.code, 'GCK_KAFKA__MSG_TIMED_OUT');
      assert.equal(e.possiblyPersisted, true);
      assert.equal(native().produced.length, 1, 'not produced again on a fatal producer');
      await engine.close(10);
    });
  });

  describe('a library retry that succeeds (idempotence off, issue 17 item 4)', () => {
    /** Fails each message's first `n` attempts with `err`, then delivers it. */
    function failFirst(native: FakeProducer, n: number, err: { message: string; code: number }): void {
      const seen = new Map<string, number>();
      native.outcome = (r) => {
        const v = r.value!.toString();
        const k = (seen.get(v) ?? 0) + 1;
        seen.set(v, k);
        return k <= n ? err : null;
      };
      native.autoDeliver = true;
    }

    it('after a possibly-persisted failure, publish(), send() and publishBatch() report possibleDuplicate: true', async () => {
      const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true, retryBackoffMs: 1 });
      await engine.connect();
      failFirst(native(), 1, TIMED_OUT); // attempt 1 timed out in flight: it may have been written
      const published = await producer.publish(newMessage('t', 'p'));
      const sent = await new Promise<{ possibleDuplicate?: boolean; attempts?: number }>((resolve, reject) => producer.send(newMessage('t', 's'), (e, r) => (e ? reject(e) : resolve(r!))));
      const batched = (await producer.publishBatch([newMessage('t', 'b')]))[0]!;
      assert.equal(published.possibleDuplicate, true, 'publish()');
      assert.equal(sent.possibleDuplicate, true, 'send()');
      assert.ok(batched.ok);
      assert.equal(batched.result.possibleDuplicate, true, 'publishBatch()');
      assert.equal(native().produced.length, 6, 'each produced twice');
      await engine.close(100);
    });

    it('kept when a later attempt fails without possibly persisting before the one that succeeds', async () => {
      const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true, retryBackoffMs: 1 });
      await engine.connect();
      let attempt = 0;
      native().outcome = () => (++attempt === 1 ? TIMED_OUT : attempt === 2 ? { message: 'Broker: Not leader for partition', code: 6 } : null);
      native().autoDeliver = true;
      const r = await producer.publish(newMessage('t', 'x'));
      assert.equal(r.possibleDuplicate, true);
      assert.equal(native().produced.length, 3);
      await engine.close(100);
    });

    it('false after a retriable failure that says the message was not written (not leader); absent on a first-attempt success', async () => {
      const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true, retryBackoffMs: 1 });
      await engine.connect();
      failFirst(native(), 1, { message: 'Broker: Not leader for partition', code: 6 });
      const retried = await producer.publish(newMessage('t', 'x'));
      assert.equal(native().produced.length, 2, 'retried once');
      assert.equal(retried.possibleDuplicate, false);
      failFirst(native(), 1, { message: 'Broker: Not leader for partition', code: 6 });
      const batch = await producer.publishBatch([newMessage('t', 'b1'), newMessage('t', 'b2')]);
      assert.deepEqual(batch.map((o) => o.result?.possibleDuplicate), [false, false], 'publishBatch()');
      native().outcome = () => null;
      const first = await producer.publish(newMessage('t', 'y'));
      assert.equal(first.possibleDuplicate, undefined, 'a first-attempt success has no such field');
      await engine.close(100);
    });
  });

  it('drain() resolves when the messages that filled the window fail from their retry timers', async () => {
    const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true, maxInFlight: 2 });
    await engine.connect();
    native().outcome = () => TIMED_OUT;
    const all = [producer.publish(newMessage('t', 'a')), producer.publish(newMessage('t', 'b'))];
    for (const p of all) p.catch(() => undefined);
    assert.equal(engine.needsDrain, true, 'the window is full');
    let drained = false;
    const drain = engine.drain().then(() => {
      drained = true;
    });
    await handedOver();
    native().deliverAll(); // both fail retriably: retries scheduled, the window stays full
    native().emit('event.error', Object.assign(new Error('Fatal error: test'), { code: -1 })); // the timers fail both
    await Promise.allSettled(all);
    await Promise.race([drain, delay(200)]);
    assert.equal(engine.inflightCount, 0);
    assert.equal(engine.needsDrain, false);
    assert.ok(drained, 'drain() still pending although nothing is in flight or waiting');
    await engine.close(10);
  });
});
