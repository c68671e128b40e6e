import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Consumer, PermanentError } from '../../../src/consumer/index.js';
import { DLQ_HEADERS } from '../../../src/consumer/dead-letter.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, readAll, uniqueName, useClient } from '../helpers.js';
import { waitUntil } from './util.js';

/** Issue 17 item 1: a dead-letter copy that can never be written as it is does not stall its partition. */
describe('Dead-letter copies too large for the dead-letter topic (real broker)', function () {
  this.timeout(120_000);
  const client = useClient();

  it('the broker refuses the full copy (max.message.bytes of the DLQ topic): a reduced copy with a reference is written, the original timestamp kept, the partition moves on', async () => {
    const topic = uniqueName('dlq-big');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    await createTopic(`${topic}.dlq`, 1, 1, { 'max.message.bytes': '3000' });
    const ts = Date.now() - 60_000;
    // incompressible (the producer compresses with lz4): the full dead-letter copy cannot fit in 3,000 bytes
    const big = newMessage(topic, randomBytes(20_000)).withKey('k-big').withHeader('trace', randomBytes(500).toString('hex')).withTimestamp(ts);
    const after = newMessage(topic, 'ok').withKey('k-ok');
    for (const r of await client.cm.producer.publishBatch([big, after])) assert.ok(r.ok, JSON.stringify(r));

    const handled: string[] = [];
    const errors: Error[] = [];
    const consumer = new Consumer(client.cm, { retryMax: 0 }, { onError: (e) => errors.push(e) });
    consumer.registerHandler({
      topics: [topic],
      groupId: group,
      handle(m) {
        const key = m.key?.toString() ?? '';
        if (key === 'k-big') throw new PermanentError('cannot handle the big one');
        handled.push(key);
      },
    });
    await consumer.start();
    try {
      await waitUntil(() => handled.includes('k-ok') && consumer.stats()[0]!.deadLettered === 1, 60_000, () => `handled ${handled.join(',')} stats ${JSON.stringify(consumer.stats())} errors ${errors.map((e) => e.message).join('; ')}`);
      assert.deepEqual(consumer.stats()[0]!.deadLetterBlocked, [], 'no partition left blocked');
    } finally {
      await consumer.stop();
    }
    const [dlq] = await readAll(`${topic}.dlq`, 1);
    assert.ok(dlq, 'the reduced copy is in the dead-letter topic');
    const h = new Map<string, string>();
    for (const o of dlq.headers ?? []) for (const [n, v] of Object.entries(o)) h.set(n, Buffer.from(v).toString());
    assert.equal(h.get(DLQ_HEADERS.truncated), 'value,headers');
    assert.equal(h.get(DLQ_HEADERS.timestamp), String(ts));
    assert.equal(h.get(DLQ_HEADERS.offset), '0');
    assert.equal(h.get(DLQ_HEADERS.errorType), 'PermanentError');
    assert.ok(!h.has('trace'), 'the original headers are left out of the reduced copy');
    assert.deepEqual(JSON.parse(dlq.value!.toString()), { topic, partition: 0, offset: 0, valueBytes: 20_000, keyBytes: 5, headers: 2 });
    assert.equal(dlq.key?.toString(), 'k-big');
  });
});
