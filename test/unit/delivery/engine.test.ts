import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ProducerEngine } from '../../../src/delivery/engine.js';
import { newMessage } from '../../../src/message/outgoing.js';
import { DeliveryError, FlushIncompleteError, QueueFullTimeoutError, StateError } from '../../../src/errors/index.js';
import { ConfigError } from '../../../src/config/index.js';
import { FakeBinding, type FakeProducer } from '../../helpers/fake-binding.js';
import { handedOver, setupEngine } from '../../helpers/engine.js';
import { resolveConfig } from '../../../src/config/index.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import { DeadLetterWriter } from '../../../src/consumer/dead-letter.js';

const setup = setupEngine;

describe('ProducerEngine (fake binding)', () => {
  it('rejects publish before connect with a state error', async () => {
    const { producer } = setup();
    await assert.rejects(producer.publish(newMessage('t', 'x')), (e: unknown) => e instanceof StateError && /expected state ready/.test(e.message));
  });

  it('resolves publish on the delivery report and keeps no per-message state afterwards', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    const p = producer.publish(newMessage('t', 'hello').withKey('k1').withMetadata('source', 'test'));
    assert.equal(engine.inflightCount, 1);
    await handedOver();
    native().deliverAll();
    const r = await p;
    assert.equal(r.topic, 't');
    assert.equal(r.offset, 0);
    assert.equal(engine.inflightCount, 0);
    assert.equal(engine.waitingCount, 0);
    const rec = native().produced[0]!;
    assert.equal(rec.key, 'k1');
    assert.equal(rec.value!.toString(), 'hello');
    // one id header plus one packed metadata header
    assert.deepEqual(rec.headers!.map((h) => Object.keys(h)[0]), ['message_id', 'metadata']);
    await engine.close(1000);
  });

  it('waits for room instead of throwing when the local queue is full, and keeps order', async () => {
    const { engine, producer, native } = setup({ queueLimit: 3 });
    await engine.connect();
    const all = Array.from({ length: 20 }, (_, i) => producer.publish(newMessage('t', String(i)).withKey('same')));
    await handedOver();
    assert.equal(native().produced.length, 3);
    assert.ok(engine.needsDrain);
    const drained = engine.drain();
    while (native().produced.length < 20) {
      native().deliverAll();
      await delay(3);
    }
    native().deliverAll();
    await drained;
    const results = await Promise.all(all);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), Array.from({ length: 20 }, (_, i) => String(i)));
    assert.deepEqual(results.map((r) => r.offset), Array.from({ length: 20 }, (_, i) => i));
    assert.equal(engine.inflightCount, 0);
    await engine.close(1000);
  });

  it('fails with a typed QueueFullTimeoutError when the queue stays full past the timeout', async () => {
    const { engine, producer } = setup({ queueLimit: 1, enqueueTimeoutMs: 50 });
    await engine.connect();
    const first = producer.publish(newMessage('t', 'a'));
    await assert.rejects(producer.publish(newMessage('t', 'b')), QueueFullTimeoutError);
    await assert.rejects(engine.close(20), FlushIncompleteError);
    await assert.rejects(first, DeliveryError);
  });

  it('reports a non-retriable delivery failure with topic, partition, code and retriable flag', async () => {
    const { engine, producer, native } = setup({ retryMax: 3 });
    await engine.connect();
    native().outcome = () => ({ message: 'message size too large', code: -1 });
    const p = producer.publish(newMessage('big', 'x').withPartition(2));
    await handedOver();
    native().deliverAll();
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof DeliveryError);
      assert.equal(e.code, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE');
      assert.equal(e.librdkafkaCode, 10);
      assert.equal(e.topic, 'big');
      assert.equal(e.partition, 2);
      assert.equal(e.retriable, false);
      assert.equal(e.attempts, 1);
      return true;
    });
    assert.equal(native().produced.length, 1, 'not retried');
    await engine.close(100);
  });

  it('retries retriable failures up to retryMax with backoff, then fails', async () => {
    const { engine, producer, native } = setup({ retryMax: 2 });
    await engine.connect();
    native().outcome = () => ({ message: 'Local: Message timed out', code: -1 });
    native().autoDeliver = true;
    await assert.rejects(producer.publish(newMessage('t', 'x')), (e: unknown) => e instanceof DeliveryError && e.attempts === 3 && e.retriable);
    assert.equal(native().produced.length, 3);
    assert.equal(engine.inflightCount, 0);
    await engine.close(100);
  });

  it('library retries count as publishRetries of the message\'s topic; a dead-letter copy\'s retries are not counted', async () => {
    const diagnostics = new Diagnostics({ clientId: 'test' });
    const { engine, producer, native: fake } = setup({ retryMax: 2, retryBackoffMs: 1, diagnostics });
    await engine.connect();
    const native = fake();
    let failures = 2;
    native.outcome = () => (failures-- > 0 ? { message: 'Local: Message timed out', code: -1 } : null);
    native.autoDeliver = true;
    await producer.publish(newMessage('orders', 'x'));
    // A dead-letter copy goes through the engine without the publish telemetry.
    failures = 1;
    const dlq = new DeadLetterWriter(() => engine, (t) => `${t}.dlq`, 'g');
    const now = Date.now();
    await dlq.write({ topic: 'orders', partition: 0, offset: 7, value: Buffer.from('x'), size: 1 }, { errorType: 'Error', errorMessage: 'boom', attempts: 1, firstFailure: now, lastFailure: now });
    const snap = diagnostics.counters.snapshot();
    assert.deepEqual(snap['orders'], { published: 1, publishSucceeded: 1, publishFailed: 0, publishRetries: 2, consumed: 0, handled: 0, retried: 0, deadLettered: 0 });
    assert.equal(snap['orders.dlq'], undefined, 'a dead-letter write is not a publish of the .dlq topic');
    await engine.close(100);
  });

  it('an in-flight message lets go of its value and headers once produced when it can never be produced again (idempotence), keeps them otherwise', async () => {
    for (const retryDelivered of [false, true]) {
      const { engine, producer, native } = setup({ retryDelivered });
      await engine.connect();
      const p = producer.publish(newMessage('t', Buffer.from('payload')).withKey('k').withHeader('h', 'v'));
      await handedOver();
      const rec = native().produced[0]!;
      assert.deepEqual(rec.value, Buffer.from('payload'), 'librdkafka got the value');
      const d = rec.opaque as { value: Buffer | null; headers: unknown; key: unknown };
      if (retryDelivered) {
        assert.ok(d.value !== null && d.headers !== undefined, 'kept for a re-produce');
      } else {
        assert.equal(d.value, null);
        assert.equal(d.headers, undefined);
      }
      assert.equal(d.key, 'k', 'the key stays (close() reports it for undelivered messages)');
      native().deliverAll();
      await p;
      await engine.close(100);
    }
  });

  it('with idempotence (retryDelivered false) a failed delivery is never produced again', async () => {
    const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: false });
    await engine.connect();
    native().outcome = () => ({ message: 'Local: Message timed out', code: -1 });
    native().autoDeliver = true;
    await assert.rejects(producer.publish(newMessage('t', 'x')), (e: unknown) => e instanceof DeliveryError && e.code === 'GCK_KAFKA__MSG_TIMED_OUT' && e.attempts === 1);
    assert.equal(native().produced.length, 1, 'not re-produced: it may have been written');
    await engine.close(100);
  });

  it('a producer configuration librdkafka refuses fails connect() with a ConfigError, not a throw', async () => {
    const binding = new FakeBinding();
    binding.createBatchProducer = () => {
      throw new Error('No such configuration property: "frobnicate"');
    };
    const engine = new ProducerEngine(binding, {}, {}, { clientId: 't', connectTimeoutMs: 100, retryMax: 0, retryDelivered: false, retryBackoffMs: 1, enqueueTimeoutMs: 10, pollIntervalMs: 1 });
    await assert.rejects(engine.connect(), (e: unknown) => e instanceof ConfigError && /kafka\.librdkafka: librdkafka refused the producer configuration: No such configuration property/.test(e.message));
    assert.equal(engine.state, 'failed');
  });

  it('a retry that succeeds resolves the publish', async () => {
    const { engine, producer, native } = setup({ retryMax: 2 });
    await engine.connect();
    let n = 0;
    native().outcome = () => (n++ === 0 ? { message: 'Local: Message timed out', code: -1 } : null);
    native().autoDeliver = true;
    const r = await producer.publish(newMessage('t', 'x'));
    assert.equal(r.offset, 0);
    assert.equal(native().produced.length, 2);
    await engine.close(100);
  });

  it('close() reports every undelivered message to its publisher and in FlushIncompleteError', async () => {
    const { engine, producer } = setup();
    await engine.connect();
    const pending = [producer.publish(newMessage('t', 'a').withKey('k')), producer.publish(newMessage('t', 'b'))];
    await assert.rejects(engine.close(30), (e: unknown) => {
      assert.ok(e instanceof FlushIncompleteError);
      assert.equal(e.undelivered.length, 2);
      assert.equal(e.undelivered[0]!.key, 'k');
      return true;
    });
    for (const p of pending) await assert.rejects(p, DeliveryError);
    await assert.rejects(producer.publish(newMessage('t', 'late')), StateError);
    await engine.close(30); // idempotent
  });

  it('flush(timeout) that times out charges no message: it resolves with how many remain, each keeps its own later outcome', async () => {
    const { engine, producer, native } = setup({ maxInFlight: 2 });
    await engine.connect();
    native().outcome = (r) => (r.value!.toString() === 'b' ? { message: 'message size too large', code: -1 } : null);
    const settled: string[] = [];
    const all = ['a', 'b', 'c'].map((v) =>
      producer.publish(newMessage('t', v)).then(
        (r) => settled.push(`${v}:${r.offset}`),
        (e: DeliveryError) => settled.push(`${v}:${e.code}`),
      ),
    );
    assert.equal(engine.waitingCount, 1, 'c waits for the window');
    const left = await producer.flush(30); // nothing is reported within the timeout
    assert.equal(left, 3, 'two in flight and one waiting');
    assert.deepEqual(settled, [], 'no message is failed (or charged) by a flush timeout');
    native().deliverAll(); // a delivered, b refused as too large; c goes to librdkafka
    await delay(5);
    native().deliverAll();
    await Promise.all(all);
    assert.deepEqual(settled, ['a:0', 'b:GCK_KAFKA_MSG_SIZE_TOO_LARGE', 'c:1']);
    assert.equal(await producer.flush(30), 0);
    await engine.close(100);
  });

  it('reserved headers cannot be overwritten by users', () => {
    assert.throws(() => newMessage('t', 'x').withHeader('message_id', 'y'), /reserved/);
    assert.throws(() => newMessage('t', 'x').withHeader('correlation_id', 'y'), /withCorrelationId/);
  });

  it('a fatal producer error fails later publishes with that error', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().emit('event.error', Object.assign(new Error('Fatal error: Broker: Invalid producer epoch'), { code: -1 }));
    assert.ok(engine.fatalError);
    await assert.rejects(producer.publish(newMessage('t', 'x')), /Fatal error/);
    await engine.close(100);
  });

  it('the ConnectionManager refuses a maxInFlight that is not a positive integer', async () => {
    const { ConnectionManager } = await import('../../../src/client.js');
    const { resolveConfig } = await import('../../../src/config/index.js');
    const config = resolveConfig({ brokers: ['fake:9092'] });
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new ConnectionManager(config, { binding: new FakeBinding(), maxInFlight: bad }), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'GCK_INVALID_ARGUMENT' && /maxInFlight/.test((e as Error).message));
    }
  });

  it('the ConnectionManager refuses every numeric option that is not a finite integer in range, naming the option and the value', async () => {
    const { ConnectionManager } = await import('../../../src/client.js');
    const config = resolveConfig({ brokers: ['fake:9092'] });
    const bad: Array<[string, unknown, RegExp]> = [
      ['enqueueTimeoutMs', Number.NaN, /got NaN/],
      ['enqueueTimeoutMs', -1, /got -1/],
      ['enqueueTimeoutMs', Infinity, /got Infinity/],
      ['enqueueTimeoutMs', 2.5, /got 2.5/],
      ['enqueueTimeoutMs', '100', /got 100 \(string\)/],
      ['pollIntervalMs', 0, /got 0, expected an integer from 1/],
      ['pollIntervalMs', Number.NaN, /got NaN/],
      ['pollIntervalMs', 2 ** 31, /got 2147483648/],
      ['closeTimeoutMs', -5, /got -5/],
      ['closeTimeoutMs', Number.NaN, /got NaN/],
      ['maxInFlight', Infinity, /got Infinity/],
      ['onError', 'log', /got string, expected a function/],
    ];
    for (const [name, value, problem] of bad) {
      assert.throws(
        () => new ConnectionManager(config, { binding: new FakeBinding(), [name]: value }),
        (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'GCK_INVALID_ARGUMENT' && e.message.includes(`option ${name}:`) && problem.test(e.message),
        `${name} = ${String(value)}`,
      );
    }
    // The bounds themselves are accepted.
    new ConnectionManager(config, { binding: new FakeBinding(), enqueueTimeoutMs: 0, closeTimeoutMs: 0, pollIntervalMs: 1, maxInFlight: 1 });
  });
});
