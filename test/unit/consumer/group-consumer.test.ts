import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { DeadLetterWriter } from '../../../src/consumer/dead-letter.js';
import { GroupConsumer, type GroupHooks, type GroupOptions } from '../../../src/consumer/group-consumer.js';
import { HandlerEntry } from '../../../src/consumer/partition-state.js';
import { Status, type TaskResult } from '../../../src/consumer/types.js';
import type { NativeConfig, NativeMessage } from '../../../src/native/types.js';
import type { Executor } from '../../../src/pool/executor.js';
import { StateError } from '../../../src/errors/base.js';
import { CloseRevokes, ConsumerBinding, ErrorAfterWakeUp, SlowConnect, type FakeConsumer } from './fake-consumer.js';

interface Task {
  msgs: readonly NativeMessage[];
  resolve(r: TaskResult): void;
  done: boolean;
}

class ManualExecutor implements Executor {
  readonly tasks: Task[] = [];
  queueSize = 0;
  utilization = 0;
  constructor(readonly capacity: number) {}
  run(msgs: readonly NativeMessage[]): Promise<TaskResult> {
    return new Promise((resolve) => this.tasks.push({ msgs, resolve, done: false }));
  }
  async close(): Promise<void> {}
  /** Completes the open tasks matching `pick`: all Ok, or every message failed permanently. */
  finish(pick: (t: Task) => boolean = () => true, permanentFailure = false): number {
    let n = 0;
    for (const t of this.tasks) {
      if (t.done || !pick(t)) continue;
      t.done = true;
      n++;
      if (!permanentFailure) t.resolve({ statuses: new Uint8Array(t.msgs.length), failures: [] });
      else t.resolve({ statuses: new Uint8Array(t.msgs.length).fill(1), failures: t.msgs.map((_, index) => ({ index, name: 'PermanentError', message: 'bad', retriable: false })) });
    }
    return n;
  }
  get open(): Task[] {
    return this.tasks.filter((t) => !t.done);
  }
}

const OPTS: GroupOptions = {
  ordering: 'key',
  maxInFlightPerPartition: 1000,
  maxInFlight: 1000,
  fetchBatchSize: 100,
  fetchWaitMs: 5,
  taskBatchSize: 100,
  retryMax: 2,
  retryBackoffMs: 5,
  retryBackoffMaxMs: 10,
  revokeTimeoutMs: 2000,
  connectTimeoutMs: 1000,
};

interface Extras {
  dlqFailures?: number;
  hooks?: GroupHooks;
  /** Builds the fake native consumer (a FakeConsumer subclass changes one behaviour). */
  fake?: (global: NativeConfig) => FakeConsumer;
  /** The dead-letter writer's write (default: fails `dlqFailures` times, then succeeds). */
  dlqWrite?: () => Promise<unknown>;
}

/** A group consumer over a fake native consumer, not started. */
function build(opts: Partial<GroupOptions>, capacity: number, extras: Extras = {}) {
  const binding = new ConsumerBinding(extras.fake);
  const exec = new ManualExecutor(capacity);
  const entry = new HandlerEntry({ topics: ['t'], groupId: 'g', handle() {} }, exec);
  const errors: Error[] = [];
  let failures = extras.dlqFailures ?? 0;
  const write = extras.dlqWrite ?? (() => (failures-- > 0 ? Promise.reject(new Error('dlq down')) : Promise.resolve({})));
  const dlq = { write } as unknown as DeadLetterWriter;
  const g = new GroupConsumer(binding, { 'bootstrap.servers': 'fake:9092' }, {}, 'g', new Map([['t', entry]]), dlq, { ...OPTS, ...opts }, { onError: (e) => errors.push(e), ...extras.hooks });
  started.push(g);
  return { g, binding, exec, errors };
}

async function setup(opts: Partial<GroupOptions>, capacity: number, dlqFailures = 0, hooks: GroupHooks = {}, extras: Extras = {}) {
  const { g, binding, exec, errors } = build(opts, capacity, { dlqFailures, hooks, ...extras });
  await g.start();
  const native = binding.consumers[0] as FakeConsumer;
  return { g, native, exec, errors };
}

const until = async (cond: () => boolean, what: string, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await delay(2);
  }
};
const openSum = (g: GroupConsumer) => g.partitionLoad.reduce((n, p) => n + p.open, 0);

const started: GroupConsumer[] = [];

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

  it('revoke: in-flight drops by exactly the open messages of the partition, running work finishes into the commit, paused partitions are resumed before unassign', async () => {
    const { g, native, exec, errors } = await setup({ taskBatchSize: 2, maxInFlightPerPartition: 4 }, 2);
    // p0: k0 at offsets 0 and 2, k1 at 1 and 3; p1: two messages
    native.append('t', 0, 4, (i) => `k${i % 2}`);
    native.append('t', 1, 2, () => 'x');
    native.assign([{ topic: 't', partition: 0 }]);
    await until(() => exec.tasks.length === 2, 'p0 dispatched as two tasks (one per key)');
    native.assign([{ topic: 't', partition: 1 }]);
    await until(() => g.inFlight === 6, 'p1 fetched');
    assert.deepEqual(
      exec.tasks.map((t) => t.msgs.map((m) => m.offset)),
      [
        [0, 2],
        [1, 3],
      ],
    );
    assert.deepEqual(
      g.pausedPartitions.map((p) => p.partition),
      [0],
      'p0 reached its bound (4)',
    );
    // k1 finishes first: done out of order, behind offset 0
    exec.finish((t) => t.msgs[0]!.offset === 1);
    await until(() => exec.tasks.length === 3, 'p1 task starts');
    assert.equal(g.inFlight, 4);
    const p0 = g.partitionLoad.find((p) => p.partition === 0)!;
    assert.equal(p0.open, 2);
    assert.equal(p0.pending, 4, 'pending includes the two done out of order');

    native.revoke([{ topic: 't', partition: 0 }]);
    await delay(1);
    assert.equal(g.inFlight, 2, 'only p1 is still in flight (not 4 - pending = 0)');
    assert.ok(!native.calls.some((c) => c.startsWith('incrementalUnassign')), 'waits for the running task');
    exec.finish((t) => t.msgs[0]!.offset === 0 && t.msgs[0]!.partition === 0);
    await until(() => native.calls.some((c) => c.startsWith('incrementalUnassign')), 'unassigned');
    const tail = native.calls.slice(native.calls.indexOf('commitSync 0@4'));
    assert.deepEqual(tail.slice(0, 3), ['commitSync 0@4', 'resume 0', 'incrementalUnassign 0'], 'commit of the finished work, resume, unassign');
    assert.equal(g.inFlight, 2);
    exec.finish();
    await until(() => g.inFlight === 0, 'p1 done');
    assert.deepEqual(
      g.assignment.map((p) => p.partition),
      [1],
    );
    assert.equal(await g.stop(1000), true);
    assert.ok(native.calls.includes('commitSync 1@2'), 'stop commits');
    assert.deepEqual(errors, []);
  });

  it('messages of a partition being revoked that still arrive are not counted in flight', async () => {
    const { g, native, exec } = await setup({ fetchBatchSize: 1, taskBatchSize: 1 }, 1);
    native.append('t', 0, 20, () => 'same');
    native.assign([{ topic: 't', partition: 0 }]);
    await until(() => exec.tasks.length === 1, 'first task running');
    native.revoke([{ topic: 't', partition: 0 }]);
    // the partition stays assigned until the running task ends: the fetch loop keeps getting its
    // messages one by one, and drops them
    await delay(30);
    assert.equal(g.inFlight, 0);
    exec.finish();
    await until(() => native.calls.some((c) => c.startsWith('incrementalUnassign')), 'unassigned');
    assert.equal(g.inFlight, 0);
    assert.ok(native.calls.includes('commitSync 0@1'), 'committed the one finished message');
    const t0 = Date.now();
    assert.equal(await g.stop(5000), true);
    assert.ok(Date.now() - t0 < 1000, 'stop does not wait for phantom in-flight messages');
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

  it('onOffsetsStored reports each contiguous watermark once it is stored, and the commits of revoke and stop; counts stay cheap', async () => {
    const stored: string[] = [];
    const { g, native, exec } = await setup({ taskBatchSize: 2 }, 4, 0, { onOffsetsStored: (group, offsets) => stored.push(`${group} ${offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`).join(',')}`) });
    native.append('t', 0, 4, (i) => `k${i % 2}`); // k0: 0, 2; k1: 1, 3 — one task per key
    native.append('t', 1, 2, () => 'x');
    native.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    await until(() => exec.tasks.length === 3, 'three tasks');
    assert.equal(g.assignedCount, 2);
    assert.equal(g.pausedCount, 0);
    exec.finish((t) => t.msgs[0]!.partition === 0 && t.msgs[0]!.offset === 1); // k1 done: behind offset 0
    await delay(5);
    assert.deepEqual(stored, [], 'nothing committable yet');
    exec.finish((t) => t.msgs[0]!.partition === 0);
    await until(() => stored.length === 1, 'stored');
    assert.deepEqual(stored, ['g t/0@4']);
    native.revoke([{ topic: 't', partition: 1 }]);
    exec.finish();
    await until(() => stored.length === 2, 'revoke commit');
    assert.deepEqual(stored[1], 'g t/1@2');
    assert.equal(await g.stop(1000), true);
    assert.deepEqual(stored.slice(2), ['g t/0@4'], 'the commit of stop()');
    assert.equal(native.stored.get('t/0'), 4);
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

  it('a revoke while a dead-letter write waits out its retry backoff does not wait for it (the rebalance goes on) and commits nothing past the message', async () => {
    const { g, native, exec } = await setup({ retryMax: 0, retryBackoffMs: 5000, retryBackoffMaxMs: 5000, revokeTimeoutMs: 3000 }, 1, Infinity);
    native.append('t', 0, 2, (i) => `k${i}`);
    native.assign([{ topic: 't', partition: 0 }]);
    await until(() => exec.tasks.length === 1 && exec.tasks[0]!.msgs.length === 2, 'one task');
    // offset 0 fails permanently (its dead-letter write fails, then waits 2.5-5 s), offset 1 is done
    exec.tasks[0]!.resolve({ statuses: Uint8Array.of(Status.Failed, Status.Ok), failures: [{ index: 0, name: 'PermanentError', message: 'bad', retriable: false }] });
    exec.tasks[0]!.done = true;
    await until(() => native.calls.includes('pause 0'), 'paused while the dead-letter topic fails');
    const t0 = Date.now();
    native.revoke([{ topic: 't', partition: 0 }]);
    await until(() => native.calls.includes('incrementalUnassign 0'), 'unassigned without waiting for the backoff', 1000);
    assert.ok(Date.now() - t0 < 1000, `revoke took ${Date.now() - t0} ms`);
    assert.equal(native.commits.get('t/0') ?? 0, 0, 'offset 0 is not done: nothing committed past it');
    assert.ok(native.calls.indexOf('resume 0') < native.calls.indexOf('incrementalUnassign 0'), 'resumed before it is given up');
    assert.equal(g.inFlight, 0);
    assert.equal(await g.stop(1000), true);
  });

  it('a revoke waits (bounded) for a dead-letter write that is in flight, so that its commit covers the written message', async () => {
    let written: (() => void) | undefined;
    const dlqWrite = () => new Promise<unknown>((resolve) => (written = () => resolve({})));
    const { g, native, exec } = await setup({ retryMax: 0, revokeTimeoutMs: 3000 }, 1, 0, {}, { dlqWrite });
    native.append('t', 0, 1);
    native.assign([{ topic: 't', partition: 0 }]);
    await until(() => exec.tasks.length === 1, 'task');
    exec.finish(() => true, true);
    await until(() => written !== undefined, 'dead-letter write under way');
    native.revoke([{ topic: 't', partition: 0 }]);
    await delay(30);
    assert.ok(!native.calls.includes('incrementalUnassign 0'), 'waits for the write in flight');
    written!();
    await until(() => native.calls.includes('incrementalUnassign 0'), 'unassigned after the write');
    assert.equal(native.commits.get('t/0'), 1, 'the written message is committed by the revoke');
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

  it('a revoke while a message waits for its retry backoff does not wait for it: nothing is committed past it, and what was done above it is delivered again to the next owner', async () => {
    const { g, native, exec } = await setup({ retryBackoffMs: 2000, retryBackoffMaxMs: 2000, revokeTimeoutMs: 3000 }, 4);
    native.append('t', 0, 3, (i) => `k${i}`);
    native.assign([{ topic: 't', partition: 0 }]);
    await until(() => exec.tasks.length === 1 && exec.tasks[0]!.msgs.length === 3, 'one task of three keys');
    exec.tasks[0]!.resolve({ statuses: Uint8Array.of(Status.Failed, Status.Ok, Status.Ok), failures: [{ index: 0, name: 'Error', message: 'transient', retriable: true }] });
    exec.tasks[0]!.done = true;
    await until(() => g.stats.retried === 1, 'offset 0 waits for its retry');
    const t0 = Date.now();
    native.revoke([{ topic: 't', partition: 0 }]);
    await until(() => native.calls.includes('incrementalUnassign 0'), 'unassigned', 1000);
    assert.ok(Date.now() - t0 < 1000, `revoke took ${Date.now() - t0} ms`);
    assert.equal(native.commits.get('t/0') ?? 0, 0, 'nothing committed past the retrying message (offsets 1 and 2 are done above it)');
    // the partition's next owner (here: this consumer again) starts at the committed offset
    native.assign([{ topic: 't', partition: 0 }]);
    await until(() => exec.tasks.length === 2, 'delivered again');
    assert.deepEqual(exec.tasks[1]!.msgs.map((m) => m.offset), [0, 1, 2], 'offsets 1 and 2 are duplicates');
    exec.finish();
    await until(() => native.stored.get('t/0') === 3, 'stored');
    assert.equal(await g.stop(1000), true);
  });
});
