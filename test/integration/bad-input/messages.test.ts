import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer, type ConsumedMessage } from '../../../src/consumer/index.js';
import { DeliveryError, GoCoffeeKafkaError, InvalidArgumentError } from '../../../src/errors/index.js';
import { newMessage, type DeliveryResult } from '../../../src/producer/index.js';
import { createTopic, testConfig, uniqueName } from '../helpers.js';
import { highWatermarks, waitUntil } from '../consumer/util.js';
import { escapeGuard, assertNoProblems, sleep } from './util.js';

/**
 * Issue 8 §3, messages: an oversized message (rejected locally by librdkafka, and by the broker
 * for a topic with a smaller max.message.bytes) is a typed DeliveryError GCK_KAFKA_MSG_SIZE_TOO_LARGE
 * and nothing is written; null and empty keys are delivered and consumed (null → any partition,
 * '' → a real, empty key hashed to one partition); malformed publish calls are typed errors.
 */
describe('Bad input: oversized messages, null and empty keys, malformed publish calls', function () {
  this.timeout(120_000);
  let cm: ConnectionManager;
  let guard: ReturnType<typeof escapeGuard>;
  before(async () => {
    guard = escapeGuard();
    cm = new ConnectionManager(testConfig({ clientId: 'bad-input-messages' }));
    await cm.initialize();
  });
  after(async () => {
    await cm.close();
    guard.dispose();
    assert.deepEqual(guard.escaped, [], 'nothing escaped as an unhandled rejection / uncaught exception');
  });

  async function expectTooLarge(p: Promise<DeliveryResult>): Promise<DeliveryError> {
    const err = await p.then(
      (r) => assert.fail(`expected GCK_KAFKA_MSG_SIZE_TOO_LARGE, got a delivery to ${r.topic}[${r.partition}]@${r.offset}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DeliveryError, `expected a DeliveryError, got ${String(err)}`);
    assert.equal(err.code, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE', err.message);
    assert.equal(err.retriable, false);
    assert.equal(err.attempts, 1, 'not retried');
    return err;
  }

  it('a message larger than message.max.bytes: DeliveryError GCK_KAFKA_MSG_SIZE_TOO_LARGE, nothing written, the producer keeps working', async () => {
    const topic = uniqueName('bad-oversized');
    await createTopic(topic, 1);
    const [before] = await highWatermarks(cm, topic, 1);
    const err = await expectTooLarge(cm.producer.publish(newMessage(topic, randomBytes(2 * 1024 * 1024)).withKey('big')));
    assert.equal(err.topic, topic);
    const ok = await cm.producer.publish(newMessage(topic, 'small').withKey('small'));
    assert.equal(ok.offset, before);
    assert.deepEqual(await highWatermarks(cm, topic, 1), [before! + 1], 'only the small message was written');
  });

  it('a message larger than the topic\'s max.message.bytes (rejected by the broker): DeliveryError GCK_KAFKA_MSG_SIZE_TOO_LARGE', async () => {
    const topic = uniqueName('bad-oversized-broker');
    await createTopic(topic, 1, 1, { 'max.message.bytes': '2048' });
    await expectTooLarge(cm.producer.publish(newMessage(topic, randomBytes(16 * 1024)).withKey('big')));
    assert.deepEqual(await highWatermarks(cm, topic, 1), [0]);
  });

  it('publishBatch with one oversized message: only that one fails, the others are delivered in order', async () => {
    const topic = uniqueName('bad-oversized-batch');
    await createTopic(topic, 1);
    const msgs = ['a', 'b', randomBytes(2 * 1024 * 1024), 'c'].map((v) => newMessage(topic, v).withKey('k'));
    const out = await cm.producer.publishBatch(msgs);
    assert.deepEqual(out.map((o) => o.ok), [true, true, false, true]);
    assert.equal((out[2]!.error as DeliveryError).code, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE');
    assert.deepEqual(out.filter((o) => o.ok).map((o) => o.result!.offset), [0, 1, 2]);
  });

  it('null and empty keys: both delivered and consumed; null → any partition, "" → one partition, kept as an empty key', async () => {
    const topic = uniqueName('bad-keys');
    const PARTITIONS = 3;
    await createTopic(topic, PARTITIONS);
    const N = 30;
    // Null keys are sticky-partitioned per linger window (sticky.partitioning.linger.ms): publish
    // them in rounds 25 ms apart so each round may land on another partition.
    const nullKey: DeliveryResult[] = [];
    for (let round = 0; round < 10; round++) {
      nullKey.push(...(await Promise.all(Array.from({ length: N / 10 }, (_, j) => cm.producer.publish(newMessage(topic, `null:${round * (N / 10) + j}`).withKey(null))))));
      await sleep(25);
    }
    const emptyKey = await Promise.all(Array.from({ length: N }, (_, i) => cm.producer.publish(newMessage(topic, `empty:${i}`).withKey(''))));
    const emptyBuffer = await Promise.all(Array.from({ length: 5 }, (_, i) => cm.producer.publish(newMessage(topic, `emptybuf:${i}`).withKey(Buffer.alloc(0)))));
    const nullPartitions = new Set(nullKey.map((r) => r.partition));
    const emptyPartitions = new Set(emptyKey.map((r) => r.partition));
    assert.ok(nullPartitions.size > 1, `null keys go to any partition (murmur2_random, sticky per linger window): partitions ${[...nullPartitions]}`);
    assert.equal(emptyPartitions.size, 1, `"" is a key: one partition, got ${[...emptyPartitions]}`);

    const seen = new Map<string, { key: Buffer | null; partition: number }>();
    const consumer = new Consumer(cm, {});
    consumer.registerHandler({
      topics: [topic],
      groupId: uniqueName('bad-keys-g'),
      handle(m: ConsumedMessage) {
        seen.set(m.text()!, { key: m.key, partition: m.partition });
      },
    });
    await consumer.start();
    try {
      await waitUntil(() => seen.size >= 2 * N + 5, 60_000, () => `consumed ${seen.size} of ${2 * N + 5}`);
    } finally {
      await consumer.stop();
    }
    for (let i = 0; i < N; i++) {
      assert.equal(seen.get(`null:${i}`)?.key, null, 'a null key is consumed as null');
      const e = seen.get(`empty:${i}`);
      assert.ok(e?.key !== null && e?.key?.length === 0, `"" is consumed as an empty key, got ${e?.key === null ? 'null' : JSON.stringify(e?.key)}`);
      assert.equal(e?.partition, emptyKey[i]!.partition);
    }
    console.log(`      [bad-input] null keys on partitions [${[...nullPartitions].sort()}]; "" keys on partition ${[...emptyPartitions][0]}; empty Buffer keys on [${[...new Set(emptyBuffer.map((r) => r.partition))].sort()}]`);
    emptyBufferKeys = emptyBuffer.map((r, i) => ({ partition: r.partition, consumed: seen.get(`emptybuf:${i}`)?.key ?? null }));
  });

  let emptyBufferKeys: Array<{ partition: number; consumed: Buffer | null }> = [];
  it('an empty Buffer key is an empty key too (like "")', function () {
    const problems: string[] = [];
    const asNull = emptyBufferKeys.filter((k) => k.consumed === null).length;
    if (asNull > 0) problems.push(`${asNull} of ${emptyBufferKeys.length} messages published with withKey(Buffer.alloc(0)) were consumed with a null key (node-rdkafka sends a zero-length Buffer key as no key)`);
    if (new Set(emptyBufferKeys.map((k) => k.partition)).size > 1) problems.push('they were spread over partitions like null keys');
    assertNoProblems(problems, 'an empty Buffer key is an empty key');
  });

  it('malformed publish calls are typed errors (InvalidArgumentError), never a crash or a silent no-op', async () => {
    const topic = uniqueName('bad-calls');
    const bad: Array<[string, () => unknown]> = [
      ['empty topic', () => newMessage('', 'v')],
      ['non-string topic', () => newMessage(42 as never, 'v')],
      ['numeric key', () => newMessage(topic, 'v').withKey(42 as never)],
      ['object key', () => newMessage(topic, 'v').withKey({} as never)],
      ['header value with a lone surrogate', () => newMessage(topic, 'v').withHeader('h', 'a\ud800b')],
      ['header name with a zero byte', () => newMessage(topic, 'v').withHeader('h\0x', 'v')],
      ['reserved header', () => newMessage(topic, 'v').withHeader('message_id', 'x')],
      ['negative partition', () => newMessage(topic, 'v').withPartition(-1)],
      ['NaN timestamp', () => newMessage(topic, 'v').withTimestamp(Number.NaN)],
    ];
    for (const [what, fn] of bad) assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && e.code === 'GCK_INVALID_ARGUMENT', what);
    await assert.rejects(cm.producer.publish({ topic, value: 'v' } as never), InvalidArgumentError);
    await assert.rejects(cm.producer.publishBatch('nope' as never), InvalidArgumentError);
    const outcomes = await cm.producer.publishBatch([newMessage(topic, 'v'), { topic } as never]);
    assert.equal(outcomes[1]!.ok, false);
    assert.ok(outcomes[1]!.error instanceof GoCoffeeKafkaError);
  });
});
