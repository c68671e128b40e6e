import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/client.js';
import { newMessage } from '../../../src/producer/index.js';
import { DeliveryError } from '../../../src/errors/index.js';
import { createTopic, readAll, testConfig, uniqueName } from '../helpers.js';

/** A consumed message's headers (node-rdkafka's shape) as [name, bytes as hex] pairs. */
function headerPairs(headers: ReadonlyArray<Record<string, unknown>> | undefined): Array<[string, string]> {
  return (headers ?? []).flatMap((h) => Object.entries(h).map(([k, v]): [string, string] => [k, Buffer.from(v as Buffer | string).toString('hex')]));
}

describe('createBatch() / sendBatch() against the real broker', function () {
  this.timeout(120_000);
  let cm: ConnectionManager;

  beforeEach(async () => {
    cm = new ConnectionManager(testConfig());
    await cm.initialize();
  });
  afterEach(async () => {
    await cm.close();
  });

  it('5,000 keyed messages, two oversized: the count, those two by index with their ids; exactly the others land, in per-key order', async () => {
    const topic = uniqueName('packed');
    await createTopic(topic, 3);
    const n = 5000;
    const big = Buffer.alloc(2_000_000, 1); // above librdkafka's message.max.bytes (1 MB)
    const batch = cm.producer.createBatch();
    for (let i = 0; i < n; i++) batch.add(topic, `k${i % 7}`, i === 10 || i === 4000 ? big : `v${i}`);
    assert.equal(batch.length, n);
    const summary = await cm.producer.sendBatch(batch);
    assert.equal(summary.delivered, n - 2);
    assert.deepEqual(summary.failed.map((f) => f.index), [10, 4000]);
    for (const f of summary.failed) {
      assert.ok(f.error instanceof DeliveryError, String(f.error));
      assert.equal(f.error.code, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE');
      assert.equal(f.error.topic, topic);
      assert.match(f.error.messageId ?? '', /^[0-9a-f]{16}-[0-9a-z]+$/, 'the generated id of the refused message');
    }
    assert.deepEqual(summary.possibleDuplicates, []);
    assert.equal(cm.producerEngine().inflightCount, 0, 'nothing left in flight');
    const got = await readAll(topic, n - 2);
    assert.equal(got.length, n - 2);
    const byKey = new Map<string, number[]>();
    const ids = new Set<string>();
    for (const m of got) {
      const list = byKey.get(m.key!.toString()) ?? [];
      list.push(Number(m.value!.toString().slice(1)));
      byKey.set(m.key!.toString(), list);
      const [idHeader] = headerPairs(m.headers as never);
      assert.equal(idHeader![0], 'message_id');
      ids.add(idHeader![1]);
    }
    assert.equal(ids.size, n - 2, 'every message has its own id');
    for (const [key, seq] of byKey) assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `per-key order of ${key}`);
    assert.deepEqual([...byKey.values()].flat().sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i).filter((i) => i !== 10 && i !== 4000));
  });

  it('every field arrives as added: binary key and headers, a null value, partition, timestamp, the id given', async () => {
    const topic = uniqueName('packedfields');
    await createTopic(topic, 3);
    const batch = cm.producer.createBatch();
    const bin = Buffer.from([0, 1, 0xfe, 0xff, 0]);
    batch.add(topic, bin, null, { partition: 2, timestamp: 1_700_000_000_123, id: 'given-id', headers: [['bin', bin], ['text', 'héllo'], ['text', 'again']] });
    batch.add(topic, null, { json: [1, 2] }, { partition: 1 });
    assert.deepEqual(await cm.producer.sendBatch(batch), { delivered: 2, failed: [], possibleDuplicates: [] });
    const got = await readAll(topic, 2);
    const first = got.find((m) => m.partition === 2)!;
    const second = got.find((m) => m.partition === 1)!;
    assert.deepEqual(first.key, bin);
    assert.equal(first.value, null);
    assert.equal(first.timestamp, 1_700_000_000_123);
    assert.deepEqual(headerPairs(first.headers as never), [
      ['message_id', Buffer.from('given-id').toString('hex')],
      ['bin', bin.toString('hex')],
      ['text', Buffer.from('héllo').toString('hex')],
      ['text', Buffer.from('again').toString('hex')],
    ]);
    assert.equal(second.key ?? null, null, 'no key');
    assert.equal(second.value!.toString(), '{"json":[1,2]}');
  });

  it('a tiny local queue: packed batches and publish() between them wait for room; everything lands, in per-key order', async () => {
    await cm.close();
    cm = new ConnectionManager(testConfig({ librdkafka: { 'queue.buffering.max.messages': 10 } }));
    await cm.initialize();
    const topic = uniqueName('packedtinyq');
    await createTopic(topic, 2);
    const sends: Array<Promise<unknown>> = [];
    let seq = 0;
    for (let round = 0; round < 3; round++) {
      const batch = cm.producer.createBatch();
      for (let i = 0; i < 1500; i++, seq++) batch.add(topic, `k${seq % 5}`, String(seq));
      sends.push(cm.producer.sendBatch(batch).then((s) => assert.deepEqual([s.delivered, s.failed.length], [1500, 0])));
      for (let i = 0; i < 20; i++, seq++) sends.push(cm.producer.publish(newMessage(topic, String(seq)).withKey(`k${seq % 5}`)));
    }
    assert.equal(cm.producer.needsDrain, true, 'backpressure is visible');
    await Promise.all(sends);
    assert.equal(cm.producerEngine().inflightCount + cm.producerEngine().waitingCount, 0);
    const got = await readAll(topic, seq);
    assert.equal(got.length, seq);
    const byKey = new Map<string, number[]>();
    for (const m of got) byKey.set(m.key!.toString(), [...(byKey.get(m.key!.toString()) ?? []), Number(m.value!.toString())]);
    for (const [key, s] of byKey) assert.deepEqual(s, [...s].sort((a, b) => a - b), `per-key order of ${key}`);
  });
});
