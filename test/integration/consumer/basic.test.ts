import assert from 'node:assert/strict';
import { Consumer, PermanentError, type ConsumedMessage } from '../../../src/consumer/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, readAll, uniqueName, useClient } from '../helpers.js';
import { describeEachProtocol } from './protocols.js';
import { waitUntil, committedOffsets, highWatermarks } from './util.js';

// The per-key ordering test, under both group protocols (issue 18 item 5).
describeEachProtocol('Consumer (in-process handlers) against the real broker', function (protocol) {
  this.timeout(120_000);
  const client = useClient({ retryBackoffMs: 20, groupProtocol: protocol });

  it('handles keyed messages in per-key order, retries transient failures, dead-letters permanent ones, commits to the end', async () => {
    const topic = uniqueName('cons');
    const group = uniqueName('g');
    await createTopic(topic, 3);
    const keys = 30;
    const perKey = 100;
    const msgs = [];
    for (let n = 0; n < perKey; n++) {
      for (let k = 0; k < keys; k++) {
        const flag = n % 37 === 5 ? 'T' : n === 50 && k % 10 === 0 ? 'P' : '-';
        msgs.push(newMessage(topic, `k${k}:${n}:${flag}`).withKey(`k${k}`));
      }
    }
    const out = await client.cm.producer.publishBatch(msgs);
    assert.ok(out.every((o) => o.ok));

    const seen = new Map<string, number>();
    let handled = 0;
    const consumer = new Consumer(client.cm, { taskBatchSize: 50 });
    consumer.registerHandler({
      topics: [topic],
      groupId: group,
      handle(m: ConsumedMessage) {
        const [k, n, flag] = m.text()!.split(':') as [string, string, string];
        if (flag === 'T' && m.attempt < 3) throw new Error(`transient ${k}:${n}`);
        if (flag === 'P') throw new PermanentError(`permanent ${k}:${n}`);
        const prev = seen.get(k) ?? -1;
        assert.ok(Number(n) > prev, `order for ${k}: ${n} after ${prev}`);
        seen.set(k, Number(n));
        handled++;
      },
    });
    await consumer.start();
    const permanent = msgs.length / perKey / 10;
    await waitUntil(() => handled >= msgs.length - permanent, 60_000, () => `handled ${handled}`);
    const highs = await highWatermarks(client.cm, topic, 3);
    await waitUntil(async () => {
      const c = await committedOffsets(client.cm, group, topic, 3);
      return c.every((o, i) => o === highs[i]);
    }, 20_000, () => 'committed offsets reach the end');
    const stats = consumer.stats()[0]!;
    assert.equal(stats.deadLettered, permanent);
    // The engine's slab counters: every consumed message came in a slab bounded by fetchBatchSize.
    const e = stats.engine!;
    assert.ok(e.slabs > 0 && e.messages >= msgs.length, `engine ${JSON.stringify(e)}`);
    assert.ok(e.maxSlabMessages > 0 && e.messages <= e.slabs * e.maxSlabMessages, `engine ${JSON.stringify(e)}`);
    assert.ok(e.slabBytes >= e.maxSlabBytes && e.maxSlabBytes > 0, `engine ${JSON.stringify(e)}`);
    assert.ok(stats.retried >= 2 * keys * 3, `retried ${stats.retried}`);
    assert.equal(await consumer.stop(), true);
    const dlq = await readAll(`${topic}.dlq`, permanent);
    assert.equal(dlq.length, permanent);
    for (const d of dlq) {
      const h = Object.fromEntries(d.headers!.map((x) => Object.entries(x)[0]!).map(([k, v]) => [k, v.toString()]));
      assert.equal(h['dlq.original.topic'], topic);
      assert.match(d.value!.toString(), /:50:P$/);
      assert.equal(h['dlq.error.type'], 'PermanentError');
      assert.match(h['dlq.error.message']!, /^permanent k\d+:50$/);
      assert.equal(h['dlq.attempts'], '1');
      assert.ok(Number(h['dlq.original.offset']) >= 0);
      assert.equal(h['dlq.original.key'], d.key!.toString());
      assert.ok(!Number.isNaN(Date.parse(h['dlq.first.failure']!)));
    }
  });
});
