import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionManager } from '../../../src/client.js';
import { resolveConfig } from '../../../src/config/index.js';
import { Consumer } from '../../../src/consumer/consumer.js';
import { ConnectionError } from '../../../src/errors/index.js';
import { Registry } from 'prom-client';
import { ConsumerBinding, FakeConsumer, handlerTimeoutRun, RefusedConnect, SlowConnect } from './fake-consumer.js';
import { RD } from '../../../src/errors/librdkafka.js';
import type { NativeError, NativeMessage } from '../../../src/native/types.js';
import { BroadcastChannel } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const HANGING_FLUSH = fileURLToPath(new URL('../../fixtures/handlers/hanging-flush.ts', import.meta.url));

/** What a worker module posts on `gocoffee-test:<topic>` (test/fixtures/handlers/hanging-flush.ts). */
function listen(topic: string): { lines: string[]; close(): void } {
  const ch = new BroadcastChannel(`gocoffee-test:${topic}`);
  const lines: string[] = [];
  ch.onmessage = (e) => lines.push(String((e as MessageEvent).data));
  return { lines, close: () => ch.close() };
}

/** The values of every flush that settled (`flushed:<values>` lines). */
function flushedValues(lines: readonly string[]): Set<string> {
  return new Set(lines.filter((l) => l.startsWith('flushed:')).flatMap((l) => l.slice('flushed:'.length).split(',')));
}

/** Per value, the attempts its handler ran with, from `<value>@<attempt>` lines. */
function attemptsByValue(lines: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const l of lines) {
    const m = /^(.*)@(\d+)$/.exec(l);
    if (m !== null) (out[m[1]!] ??= []).push(Number(m[2]));
  }
  return out;
}

/** A consumer whose fetch fails with a fatal error once armed (librdkafka: fenced, protocol violation, ...). */
class FatalOnce extends FakeConsumer {
  armed = false;
  override consume(count: number, cb: (err: NativeError | null, messages: NativeMessage[]) => void): void {
    if (this.armed) {
      this.armed = false;
      this.consumeSizes.push(count);
      setImmediate(() => cb({ code: RD.ERR__FATAL, message: 'Fatal error: Broker: Static consumer fenced by other consumer', isFatal: true } as NativeError, []));
      return;
    }
    super.consume(count, cb);
  }
}

describe('Consumer with fake native consumers', () => {
  it('start(): when one group cannot connect, a group still connecting is disconnected once its connect completes (never left subscribed and unpolled)', async () => {
    // group "bad" fails at once; group "slow" is still inside its connect when start() stops the groups
    const binding = new ConsumerBinding((global) => (global['group.id'] === 'bad' ? new RefusedConnect(global) : new SlowConnect(global)));
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], connectTimeoutMs: 1000 }), { binding });
    const consumer = new Consumer(cm, { stopTimeoutMs: 100 });
    consumer.registerHandler({ topics: ['a'], groupId: 'slow', handle() {} });
    consumer.registerHandler({ topics: ['b'], groupId: 'bad', handle() {} });
    await assert.rejects(consumer.start(), ConnectionError);
    assert.equal(consumer.state, 'idle');
    await delay(SlowConnect.delayMs + 20);
    const slow = binding.consumers.find((c): c is FakeConsumer => c.global['group.id'] === 'slow')!;
    assert.ok(slow.calls.includes('connected'), 'the slow connect completed');
    assert.equal(slow.connected, false, 'disconnected, not left connected');
    assert.ok(!slow.calls.some((c) => c.startsWith('subscribe')), `never subscribed: ${slow.calls.join(', ')}`);
    assert.equal(slow.calls.at(-1), 'disconnect');
    assert.deepEqual(slow.consumeSizes, []);
    await cm.close();
  });

  it('metrics: a revoked partition\'s lag series is removed at the next scrape; a stopped consumer\'s group gauges are removed', async () => {
    const binding = new ConsumerBinding();
    const registry = new Registry();
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], connectTimeoutMs: 1000 }), { binding, telemetry: { metrics: registry } });
    await cm.initialize();
    const consumer = new Consumer(cm, { stopTimeoutMs: 200 });
    consumer.registerHandler({ topics: ['t'], groupId: 'g', handle() {} });
    await consumer.start();
    const fake = binding.consumers[0]!;
    fake.assign([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    fake.append('t', 0, 3);
    fake.append('t', 1, 3);
    await delay(150);
    const series = async (name: string) => (await registry.metrics()).split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes('group="g"'));
    const lag = async () => (await series('kafka_consumer_lag')).map((l) => /partition="(\d+)"/.exec(l)![1]).sort();
    assert.deepEqual(await lag(), ['0', '1']);
    fake.revoke([{ topic: 't', partition: 1 }]);
    await delay(100);
    assert.deepEqual(await lag(), ['0'], 'the revoked partition is no longer exported');
    assert.equal((await series('kafka_paused_partitions')).length, 1);
    await consumer.stop();
    assert.deepEqual(await lag(), []);
    assert.deepEqual(await series('kafka_paused_partitions'), [], 'no frozen gauges of a stopped consumer');
    await cm.close();
  });

  it('a fatal consumer error (issue 17 item 5): the consumer turns failed (not a silent stop that looks running), onError says it, health can see it, and stop() + start() make a new client', async () => {
    const binding = new ConsumerBinding((global) => new FatalOnce(global));
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], connectTimeoutMs: 1000 }), { binding });
    await cm.initialize();
    const errors: Error[] = [];
    const consumer = new Consumer(cm, { stopTimeoutMs: 200 }, { onError: (e) => errors.push(e) });
    const handled: number[] = [];
    consumer.registerHandler({ topics: ['t'], groupId: 'g', handle(m) { handled.push(m.offset); } });
    await consumer.start();
    const first = binding.consumers[0] as FatalOnce;
    first.assign([{ topic: 't', partition: 0 }]);
    first.append('t', 0, 2);
    await delay(100);
    assert.equal(consumer.state, 'running');
    first.armed = true;
    await delay(100);
    assert.equal(consumer.state, 'failed');
    assert.match(consumer.failure?.message ?? '', /fenced/);
    assert.ok(errors.some((e) => (e as { fatal?: boolean }).fatal === true && /fenced/.test(e.message)), 'onError got the fatal error');
    const fetchesAfter = first.consumeSizes.length;
    first.append('t', 0, 2);
    await delay(100);
    assert.equal(first.consumeSizes.length, fetchesAfter, 'no fetch after the fatal error');
    await consumer.stop();
    assert.equal(consumer.state, 'idle');
    assert.equal(consumer.failure, undefined);
    await consumer.start();
    assert.equal(binding.consumers.length, 2, 'a new native consumer');
    assert.equal(consumer.state, 'running');
    await consumer.stop();
    await cm.close();
  });

  it('stats() shows dispatch held by an infrastructure failure (heldLanes, oldestHeldMs, heldReason), until it recovers (issue 17 item 9)', async () => {
    const binding = new ConsumerBinding();
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], connectTimeoutMs: 1000 }), { binding });
    await cm.initialize();
    const consumer = new Consumer(cm, { stopTimeoutMs: 200, retryBackoffMs: 30, retryMax: 0 });
    let down = true;
    consumer.registerHandler({
      topics: ['t'],
      groupId: 'g',
      handle(m) {
        if (down && m.offset === 0) throw Object.assign(new Error('the Schema Registry is unreachable'), { name: 'RegistryError', retriable: true, infrastructure: true });
      },
    });
    await consumer.start();
    assert.deepEqual(pick(consumer.stats()[0]!), { heldHandlers: 0, heldLanes: 0, oldestHeldMs: 0, heldReason: '' });
    const fake = binding.consumers[0]!;
    fake.assign([{ topic: 't', partition: 0 }]);
    fake.append('t', 0, 2, (i) => `k${i}`);
    const end = Date.now() + 2000;
    while (consumer.stats()[0]!.heldLanes === 0 && Date.now() < end) await delay(5);
    await delay(40);
    const held = consumer.stats()[0]!;
    assert.equal(held.heldLanes, 1);
    assert.equal(held.heldHandlers, 0);
    assert.ok(held.oldestHeldMs >= 30, `held for ${held.oldestHeldMs} ms`);
    assert.equal(held.heldReason, 'RegistryError: the Schema Registry is unreachable');
    assert.equal(held.deadLettered, 0);
    down = false;
    while (consumer.stats()[0]!.heldLanes !== 0 && Date.now() < end + 2000) await delay(5);
    assert.deepEqual(pick(consumer.stats()[0]!), { heldHandlers: 0, heldLanes: 0, oldestHeldMs: 0, heldReason: '' });
    assert.equal(consumer.stats()[0]!.processed, 2);
    await consumer.stop();
    await cm.close();

    function pick(s: { heldHandlers: number; heldLanes: number; oldestHeldMs: number; heldReason: string }) {
      return { heldHandlers: s.heldHandlers, heldLanes: s.heldLanes, oldestHeldMs: s.oldestHeldMs, heldReason: s.heldReason };
    }
  });

  describe('handlerTimeoutMs with a worker module that exports flush() (real worker pool)', function () {
    this.timeout(20_000);

    /** A consumer on the fake binding over a one-worker pool of hanging-flush.ts; 3 messages in one task. */
    async function run(topic: string, flags: string[], until: (lines: string[]) => boolean) {
      const binding = new ConsumerBinding();
      const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], connectTimeoutMs: 1000 }), { binding });
      await cm.initialize();
      const errors: Error[] = [];
      const consumer = new Consumer(cm, { stopTimeoutMs: 200, handlerTimeoutMs: 300, retryBackoffMs: 1, retryMax: 3, workers: 1 }, { onError: (e) => errors.push(e) });
      consumer.registerHandler({ topics: [topic], groupId: 'g', workerModule: HANGING_FLUSH });
      const seen = listen(topic);
      try {
        await consumer.start();
        const fake = binding.consumers[0]!;
        fake.assign([{ topic, partition: 0 }]);
        fake.append(topic, 0, flags.length, (i) => `k${i}`, (i) => `k${i}:${i}:${flags[i]}`);
        const end = Date.now() + 10_000;
        while (!until(seen.lines) && Date.now() < end) await delay(20);
        await delay(100); // anything more would come now
        return { lines: [...seen.lines], stats: consumer.stats()[0]!, errors };
      } finally {
        seen.close();
        await consumer.stop();
        await cm.close();
      }
    }

    it('flush() that never settles: every message of the task fails with the flush timeout (one attempt each), not the first message alone', async () => {
      const { lines, stats, errors } = await run(`unit-flush-hang-${process.pid}`, ['-', 'F', '-'], (l) => flushedValues(l).size === 3);
      assert.deepEqual(attemptsByValue(lines), { 'k0:0:-': [1, 2], 'k1:1:F': [1, 2], 'k2:2:-': [1, 2] }, `lines: ${lines.join(' ')}`);
      assert.equal(stats.handlerTimeouts, 3, 'each message of the task was charged the timeout');
      assert.equal(stats.retried, 3);
      assert.equal(stats.deadLettered, 0);
      assert.equal(stats.processed, 3);
      assert.ok(errors.some((e) => (e as { code?: string }).code === 'GCK_HANDLER_TIMEOUT' && /flush\(\) did not settle within 300 ms/.test(e.message)), errors.map((e) => e.message).join('; '));
    });

    it('a handler that never settles in such a module: the running message is charged, not the task\'s first one', async () => {
      const { lines, stats } = await run(`unit-flush-handler-hang-${process.pid}`, ['-', 'H', '-'], (l) => flushedValues(l).size === 3);
      const attempts = attemptsByValue(lines);
      assert.deepEqual(attempts['k1:1:H'], [1, 2], `lines: ${lines.join(' ')}`);
      assert.ok(attempts['k0:0:-']!.every((a) => a === 1), `k0 was not charged: ${lines.join(' ')}`);
      assert.ok(attempts['k2:2:-']!.every((a) => a === 1), `k2 was not charged: ${lines.join(' ')}`);
      assert.equal(stats.handlerTimeouts, 1);
      assert.equal(stats.deadLettered, 0);
    });
  });

  it('handlerTimeoutMs: a hung handler run is retried (attempt 2 succeeds), the partition goes on, stats count it (issue 17 item 8)', async () => {
    const seen: string[] = [];
    const { cm, consumer } = await handlerTimeoutRun({}, (m) => {
      seen.push(`${m.offset}@${m.attempt}`);
      return m.offset === 0 && m.attempt === 1 ? new Promise<void>(() => undefined) : undefined;
    });
    const end = Date.now() + 3000;
    while (!seen.includes('0@2') && Date.now() < end) await delay(10);
    assert.ok(seen.includes('0@2'), `retried after the timeout: ${seen.join(' ')}`);
    assert.ok(seen.includes('1@1') && seen.includes('2@1'), 'other keys were not held');
    const [stats] = consumer.stats();
    assert.equal(stats!.handlerTimeouts, 1);
    assert.equal(stats!.deadLettered, 0);
    await consumer.stop();
    await cm.close();
  });
});
