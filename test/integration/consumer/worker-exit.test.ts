import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer } from '../../../src/consumer/index.js';
import { createTopic, testConfig, uniqueName } from '../helpers.js';
import { committedOffsets, highWatermarks, listen, orderViolation, publishKeyed, topicSize, waitUntil } from './util.js';

const HANDLER = fileURLToPath(new URL('../../fixtures/handlers/recording.ts', import.meta.url));

/**
 * Issue 4 §8: a worker thread that exits mid-batch. The fixture handler calls process.exit(1) on
 * the first attempt of the messages flagged E; in a worker thread that ends only the thread.
 * piscina replaces the worker; the task's shared progress tells the consumer which messages were
 * done (kept), which one was running (a failed attempt, retried) and which never ran (re-run
 * without counting an attempt), so nothing is lost, nothing is dead-lettered and nothing that
 * succeeded runs again.
 */
describe('A worker thread that exits mid-batch', function () {
  this.timeout(120_000);
  let cm: ConnectionManager;
  let consumer: Consumer | undefined;
  beforeEach(async () => {
    cm = new ConnectionManager(testConfig({ retryMax: 2, retryBackoffMs: 20 }));
    await cm.initialize();
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await cm.close();
  });

  it('re-runs its messages in a replacement worker: nothing lost, nothing dead-lettered, nothing done twice', async () => {
    const topic = uniqueName('wexit');
    const group = uniqueName('g');
    const PARTITIONS = 3;
    const N = 20_000;
    await createTopic(topic, PARTITIONS);
    await createTopic(`${topic}.dlq`, 1);
    const exits = new Set([2_345, 9_876, 15_432]);
    const items = Array.from({ length: N }, (_, i) => {
      const key = `k${i % 100}`;
      return { key, value: `${key}:${Math.floor(i / 100)}:${exits.has(i) ? 'E' : '-'}` };
    });
    await publishKeyed(cm, topic, items);
    const highs = await highWatermarks(cm, topic, PARTITIONS);

    const rec = listen(topic);
    const errors: Error[] = [];
    consumer = new Consumer(cm, { workers: 2, taskBatchSize: 200 }, { onError: (e) => errors.push(e) });
    consumer.registerHandler({ topics: [topic], groupId: group, workerModule: HANDLER });
    try {
      await consumer.start();
      await waitUntil(
        async () => (await committedOffsets(cm, group, topic, PARTITIONS)).every((o, i) => o === highs[i]),
        60_000,
        () => `commits reach the end (handled ${rec.records.length})`,
      );
      const stats = consumer.stats()[0]!;
      await consumer.stop();
      await new Promise((r) => setTimeout(r, 100)); // last records in flight on the channel

      const ok = rec.records.filter((r) => r.ok);
      assert.equal(new Set(ok.map((r) => r.value)).size, N, 'every message succeeded');
      assert.equal(ok.length, N, 'no message succeeded twice: what a dead worker had finished was kept');
      assert.equal(orderViolation(rec.records), undefined);
      const exited = ok.filter((r) => r.flags === 'E');
      assert.equal(exited.length, exits.size);
      for (const r of exited) assert.equal(r.attempt, 2, `${r.value} ran again as attempt 2`);
      assert.equal(stats.taskErrors, exits.size, 'one task error per exit');
      assert.equal(stats.retried, exits.size);
      assert.equal(stats.deadLettered, 0);
      assert.equal(await topicSize(cm, `${topic}.dlq`, 1), 0, 'nothing dead-lettered');
      const threads = new Set(rec.records.map((r) => r.thread));
      assert.ok(threads.size >= 2 + exits.size, `replacement workers ran tasks (threads ${[...threads].join(',')})`);
      assert.equal(errors.length, exits.size);
      for (const e of errors) assert.match(e.message, /worker exited with code: 1/);
    } finally {
      rec.close();
    }
  });
});
