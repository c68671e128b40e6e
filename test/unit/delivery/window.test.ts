import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { newMessage } from '../../../src/message/outgoing.js';
import { DeliveryError, QueueFullTimeoutError } from '../../../src/errors/index.js';
import type { FakeProducer } from '../../helpers/fake-binding.js';
import { handedOver, setupEngine } from '../../helpers/engine.js';

const setup = setupEngine;

/** Makes the fake's produce() throw a non-queue-full error for values matching `bad`. */
function refuseValues(native: FakeProducer, bad: string): void {
  const produce = native.produce.bind(native);
  native.produce = (topic, partition, value, ...rest) => {
    if (value?.toString() === bad) throw Object.assign(new Error('Broker: Message size too large'), { code: 10 });
    return produce(topic, partition, value, ...rest);
  };
}

describe('ProducerEngine waiting FIFO (fake binding)', () => {
  it('a waiting publish expires at its deadline while the in-flight window stays full', async function () {
    this.timeout(3000); // without the fix it waits until the in-flight message is reported (never here)
    const { engine, producer, native } = setup({ maxInFlight: 1, enqueueTimeoutMs: 50 });
    await engine.connect();
    const first = producer.publish(newMessage('t', 'a')); // never delivered: the window stays full
    const second = producer.publish(newMessage('t', 'b'));
    assert.equal(engine.waitingCount, 1);
    await assert.rejects(second, (e: unknown) => e instanceof QueueFullTimeoutError && /stayed full for 50 ms/.test(e.message));
    assert.equal(engine.waitingCount, 0);
    assert.equal(engine.needsDrain, true, 'the window is still full');
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['a'], 'b was never handed to librdkafka');
    await handedOver();
    native().deliverAll();
    await first;
    await engine.drain();
    await engine.close(100);
  });

  it('send() and drain() do not hang behind a full in-flight window either', async function () {
    this.timeout(3000);
    const { engine, producer, native } = setup({ maxInFlight: 1, enqueueTimeoutMs: 30 });
    await engine.connect();
    const first = producer.publish(newMessage('t', 'a'));
    const outcome = new Promise<Error | null>((resolve) => producer.send(newMessage('t', 'b'), (err) => resolve(err)));
    const drained = engine.drain();
    assert.ok((await outcome) instanceof QueueFullTimeoutError);
    await handedOver();
    native().deliverAll();
    await first;
    await drained;
    await engine.close(100);
  });

  it('a callback that calls flush() while its message expires in the waiting FIFO is called exactly once', async () => {
    const { engine, producer, native } = setup({ queueLimit: 1, enqueueTimeoutMs: 20 });
    await engine.connect();
    const first = producer.publish(newMessage('t', 'a'));
    const calls: unknown[] = [];
    let flushed: Promise<number> | undefined;
    const done = new Promise<void>((resolve) =>
      producer.send(newMessage('t', 'b'), (err) => {
        calls.push(err);
        if (flushed === undefined) {
          flushed = Promise.resolve(0); // set before flush(): it may call back into here synchronously
          flushed = producer.flush(10);
        }
        resolve();
      }),
    );
    await done;
    await flushed;
    await delay(5); // any second callback would come from the same timer turn or the flush
    assert.equal(calls.length, 1, `callback calls: ${calls.map(String).join(' | ')}`);
    assert.ok(calls[0] instanceof QueueFullTimeoutError);
    assert.equal(engine.waitingCount, 0);
    await handedOver();
    native().deliverAll();
    await first;
    await engine.close(100);
  });

  it('a callback that calls flush() while its message fails inside the pump neither repeats it nor produces later messages twice', async () => {
    const { engine, producer, native } = setup({ maxInFlight: 1 });
    await engine.connect();
    refuseValues(native(), 'bad');
    const first = producer.publish(newMessage('t', 'a'));
    const calls: unknown[] = [];
    let flushed: Promise<number> | undefined;
    producer.send(newMessage('t', 'bad'), (err) => {
      calls.push(err);
      if (flushed === undefined) {
        flushed = Promise.resolve(0); // set before flush(): it may call back into here synchronously
        flushed = producer.flush(10);
      }
    });
    const third = producer.publish(newMessage('t', 'c'));
    assert.equal(engine.waitingCount, 2);
    await handedOver();
    native().deliverAll(); // reports 'a': the pump fails 'bad' (its callback flushes) and produces 'c'
    while (flushed === undefined) await delay(1); // the refusal comes back as a failed report (as from the addon)
    await flushed;
    assert.equal(calls.length, 1, `callback calls: ${calls.map(String).join(' | ')}`);
    assert.ok(calls[0] instanceof DeliveryError);
    assert.equal(engine.waitingCount, 0, 'c left the waiting FIFO');
    assert.equal(engine.inflightCount, 1);
    await handedOver();
    native().deliverAll();
    await Promise.all([first, third]);
    await delay(5);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['a', 'c'], 'c produced once');
    assert.equal(engine.inflightCount, 0);
    await engine.close(100);
  });

  it('a retried message (idempotence off) that expires waiting fails with its possibly-persisted DeliveryError, not QueueFullTimeoutError', async () => {
    const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true, queueLimit: 1, enqueueTimeoutMs: 30 });
    await engine.connect();
    native().outcome = (r) => (r.value!.toString() === 'x' ? { message: 'Local: Message timed out', code: -1 } : null);
    const x = producer.publish(newMessage('t', 'x'));
    await handedOver();
    native().deliverAll(); // x times out in flight (it may have been written): retried after a backoff
    const y = producer.publish(newMessage('t', 'y')); // fills the local queue, so x's retry waits for room
    await assert.rejects(x, (e: unknown) => {
      assert.ok(e instanceof DeliveryError, `expected a DeliveryError, got ${String(e)}`);
      assert.equal(e.code, 'GCK_KAFKA__MSG_TIMED_OUT');
      assert.equal(e.possiblyPersisted, true);
      assert.equal(e.attempts, 1);
      return true;
    });
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['x', 'y']);
    await handedOver();
    native().deliverAll();
    await y;
    await engine.close(100);
  });

  it('a retried message keeps the possibly-persisted error when a later attempt fails with one that was not written', async () => {
    const { binding, engine, producer, native } = setup({ retryMax: 3, retryDelivered: true, queueLimit: 1, enqueueTimeoutMs: 30 });
    const codeOf = binding.errorCodeOf.bind(binding);
    binding.errorCodeOf = (e) => (/not leader/i.test(e.message) ? 6 : codeOf(e)); // GCK_KAFKA_NOT_LEADER_FOR_PARTITION: retriable, not written
    await engine.connect();
    let n = 0;
    native().outcome = (r) => (r.value!.toString() !== 'x' ? null : n++ === 0 ? { message: 'Local: Message timed out', code: -1 } : { message: 'Broker: Not leader for partition', code: 6 });
    const x = producer.publish(newMessage('t', 'x'));
    await handedOver();
    native().deliverAll(); // attempt 1: timed out in flight
    while (native().queue.length === 0) await delay(1); // the retry is produced
    await handedOver();
    native().deliverAll(); // attempt 2: not leader (retriable, not written)
    const y = producer.publish(newMessage('t', 'y'));
    await assert.rejects(x, (e: unknown) => e instanceof DeliveryError && e.possiblyPersisted && e.code === 'GCK_KAFKA__MSG_TIMED_OUT');
    await handedOver();
    native().deliverAll();
    await y;
    await engine.close(100);
  });

  it('a message whose retries are exhausted reports possiblyPersisted when any earlier attempt timed out in flight', async () => {
    const { binding, engine, producer, native } = setup({ retryMax: 1, retryDelivered: true });
    const codeOf = binding.errorCodeOf.bind(binding);
    binding.errorCodeOf = (e) => (/not leader/i.test(e.message) ? 6 : codeOf(e));
    await engine.connect();
    let n = 0;
    native().outcome = () => (n++ === 0 ? { message: 'Local: Message timed out', code: -1 } : { message: 'Broker: Not leader for partition', code: 6 });
    const x = producer.publish(newMessage('t', 'x'));
    await handedOver();
    native().deliverAll(); // attempt 1: timed out in flight (may have been written)
    while (native().queue.length === 0) await delay(1);
    await handedOver();
    native().deliverAll(); // attempt 2, the last: not leader (this attempt was not written)
    await assert.rejects(x, (e: unknown) => {
      assert.ok(e instanceof DeliveryError);
      assert.equal(e.code, 'GCK_KAFKA_NOT_LEADER_FOR_PARTITION');
      assert.equal(e.attempts, 2);
      assert.equal(e.possiblyPersisted, true, 'attempt 1 may have been written');
      assert.match(e.message, /an earlier attempt may have been written/);
      return true;
    });
    await engine.close(100);
  });
});

describe('ProducerEngine in-flight window (fake binding)', () => {
  it('keeps at most maxInFlight messages unreported; the rest wait in order and follow as reports arrive', async () => {
    const { engine, producer, native } = setup({ maxInFlight: 4 });
    await engine.connect();
    const all = Array.from({ length: 10 }, (_, i) => producer.publish(newMessage('t', String(i)).withKey('k')));
    await handedOver();
    assert.equal(native().produced.length, 4);
    assert.equal(engine.inflightCount, 4);
    assert.equal(engine.waitingCount, 6);
    assert.ok(producer.needsDrain);
    while (native().produced.length < 10) {
      native().deliverAll();
      await delay(3);
      assert.ok(engine.inflightCount <= 4);
    }
    native().deliverAll();
    const results = await Promise.all(all);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), Array.from({ length: 10 }, (_, i) => String(i)));
    assert.deepEqual(results.map((r) => r.offset), Array.from({ length: 10 }, (_, i) => i));
    assert.equal(producer.needsDrain, false);
    await engine.close(1000);
  });

  it('publishBatch hands its whole batch over past the window; its packed messages fill the window at 4x its size; a batch queues behind waiting publishes', async () => {
    const { engine, producer, native } = setup({ maxInFlight: 4 });
    await engine.connect();
    const batch = producer.publishBatch(Array.from({ length: 20 }, (_, i) => newMessage('t', `b${i}`).withKey('k')));
    await handedOver();
    assert.equal(native().produced.length, 20, 'the whole batch reached librdkafka at once');
    assert.equal(engine.waitingCount, 0);
    assert.ok(producer.needsDrain, 'needsDrain while 4 x the window of packed messages is in flight');
    // Publishes fill the object window (4) beside them; the fifth waits, and a batch after it queues behind it (per-key order).
    const singles = Array.from({ length: 5 }, (_, i) => producer.publish(newMessage('t', `p${i}`).withKey('k')));
    const second = producer.publishBatch([newMessage('t', 'b20').withKey('k'), newMessage('t', 'b21').withKey('k')]);
    await handedOver();
    assert.equal(native().produced.length, 24);
    assert.equal(engine.waitingCount, 3, 'the fifth publish and the two messages of the batch behind it');
    while (native().produced.length < 27) {
      native().deliverAll();
      await delay(3);
    }
    native().deliverAll();
    const [outcomes, ps, outcomes2] = await Promise.all([batch, Promise.all(singles), second]);
    assert.ok(outcomes.every((o) => o.ok) && outcomes2.every((o) => o.ok));
    assert.deepEqual(ps.map((r) => r.offset), [20, 21, 22, 23, 24]);
    assert.deepEqual(outcomes2.map((o) => o.result?.offset), [25, 26]);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), [...Array.from({ length: 20 }, (_, i) => `b${i}`), 'p0', 'p1', 'p2', 'p3', 'p4', 'b20', 'b21']);
    assert.equal(producer.needsDrain, false);
    await engine.close(1000);
  });
});
