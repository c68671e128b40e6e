import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Consumer } from '../../../src/consumer/index.js';
import { createTopic, readAll, uniqueName, useClient } from '../helpers.js';
import { byKey, committedOffsets, headerMap, highWatermarks, listen, orderViolation, publishKeyed, topicSize, waitUntil } from './util.js';

const HANDLER = fileURLToPath(new URL('../../fixtures/handlers/recording.ts', import.meta.url));

/**
 * Issue 4 §8, first test: 100,000 keyed messages over 6 partitions through the piscina pool (2
 * workers), some failing transiently, some permanently.
 */
describe('Consumer with a worker pool: 100,000 keyed messages, transient and permanent failures', function () {
  this.timeout(180_000);
  const client = useClient({ retryBackoffMs: 20 });

  it('handles every message at least once in per-key order, dead-letters exactly the permanent failures, commits to the end', async () => {
    const topic = uniqueName('pool');
    const group = uniqueName('g');
    const PARTITIONS = 6;
    const KEYS = 500;
    const PER_KEY = 200; // 100,000 messages
    await createTopic(topic, PARTITIONS);
    await createTopic(`${topic}.dlq`, 1);

    // value = key:seq:flags (see the fixture): T = one transient failure, U = two, P = permanent
    const items: Array<{ key: string; value: string }> = [];
    const expected = new Map<string, { ok: number[]; perm: number[] }>();
    let T = 0;
    let U = 0;
    let P = 0;
    for (let n = 0; n < PER_KEY; n++) {
      for (let k = 0; k < KEYS; k++) {
        const key = `k${k}`;
        const flag = (n * 7 + k) % 97 === 3 ? 'T' : (n * 11 + k) % 331 === 5 ? 'U' : (n * 13 + k) % 499 === 7 ? 'P' : '-';
        if (flag === 'T') T++;
        if (flag === 'U') U++;
        let e = expected.get(key);
        if (e === undefined) expected.set(key, (e = { ok: [], perm: [] }));
        if (flag === 'P') {
          P++;
          e.perm.push(n);
        } else e.ok.push(n);
        items.push({ key, value: `${key}:${n}:${flag}` });
      }
    }
    assert.ok(T > 500 && U > 100 && P > 100, `flags T=${T} U=${U} P=${P}`);
    const t0 = Date.now();
    await publishKeyed(client.cm, topic, items);
    const published = Date.now();

    const rec = listen(topic);
    const errors: Error[] = [];
    const consumer = new Consumer(client.cm, { workers: 2, commitIntervalMs: 500 }, { onError: (e) => errors.push(e) });
    consumer.registerHandler({ topics: [topic], groupId: group, workerModule: HANDLER });
    try {
      await consumer.start();
      const succeeded = () => rec.records.reduce((n, r) => n + (r.ok ? 1 : 0), 0);
      await waitUntil(() => succeeded() >= items.length - P, 120_000, () => `handled ${succeeded()} of ${items.length - P}`);
      const handled = Date.now();
      const highs = await highWatermarks(client.cm, topic, PARTITIONS);
      assert.equal(
        highs.reduce((a, b) => a + b, 0),
        items.length,
      );
      await waitUntil(
        async () => (await committedOffsets(client.cm, group, topic, PARTITIONS)).every((o, i) => o === highs[i]),
        20_000,
        () => 'committed offsets reach the end offsets',
      );
      const stats = consumer.stats()[0]!;
      assert.equal(await consumer.stop(), true, 'stopped with nothing in flight');
      console.log(
        `      publish ${published - t0} ms; consume ${handled - published} ms (${Math.round(((items.length - P) / (handled - published)) * 1000)} msg/s); ` +
          `retried ${stats.retried}, dead-lettered ${stats.deadLettered}, worker threads seen ${new Set(rec.records.map((r) => r.thread)).size}`,
      );

      // every non-permanent message succeeded exactly once (no re-delivery happens in this run),
      // in per-key order; transient ones after exactly 1 or 2 failed attempts.
      const keys = byKey(rec.records);
      for (const [key, e] of expected) {
        const list = keys.get(key) ?? [];
        assert.deepEqual(
          list.filter((r) => r.ok).map((r) => r.seq),
          e.ok,
          `successes of ${key} in handling order`,
        );
        for (const r of list) {
          if (r.flags === 'T') assert.ok(r.ok === r.attempt >= 2 && r.attempt <= 2, `${r.value} attempt ${r.attempt} ok=${r.ok}`);
          if (r.flags === 'U') assert.ok(r.ok === r.attempt >= 3 && r.attempt <= 3, `${r.value} attempt ${r.attempt} ok=${r.ok}`);
          if (r.flags === 'P') assert.ok(!r.ok && r.attempt === 1, `${r.value}: one attempt only`);
          if (r.flags === '-') assert.ok(r.ok && r.attempt === 1, `${r.value}: first attempt`);
        }
      }
      assert.equal(orderViolation(rec.records), undefined);
      assert.equal(rec.records.filter((r) => !r.ok).length, T + 2 * U + P, 'failed attempts');
      assert.ok(new Set(rec.records.map((r) => r.thread)).size === 2, 'ran on the 2 pool threads');
      assert.equal(stats.retried, T + 2 * U);
      assert.equal(stats.deadLettered, P);
      assert.equal(stats.processed, items.length);
      assert.equal(stats.inFlight, 0);

      // the dead-letter topic holds exactly the permanent failures, with their headers
      assert.equal(await topicSize(client.cm, `${topic}.dlq`, 1), P, 'nothing else in the dead-letter topic');
      const dlq = await readAll(`${topic}.dlq`, P);
      const permRecs = new Map(rec.records.filter((r) => r.flags === 'P').map((r) => [r.value, r]));
      assert.deepEqual(dlq.map((d) => d.value!.toString()).sort(), [...permRecs.keys()].sort());
      for (const d of dlq) {
        const h = headerMap(d.headers);
        const r = permRecs.get(d.value!.toString())!;
        assert.equal(h['dlq.original.topic'], topic);
        assert.equal(h['dlq.original.partition'], String(r.partition));
        assert.equal(h['dlq.original.offset'], String(r.offset));
        assert.equal(h['dlq.original.key'], r.key);
        assert.equal(d.key!.toString(), r.key, 'the original key is kept');
        assert.equal(h['dlq.error.type'], 'PermanentError');
        assert.equal(h['dlq.error.message'], `permanent ${r.value}`);
        assert.equal(h['dlq.attempts'], '1');
        assert.equal(h['dlq.consumer.group'], group);
        const first = Date.parse(h['dlq.first.failure']!);
        const last = Date.parse(h['dlq.last.failure']!);
        assert.ok(first >= t0 && first <= last && last <= Date.now(), `failure times ${h['dlq.first.failure']} .. ${h['dlq.last.failure']}`);
      }
      assert.deepEqual(errors, []);
    } finally {
      rec.close();
      await consumer.stop();
    }
  });
});
