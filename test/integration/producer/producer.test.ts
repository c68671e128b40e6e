import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ConnectionManager } from '../../../src/client.js';
import { newMessage } from '../../../src/producer/index.js';
import { ConnectionError, DeliveryError, StateError } from '../../../src/errors/index.js';
import { createTopic, readAll, testConfig, uniqueName } from '../helpers.js';

/**
 * Partitions of Java's default partitioner for 6 partitions: toPositive(Utils.murmur2(key)) % 6,
 * computed with org.apache.kafka.common.utils.Utils from kafka-clients 4.4.0 (the first six keys
 * are the vectors of Kafka's own UtilsTest.testMurmur2).
 */
const JAVA_MURMUR2_P6: ReadonlyArray<[string, number]> = [
  ['21', 0],
  ['foobar', 0],
  ['a-little-bit-long-string', 2],
  ['a-little-bit-longer-string', 5],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', 5],
  ['abc', 3],
  ['beverage-123', 2],
  ['task-42', 4],
  ['user-7', 2],
  ['gocoffee', 4],
];

describe('Producer against the real broker', function () {
  this.timeout(120_000);
  let cm: ConnectionManager;

  beforeEach(async () => {
    cm = new ConnectionManager(testConfig());
    await cm.initialize();
  });
  afterEach(async () => {
    await cm.close();
  });

  it('publish resolves with topic, partition and offset after the broker acknowledged', async () => {
    const topic = uniqueName('pub');
    await createTopic(topic, 3);
    const r = await cm.producer.publish(newMessage(topic, { hello: 'world' }).withKey('abc'));
    assert.equal(r.topic, topic);
    assert.equal(r.partition, 0); // Java: toPositive(murmur2('abc')) % 3 = 0
    assert.equal(r.offset, 0);
    assert.ok(r.messageId);
  });

  it('keys choose the partition exactly like the Java client (murmur2)', async () => {
    const topic = uniqueName('murmur');
    await createTopic(topic, 6);
    const results = await cm.producer.publishBatch(JAVA_MURMUR2_P6.map(([k]) => newMessage(topic, k).withKey(k)));
    results.forEach((o, i) => {
      assert.ok(o.ok, `message ${i} delivered`);
      assert.equal(o.result.partition, JAVA_MURMUR2_P6[i]![1], `key ${JAVA_MURMUR2_P6[i]![0]}`);
    });
  });

  it('keeps per-key order across 6 partitions (batch and concurrent single publishes)', async () => {
    const topic = uniqueName('order');
    await createTopic(topic, 6);
    const keys = Array.from({ length: 24 }, (_, i) => `entity-${i}`);
    const perKey = 150;
    const batch = [];
    for (let n = 0; n < perKey; n++) for (const k of keys) batch.push(newMessage(topic, `${k}:${n}`).withKey(k));
    const half = batch.length / 2;
    const [first, ...rest] = await Promise.all([
      cm.producer.publishBatch(batch.slice(0, half)),
      ...batch.slice(half).map((m) => cm.producer.publish(m)),
    ]);
    assert.ok(first!.every((o) => o.ok));
    assert.equal(rest.length, half);
    const got = await readAll(topic, batch.length);
    assert.equal(got.length, batch.length);
    const seen = new Map<string, number>();
    const partitionOf = new Map<string, number>();
    for (const m of got) {
      const [k, n] = m.value!.toString().split(':') as [string, string];
      const prev = seen.get(k) ?? -1;
      assert.equal(Number(n), prev + 1, `order of key ${k}`);
      seen.set(k, Number(n));
      const p = partitionOf.get(k);
      assert.ok(p === undefined || p === m.partition, `key ${k} stays on one partition`);
      partitionOf.set(k, m.partition);
    }
    assert.ok(new Set(partitionOf.values()).size > 1, 'keys spread over several partitions');
  });

  it('send(message, callback) reports every message once with its offset; per-key order holds; no state left', async () => {
    const topic = uniqueName('send');
    await createTopic(topic, 6);
    const keys = Array.from({ length: 20 }, (_, i) => `k-${i}`);
    const perKey = 500;
    const total = keys.length * perKey;
    const offsets = new Map<string, number>(); // partition:offset -> count
    let errors = 0;
    let calls = 0;
    const done = new Promise<void>((resolve) => {
      const cb = (err: Error | null, r?: { partition: number; offset: number }) => {
        if (err !== null) errors++;
        else {
          const id = `${r!.partition}:${r!.offset}`;
          offsets.set(id, (offsets.get(id) ?? 0) + 1);
        }
        if (++calls === total) resolve();
      };
      (async () => {
        for (let n = 0; n < perKey; n++) {
          for (const k of keys) {
            if (cm.producer.needsDrain) await cm.producer.drain();
            cm.producer.send(newMessage(topic, `${k}:${n}`).withKey(k), cb);
          }
        }
      })();
    });
    await done;
    assert.equal(errors, 0);
    assert.equal(calls, total);
    assert.equal(offsets.size, total, 'every acknowledgement names its own offset');
    assert.ok([...offsets.values()].every((c) => c === 1));
    const got = await readAll(topic, total);
    assert.equal(got.length, total);
    const seen = new Map<string, number>();
    for (const m of got) {
      const [k, n] = m.value!.toString().split(':') as [string, string];
      assert.equal(Number(n), (seen.get(k) ?? -1) + 1, `order of key ${k}`);
      seen.set(k, Number(n));
    }
    assert.equal(cm.producerEngine().inflightCount, 0);
  });

  it('id, headers and metadata travel to the consumer intact', async () => {
    const topic = uniqueName('envelope');
    await createTopic(topic, 1);
    const msg = newMessage(topic, Buffer.from([0, 1, 2, 255]))
      .withKey('beverage-123')
      .withId('123e4567-e89b-12d3-a456-426614174000')
      .withHeader('event_type', 'beverage.created')
      .withHeader('binary', Buffer.from([9, 8, 7]))
      .withMetadata('source', 'beverage-inventor-agent')
      .withMetadata('trace', 'x"y\\z');
    const r = await cm.producer.publish(msg);
    assert.equal(r.messageId, '123e4567-e89b-12d3-a456-426614174000');
    const reader = cm.getReader(topic, uniqueName('g'));
    assert.equal(cm.getReader(topic, reader.groupId), reader, 'readers are cached');
    await reader.connect();
    const [m] = await reader.read(10, 20_000);
    assert.ok(m);
    assert.equal(m.id, '123e4567-e89b-12d3-a456-426614174000');
    assert.deepEqual(m.metadata, { source: 'beverage-inventor-agent', trace: 'x"y\\z' });
    assert.equal(m.header('event_type'), 'beverage.created');
    assert.deepEqual(m.headers['binary'], Buffer.from([9, 8, 7]));
    assert.equal(m.keyString(), 'beverage-123');
    assert.deepEqual(m.value, Buffer.from([0, 1, 2, 255]));
    reader.commit([m]);
  });

  it('every message gets a generated id by default; with message_ids: false only messages that have one send it', async () => {
    const topic = uniqueName('ids');
    await createTopic(topic, 1);
    const auto = await cm.producer.publish(newMessage(topic, 'a'));
    assert.match(auto.messageId ?? '', /^[0-9a-f]{16}-[0-9a-z]+$/);
    const off = new ConnectionManager(testConfig({ messageIds: false }));
    await off.initialize();
    try {
      const none = await off.producer.publish(newMessage(topic, 'b'));
      assert.equal(none.messageId, undefined);
      const set = await off.producer.publish(newMessage(topic, 'c').withId('explicit-1'));
      assert.equal(set.messageId, 'explicit-1');
      const read = newMessage(topic, 'd');
      const readId = read.id; // read before publishing: the message has an id now, so it is sent
      assert.equal((await off.producer.publish(read)).messageId, readId);
    } finally {
      await off.close();
    }
    const got = await readAll(topic, 4);
    assert.deepEqual(got.map((m) => m.value!.toString()), ['a', 'b', 'c', 'd']);
    const idOf = (i: number) => {
      const h = (got[i]!.headers ?? []).find((x) => 'message_id' in x);
      return h === undefined ? undefined : String(h['message_id']);
    };
    assert.equal(idOf(0), auto.messageId);
    assert.equal(idOf(1), undefined);
    assert.equal((got[1]!.headers ?? []).length, 0, 'no header at all');
    assert.equal(idOf(2), 'explicit-1');
    assert.ok(idOf(3));
  });

  it('a batch with one oversized message: that one fails with a clear error, the rest are delivered', async () => {
    const topic = uniqueName('oversize');
    await createTopic(topic, 2);
    const big = Buffer.alloc(2_000_000, 1); // above librdkafka's message.max.bytes (1 MB)
    const msgs = [newMessage(topic, 'a').withKey('k'), newMessage(topic, big).withKey('k'), newMessage(topic, 'c').withKey('k')];
    const out = await cm.producer.publishBatch(msgs);
    assert.equal(out[0]!.ok, true);
    assert.equal(out[2]!.ok, true);
    const err = out[1]!.error;
    assert.ok(err instanceof DeliveryError, 'typed DeliveryError');
    assert.equal(err.code, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE');
    assert.equal(err.topic, topic);
    assert.equal(err.retriable, false);
    assert.match(err.message, /too large/i);
    const got = await readAll(topic, 2);
    assert.deepEqual(got.map((m) => m.value!.toString()).sort(), ['a', 'c']);
  });

  it("publishBatch(messages, { results: 'failures' }): the count, the oversized ones by index; exactly the others land, in per-key order", async () => {
    const topic = uniqueName('tally');
    await createTopic(topic, 3);
    const n = 5000;
    const big = Buffer.alloc(2_000_000, 1); // above librdkafka's message.max.bytes (1 MB)
    const msgs = Array.from({ length: n }, (_, i) => newMessage(topic, i === 10 || i === 4000 ? big : `v${i}`).withKey(`k${i % 7}`));
    const summary = await cm.producer.publishBatch(msgs, { results: 'failures' });
    assert.equal(summary.delivered, n - 2);
    assert.deepEqual(summary.failed.map((f) => f.index), [10, 4000]);
    for (const f of summary.failed) {
      assert.ok(f.error instanceof DeliveryError, String(f.error));
      assert.equal(f.error.code, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE');
      assert.equal(f.error.messageId, msgs[f.index]!.id);
    }
    assert.deepEqual(summary.possibleDuplicates, []);
    const got = await readAll(topic, n - 2);
    assert.equal(got.length, n - 2);
    const byKey = new Map<string, number[]>();
    for (const m of got) {
      const list = byKey.get(m.key!.toString()) ?? [];
      list.push(Number(m.value!.toString().slice(1)));
      byKey.set(m.key!.toString(), list);
    }
    for (const [key, seq] of byKey) assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `per-key order of ${key}`);
    assert.deepEqual([...byKey.values()].flat().sort((a, b) => a - b), msgs.map((_, i) => i).filter((i) => i !== 10 && i !== 4000));
  });

  it('the broker rejecting a message (topic max.message.bytes) fails only that message', async () => {
    const topic = uniqueName('brokerlimit');
    await createTopic(topic, 1, 1, { 'max.message.bytes': '20000' });
    const ok1 = await cm.producer.publish(newMessage(topic, 'small-1'));
    await assert.rejects(cm.producer.publish(newMessage(topic, randomBytes(100_000))), (e: unknown) => {
      assert.ok(e instanceof DeliveryError);
      assert.match(e.code, /GCK_KAFKA_MSG_SIZE_TOO_LARGE|GCK_KAFKA_RECORD_LIST_TOO_LARGE|GCK_KAFKA_INVALID_RECORD/);
      return true;
    });
    const ok2 = await cm.producer.publish(newMessage(topic, 'small-2'));
    assert.ok(ok2.offset > ok1.offset);
  });

  it('a tiny local queue never throws: publishes wait for room and everything is delivered', async () => {
    await cm.close();
    cm = new ConnectionManager(testConfig({ librdkafka: { 'queue.buffering.max.messages': 10 } }));
    await cm.initialize();
    const topic = uniqueName('tinyq');
    await createTopic(topic, 2);
    const n = 3000;
    const all = Array.from({ length: n }, (_, i) => cm.producer.publish(newMessage(topic, String(i)).withKey(`k${i % 7}`)));
    assert.equal(cm.producer.needsDrain, true, 'backpressure is visible');
    await cm.producer.drain();
    const results = await Promise.all(all);
    assert.equal(results.length, n);
    assert.equal(cm.producerEngine().inflightCount, 0, 'no per-message state left');
    assert.equal((await readAll(topic, n)).length, n);
  });

  it('close() flushes pending messages before disconnecting', async () => {
    const topic = uniqueName('closeflush');
    await createTopic(topic, 1);
    const n = 5000;
    const producer = cm.producer;
    const pending = Array.from({ length: n }, (_, i) => producer.publish(newMessage(topic, `m${i}`)));
    await cm.close();
    const results = await Promise.all(pending);
    assert.equal(results.length, n);
    assert.equal((await readAll(topic, n)).length, n);
    await cm.close(); // idempotent
    await assert.rejects(producer.publish(newMessage(topic, 'late')), StateError);
  });
});

describe('ConnectionManager lifecycle against the real broker', function () {
  this.timeout(60_000);

  it('an unreachable broker gives a clear error within connect_timeout', async () => {
    const cm = new ConnectionManager(testConfig({ brokers: ['127.0.0.1:1'], connectTimeoutMs: 1500 }));
    const t0 = Date.now();
    await assert.rejects(cm.initialize(), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.equal(e.code, 'GCK_CONNECT');
      assert.match(e.message, /127\.0\.0\.1:1/);
      assert.match(e.message, /connect|answer/i);
      return true;
    });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 1500 + 2000, `failed after ${elapsed} ms, connect_timeout 1500 ms`);
    assert.equal(cm.state, 'failed');
    await cm.close();
  });

  it('wrong-state calls get clear errors; concurrent initialize() calls share one; close() is idempotent', async () => {
    const cm = new ConnectionManager(testConfig());
    assert.throws(() => cm.getWriter('x'), (e: unknown) => e instanceof StateError && /getWriter\(\) is not allowed while ConnectionManager is created/.test(e.message));
    const [a, b] = [cm.initialize(), cm.initialize()];
    assert.equal(a, b);
    await Promise.all([a, b]);
    assert.equal(cm.state, 'ready');
    const topic = uniqueName('writer');
    await createTopic(topic, 1);
    const w = cm.getWriter(topic);
    assert.equal(cm.getWriter(topic), w, 'writers are cached');
    const r = await w.write('via writer', { key: 'k', metadata: { a: 'b' } });
    assert.equal(r.topic, topic);
    // A writer's batch in the summary form: an oversized entry is reported by its index, the others land.
    const summary = await w.writeBatch([{ value: 'w1', key: 'k' }, { value: Buffer.alloc(2_000_000, 1), id: 'too-big' }, { value: 'w2', key: 'k' }], { results: 'failures' });
    assert.equal(summary.delivered, 2);
    assert.deepEqual(summary.failed.map((f) => [f.index, (f.error as DeliveryError).code, (f.error as DeliveryError).messageId]), [[1, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE', 'too-big']]);
    assert.deepEqual((await readAll(topic, 3)).map((m) => m.value!.toString()), ['via writer', 'w1', 'w2']);
    await Promise.all([cm.close(), cm.close()]);
    assert.equal(cm.state, 'closed');
    await assert.rejects(cm.initialize(), StateError);
  });
});
