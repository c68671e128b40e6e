import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Consumer, type ConsumedMessage, type ConsumerOptions } from '../../../src/consumer/index.js';
import type { GroupHooks } from '../../../src/consumer/group/types.js';
import { InvalidArgumentError, StateError } from '../../../src/errors/base.js';
import { KafkaError } from '../../../src/errors/librdkafka.js';
import { blockThreadPool } from './thread-pool.js';
import type { BatchConsumerControl } from '../../../src/native/batch-consumer.js';
import type { NativeBatchConsumer, NativeTopicPartition } from '../../../src/native/types.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, uniqueName, useClient } from '../helpers.js';
import { committedOffsets, waitUntil } from './util.js';

/** One handling of a message. */
interface Handled {
  readonly partition: number;
  readonly offset: number;
}

/** A gate a handler awaits until the test opens it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const offsets = (hs: readonly Handled[], partition: number) => hs.filter((h) => h.partition === partition).map((h) => h.offset);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Issue 18 item 2: consumer control (pause/resume, seek, commitNow, position and lag) against the broker. */
describe('Consumer control: pause/resume, seek, commitNow, lag', function () {
  this.timeout(120_000);
  let consumer: Consumer | undefined;
  // Registered before useClient()'s: the consumer stops before its client closes.
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
  });
  const client = useClient();

  async function publish(topic: string, partition: number, n: number, key: (i: number) => string = () => 'k', timestamp?: (i: number) => number): Promise<void> {
    const msgs = range(0, n).map((i) => {
      const m = newMessage(topic, `${partition}:${i}`).withKey(key(i)).withPartition(partition);
      return timestamp === undefined ? m : m.withTimestamp(timestamp(i));
    });
    const out = await client.cm.producer.publishBatch(msgs);
    const bad = out.find((o) => !o.ok);
    if (bad) throw bad.error;
  }

  /** A started consumer of `topic` in `group` whose handler records what it handled (after `before`, awaited). */
  async function consume(topic: string, group: string, partitions: number, handled: Handled[], opts: ConsumerOptions = {}, before?: (m: ConsumedMessage) => Promise<void> | void, hooks: GroupHooks = {}): Promise<Consumer> {
    const c = new Consumer(client.cm, opts, hooks);
    consumer = c;
    c.registerHandler({
      topics: [topic],
      groupId: group,
      async handle(m: ConsumedMessage) {
        await before?.(m);
        handled.push({ partition: m.partition, offset: m.offset });
      },
    });
    await c.start();
    await waitUntil(() => c.groups[0]!.assignedCount === partitions, 30_000, () => `assigned ${c.groups[0]!.assignedCount} of ${partitions}`);
    return c;
  }

  it('pause(): no message of the partition while the others flow, also through backpressure cycles; resume(): they arrive; everything once', async () => {
    const topic = uniqueName('ctl-pause');
    const group = uniqueName('g');
    await createTopic(topic, 2);
    const handled: Handled[] = [];
    // A group bound of 10 in flight with a slow handler: fetching partition 1 pauses and resumes
    // every partition (backpressure) many times while partition 0 is paused by the application.
    const c = await consume(topic, group, 2, handled, { maxInFlight: 10, fetchBatchSize: 10, taskBatchSize: 5, concurrency: 1 }, () => delay(3));
    const native = c.groups[0]!.native!;
    const pauses: NativeTopicPartition[] = [];
    const resumes: NativeTopicPartition[] = [];
    const { pause, resume } = native;
    native.pause = (tps) => (pauses.push(...tps), pause.call(native, tps));
    native.resume = (tps) => (resumes.push(...tps), resume.call(native, tps));

    c.pause([{ topic, partition: 0 }]);
    assert.deepEqual(c.paused(), [{ groupId: group, topic, partition: 0 }]);
    await publish(topic, 0, 20);
    await publish(topic, 1, 100);
    await waitUntil(() => offsets(handled, 1).length === 100, 60_000, () => `partition 1: ${offsets(handled, 1).length} of 100`);
    assert.deepEqual(offsets(handled, 0), [], 'nothing of the paused partition');
    assert.ok(pauses.some((tp) => tp.partition === 1) && resumes.some((tp) => tp.partition === 1), 'backpressure paused and resumed partition 1');
    assert.ok(!resumes.some((tp) => tp.partition === 0), 'backpressure never resumed partition 0');
    const lag = await c.lag();
    assert.deepEqual(
      lag.map((l) => [l.partition, l.lag, l.pausedByUser]).sort(),
      [
        [0, 20, true],
        [1, 0, false],
      ],
    );

    c.resume([{ topic, partition: 0 }]);
    assert.deepEqual(c.paused(), []);
    await waitUntil(() => offsets(handled, 0).length === 20, 60_000, () => `partition 0: ${offsets(handled, 0).length} of 20`);
    assert.deepEqual(offsets(handled, 0), range(0, 20));
    assert.deepEqual(offsets(handled, 1), range(0, 100));
    assert.equal(await c.stop(), true);
    assert.deepEqual(await committedOffsets(client.cm, group, topic, 2), [20, 100]);
  });

  it('seek back: re-delivered from the target; commitNow (confirmed, visible to another client) reflects progress from the target', async () => {
    const topic = uniqueName('ctl-back');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    await publish(topic, 0, 10);
    const handled: Handled[] = [];
    const hold = gate();
    let seeked = false;
    let heldStarted = false;
    // One message per task: 4, 5 and 6 complete on their own while 7 is held (a task settles as a whole).
    const c = await consume(topic, group, 1, handled, { taskBatchSize: 1 }, async (m) => {
      if (seeked && m.offset === 7) {
        heldStarted = true;
        await hold.wait;
      }
    });
    await waitUntil(() => handled.length === 10, 30_000, () => `handled ${handled.length}`);
    assert.deepEqual(await c.commitNow(), [{ groupId: group, topic, partition: 0, offset: 10 }]);
    assert.deepEqual(await committedOffsets(client.cm, group, topic, 1), [10]);

    seeked = true;
    assert.equal(await c.seek({ topic, partition: 0, offset: 4 }), 4);
    await waitUntil(() => heldStarted && handled.length === 13, 30_000, () => `handled ${handled.length}`);
    // 4, 5, 6 done again and 7 running: the watermark counts from the target, below the earlier commit.
    assert.deepEqual(await c.commitNow(), [{ groupId: group, topic, partition: 0, offset: 7 }]);
    assert.deepEqual(await committedOffsets(client.cm, group, topic, 1), [7]);
    await waitUntil(() => c.position({ topic, partition: 0 }) === 10, 30_000, () => 'fetched up to the end again');
    hold.open();
    await waitUntil(() => handled.length === 16, 30_000, () => `handled ${handled.length}`);
    assert.deepEqual(offsets(handled, 0), [...range(0, 10), ...range(4, 10)]);
    assert.deepEqual(await c.commitNow(), [{ groupId: group, topic, partition: 0, offset: 10 }]);
    assert.deepEqual(await committedOffsets(client.cm, group, topic, 1), [10]);
  });

  it("seek to a timestamp lands at the first message at or after it; 'beginning' re-delivers everything", async () => {
    const topic = uniqueName('ctl-time');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    const base = Date.now() - 600_000;
    await publish(topic, 0, 10, () => 'k', (i) => base + i * 1000);
    const handled: Handled[] = [];
    const c = await consume(topic, group, 1, handled);
    await waitUntil(() => handled.length === 10, 30_000, () => `handled ${handled.length}`);
    assert.equal(await c.seek({ topic, partition: 0, timestamp: base + 5500 }), 6);
    await waitUntil(() => handled.length === 14, 30_000, () => `handled ${handled.length}`);
    assert.equal(await c.seek({ topic, partition: 0, timestamp: base + 6000 }), 6, 'exactly at a timestamp: that message');
    await waitUntil(() => handled.length === 18, 30_000, () => `handled ${handled.length}`);
    assert.equal(await c.seek({ topic, partition: 0, offset: 'beginning' }), 0);
    await waitUntil(() => handled.length === 28, 30_000, () => `handled ${handled.length}`);
    assert.deepEqual(offsets(handled, 0), [...range(0, 10), ...range(6, 10), ...range(6, 10), ...range(0, 10)]);
    assert.equal(await c.seek({ topic, partition: 0, timestamp: Date.now() + 60_000 }), 10, 'no message at or after the time: the end');
  });

  it("seek to 'end' while the partition's messages are queued behind a slow handler: they are never handled, nothing else is lost, the committed offsets are what was handled", async () => {
    const topic = uniqueName('ctl-end');
    const group = uniqueName('g');
    await createTopic(topic, 2);
    await publish(topic, 0, 30); // one key: 1..29 queue behind 0
    await publish(topic, 1, 30, (i) => `k${i % 7}`);
    const handled: Handled[] = [];
    const hold = gate();
    let started0 = false;
    // One message per task, so that 1..29 wait in their key's lane (a task already started runs all its messages).
    const c = await consume(topic, group, 2, handled, { taskBatchSize: 1 }, async (m) => {
      if (m.partition === 0 && m.offset === 0) {
        started0 = true;
        await hold.wait;
      }
    });
    const g = c.groups[0]!;
    await waitUntil(() => started0 && g.partitionLoad.find((p) => p.partition === 0)?.open === 30, 30_000, () => `partition 0 load ${JSON.stringify(g.partitionLoad)}`);
    assert.equal(await c.seek({ topic, partition: 0, offset: 'end' }), 30);
    assert.equal(g.partitionLoad.find((p) => p.partition === 0)?.open, 0, 'the queued messages were dropped');
    hold.open();
    await publish(topic, 0, 5);
    await waitUntil(() => offsets(handled, 0).length === 6 && offsets(handled, 1).length === 30, 30_000, () => `handled ${handled.length}`);
    assert.equal(await c.stop(), true);
    assert.deepEqual(offsets(handled, 0), [0, 30, 31, 32, 33, 34], 'the backlog 1..29 was skipped; 0 had started');
    assert.deepEqual(
      offsets(handled, 1).sort((a, b) => a - b),
      range(0, 30),
      'every message of the other partition once',
    );
    assert.deepEqual(await committedOffsets(client.cm, group, topic, 2), [35, 30]);
  });

  it('seek from onRebalance(assign), before the partition fetches: nothing comes from the committed offset, the replay from the target happens (asked again while librdkafka refuses it) and the committed offset after stop() reflects it', async () => {
    const topic = uniqueName('ctl-assign');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    const base = Date.now() - 600_000;
    await publish(topic, 0, 10, () => 'k', (i) => base + i * 1000);
    const first: Handled[] = [];
    const c1 = await consume(topic, group, 1, first);
    await waitUntil(() => first.length === 10, 30_000, () => `handled ${first.length}`);
    assert.equal(await c1.stop(), true);
    assert.deepEqual(await committedOffsets(client.cm, group, topic, 1), [10]);

    // Each run seeks back from the assignment's hook (the second by a timestamp) and is stopped
    // while `held` runs: the committed offset is the replay's watermark, below the one before.
    for (const [target, from, held] of [
      [{ offset: 3 }, 3, 8],
      [{ timestamp: base + 5500 }, 6, 7],
    ] as const) {
      const handled: Handled[] = [];
      const hold = gate();
      let seek: Promise<number> | undefined;
      const c = await consume(topic, group, 1, handled, { taskBatchSize: 1, stopTimeoutMs: 500 }, (m) => (m.offset === held ? hold.wait : undefined), {
        onRebalance: (_g, kind, tps) => {
          if (kind === 'assign' && tps.length > 0) seek = consumer!.seek({ topic, partition: 0, ...target });
        },
      });
      assert.ok(seek !== undefined, 'sought from the hook');
      assert.equal(await seek, from);
      await waitUntil(() => handled.length === held - from, 30_000, () => `handled ${JSON.stringify(offsets(handled, 0))}, paused ${JSON.stringify(c.groups[0]!.pausedPartitions)}`);
      assert.deepEqual(offsets(handled, 0), range(from, held), 'replayed from the target up to the held message');
      assert.equal(await c.stop(), false, 'stopped while the held message runs');
      hold.open();
      assert.deepEqual(await committedOffsets(client.cm, group, topic, 1), [held]);
    }
  });

  it('lag: every message counts until handled, then 0; position and watermarks per partition', async () => {
    const topic = uniqueName('ctl-lag');
    const group = uniqueName('g');
    await createTopic(topic, 2);
    await publish(topic, 0, 10);
    await publish(topic, 1, 10);
    const handled: Handled[] = [];
    const hold = gate();
    const c = await consume(topic, group, 2, handled, {}, () => hold.wait);
    const before = await c.lag();
    assert.deepEqual(
      before.map((l) => [l.groupId, l.partition, l.highWatermark, l.lag]).sort(),
      [
        [group, 0, 10, 10],
        [group, 1, 10, 10],
      ],
    );
    hold.open();
    await waitUntil(async () => (await c.lag()).every((l) => l.lag === 0), 30_000, () => `handled ${handled.length}`);
    const after = await c.lag();
    for (const l of after) {
      assert.equal(l.watermark, 10);
      assert.equal(l.position, 10);
      assert.equal(l.highWatermark, 10);
    }
    assert.equal(handled.length, 20);
  });

  /** A consumer of a fresh one-partition topic that handled its 10 messages. */
  async function tenHandled(prefix: string): Promise<{ topic: string; group: string; handled: Handled[]; c: Consumer }> {
    const topic = uniqueName(prefix);
    const group = uniqueName('g');
    await createTopic(topic, 1);
    await publish(topic, 0, 10);
    const handled: Handled[] = [];
    const c = await consume(topic, group, 1, handled);
    await waitUntil(() => handled.length === 10, 30_000, () => `handled ${handled.length}`);
    return { topic, group, handled, c };
  }

  type Settled = { ok: true; v: unknown } | { ok: false; e: unknown };
  /**
   * The outcomes of the calls `start` makes while every libuv pool thread is blocked (in open() of
   * a FIFO) for 1.5 s: a task queued then cannot start before a 300 ms timeout is over.
   */
  async function whilePoolHeld(start: () => Array<Promise<unknown>>): Promise<Settled[]> {
    const release = blockThreadPool();
    let pending: Array<Promise<Settled>> = [];
    try {
      pending = start().map((p) => p.then((v): Settled => ({ ok: true, v }), (e: unknown): Settled => ({ ok: false, e })));
      await delay(1500);
    } finally {
      await release();
    }
    return Promise.all(pending);
  }

  it('commitNow(timeout): the timeout runs from the call, not from when a busy libuv pool frees a thread (not sent: GCK_KAFKA__TIMED_OUT_QUEUE); the next commit works', async () => {
    const { topic, group, c } = await tenHandled('ctl-pool');
    // The commit used to start after the 1.5 s with a fresh 300 ms and succeed.
    const [settled] = await whilePoolHeld(() => [c.commitNow({ timeoutMs: 300 })]);
    const outcome = settled!.ok ? settled!.v : settled!.e;
    assert.ok(outcome instanceof KafkaError, `expected a KafkaError, got ${JSON.stringify(outcome)}`);
    assert.equal(outcome.code, 'GCK_KAFKA__TIMED_OUT_QUEUE');
    assert.match(outcome.message, /not sent: no libuv threadpool thread became free/);
    assert.deepEqual(await c.commitNow(), [{ groupId: group, topic, partition: 0, offset: 10 }]);
    assert.deepEqual(await committedOffsets(client.cm, group, topic, 1), [10]);
  });

  it('seek(timestamp), lag() and the addon committed / offsetsForTimes / metadata behind a busy libuv pool: not sent within their timeout (GCK_KAFKA__TIMED_OUT_QUEUE); nothing moved, and they work once the pool is free', async () => {
    const { topic, handled, c } = await tenHandled('ctl-pool-q');
    const native = c.groups[0]!.native! as NativeBatchConsumer & BatchConsumerControl;
    // Each used to run after the 1.5 s with a fresh timeout (committed, offsetsForTimes, watermarks, metadata) and answer.
    const [seek, lag, ...direct] = await whilePoolHeld(() => [
      c.seek({ topic, partition: 0, timestamp: 0 }, { timeoutMs: 300 }),
      c.lag({ timeoutMs: 300 }),
      new Promise((resolve, reject) => native.committed([{ topic, partition: 0 }], 300, (err, r) => (err ? reject(err) : resolve(r)))),
      new Promise((resolve, reject) => native.offsetsForTimes([{ topic, partition: 0, offset: 0 }], 300, (err, r) => (err ? reject(err) : resolve(r)))),
      new Promise((resolve, reject) => native.connect({ timeout: 300 }, (err, md) => (err ? reject(err) : resolve(md)))),
    ]);
    for (const [name, out, what] of [['seek', seek, 'queryWatermarkOffsets'], ['lag', lag, '(committed|queryWatermarkOffsets)']] as const) {
      assert.ok(!out!.ok && out!.e instanceof KafkaError, `${name}: expected a KafkaError, got ${JSON.stringify(out)}`);
      assert.equal((out!.e as KafkaError).code, 'GCK_KAFKA__TIMED_OUT_QUEUE', name);
      assert.match((out!.e as KafkaError).message, new RegExp(`${what} not sent: no libuv threadpool thread became free`), name);
    }
    // The addon's calls behind lag(), seek(timestamp) and the connect check, directly.
    for (const [out, what] of direct.map((o, i) => [o, ['committed', 'offsetsForTimes', 'metadata'][i]!] as const)) {
      assert.ok(!out.ok, `${what}: expected a failure, got ${JSON.stringify(out)}`);
      assert.equal((out.e as { code: number }).code, -166, `${what}: RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE`);
      assert.match((out.e as Error).message, new RegExp(`^${what} not sent`));
    }
    // Nothing moved: no seek, the partition still fetching; the calls answer now.
    await publish(topic, 0, 5);
    await waitUntil(() => handled.length === 15, 30_000, () => `handled ${handled.length}`);
    assert.deepEqual(offsets(handled, 0), range(0, 15));
    assert.equal((await c.lag({ timeoutMs: 5000 }))[0]!.highWatermark, 15);
    assert.equal(await c.seek({ topic, partition: 0, timestamp: 0 }, { timeoutMs: 5000 }), 0);
  });

  it('wrong partitions are typed errors: not assigned (StateError), unknown topic (InvalidArgumentError), not running (StateError)', async () => {
    const topic = uniqueName('ctl-err');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    const c = await consume(topic, group, 1, []);
    await assert.rejects(c.seek({ topic, partition: 3, offset: 0 }), (e: unknown) => e instanceof StateError && e.code === 'GCK_STATE');
    assert.throws(() => c.pause([{ topic, partition: 3 }]), StateError);
    assert.throws(() => c.pause([{ topic: 'not-consumed', partition: 0 }]), (e: unknown) => e instanceof InvalidArgumentError && e.context['argument'] === 'topic');
    await assert.rejects(c.seek({ topic, partition: 0, offset: 5 }), (e: unknown) => e instanceof InvalidArgumentError && e.context['argument'] === 'offset', 'past the end of an empty partition');
    await c.stop();
    assert.throws(() => c.position({ topic, partition: 0 }), StateError);
    await assert.rejects(c.commitNow(), StateError);
  });
});
