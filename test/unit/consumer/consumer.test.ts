import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionManager } from '../../../src/connection/index.js';
import { resolveConfig } from '../../../src/config/index.js';
import { Consumer } from '../../../src/consumer/consumer.js';
import { ConnectionError } from '../../../src/errors/index.js';
import { ConsumerBinding, FakeConsumer, RefusedConnect, SlowConnect } from './fake-consumer.js';

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
});
