import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer, type ConsumedMessage } from '../../../src/consumer/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, testConfig, uniqueName } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';

/** Issue 14 item 5: header values are bytes end to end on the batch engine (node-rdkafka cut them at NUL and replaced invalid UTF-8). */
describe('binary header values round-trip through publish() and the Consumer', function () {
  this.timeout(60_000);

  it('any bytes (NUL, invalid UTF-8, empty, 64 KiB) and a string with NUL arrive byte-exact, repeated names in order', async () => {
    const cm = new ConnectionManager(testConfig());
    await cm.initialize();
    const topic = uniqueName('binhdr');
    await createTopic(topic, 2);
    const cases: Array<Array<[string, Buffer | string]>> = [
      [['bin', Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x00])]],
      [['nul-text', 'a\0b\0'], ['empty', Buffer.alloc(0)]],
      [['big', randomBytes(64 * 1024)], ['dup', Buffer.from([1])], ['dup', Buffer.from([0, 2])]],
      [['utf8', 'héllo ☕'], ['random', randomBytes(37)]],
    ];
    const sent = cases.map((headers, i) => {
      const m = newMessage(topic, `v${i}`).withKey(`k${i}`).withId(`id-${i}`);
      for (const [name, value] of headers) m.withHeader(name, value);
      return m;
    });
    const outcomes = await cm.producer.publishBatch(sent);
    assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes.filter((o) => !o.ok)));

    const got = new Map<string, ConsumedMessage['headerList']>();
    const consumer = new Consumer(cm);
    consumer.registerHandler({ topics: [topic], groupId: uniqueName('g'), handle(m: ConsumedMessage) { got.set(m.id!, m.headerList); } });
    await consumer.start();
    try {
      await waitUntil(() => got.size === cases.length, 30_000, () => `every message consumed (${got.size} of ${cases.length})`);
    } finally {
      await consumer.stop();
      await cm.close();
    }
    cases.forEach((headers, i) => {
      const list = got.get(`id-${i}`)!;
      const own = list.filter(([name]) => headers.some(([n]) => n === name));
      assert.deepEqual(
        own.map(([name, value]) => [name, Buffer.from(value as Uint8Array).toString('hex')]),
        headers.map(([name, value]) => [name, Buffer.from(value).toString('hex')]),
        `message ${i}`,
      );
    });
  });
});
