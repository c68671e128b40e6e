import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionManager } from '../../../src/client.js';
import { resolveConfig } from '../../../src/config/index.js';
import { Consumer } from '../../../src/consumer/consumer.js';
import { ConnectionError } from '../../../src/errors/index.js';
import { Registry } from 'prom-client';
import { ConsumerBinding, FakeConsumer, RefusedConnect, SlowConnect } from './fake-consumer.js';
import { RD } from '../../../src/errors/librdkafka.js';
import type { NativeError, NativeMessage } from '../../../src/native/types.js';

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

  it('handlerTimeoutMs: a hung handler run is retried (attempt 2 succeeds), the partition goes on, stats count it (issue 17 item 8)', async () => {
    const binding = new ConsumerBinding();
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], connectTimeoutMs: 1000 }), { binding });
    await cm.initialize();
    const consumer = new Consumer(cm, { stopTimeoutMs: 200, handlerTimeoutMs: 50, retryBackoffMs: 1, retryMax: 3 });
    const seen: string[] = [];
    consumer.registerHandler({
      topics: ['t'],
      groupId: 'g',
      handle(m) {
        seen.push(`${m.offset}@${m.attempt}`);
        return m.offset === 0 && m.attempt === 1 ? new Promise<void>(() => undefined) : undefined;
      },
    });
    await consumer.start();
    const fake = binding.consumers[0]!;
    fake.assign([{ topic: 't', partition: 0 }]);
    fake.append('t', 0, 3, (i) => `k${i}`);
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
