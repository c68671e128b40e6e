import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { StateError } from '../../../../src/errors/base.js';
import { CloseRevokes, ErrorAfterWakeUp, SlowConnect } from '../fake-consumer.js';
import { build, ManualExecutor, openSum, setup, started, until } from './harness.js';

describe('GroupConsumer with a fake native consumer', () => {
  afterEach(async () => {
    for (const g of started.splice(0)) await g.stop(100).catch(() => undefined); // after a failed test
  });

  it('backpressure: never fetches past maxInFlight, pauses partitions at their bound, resumes when drained', async () => {
    const { g, native, exec, errors } = await setup({ maxInFlightPerPartition: 10, maxInFlight: 15, fetchBatchSize: 8, taskBatchSize: 4 }, 2);
    native.append('t', 0, 40);
    native.append('t', 1, 40);
    native.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    await until(() => g.inFlight >= 15, 'fills up to maxInFlight');
    await delay(30);
    assert.equal(g.inFlight, 15, 'exactly the bound: consume() asks only for the room left');
    assert.ok(native.consumeSizes.every((n) => n >= 1 && n <= 8));
    assert.ok(g.pausedPartitions.length === 2, 'all paused (global bound)');
    assert.equal(openSum(g), g.inFlight);
    let maxSeen = 0;
    const seen = () => {
      maxSeen = Math.max(maxSeen, g.inFlight);
      for (const p of g.partitionLoad) assert.ok(p.pending < 10 + 8, `partition ${p.partition} pending ${p.pending}`);
    };
    const end = Date.now() + 5000;
    while ([...native.stored.values()].reduce((a, b) => a + b, 0) < 80 || native.stored.size < 2) {
      assert.ok(Date.now() < end, 'drains');
      exec.finish();
      seen();
      await delay(3);
      seen();
    }
    assert.ok(maxSeen <= 15);
    await until(() => g.inFlight === 0, 'nothing in flight');
    assert.deepEqual(g.pausedPartitions, [], 'resumed');
    assert.ok(native.calls.some((c) => c.startsWith('pause')));
    assert.ok(native.calls.some((c) => c.startsWith('resume')));
    assert.equal(await g.stop(1000), true);
    assert.deepEqual(errors, []);
  });

  it('a failing dead-letter write pauses its partition until it succeeds; the offset is committed only after it', async () => {
    const { g, native, exec, errors } = await setup({ retryBackoffMs: 10, retryBackoffMaxMs: 20 }, 1, 3);
    native.append('t', 0, 3, (i) => `k${i}`);
    native.assign([{ topic: 't', partition: 0 }]);
    await until(() => exec.tasks.length === 1, 'task');
    exec.finish((t) => true, true); // all three fail permanently: dead-letter them
    await until(() => native.calls.includes('pause 0'), 'paused while the dead-letter topic fails');
    assert.equal(native.stored.get('t/0'), undefined, 'nothing stored while the writes fail');
    assert.equal(g.inFlight, 3);
    await until(() => native.calls.includes('resume 0'), 'resumed once the writes succeed', 3000);
    await until(() => native.stored.get('t/0') === 3, 'stored after the dead-letter writes');
    assert.equal(g.inFlight, 0);
    assert.equal(g.stats.deadLettered, 3);
    assert.equal(errors.length, 1, 'the first failure reported');
    assert.equal(await g.stop(1000), true);
  });

  describe('hooks are the caller\'s code: a throwing hook never breaks the consumer', () => {
    it('a throwing onRebalance still leaves the partition assigned and messages flowing; revoke still unassigns; reported once as a HookError', async () => {
      const seen: string[] = [];
      const { g, native, exec, errors } = await setup({}, 2, 0, {
        onRebalance(_group, kind, tps) {
          seen.push(`${kind} ${tps.map((t) => t.partition).join(',')} assigned=${native.assigned.size}`);
          throw new Error(`hook bug on ${kind}`);
        },
      });
      native.append('t', 0, 3);
      assert.doesNotThrow(() => native.assign([{ topic: 't', partition: 0 }]), 'nothing escapes the rebalance callback');
      assert.deepEqual([...native.assigned], ['t/0'], 'the assignment was applied');
      assert.deepEqual(seen, ['assign 0 assigned=1'], 'onRebalance runs after the assignment is applied');
      await until(() => exec.tasks.length > 0, 'messages flow');
      exec.finish();
      await until(() => native.stored.get('t/0') === 3, 'processed and stored');
      assert.doesNotThrow(() => native.revoke([{ topic: 't', partition: 0 }]));
      await until(() => native.calls.includes('incrementalUnassign 0'), 'revoke completed');
      assert.equal(errors.length, 2);
      for (const [i, kind] of ['assign', 'revoke'].entries()) {
        const e = errors[i] as Error & { code?: string; context?: Record<string, unknown> };
        assert.equal(e.name, 'HookError');
        assert.equal(e.code, 'GCK_HOOK');
        assert.equal(e.context?.hook, 'onRebalance');
        assert.equal((e.cause as Error).message, `hook bug on ${kind}`);
      }
      assert.equal(await g.stop(1000), true);
    });

    it('throwing onOffsetsStored / onDeadLetter do not stop settling or storing; a throwing onError is rethrown asynchronously (uncaught), not into the consumer', async () => {
      const uncaught: unknown[] = [];
      const listeners = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      process.on('uncaughtException', (e) => uncaught.push(e));
      try {
        let onErrorCalls = 0;
        const { g, native, exec } = await setup({ retryMax: 0 }, 2, 0, {
          onError() {
            onErrorCalls++;
            throw new Error('onError bug');
          },
          onOffsetsStored() {
            throw new Error('onOffsetsStored bug');
          },
          onDeadLetter() {
            throw new Error('onDeadLetter bug');
          },
        });
        native.append('t', 0, 2, (i) => `k${i}`);
        native.assign([{ topic: 't', partition: 0 }]);
        await until(() => exec.tasks.length === 1, 'task');
        exec.finish(() => true, true); // both fail permanently: dead-lettered
        await until(() => g.stats.deadLettered === 2 && native.stored.get('t/0') === 2, 'dead-lettered and stored despite the hooks');
        await until(() => uncaught.length >= 3, 'the onError exceptions surfaced');
        assert.ok(uncaught.every((e) => (e as Error).message === 'onError bug'), 'only what onError threw is rethrown');
        assert.equal(onErrorCalls, uncaught.length, 'onError called once per failing hook, never for its own exception');
        assert.equal(await g.stop(1000), true);
      } finally {
        process.removeAllListeners('uncaughtException');
        for (const l of listeners) process.on('uncaughtException', l);
      }
    });
  });

  it('a message the wake-up consume(1) returned is kept when the follow-up consume of that fetch fails: it is handled, and no commit passes it unhandled', async () => {
    const { g, native, exec, errors } = await setup({}, 4, 0, {}, { fake: (global) => new ErrorAfterWakeUp(global) });
    native.assign([{ topic: 't', partition: 0 }]);
    await delay(10); // the idle loop: consume(100) finds nothing, consume(1) waits
    native.append('t', 0, 3, (i) => `k${i}`); // offset 0 wakes consume(1); consume(99) then fails
    await until(() => errors.length === 1, 'the consume error reported');
    const e = errors[0] as Error & { code?: string };
    assert.equal(e.code, 'GCK_KAFKA_UNKNOWN_TOPIC_OR_PART');
    await until(() => exec.tasks.reduce((n, t) => n + t.msgs.length, 0) >= 2, 'the rest fetched');
    await delay(10);
    exec.finish();
    await until(() => native.stored.get('t/0') === 3, 'stored after all three');
    const handled = exec.tasks.flatMap((t) => t.msgs.map((m) => m.offset)).sort();
    assert.deepEqual(handled, [0, 1, 2], 'offset 0 (taken by consume(1)) was handled, not dropped');
    assert.equal(g.stats.consumed, 3);
    assert.equal(await g.stop(1000), true);
  });

  for (const [what, provoke] of [
    ['a task that never ends', (exec: ManualExecutor) => void exec],
    ['a dead-letter write waiting out its retry backoff', (exec: ManualExecutor) => exec.finish(() => true, true)],
  ] as const) {
    it(`stop() after its drain timed out (${what}): the close-time revoke does not wait revokeTimeoutMs again, and stop() returns after the close`, async () => {
      const { g, native, exec } = await setup({ retryMax: 0, retryBackoffMs: 5000, retryBackoffMaxMs: 5000, revokeTimeoutMs: 3000 }, 1, Infinity, {}, { fake: (global) => new CloseRevokes(global) });
      native.append('t', 0, 1);
      native.assign([{ topic: 't', partition: 0 }]);
      await until(() => exec.tasks.length === 1, 'task');
      provoke(exec);
      await delay(20);
      const t0 = Date.now();
      assert.equal(await g.stop(100), false, 'not drained');
      assert.ok(Date.now() - t0 < 1000, `stop(100) took ${Date.now() - t0} ms`);
      assert.ok(native.calls.includes('closed'), 'the native close completed before stop() returned');
      assert.ok(native.calls.includes('incrementalUnassign 0'));
      assert.equal(native.commits.get('t/0') ?? 0, 0, 'nothing unfinished committed');
    });
  }

  it('stop() while start() is still connecting: the client is disconnected once the connect completes, never subscribed nor left connected', async () => {
    const { g, binding } = build({}, 1, { fake: (global) => new SlowConnect(global) });
    const starting = g.start();
    await delay(5);
    assert.equal(await g.stop(100), true);
    await starting;
    await delay(SlowConnect.delayMs + 20);
    const native = binding.consumers[0]!;
    assert.equal(native.connected, false, 'not left connected');
    assert.ok(!native.calls.some((c) => c.startsWith('subscribe')), `never subscribed: ${native.calls.join(', ')}`);
    assert.equal(native.calls.at(-1), 'disconnect');
    assert.deepEqual(native.consumeSizes, [], 'no fetch loop');
    await assert.rejects(g.stop(100), StateError);
  });
});
