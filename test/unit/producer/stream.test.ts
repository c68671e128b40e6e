import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { newMessage, type OutgoingMessage } from '../../../src/message/outgoing.js';
import { DeliveryError, InvalidArgumentError, StateError, StreamDeliveryError } from '../../../src/errors/index.js';
import { ProducerStream } from '../../../src/producer/stream.js';
import { handedOver, setupEngine } from '../../helpers/engine.js';

/** 'close' (events.once would reject on the 'error' that comes before it). */
function closed(stream: ProducerStream): Promise<void> {
  return new Promise((resolve) => stream.on('close', resolve));
}

function messages(n: number, value = (i: number) => `v${i}`): OutgoingMessage[] {
  return Array.from({ length: n }, (_, i) => newMessage('t', value(i)).withKey(`k${i % 7}`));
}

describe('producer.writable() (fake binding)', () => {
  it('pipeline() resolves once every message was acknowledged, in write order, nothing left', async () => {
    const { engine, producer, native } = setupEngine();
    await engine.connect();
    native().autoDeliver = true;
    const ms = messages(5000);
    const stream = producer.writable({ highWaterMark: 64 });
    await pipeline(Readable.from(ms), stream);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ms.map((_, i) => `v${i}`));
    assert.equal(stream.delivered, 5000);
    assert.equal(stream.failed, 0);
    assert.equal(stream.pending, 0);
    assert.equal(engine.inflightCount, 0);
    await engine.close(100);
  });

  it("'finish' waits for the broker's acknowledgements, not for the hand-over", async () => {
    const { engine, producer, native } = setupEngine();
    await engine.connect();
    const stream = producer.writable();
    let finished = false;
    stream.on('finish', () => (finished = true));
    for (const m of messages(10)) stream.write(m);
    stream.end();
    await handedOver();
    await handedOver();
    assert.equal(native().produced.length, 10);
    assert.equal(finished, false, 'finish before any acknowledgement');
    assert.equal(stream.pending, 10);
    native().deliverAll();
    await once(stream, 'finish');
    assert.equal(stream.delivered, 10);
    await engine.close(100);
  });

  it('a failed delivery stops the stream with StreamDeliveryError once everything handed over has its outcome', async () => {
    const { engine, producer, native } = setupEngine();
    await engine.connect();
    native().outcome = (r) => (r.value!.toString() === 'v1' ? { message: 'message size too large', code: -1 } : null);
    const ms = messages(4);
    const stream = producer.writable();
    const events: string[] = [];
    let error: unknown;
    stream.on('error', (e) => {
      events.push('error');
      error = e;
    });
    stream.on('close', () => events.push('close'));
    for (const m of ms) stream.write(m);
    await handedOver();
    // Report v0 and v1 (failed) only: v2 and v3 stay in flight.
    const queue = native().queue.splice(2);
    native().deliverAll();
    await handedOver();
    assert.ok(stream.destroyed, 'the failure stopped the stream');
    assert.deepEqual(events, [], 'no error while messages are still in flight');
    native().queue.push(...queue);
    native().deliverAll();
    await closed(stream);
    assert.deepEqual(events, ['error', 'close']);
    assert.ok(error instanceof StreamDeliveryError);
    assert.equal(error.code, 'GCK_STREAM_DELIVERY');
    assert.equal(error.failures.length, 1);
    assert.ok(error.failures[0] instanceof DeliveryError);
    assert.equal((error.failures[0] as DeliveryError).messageId, ms[1]!.id);
    assert.equal(error.delivered, 3);
    assert.deepEqual([stream.delivered, stream.failed, stream.pending], [3, 1, 0]);
    assert.match(error.message, /1 message\(s\) written to the producer stream failed \(3 delivered/);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['v0', 'v1', 'v2', 'v3'], 'nothing written after the stop');
    await engine.close(100);
  });

  it('pipeline() rejects with every failure and destroys the source', async () => {
    const { engine, producer, native } = setupEngine();
    await engine.connect();
    native().autoDeliver = true;
    native().outcome = (r) => (Number(r.value!.toString().slice(1)) % 100 === 5 ? { message: 'message size too large', code: -1 } : null);
    const source = Readable.from(messages(3000));
    await assert.rejects(pipeline(source, producer.writable()), (e: unknown) => {
      assert.ok(e instanceof StreamDeliveryError);
      assert.ok(e.failures.length >= 1);
      for (const f of e.failures) assert.ok(f instanceof DeliveryError && f.librdkafkaCode === 10);
      assert.equal(e.delivered + e.failures.length, native().produced.length, 'every handed-over message is delivered or named');
      return true;
    });
    assert.ok(source.destroyed);
    assert.equal(engine.inflightCount, 0);
    await engine.close(100);
  });

  it('a write that is not a message fails with InvalidArgumentError and hands none of its batch over', async () => {
    const { engine, producer, native } = setupEngine();
    await engine.connect();
    native().autoDeliver = true;
    const stream = producer.writable();
    stream.cork();
    stream.write(newMessage('t', 'a'));
    stream.write({ topic: 't', value: 'b' });
    stream.uncork();
    const [error] = (await once(stream, 'error')) as [unknown];
    assert.ok(error instanceof InvalidArgumentError);
    assert.match(error.message, /ProducerStream\.write\(message\)/);
    assert.equal(native().produced.length, 0);
    await engine.close(100);
  });

  it('holds writes back while the producer needs to drain, and goes on when it drained', async () => {
    const { engine, producer, native } = setupEngine({ maxInFlight: 100 });
    await engine.connect();
    const stream = producer.writable({ highWaterMark: 10 });
    let written = 0;
    const ms = messages(300);
    const done = (async () => {
      for (const m of ms) {
        written++;
        if (!stream.write(m)) await once(stream, 'drain');
      }
      stream.end();
    })();
    for (let i = 0; i < 5; i++) await handedOver();
    assert.ok(written < 300, `the writer was held back (${written} written)`);
    assert.ok(native().produced.length <= 100 + 10, `no more than the window and one write beyond it in flight (${native().produced.length})`);
    native().autoDeliver = true;
    native().deliverAll();
    await done;
    await once(stream, 'finish');
    assert.equal(stream.delivered, 300);
    await engine.close(100);
  });

  it('fails writes with StateError once the producer is closed, and rejects a bad highWaterMark', async () => {
    const { engine, producer } = setupEngine();
    await engine.connect();
    await engine.close(100);
    const stream = producer.writable();
    stream.write(newMessage('t', 'x'));
    const [error] = (await once(stream, 'error')) as [unknown];
    assert.ok(error instanceof StateError);
    assert.throws(() => producer.writable({ highWaterMark: 0 }), (e: unknown) => e instanceof InvalidArgumentError && /highWaterMark/.test(e.message));
  });

  it('writes still buffered when a delivery fails are never handed over, and their callbacks are not told that failure', async () => {
    const { engine, producer, native } = setupEngine({ maxInFlight: 2 });
    await engine.connect();
    native().outcome = (r) => (r.value!.toString() === 'v0' ? { message: 'message size too large', code: -1 } : null);
    const stream = producer.writable({ highWaterMark: 100 });
    const told: Array<string | null> = [];
    const seen: { error?: unknown } = {};
    stream.on('error', (e) => (seen.error = e));
    for (const m of messages(4)) stream.write(m, (e) => told.push(e === undefined || e === null ? null : ((e as { code?: string }).code ?? e.name)));
    await handedOver();
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['v0', 'v1'], 'the window holds v2 and v3 in the stream');
    native().deliverAll();
    await closed(stream);
    // Node tells buffered writes the stream's error: ERR_STREAM_DESTROYED, or the StreamDeliveryError
    // once it was raised (here: nothing was left in flight) — never the failed message's DeliveryError.
    assert.deepEqual(told, [null, null, 'GCK_STREAM_DELIVERY', 'GCK_STREAM_DELIVERY']);
    const error = seen.error as unknown;
    assert.ok(error instanceof StreamDeliveryError);
    assert.equal(error.failures.length, 1);
    assert.equal(error.delivered, 1);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['v0', 'v1']);
    await engine.close(100);
  });

  it("end() and then the last in-flight message fails: 'error', never 'finish'", async () => {
    const { engine, producer, native } = setupEngine();
    await engine.connect();
    native().outcome = (r) => (r.value!.toString() === 'v2' ? { message: 'message size too large', code: -1 } : null);
    const stream = producer.writable();
    const events: string[] = [];
    stream.on('finish', () => events.push('finish'));
    stream.on('error', (e) => events.push(e instanceof StreamDeliveryError ? 'error' : `other ${String(e)}`));
    for (const m of messages(3)) stream.write(m);
    stream.end();
    await handedOver();
    native().deliverAll();
    await closed(stream);
    assert.deepEqual(events, ['error']);
    await engine.close(100);
  });

  it('destroy() by the caller waits for what is in flight, and names failures among it', async () => {
    const { engine, producer, native } = setupEngine();
    await engine.connect();
    native().outcome = (r) => (r.value!.toString() === 'v2' ? { message: 'message size too large', code: -1 } : null);
    const stream = producer.writable();
    for (const m of messages(3)) stream.write(m);
    await handedOver();
    const reason = new Error('caller stopped');
    const seen: { error?: unknown } = {};
    stream.on('error', (e) => (seen.error = e));
    stream.destroy(reason);
    await handedOver();
    assert.equal(seen.error, undefined, 'no error while a message is in flight');
    native().deliverAll();
    await closed(stream);
    const error = seen.error as unknown;
    assert.ok(error instanceof StreamDeliveryError);
    assert.equal(error.cause, reason);
    assert.equal(error.failures.length, 1);
    await engine.close(100);
  });
});
