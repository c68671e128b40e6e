import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConnectionManager } from '../../../src/client.js';
import { newMessage, type OutgoingMessage } from '../../../src/producer/index.js';
import { DeliveryError, StateError, StreamDeliveryError } from '../../../src/errors/index.js';
import { createTopic, readAll, testConfig, uniqueName } from '../helpers.js';

/** `n` keyed messages "<key>:<index>" (20 keys); `big(i)` makes message i oversized for a 20 kB topic limit. */
function* messages(topic: string, n: number, big: (i: number) => boolean = () => false): Generator<OutgoingMessage> {
  for (let i = 0; i < n; i++) {
    const key = `key-${i % 20}`;
    yield newMessage(topic, big(i) ? randomBytes(100_000) : `${key}:${i}`).withKey(key);
  }
}

describe('producer.writable() against the real broker', function () {
  this.timeout(120_000);
  let cm: ConnectionManager | undefined;
  afterEach(async () => {
    await cm?.close();
    cm = undefined;
  });

  it('pipeline() resolves after the broker acknowledged all of 30,000 keyed messages, each once, in order per key', async () => {
    cm = new ConnectionManager(testConfig());
    await cm.initialize();
    const topic = uniqueName('stream');
    await createTopic(topic, 6);
    const stream = cm.producer.writable();
    await pipeline(Readable.from(messages(topic, 30_000)), stream);
    assert.deepEqual([stream.delivered, stream.failed, stream.pending], [30_000, 0, 0]);
    const got = await readAll(topic, 30_000);
    assert.equal(got.length, 30_000);
    const last = new Map<string, number>();
    for (const m of got) {
      const [key, index] = m.value!.toString().split(':') as [string, string];
      assert.equal(m.key?.toString(), key);
      assert.ok(Number(index) > (last.get(key) ?? -1), `order of ${key}`);
      last.set(key, Number(index));
    }
    assert.equal(new Set(got.map((m) => m.value!.toString())).size, 30_000, 'no duplicates');
  });

  it('a message the broker rejects stops the pipeline with StreamDeliveryError naming it; what was delivered is on the topic', async () => {
    cm = new ConnectionManager(testConfig());
    await cm.initialize();
    const topic = uniqueName('streamfail');
    await createTopic(topic, 1, 1, { 'max.message.bytes': '20000' });
    const all = [...messages(topic, 3000, (i) => i === 500)];
    const stream = cm.producer.writable({ highWaterMark: 100 });
    // The oversized message is written once the 500 before it are acknowledged: otherwise, while
    // the producer still connects, librdkafka may put all of them in its first record batch, which
    // the broker refuses as a whole (then nothing is delivered, which is right but tests less).
    async function* paced(): AsyncGenerator<OutgoingMessage> {
      for (let i = 0; i < all.length; i++) {
        if (i === 500) {
          const deadline = Date.now() + 20_000;
          while (stream.delivered < 500) {
            if (Date.now() > deadline) throw new Error(`the first 500 were not acknowledged within 20 s (${stream.delivered})`);
            await new Promise((r) => setTimeout(r, 5));
          }
        }
        yield all[i]!;
      }
    }
    const source = Readable.from(paced());
    const error = await pipeline(source, stream).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof StreamDeliveryError, `StreamDeliveryError, got ${String(error)}`);
    assert.equal(error.code, 'GCK_STREAM_DELIVERY');
    // The broker refuses the whole record batch that holds it: its neighbours fail with it.
    const failed = error.failures as DeliveryError[];
    assert.ok(failed.some((f) => f.messageId === all[500]!.id), 'the oversized message is named');
    for (const f of failed) {
      assert.ok(f instanceof DeliveryError);
      assert.match(f.code, /GCK_KAFKA_MSG_SIZE_TOO_LARGE|GCK_KAFKA_RECORD_LIST_TOO_LARGE|GCK_KAFKA_INVALID_RECORD/);
    }
    assert.equal(stream.failed, failed.length);
    assert.ok(source.destroyed, 'the source was stopped');
    assert.equal(stream.pending, 0, 'nothing in flight when the error came');
    assert.equal(error.delivered, stream.delivered);
    // One more than delivered, with a short wait: the topic holds exactly the delivered ones.
    const got = await readAll(topic, stream.delivered + 1, 6000);
    assert.equal(got.length, stream.delivered, 'every delivered message is on the topic, and nothing else');
    const ids = new Set(all.map((m) => m.id));
    for (const f of failed) assert.ok(ids.delete(f.messageId!), 'each failure names a distinct written message');
    assert.ok(stream.delivered >= 500 && stream.delivered + failed.length <= all.length, `delivered ${stream.delivered}, failed ${failed.length}`);
  });

  it('a tiny local queue holds writes back (backpressure) and every message is delivered', async () => {
    cm = new ConnectionManager(testConfig({ librdkafka: { 'queue.buffering.max.messages': 10 } }));
    await cm.initialize();
    const topic = uniqueName('streamtinyq');
    await createTopic(topic, 2);
    const stream = cm.producer.writable({ highWaterMark: 16 });
    let drains = 0;
    stream.on('drain', () => drains++);
    await pipeline(Readable.from(messages(topic, 3000)), stream);
    assert.ok(drains > 0, 'write() returned false and the source waited for drain');
    assert.equal(stream.delivered, 3000);
    const got = await readAll(topic, 3000);
    assert.equal(got.length, 3000);
  });

  it('cm.close() during a pipeline ends it with an error, nothing in flight, every delivered message on the topic', async () => {
    cm = new ConnectionManager(testConfig());
    await cm.initialize();
    const topic = uniqueName('streamclose');
    await createTopic(topic, 3);
    const stream = cm.producer.writable();
    const running = pipeline(Readable.from(messages(topic, 2_000_000)), stream).then(() => undefined, (e: unknown) => e);
    while (stream.delivered < 20_000) await new Promise((r) => setTimeout(r, 20));
    await cm.close();
    cm = undefined;
    const error = await running;
    assert.ok(error instanceof StateError || error instanceof StreamDeliveryError, `ended with ${String(error)}`);
    assert.equal(stream.pending, 0, 'every handed-over message has its outcome');
    assert.ok(stream.delivered >= 20_000 && stream.delivered < 2_000_000);
    const got = await readAll(topic, stream.delivered, 60_000);
    assert.ok(got.length >= stream.delivered, `${got.length} on the topic, ${stream.delivered} delivered`);
  });
});
