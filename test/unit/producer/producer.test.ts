import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Producer } from '../../../src/producer/producer.js';
import { newMessage } from '../../../src/message/outgoing.js';
import { DeliveryError, StateError } from '../../../src/errors/index.js';
import { handedOver, setupEngine } from '../../helpers/engine.js';
import type { FakeProducer } from '../../helpers/fake-binding.js';
import { BATCH_MAX_MESSAGES } from '../../../src/delivery/options.js';
import { producerSend } from '../../../src/diagnostics/channels.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';

const setup = setupEngine;

describe('Producer (fake binding)', () => {
  it('publishBatch returns one outcome per message and never stops at a failure', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().outcome = (r) => (r.value!.toString() === 'bad' ? { message: 'message size too large', code: -1 } : null);
    native().autoDeliver = true;
    const out = await producer.publishBatch(['a', 'bad', 'c'].map((v) => newMessage('t', v).withKey('k')));
    assert.deepEqual(out.map((o) => o.ok), [true, false, true]);
    assert.ok(out[1]!.error instanceof DeliveryError);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['a', 'bad', 'c']);
    await engine.close(100);
  });

  it('publishBatch results are what publish() reports, field for field, with and without a broker timestamp', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().autoDeliver = true;
    const ms = ['a', 'b', 'c'].map((v, i) => newMessage(i === 2 ? 'u' : 't', v).withKey('k'));
    const out = await producer.publishBatch(ms);
    assert.deepEqual(out, [
      { ok: true, result: { topic: 't', partition: 0, offset: 0, timestamp: undefined, messageId: ms[0]!.id } },
      { ok: true, result: { topic: 't', partition: 0, offset: 1, timestamp: undefined, messageId: ms[1]!.id } },
      { ok: true, result: { topic: 'u', partition: 0, offset: 0, timestamp: undefined, messageId: ms[2]!.id } },
    ]);
    native().reportTimestamp = 1_700_000_000_123;
    const single = newMessage('t', 'd').withKey('k');
    const [batched, alone] = await Promise.all([producer.publishBatch([newMessage('t', 'e').withId('id-e')]), producer.publish(single)]);
    assert.deepEqual(alone, { topic: 't', partition: 0, offset: 3, timestamp: 1_700_000_000_123, messageId: single.id });
    assert.deepEqual(batched, [{ ok: true, result: { topic: 't', partition: 0, offset: 2, timestamp: 1_700_000_000_123, messageId: 'id-e' } }]);
    assert.ok(!('possibleDuplicate' in batched[0]!.result!), 'a first-attempt success has no possibleDuplicate field');
    await engine.close(100);
  });

  describe('send(message, callback)', () => {
    it('calls back once with the result on the delivery report, in order, with no state left', async () => {
      const { engine, producer, native } = setup();
      await engine.connect();
      const calls: Array<[Error | null, number | undefined]> = [];
      for (let i = 0; i < 5; i++) producer.send(newMessage('t', String(i)).withKey('k'), (err, r) => calls.push([err, r?.offset]));
      assert.equal(calls.length, 0);
      await handedOver();
      native().deliverAll();
      assert.deepEqual(calls, [0, 1, 2, 3, 4].map((o) => [null, o]));
      assert.equal(engine.inflightCount, 0);
      await engine.close(100);
    });

    it('calls back with a typed DeliveryError on a failed delivery', async () => {
      const { engine, producer, native } = setup();
      await engine.connect();
      native().outcome = () => ({ message: 'message size too large', code: -1 });
      let got: unknown;
      producer.send(newMessage('big', 'x'), (err) => (got = err));
      await handedOver();
      native().deliverAll();
      assert.ok(got instanceof DeliveryError);
      assert.equal(got.code, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE');
      await engine.close(100);
    });

    it('never calls back synchronously: not-ready producer and invalid message are reported on a later tick', async () => {
      const { engine, producer } = setup();
      const errs: unknown[] = [];
      producer.send(newMessage('t', 'x'), (err) => errs.push(err));
      producer.send({ topic: 't' } as never, (err) => errs.push(err));
      assert.equal(errs.length, 0, 'not synchronous');
      await Promise.resolve();
      await delay(1);
      assert.equal(errs.length, 2);
      assert.ok(errs[0] instanceof StateError);
      assert.match(String((errs[1] as Error).message), /send\(message\): expected a message built with newMessage/);
      await engine.close(100);
    });

    describe('callbacks never run inside a send() call (the engine counts send() calls, issue 19)', () => {
      /** Stages `n` sends and makes the addon refuse the micro-batch that fills up (BATCH_MAX_MESSAGES). */
      function refuseFullBatch(native: FakeProducer): void {
        native.produceBatch = () => {
          throw new Error('refused by the test');
        };
      }

      it('a full micro-batch refused inside send(): every staged send()\'s callback is deferred, none runs inside the call', async () => {
        const { engine, producer, native } = setup();
        await engine.connect();
        refuseFullBatch(native());
        const order: string[] = [];
        for (let i = 0; i < BATCH_MAX_MESSAGES - 1; i++) producer.send(newMessage('t', String(i)), (e) => order.push(e === null ? 'ok' : 'failed'));
        producer.send(newMessage('t', 'last'), (e) => order.push(e === null ? 'ok' : 'failed-last'));
        order.push('send returned');
        assert.equal(order.length, 1, `callbacks ran inside send(): ${order.slice(0, 3).join(', ')}`);
        await Promise.resolve();
        assert.equal(order.length, BATCH_MAX_MESSAGES + 1);
        assert.equal(order.at(-1), 'failed-last');
        assert.equal(engine.sendDepth, 0);
        await engine.close(100);
      });

      it('nested: a send() from a producer:send subscriber inside a send() does not end the outer one\'s deferral', async () => {
        const diagnostics = new Diagnostics({ clientId: 'test' });
        const { engine, producer, native } = setup({ diagnostics });
        await engine.connect();
        refuseFullBatch(native());
        const order: string[] = [];
        let nested = false;
        const subscriber = (m: unknown) => {
          if ((m as { topic: string }).topic !== 'outer' || nested) return;
          nested = true;
          producer.send(newMessage('inner', 'x'), () => order.push('inner callback'));
        };
        producerSend.subscribe(subscriber);
        try {
          // The outer message is the batch's last (the inner one is staged just before it): the
          // addon refuses the full batch while the outer send() still runs, after the inner returned.
          for (let i = 0; i < BATCH_MAX_MESSAGES - 2; i++) producer.send(newMessage('t', String(i)), () => undefined);
          producer.send(newMessage('outer', 'y'), () => order.push('outer callback'));
          order.push('outer send returned');
        } finally {
          producerSend.unsubscribe(subscriber);
        }
        assert.deepEqual(order, ['outer send returned'], 'a callback ran synchronously inside send()');
        await Promise.resolve();
        assert.deepEqual(order, ['outer send returned', 'inner callback', 'outer callback']);
        assert.equal(engine.sendDepth, 0);
        await engine.close(100);
      });

      it('a send() inside a delivery callback behaves as any other send(): staged, its own callback on its report', async () => {
        const { engine, producer, native } = setup();
        await engine.connect();
        const seen: string[] = [];
        producer.send(newMessage('t', 'a'), (e) => {
          seen.push(`a:${e === null ? 'ok' : 'failed'}`);
          producer.send(newMessage('t', 'b'), (e2, r) => seen.push(`b:${e2 === null ? r!.offset : 'failed'}`));
          seen.push('a: send(b) returned');
        });
        await handedOver();
        native().deliverAll();
        assert.deepEqual(seen, ['a:ok', 'a: send(b) returned']);
        assert.equal(engine.sendDepth, 0);
        await handedOver();
        native().deliverAll();
        assert.deepEqual(seen, ['a:ok', 'a: send(b) returned', 'b:1']);
        await engine.close(100);
      });
    });

    it('refuses a missing callback with an InvalidArgumentError', async () => {
      const { producer } = setup();
      assert.throws(() => producer.send(newMessage('t', 'x'), undefined as never), (e: unknown) => (e as { code?: string }).code === 'GCK_INVALID_ARGUMENT' && /callback/.test((e as Error).message));
    });

    it('an exception thrown by a callback surfaces asynchronously and does not break delivery tracking', async () => {
      const { engine, producer, native } = setup({ maxInFlight: 1 });
      await engine.connect();
      const uncaught: unknown[] = [];
      const listeners = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      process.on('uncaughtException', (e) => uncaught.push(e));
      try {
        const seen: number[] = [];
        producer.send(newMessage('t', 'a'), () => {
          throw new Error('boom from a callback');
        });
        producer.send(newMessage('t', 'b'), (_e, r) => seen.push(r!.offset));
        await handedOver();
        assert.equal(native().produced.length, 1, 'the second waits for the window');
        native().deliverAll(); // reports 'a' (its callback throws), which must still move 'b' into librdkafka
        await delay(5);
        native().deliverAll();
        await delay(5);
        assert.deepEqual(seen, [1]);
        assert.equal(uncaught.length, 1);
        assert.match(String((uncaught[0] as Error).message), /boom from a callback/);
        assert.equal(engine.inflightCount, 0);
      } finally {
        process.removeAllListeners('uncaughtException');
        for (const l of listeners) process.on('uncaughtException', l);
      }
      await engine.close(100);
    });
  });

  it('message ids off: no header at all unless the message has an id; tracing still adds traceparent', async () => {
    const { engine, native } = setup();
    const { Telemetry } = await import('../../../src/telemetry/telemetry.js');
    const { Diagnostics } = await import('../../../src/diagnostics/diagnostics.js');
    const { resolveConfig } = await import('../../../src/config/index.js');
    const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
    await engine.connect();
    const plain = new Producer(engine, { messageIds: false });
    const diagnostics = new Diagnostics({ clientId: 'test' });
    const telemetry = new Telemetry(resolveConfig({ brokers: ['fake:9092'] }), diagnostics, { tracerProvider: new BasicTracerProvider() });
    const traced = new Producer(engine, { messageIds: false, diagnostics });
    const all = [plain.publish(newMessage('t', 'a')), plain.publish(newMessage('t', 'b').withId('id-b')), traced.publish(newMessage('t', 'c'))];
    await handedOver();
    native().deliverAll();
    const [a, b, c] = await Promise.all(all);
    assert.equal(a!.messageId, undefined);
    assert.equal(b!.messageId, 'id-b');
    assert.equal(c!.messageId, undefined);
    const [ra, rb, rc] = native().produced;
    assert.equal(ra!.headers, undefined);
    assert.deepEqual(rb!.headers, [{ message_id: 'id-b' }]);
    assert.deepEqual(rc!.headers!.map((h) => Object.keys(h)[0]), ['traceparent', 'trace_id', 'span_id']); // + the Go services' trace headers (sampled span)
    telemetry.close();
    await engine.close(100);
  });
});
