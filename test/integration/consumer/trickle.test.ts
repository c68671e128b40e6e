import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer } from '../../../src/consumer/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, testConfig, uniqueName } from '../helpers.js';
import { waitUntil } from './util.js';

/**
 * node-rdkafka's consume(n) waits its timeout per message, so a consumer asking for 1000 messages
 * on a topic that receives one every 25 ms would wait for the batch to fill (25 s). The consumer
 * and the Reader must hand over each message as it arrives. (A functional bound, not a speed
 * target: seconds against tens of seconds.)
 */
describe('a trickling topic is consumed as messages arrive', function () {
  this.timeout(60_000);

  it('Consumer and Reader', async () => {
    const cm = new ConnectionManager(testConfig());
    await cm.initialize();
    const topic = uniqueName('trickle');
    await createTopic(topic, 1);
    const handledAt = new Map<string, number>();
    const consumer = new Consumer(cm, { fetchBatchSize: 1000, fetchWaitMs: 100 });
    consumer.registerHandler({ topics: [topic], groupId: uniqueName('g'), handle: (m) => void handledAt.set(m.text()!, Date.now()) });
    const reader = cm.getReader(topic, uniqueName('r'));
    try {
      await consumer.start();
      await reader.connect();
      const sentAt = new Map<string, number>();
      for (let i = 0; i < 200; i++) {
        const v = `t${i}`;
        sentAt.set(v, Date.now());
        await cm.producer.publish(newMessage(topic, v));
        await delay(25);
      }
      await waitUntil(() => handledAt.size === 200, 30_000, () => `handled ${handledAt.size}/200`);
      const worst = Math.max(...[...sentAt].map(([v, t]) => handledAt.get(v)! - t));
      // publishing takes ~5 s: waiting for a full batch would hand the first message over after ~5 s
      assert.ok(worst < 2500, `slowest hand-over ${worst} ms`);
      const t0 = Date.now();
      const got = [];
      while (got.length < 200 && Date.now() - t0 < 15_000) got.push(...(await reader.read(1000, 2000)));
      assert.equal(got.length, 200);
      assert.ok(Date.now() - t0 < 10_000, `reader took ${Date.now() - t0} ms`);
    } finally {
      await consumer.stop();
      await cm.close();
    }
  });
});
