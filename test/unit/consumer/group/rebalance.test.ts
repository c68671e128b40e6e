import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Status } from '../../../../src/message/task.js';
import { setup, started, until } from './harness.js';

/** A group with t/0 assigned and its one message handled (its watermark 1, nothing in flight). */
async function oneMessageDone() {
  const s = await setup({ fetchBatchSize: 1, taskBatchSize: 1 }, 1);
  s.native.append('t', 0, 1, () => 'same');
  s.native.assign([{ topic: 't', partition: 0 }]);
  await until(() => s.exec.tasks.length === 1, 'task running');
  s.exec.finish();
  await until(() => s.g.partitionLoad.every((p) => p.open === 0), 'done');
  return s;
}

describe('GroupConsumer rebalances (revoke) with a fake native consumer', () => {
  afterEach(async () => {
    for (const g of started.splice(0)) await g.stop(100).catch(() => undefined); // after a failed test
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
    const tail = native.calls.slice(native.calls.indexOf('commitWait 0@4'));
    // The fake answers the commit on a later turn: the unassign waited for the answer.
    assert.deepEqual(tail.slice(0, 3), ['commitWait 0@4', 'resume 0', 'incrementalUnassign 0'], 'commit of the finished work (answered), resume, unassign');
    assert.equal(native.commits.get('t/0'), 4);
    assert.equal(g.inFlight, 2);
    exec.finish();
    await until(() => g.inFlight === 0, 'p1 done');
    assert.deepEqual(
      g.assignment.map((p) => p.partition),
      [1],
    );
    assert.equal(await g.stop(1000), true);
    assert.ok(native.calls.includes('commit 1@2'), 'stop commits');
    assert.ok(!native.calls.some((c) => c.startsWith('commitSync') || c.startsWith('commitWait 1')), 'without waiting for the broker (issue 17 item 6): the bounded close waits for the commit');
    assert.deepEqual(errors, []);
  });

  it('a revoke whose commit the broker refuses reports a typed error naming the partition and still gives the partition up; the JS thread never waits for the broker', async () => {
    const { g, native, exec, errors } = await setup({ fetchBatchSize: 1, taskBatchSize: 1 }, 1);
    native.append('t', 0, 2, () => 'same');
    native.assign([{ topic: 't', partition: 0 }]);
    await until(() => exec.tasks.length === 1, 'first task running');
    exec.finish();
    await until(() => exec.tasks.length === 2, 'second task running');
    native.commitCodes.set('t/0', 27); // REBALANCE_IN_PROGRESS
    native.revoke([{ topic: 't', partition: 0 }]);
    exec.finish();
    await until(() => native.calls.some((c) => c.startsWith('incrementalUnassign')), 'unassigned');
    assert.ok(native.calls.includes('commitWait 0@2'));
    assert.ok(!native.calls.some((c) => c.startsWith('commitSync')), 'no commit that blocks the JS thread');
    assert.equal(errors.length, 1, errors.map(String).join('; '));
    assert.match(errors[0]!.message, /t\[0\]/);
    assert.equal((errors[0] as { librdkafkaCode?: number }).librdkafkaCode, 27);
    assert.deepEqual(g.assignment, []);
  });

  it('a revoke whose commit gets no answer in time reports GCK_KAFKA__TIMED_OUT and still gives the partition up', async () => {
    const { g, native, errors } = await oneMessageDone();
    native.commitWaitError = { code: -185, message: 'Local: Timed out' } as never;
    native.revoke([{ topic: 't', partition: 0 }]);
    await until(() => native.calls.some((c) => c.startsWith('incrementalUnassign')), 'unassigned');
    assert.equal(errors.length, 1, errors.map(String).join('; '));
    assert.equal((errors[0] as { code?: string }).code, 'GCK_KAFKA__TIMED_OUT');
    assert.match(errors[0]!.message, /commit \(group/);
    assert.deepEqual(g.assignment, []);
  });

  it('stop() while a revoke waits for its commit: stop waits for the answer, then leaves; nothing reported', async () => {
    const { g, native, errors } = await oneMessageDone();
    native.commitWaitDelayMs = 200;
    native.revoke([{ topic: 't', partition: 0 }]);
    await until(() => native.calls.some((c) => c.startsWith('commitWait')), 'revoke commit sent');
    const t0 = Date.now();
    assert.equal(await g.stop(2000), true);
    assert.ok(Date.now() - t0 >= 150, 'stop() waited for the revoke commit');
    const calls = native.calls.join(' | ');
    assert.ok(calls.indexOf('commitWait 0@1') < calls.indexOf('incrementalUnassign 0'), calls);
    assert.equal(native.commits.get('t/0'), 1);
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
    assert.ok(native.calls.includes('commitWait 0@1'), 'committed the one finished message');
    const t0 = Date.now();
    assert.equal(await g.stop(5000), true);
    assert.ok(Date.now() - t0 < 1000, 'stop does not wait for phantom in-flight messages');
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

  it('a cooperative consumer gives its partitions up incrementally also in the final revoke, when librdkafka already reports protocol NONE (issue 17 item 6)', async () => {
    const { g, native } = await setup({}, 2);
    native.assign([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    await until(() => native.calls.some((c) => c.startsWith('incrementalAssign')), 'assigned');
    // Leaving the group: librdkafka no longer knows the protocol when it serves the last revoke.
    native.rebalanceProtocol = () => 'NONE';
    native.revoke([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    await until(() => native.calls.some((c) => c.startsWith('incrementalUnassign') || c === 'unassign'), 'revoked');
    assert.ok(native.calls.includes('incrementalUnassign 0,1'), native.calls.join(', '));
    assert.ok(!native.calls.includes('unassign'), 'not an eager unassign of everything');
    await g.stop(100);
  });
});
