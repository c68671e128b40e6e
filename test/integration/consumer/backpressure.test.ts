import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer, type ConsumedMessage, type ConsumerOptions } from '../../../src/consumer/index.js';
import { createTopic, testConfig, uniqueName } from '../helpers.js';
import { committedOffsets, highWatermarks, orderViolation, parseRec, publishKeyed, recLine, waitUntil, type Rec } from './util.js';

describe('Consumer backpressure and ordering modes', function () {
  this.timeout(120_000);
  let cm: ConnectionManager;
  let consumer: Consumer | undefined;
  beforeEach(async () => {
    cm = new ConnectionManager(testConfig());
    await cm.initialize();
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await cm.close();
  });

  it('a slow handler: partitions pause, in-flight stays within the bounds, everything is processed', async () => {
    const topic = uniqueName('bp');
    const group = uniqueName('g');
    const PARTITIONS = 3;
    const N = 3000;
    await createTopic(topic, PARTITIONS);
    await publishKeyed(
      cm,
      topic,
      Array.from({ length: N }, (_, i) => ({ key: `k${i % 30}`, value: `k${i % 30}:${Math.floor(i / 30)}:-` })),
    );
    const opts: ConsumerOptions = { maxInFlightPerPartition: 60, maxInFlight: 120, fetchBatchSize: 50, taskBatchSize: 10, concurrency: 2 };
    const recs: Rec[] = [];
    consumer = new Consumer(cm, opts);
    consumer.registerHandler({
      topics: [topic],
      groupId: group,
      async handle(m: ConsumedMessage) {
        recs.push(parseRec(recLine(m, true)));
        await delay(1);
      },
    });
    await consumer.start();
    const g = consumer.groups[0]!;
    let maxInFlight = 0;
    let maxPending = 0;
    let pausedSeen = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      samples++;
      maxInFlight = Math.max(maxInFlight, g.inFlight);
      for (const p of g.partitionLoad) maxPending = Math.max(maxPending, p.pending);
      if (g.pausedPartitions.length > 0) pausedSeen++;
    }, 5);
    try {
      const highs = await highWatermarks(cm, topic, PARTITIONS);
      await waitUntil(
        async () => (await committedOffsets(cm, group, topic, PARTITIONS)).every((o, i) => o === highs[i]),
        90_000,
        () => `processed ${recs.length}`,
      );
    } finally {
      clearInterval(sampler);
    }
    console.log(`      ${samples} samples: paused in ${pausedSeen}; max in flight ${maxInFlight} (bound ${opts.maxInFlight}); max fetched-not-committed per partition ${maxPending}`);
    assert.ok(pausedSeen > 0, 'partitions were paused');
    assert.ok(maxInFlight > 0 && maxInFlight <= opts.maxInFlight!, `in flight ${maxInFlight}`);
    // a partition pauses once it reaches its bound; one fetch can overshoot by less than a batch
    assert.ok(maxPending < opts.maxInFlightPerPartition! + opts.fetchBatchSize!, `per partition ${maxPending}`);
    assert.equal(new Set(recs.map((r) => r.value)).size, N);
    assert.equal(recs.length, N);
    assert.equal(orderViolation(recs), undefined);
    assert.deepEqual(g.pausedPartitions, [], 'resumed when drained');
  });

  it("'unordered': the messages of one key run in parallel; everything once", async () => {
    const topic = uniqueName('unord');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    const N = 400;
    await publishKeyed(
      cm,
      topic,
      Array.from({ length: N }, (_, i) => ({ key: 'same', value: `same:${i}:-` })),
    );
    let running = 0;
    let maxRunning = 0;
    const done: string[] = [];
    consumer = new Consumer(cm, { ordering: 'unordered', concurrency: 4, taskBatchSize: 25 });
    consumer.registerHandler({
      topics: [topic],
      groupId: group,
      async handle(m: ConsumedMessage) {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await delay(2);
        running--;
        done.push(m.text()!);
      },
    });
    await consumer.start();
    await waitUntil(async () => (await committedOffsets(cm, group, topic, 1))[0] === N, 60_000, () => `done ${done.length}`);
    assert.equal(new Set(done).size, N);
    assert.equal(done.length, N);
    assert.ok(maxRunning > 1, `one key ran ${maxRunning} at once`);
  });

  it("'partition': one partition runs in offset order whatever the keys; partitions in parallel", async () => {
    const topic = uniqueName('bypart');
    const group = uniqueName('g');
    await createTopic(topic, 2);
    const N = 1000;
    await publishKeyed(
      cm,
      topic,
      Array.from({ length: N }, (_, i) => ({ key: `k${i % 50}`, value: `k${i % 50}:${Math.floor(i / 50)}:-` })),
    );
    const recs: Rec[] = [];
    const running = new Map<number, number>();
    let maxPerPartition = 0;
    let maxOverall = 0;
    consumer = new Consumer(cm, { ordering: 'partition', concurrency: 4, taskBatchSize: 20 });
    consumer.registerHandler({
      topics: [topic],
      groupId: group,
      async handle(m: ConsumedMessage) {
        recs.push(parseRec(recLine(m, true)));
        running.set(m.partition, (running.get(m.partition) ?? 0) + 1);
        maxPerPartition = Math.max(maxPerPartition, running.get(m.partition)!);
        maxOverall = Math.max(maxOverall, [...running.values()].reduce((a, b) => a + b, 0));
        await delay(1);
        running.set(m.partition, running.get(m.partition)! - 1);
      },
    });
    await consumer.start();
    const highs = await highWatermarks(cm, topic, 2);
    await waitUntil(async () => (await committedOffsets(cm, group, topic, 2)).every((o, i) => o === highs[i]), 60_000, () => `done ${recs.length}`);
    assert.equal(recs.length, N);
    assert.equal(maxPerPartition, 1, 'one message of a partition at a time');
    assert.equal(maxOverall, 2, 'the two partitions ran in parallel');
    for (const p of [0, 1]) {
      const offsets = recs.filter((r) => r.partition === p).map((r) => r.offset);
      assert.deepEqual(
        offsets,
        [...offsets].sort((a, b) => a - b),
        `partition ${p} in offset order`,
      );
    }
  });
});
