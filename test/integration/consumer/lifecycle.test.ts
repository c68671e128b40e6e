import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer, HandlerRegistrationError, type ConsumedMessage } from '../../../src/consumer/index.js';
import { createTopic, testConfig, uniqueName } from '../helpers.js';
import { committedOffsets, highWatermarks, publishKeyed, waitUntil } from './util.js';

const keyed = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ key: `k${(from + i) % 20}`, value: `k${(from + i) % 20}:${from + i}:-` }));

describe('Consumer lifecycle: restart, AbortSignal, registration, stop during retries, idle', function () {
  this.timeout(120_000);
  let cm: ConnectionManager;
  const consumers: Consumer[] = [];
  beforeEach(async () => {
    cm = new ConnectionManager(testConfig({ retryBackoffMs: 20 }));
    await cm.initialize();
  });
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop();
    await cm.close();
  });
  const make = (...args: ConstructorParameters<typeof Consumer> extends [unknown, ...infer R] ? R : never) => {
    const c = new Consumer(cm, ...args);
    consumers.push(c);
    return c;
  };

  it('registerHandler: a second handler for the same topic and group is a HandlerRegistrationError', () => {
    const c = make();
    c.registerHandler({ topics: ['a', 'b'], groupId: 'g1', handle() {} });
    assert.throws(() => c.registerHandler({ topics: ['b'], groupId: 'g1', handle() {} }), (e: unknown) => e instanceof HandlerRegistrationError && /topic "b" in group "g1"/.test(e.message));
    assert.throws(() => c.registerHandler({ topics: ['c', 'a'], groupId: 'g1', workerModule: '/x.js' }), HandlerRegistrationError);
    // same topic in another group, or another topic in the same group: fine
    c.registerHandler({ topics: ['a'], groupId: 'g2', handle() {} });
    c.registerHandler({ topics: ['c'], groupId: 'g1', handle() {} });
    assert.throws(() => c.registerHandler({ topics: [], groupId: 'g3', handle() {} }), HandlerRegistrationError);
    assert.throws(() => c.registerHandler({ topics: ['d'], groupId: 'g3' }), HandlerRegistrationError);
    assert.throws(() => c.registerHandler({ topics: ['d'], groupId: 'g3', handle() {}, workerModule: '/x.js' }), HandlerRegistrationError);
  });

  it('start() with a worker module that cannot be loaded fails start(), cleanly', async () => {
    const c = make({ workers: 1 });
    c.registerHandler({ topics: [uniqueName('t')], groupId: uniqueName('g'), workerModule: '/nonexistent/handler.js' });
    await assert.rejects(c.start());
    assert.equal(c.state, 'idle');
  });

  it('stop() then start() again on the same Consumer', async () => {
    const topic = uniqueName('restart');
    const group = uniqueName('g');
    await createTopic(topic, 2);
    const seen: string[] = [];
    const c = make({ commitIntervalMs: 200 });
    c.registerHandler({ topics: [topic], groupId: group, handle: (m: ConsumedMessage) => void seen.push(m.text()!) });
    await publishKeyed(cm, topic, keyed(1000));
    await c.start();
    await waitUntil(() => seen.length >= 1000, 30_000, () => `first run ${seen.length}`);
    assert.equal(await c.stop(), true);
    assert.equal(c.state, 'idle');
    assert.equal(await c.stop(), true, 'stop() again is a no-op');
    const highs1 = await highWatermarks(cm, topic, 2);
    assert.deepEqual(await committedOffsets(cm, group, topic, 2), highs1, 'stop() committed everything');

    await publishKeyed(cm, topic, keyed(1000, 1000));
    await c.start();
    assert.equal(c.state, 'running');
    await waitUntil(() => seen.length >= 2000, 30_000, () => `second run ${seen.length}`);
    const [a, b] = await Promise.all([c.stop(), c.stop()]);
    assert.equal(a, true);
    assert.equal(b, true, 'concurrent stop() calls share one shutdown');
    assert.equal(seen.length, 2000, 'nothing handled twice across the restart');
    assert.equal(new Set(seen).size, 2000);
  });

  it('start(signal): aborting stops the consumer gracefully', async () => {
    const topic = uniqueName('abort');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    await publishKeyed(cm, topic, keyed(200));
    let n = 0;
    const c = make();
    c.registerHandler({ topics: [topic], groupId: group, handle: () => void n++ });
    const ac = new AbortController();
    await c.start(ac.signal);
    await waitUntil(() => n >= 200, 30_000, () => `handled ${n}`);
    ac.abort();
    await waitUntil(() => c.state === 'idle', 20_000, () => `state ${c.state}`);
    assert.deepEqual(await committedOffsets(cm, group, topic, 1), [200]);
    // an already aborted signal: start() does nothing
    await c.start(ac.signal);
    assert.equal(c.state, 'idle');
  });

  it('stop() while a message waits for its retry: bounded by stopTimeoutMs, its offset is not committed, a restart handles it', async () => {
    const topic = uniqueName('stopretry');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    await publishKeyed(cm, topic, [...keyed(10), { key: 'x', value: 'x:0:F' }, ...keyed(10, 10)]);
    let failing = true;
    const ok: string[] = [];
    const c = make({ retryBackoffMs: 60_000, stopTimeoutMs: 300 });
    c.registerHandler({
      topics: [topic],
      groupId: group,
      handle(m: ConsumedMessage) {
        if (failing && m.text() === 'x:0:F') throw new Error('not yet');
        ok.push(m.text()!);
      },
    });
    await c.start();
    await waitUntil(() => ok.length >= 20 && c.stats()[0]!.retried === 1, 30_000, () => `handled ${ok.length}`);
    const t0 = Date.now();
    assert.equal(await c.stop(), false, 'not drained: the retry was still waiting');
    assert.ok(Date.now() - t0 < 5000, `stop() took ${Date.now() - t0} ms`);
    assert.deepEqual(await committedOffsets(cm, group, topic, 1), [10], 'committed up to the waiting message, not past it');
    failing = false;
    await c.start();
    await waitUntil(() => ok.includes('x:0:F'), 30_000, () => 'the message runs again after the restart');
    await waitUntil(async () => (await committedOffsets(cm, group, topic, 1))[0] === 21, 20_000, () => 'committed to the end');
  });

  it('an idle consumer does not busy-loop', async () => {
    const topic = uniqueName('idle');
    await createTopic(topic, 3);
    const c = make();
    c.registerHandler({ topics: [topic], groupId: uniqueName('g'), handle() {} });
    await c.start();
    await delay(1000); // joined and assigned
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await delay(2000);
    const cpu = process.cpuUsage(cpu0);
    const share = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
    console.log(`      idle CPU: ${(share * 100).toFixed(1)}% of one core`);
    assert.ok(share < 0.1, `idle consumer uses ${(share * 100).toFixed(1)}% CPU`);
  });
});
