import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer, type ConsumedMessage, type OrderingMode } from '../../../src/consumer/index.js';
import { createTopic, readAll, testConfig, uniqueName } from '../helpers.js';
import { committedOffsets, headerMap, highWatermarks, orderViolation, parseRec, publishKeyed, recLine, topicSize, waitUntil, type Rec } from './util.js';

/**
 * Issue 4 §8: a poison message (its handler always throws) does not stop its partition: it is
 * retried retry_max times with backoff, parked in the dead-letter topic, and the partition's
 * offsets are committed past it.
 */
describe('A poison message does not stop its partition', function () {
  this.timeout(120_000);
  let cm: ConnectionManager;
  let consumer: Consumer | undefined;
  beforeEach(async () => {
    cm = new ConnectionManager(testConfig({ retryMax: 3, retryBackoffMs: 100 }));
    await cm.initialize();
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await cm.close();
  });

  async function run(ordering: OrderingMode) {
    const topic = uniqueName(`poison-${ordering}`);
    const group = uniqueName('g');
    await createTopic(topic, 1); // one partition: everything below is "the same partition"
    await createTopic(`${topic}.dlq`, 1);
    const KEYS = 10;
    const PER_KEY = 50;
    const POISON = 'k3:10:X';
    const items = [];
    for (let n = 0; n < PER_KEY; n++) for (let k = 0; k < KEYS; k++) items.push({ key: `k${k}`, value: `k${k}:${n}:${k === 3 && n === 10 ? 'X' : '-'}` });
    await publishKeyed(cm, topic, items);

    const recs: Rec[] = [];
    const errors: Error[] = [];
    consumer = new Consumer(cm, { ordering, taskBatchSize: 20 }, { onError: (e) => errors.push(e) });
    consumer.registerHandler({
      topics: [topic],
      groupId: group,
      handle(m: ConsumedMessage) {
        const t = process.hrtime.bigint();
        const poison = m.text() === POISON;
        recs.push(parseRec(recLine(m, !poison, t)));
        if (poison) throw new Error(`poison ${m.text()} attempt ${m.attempt}`);
      },
    });
    await consumer.start();
    const [high] = await highWatermarks(cm, topic, 1);
    await waitUntil(async () => (await committedOffsets(cm, group, topic, 1))[0] === high, 60_000, () => `committed past the poison (handled ${recs.length})`);
    const stats = consumer.stats()[0]!;
    await consumer.stop();

    // everything else handled, once each, in key order
    const ok = recs.filter((r) => r.ok);
    assert.equal(new Set(ok.map((r) => r.value)).size, items.length - 1);
    assert.equal(ok.length, items.length - 1);
    assert.equal(orderViolation(recs), undefined);
    // the poison: retry_max + 1 attempts, then the dead-letter topic
    const attempts = recs.filter((r) => r.value === POISON);
    assert.deepEqual(
      attempts.map((r) => r.attempt),
      [1, 2, 3, 4],
    );
    assert.equal(stats.deadLettered, 1);
    assert.equal(stats.retried, 3);
    assert.equal(await topicSize(cm, `${topic}.dlq`, 1), 1);
    const [d] = await readAll(`${topic}.dlq`, 1);
    const h = headerMap(d!.headers);
    assert.equal(d!.value!.toString(), POISON);
    assert.equal(h['dlq.original.topic'], topic);
    assert.equal(h['dlq.original.partition'], '0');
    assert.equal(h['dlq.original.offset'], String(attempts[0]!.offset));
    assert.equal(h['dlq.original.key'], 'k3');
    assert.equal(h['dlq.error.type'], 'Error');
    assert.equal(h['dlq.error.message'], `poison ${POISON} attempt 4`);
    assert.equal(h['dlq.attempts'], '4');
    const first = Date.parse(h['dlq.first.failure']!);
    const last = Date.parse(h['dlq.last.failure']!);
    // equal-jitter backoff: at least half of 100 + 200 + 400 ms between the first and last failure
    assert.ok(last - first >= 340, `first → last failure ${last - first} ms`);
    assert.deepEqual(errors, []);
    const lastAttempt = attempts[3]!.t;
    const poisonOffset = attempts[0]!.offset;
    return { recs, ok, lastAttempt, poisonOffset };
  }

  it("'key' mode: later messages of other keys in the same partition run while the poison is retried; its own key waits", async () => {
    const { ok, lastAttempt, poisonOffset } = await run('key');
    const later = ok.filter((r) => r.offset > poisonOffset);
    const otherKeysDuringRetries = later.filter((r) => r.key !== 'k3' && r.t < lastAttempt);
    assert.ok(otherKeysDuringRetries.length > 100, `other keys after the poison handled during its retries: ${otherKeysDuringRetries.length}`);
    const ownKeyLater = later.filter((r) => r.key === 'k3');
    assert.equal(ownKeyLater.length, 39);
    assert.ok(
      ownKeyLater.every((r) => r.t > lastAttempt),
      'k3 after the poison only once it is dead-lettered',
    );
  });

  it("'partition' mode: the partition waits for the poison's retries, then goes on past it", async () => {
    const { recs, ok, lastAttempt, poisonOffset } = await run('partition');
    const later = ok.filter((r) => r.offset > poisonOffset);
    assert.equal(later.length, 500 - 1 - poisonOffset);
    assert.ok(
      later.every((r) => r.t > lastAttempt),
      'strict partition order: nothing after the poison before it is dead-lettered',
    );
    // partition order: handlings sorted by time go through offsets in order
    const sorted = [...recs].sort((a, b) => (a.t < b.t ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.offset >= sorted[i - 1]!.offset, `offset ${sorted[i]!.offset} after ${sorted[i - 1]!.offset}`);
  });
});
