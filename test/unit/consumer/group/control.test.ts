import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { GoCoffeeKafkaError, InvalidArgumentError, StateError } from '../../../../src/errors/base.js';
import { KafkaError, RD } from '../../../../src/errors/librdkafka.js';
import type { GroupConsumer } from '../../../../src/consumer/group/group-consumer.js';
import { build, setup, started, until } from './harness.js';

/** librdkafka's RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS (a seek of a partition whose fetcher is stopping). */
const ERR__PREV_IN_PROGRESS = -177;
const P0 = { topic: 't', partition: 0 };
const P1 = { topic: 't', partition: 1 };
const offsetsOf = (tasks: ReadonlyArray<{ msgs: ReadonlyArray<{ partition: number; offset: number }> }>, partition: number) =>
  tasks.flatMap((t) => t.msgs.filter((m) => m.partition === partition).map((m) => m.offset));

describe('PartitionControl (pause/resume, seek, commitNow, position, lag) with a fake native consumer', () => {
  afterEach(async () => {
    for (const g of started.splice(0)) await g.stop(100).catch(() => undefined);
  });

  it('seek: queued messages are dropped, the running one completes without moving the watermark, fetching restarts at the target once it is over', async () => {
    const { g, native, exec, errors } = await setup({ ordering: 'partition', taskBatchSize: 1 }, 1);
    native.append('t', 0, 10);
    native.assign([P0]);
    await until(() => exec.tasks.length === 1 && g.inFlight === 10, 'offset 0 running, 1..9 queued');
    assert.equal(await g.control.seek({ ...P0, offset: 6 }), 6);
    assert.equal(g.inFlight, 0, 'the old state no longer counts as in flight');
    assert.deepEqual(g.watermarks, [{ ...P0, offset: 6 }], 'the watermark restarts at the target');
    assert.equal(native.stored.get('t/0'), 6, 'stored at once');
    assert.ok(native.calls.indexOf('pause 0') < native.calls.indexOf('seek 0@6'), 'paused (the running work) before the seek');
    assert.ok(native.calls.includes('commit 0@6'), 'the target is committed');
    assert.equal(g.control.position(P0), 6, 'position: the target before its first message');
    assert.ok(native.paused.has('t/0'), 'paused while the old work runs');
    await delay(20);
    assert.equal(exec.tasks.length, 1, 'nothing fetched from the target while the old work runs');
    exec.finish();
    await until(() => native.calls.includes('resume 0'), 'resumed once the old work is over');
    assert.deepEqual(g.watermarks, [{ ...P0, offset: 6 }], "the old epoch's completion moved nothing");
    assert.equal(native.stored.get('t/0'), 6);
    const end = Date.now() + 3000;
    while (native.stored.get('t/0') !== 10) {
      assert.ok(Date.now() < end, 'drains');
      exec.finish();
      await delay(2);
    }
    assert.deepEqual(offsetsOf(exec.tasks, 0), [0, 6, 7, 8, 9], '1..5 were never handled');
    assert.equal(g.inFlight, 0);
    assert.equal(await g.stop(1000), true);
    assert.equal(native.commits.get('t/0'), 10);
    assert.deepEqual(errors, []);
  });

  it('seek back below the committed offset: re-delivered from there, the watermark counts from the target', async () => {
    const { g, native, exec } = await setup({ ordering: 'key' }, 4);
    native.append('t', 0, 8, () => 'same');
    native.assign([P0]);
    await until(() => (exec.finish(), native.stored.get('t/0') === 8), 'all handled');
    assert.deepEqual(await g.control.commitNow(), [{ ...P0, offset: 8 }]);
    assert.equal(native.commits.get('t/0'), 8);
    assert.equal(await g.control.seek({ ...P0, offset: 3 }), 3);
    assert.equal(native.commits.get('t/0'), 3, 'the seek commits its target (auto-commit would not go back)');
    await until(() => exec.open.length === 1, 're-delivered');
    assert.deepEqual(exec.open[0]!.msgs.map((m) => m.offset), [3, 4, 5, 6, 7]);
    assert.deepEqual(await g.control.commitNow(), [{ ...P0, offset: 3 }], 'nothing done since the seek');
    exec.finish();
    await until(() => native.stored.get('t/0') === 8, 'progress from the target');
    assert.deepEqual(await g.control.commitNow(), [{ ...P0, offset: 8 }]);
  });

  it("seek to 'beginning', 'end' and a timestamp resolve to offsets; wrong targets are typed errors", async () => {
    const { g, native, exec } = await setup({ ordering: 'key' }, 4);
    native.append('t', 0, 10);
    native.assign([P0]);
    await until(() => exec.tasks.length > 0, 'fetching');
    assert.equal(await g.control.seek({ ...P0, offset: 'end' }), 10);
    assert.equal(await g.control.seek({ ...P0, offset: 'beginning' }), 0);
    assert.equal(await g.control.seek({ ...P0, timestamp: 4 }), 4, 'the fake: a message without a timestamp has its offset as one');
    assert.equal(await g.control.seek({ ...P0, timestamp: 99 }), 10, 'none at or after the time: the end');
    const argument = (name: string) => (e: unknown) => e instanceof InvalidArgumentError && e.code === 'GCK_INVALID_ARGUMENT' && e.context['argument'] === name;
    await assert.rejects(g.control.seek({ ...P0, offset: 11 }), argument('offset'), 'past the end');
    await assert.rejects(g.control.seek({ ...P0, offset: -1 }), argument('offset'));
    await assert.rejects(g.control.seek({ ...P0, offset: 1, timestamp: 2 } as never), argument('offset'), 'exactly one of offset and timestamp');
    await assert.rejects(g.control.seek({ ...P0, timestamp: Number.NaN }), argument('timestamp'));
    await assert.rejects(g.control.seek({ topic: 't', partition: 1.5, offset: 0 }), argument('partition'));
    await assert.rejects(g.control.seek({ topic: '', partition: 0, offset: 0 }), argument('topic'));
    await assert.rejects(g.control.seek({ ...P0, offset: 0 }, 0), argument('timeoutMs'));
    await assert.rejects(g.control.commitNow(1.5), argument('timeoutMs'));
    await assert.rejects(g.control.lag(Number.POSITIVE_INFINITY), argument('timeoutMs'));
    await assert.rejects(g.control.seek({ topic: 't', partition: 7, offset: 0 }), (e: unknown) => e instanceof StateError && e.code === 'GCK_STATE', 'unassigned');
    assert.throws(() => g.control.pause([{ topic: 't', partition: 7 }]), StateError);
    assert.throws(() => g.control.position({ topic: 'other', partition: 0 }), StateError);
  });

  it('before start and after stop every call is a StateError', async () => {
    const { g } = build({}, 1);
    const refused = async () => {
      await assert.rejects(g.control.seek({ ...P0, offset: 0 }), StateError);
      assert.throws(() => g.control.pause([P0]), StateError);
      await assert.rejects(g.control.commitNow(), StateError);
      await assert.rejects(g.control.lag(), StateError);
    };
    await refused();
    await g.start();
    assert.deepEqual(await g.control.lag(), [], 'running: allowed (nothing assigned yet)');
    await g.stop(100);
    await refused();
  });

  it('a partition paused by the application stays paused through a backpressure cycle; one paused by backpressure stays paused through pause()+resume()', async () => {
    const { g, native, exec } = await setup({ maxInFlight: 4, fetchBatchSize: 4, taskBatchSize: 4 }, 1);
    native.assign([P0, P1]);
    g.control.pause([P0]);
    assert.deepEqual(g.control.paused(), [P0]);
    assert.ok(native.paused.has('t/0'));
    native.append('t', 0, 5);
    native.append('t', 1, 20);
    await until(() => g.inFlight === 4, 'partition 1 fills the group bound');
    await until(() => native.paused.has('t/1'), 'backpressure pauses every partition');
    // Backpressure (PAUSE_GLOBAL) on both now; p0 is paused by the application as well.
    g.control.pause([P1]);
    g.control.resume([P1]);
    assert.ok(native.paused.has('t/1'), 'resume() does not end a backpressure pause');
    const end = Date.now() + 3000;
    while (native.stored.get('t/1') !== 20) {
      assert.ok(Date.now() < end, 'drains');
      exec.finish();
      await delay(2);
    }
    assert.ok(native.calls.includes('resume 1'), 'partition 1 resumed when backpressure released');
    assert.ok(!native.calls.includes('resume 0'), 'partition 0 was never resumed');
    assert.ok(native.paused.has('t/0'));
    assert.equal(offsetsOf(exec.tasks, 0).length, 0, 'nothing of partition 0 fetched');
    g.control.resume([P0]);
    assert.deepEqual(g.control.paused(), []);
    await until(() => (exec.finish(), native.stored.get('t/0') === 5), 'partition 0 flows after resume()');
  });

  it('a revoke forgets pause(): the partition is resumed before its unassign and a new assignment starts unpaused', async () => {
    const { g, native } = await setup({}, 1);
    native.assign([P0]);
    g.control.pause([P0]);
    native.revoke([P0]);
    await until(() => native.calls.includes('incrementalUnassign 0'), 'revoked');
    assert.ok(native.calls.indexOf('resume 0') < native.calls.indexOf('incrementalUnassign 0'));
    native.assign([P0]);
    assert.deepEqual(g.control.paused(), []);
    assert.equal(g.pausedCount, 0);
  });

  it('seek on a partition paused by the application keeps it paused; the pause carries over to the new state', async () => {
    const { g, native, exec } = await setup({}, 1);
    native.append('t', 0, 6);
    native.assign([P0]);
    await until(() => exec.tasks.length === 1, 'running');
    exec.finish();
    await until(() => native.stored.get('t/0') === 6, 'done');
    g.control.pause([P0]);
    await g.control.seek({ ...P0, offset: 2 });
    assert.deepEqual(g.control.paused(), [P0]);
    assert.ok(native.paused.has('t/0'));
    await delay(20);
    assert.equal(exec.tasks.length, 1, 'nothing fetched while paused');
    g.control.resume([P0]);
    await until(() => exec.tasks.length === 2, 're-delivered from 2 after resume()');
    assert.deepEqual(exec.tasks[1]!.msgs.map((m) => m.offset), [2, 3, 4, 5]);
  });

  it('commitNow commits and confirms the watermarks; lag and position report per partition', async () => {
    const { g, native, exec } = await setup({}, 2);
    assert.deepEqual(await g.control.commitNow(), [], 'nothing assigned: nothing to commit');
    native.append('t', 0, 5);
    native.append('t', 1, 3);
    native.assign([P0, P1]);
    await until(() => g.inFlight === 8, 'fetched');
    const before = await g.control.lag();
    assert.deepEqual(
      before.map((l) => [l.partition, l.lag, l.highWatermark, l.watermark, l.committed]),
      [
        [0, 5, 5, 0, -1],
        [1, 3, 3, 0, -1],
      ],
      'nothing done: lag counts from the first fetched offset',
    );
    await until(() => (exec.finish(), g.inFlight === 0), 'done');
    const committed = await g.control.commitNow();
    assert.deepEqual(
      committed.sort((a, b) => a.partition - b.partition),
      [
        { ...P0, offset: 5 },
        { ...P1, offset: 3 },
      ],
    );
    const after = await g.control.lag();
    assert.deepEqual(
      after.map((l) => [l.partition, l.lag, l.position, l.committed]),
      [
        [0, 0, 5, 5],
        [1, 0, 3, 3],
      ],
    );
  });

  it('commitNow reports the broker\'s answer: a partition\'s commit error rejects naming it, a whole-call timeout is a retriable GCK_KAFKA__TIMED_OUT; no read-back', async () => {
    const { g, native, exec } = await setup({}, 2);
    native.append('t', 0, 2);
    native.append('t', 1, 2);
    native.assign([P0, P1]);
    await until(() => (exec.finish(), native.stored.get('t/0') === 2 && native.stored.get('t/1') === 2), 'done');
    native.commitCodes.set('t/1', RD.ERR_REBALANCE_IN_PROGRESS);
    await assert.rejects(g.control.commitNow(), (e: unknown) => e instanceof KafkaError && e.librdkafkaCode === RD.ERR_REBALANCE_IN_PROGRESS && e.context['partition'] === 1 && /t\[1\]/.test(e.message));
    assert.equal(native.commits.get('t/0'), 2, 'the other partition was committed');
    native.commitCodes.clear();
    native.commitWait = (_o, _t, cb) => setImmediate(() => cb({ code: RD.ERR__TIMED_OUT, message: 'Local: Timed out' }, []));
    await assert.rejects(g.control.commitNow(50), (e: unknown) => e instanceof GoCoffeeKafkaError && e.code === 'GCK_KAFKA__TIMED_OUT' && e.retriable);
  });

  it('seek right after an assignment: librdkafka refuses it (__STATE, fetcher not started) and it is asked again until it applies; the replay happens and the target is committed', async () => {
    const { g, native, exec } = await setup({ ordering: 'key' }, 4);
    native.append('t', 0, 8, () => 'same');
    native.commits.set('t/0', 8); // committed: the end
    native.seekRefusals = 3;
    native.assign([P0]);
    assert.equal(await g.control.seek({ ...P0, offset: 3 }), 3);
    assert.equal(native.calls.filter((c) => c === 'seek 0@3').length, 4, 'three refusals, then applied');
    assert.ok(native.calls.indexOf('pause 0') < native.calls.indexOf('seek 0@3'), 'paused before the first attempt');
    assert.ok(native.calls.lastIndexOf('seek 0@3') < native.calls.lastIndexOf('resume 0'), 'resumed once applied');
    assert.equal(native.commits.get('t/0'), 3);
    await until(() => (exec.finish(), native.stored.get('t/0') === 8), 'replayed from 3');
    assert.deepEqual(offsetsOf(exec.tasks, 0), [3, 4, 5, 6, 7]);
  });

  it('seek from the assignment hook pauses the partition at once: nothing is handled from the committed offset while the target is looked up and applied', async () => {
    let seek: Promise<number> | undefined;
    let control: GroupConsumer['control'] | undefined;
    const { g, native, exec } = await setup({ ordering: 'key' }, 4, 0, {
      onRebalance: (_g, kind) => {
        if (kind === 'assign') seek = control!.seek({ ...P0, offset: 2 });
      },
    });
    control = g.control;
    native.append('t', 0, 8, () => 'same');
    native.commits.set('t/0', 6);
    native.seekRefusals = 2;
    native.assign([P0]);
    assert.ok(native.paused.has('t/0'), 'paused inside the hook');
    assert.equal(await seek, 2);
    await until(() => (exec.finish(), native.stored.get('t/0') === 8), 'replayed from 2');
    assert.deepEqual(offsetsOf(exec.tasks, 0), [2, 3, 4, 5, 6, 7], 'nothing from the committed 6 before the seek');
  });

  it('a seek librdkafka keeps refusing (__STATE past timeoutMs) is a StateError naming the partition: the partition is resumed, its state and offsets untouched', async () => {
    const { g, native, exec } = await setup({}, 4);
    native.append('t', 0, 4);
    native.assign([P0]);
    await until(() => (exec.finish(), native.stored.get('t/0') === 4), 'done');
    native.seekRefusals = Number.MAX_SAFE_INTEGER;
    await assert.rejects(g.control.seek({ ...P0, offset: 1 }, 200), (e: unknown) => e instanceof StateError && e.code === 'GCK_STATE' && e.context['component'] === 'partition t[0]' && e.context['operation'] === 'seek');
    assert.ok(native.calls.filter((c) => c === 'seek 0@1').length > 1, 'asked again');
    assert.ok(!native.paused.has('t/0'), 'resumed');
    assert.deepEqual(g.watermarks, [{ ...P0, offset: 4 }], 'the state was not replaced');
    assert.ok(!native.calls.includes('commit 0@1'), 'the target was not committed');
    native.seekRefusals = 0;
    native.seekCodes.set('t/0', ERR__PREV_IN_PROGRESS);
    await assert.rejects(g.control.seek({ ...P0, offset: 1 }), (e: unknown) => e instanceof KafkaError && e.librdkafkaCode === ERR__PREV_IN_PROGRESS, 'another refusal: its KafkaError');
    assert.ok(!native.paused.has('t/0'));
  });

  it('a seek librdkafka did not answer in time (__TIMED_OUT: it may still apply) keeps the partition paused and is asked again; once applied the new epoch starts, nothing of the target reaches the old state', async () => {
    const { g, native, exec, errors } = await setup({ ordering: 'key' }, 4);
    native.append('t', 0, 8, () => 'same');
    native.assign([P0]);
    await until(() => (exec.finish(), native.stored.get('t/0') === 8), 'all handled');
    native.seekTimeouts = 1; // the fake applies the timed-out seek at once, as librdkafka may later
    assert.equal(await g.control.seek({ ...P0, offset: 3 }), 3, 'confirmed by the second attempt');
    assert.equal(native.calls.filter((c) => c === 'seek 0@3').length, 2, 'timed out, asked again, applied');
    assert.ok(native.calls.lastIndexOf('pause 0') < native.calls.indexOf('seek 0@3'));
    assert.ok(native.calls.lastIndexOf('seek 0@3') < native.calls.lastIndexOf('resume 0'), 'not resumed before the seek was confirmed');
    assert.deepEqual(g.watermarks, [{ ...P0, offset: 3 }], 'the new epoch counts from the target');
    assert.equal(native.commits.get('t/0'), 3);
    await until(() => (exec.finish(), native.stored.get('t/0') === 8), 're-delivered from 3 into the new epoch');
    assert.deepEqual(offsetsOf(exec.tasks, 0), [0, 1, 2, 3, 4, 5, 6, 7, 3, 4, 5, 6, 7]);
    assert.equal((await g.control.lag())[0]!.seekUnconfirmed, false);
    assert.deepEqual(errors, []);
  });

  it('a seek that stays unconfirmed past timeoutMs + the grace rejects with GCK_KAFKA__TIMED_OUT (context.unconfirmed): the partition stays paused (lag: seekUnconfirmed) until a later seek applies', async () => {
    const { g, native, exec } = await setup({}, 4);
    native.append('t', 0, 4);
    native.assign([P0]);
    await until(() => (exec.finish(), native.stored.get('t/0') === 4), 'done');
    const tasks = exec.tasks.length;
    native.seekTimeouts = Number.MAX_SAFE_INTEGER;
    await assert.rejects(g.control.seek({ ...P0, offset: 1 }, 100), (e: unknown) => e instanceof KafkaError && e.code === 'GCK_KAFKA__TIMED_OUT' && e.retriable && e.context['unconfirmed'] === true && e.context['partition'] === 0 && /stays paused/.test(e.message));
    assert.ok(native.calls.filter((c) => c === 'seek 0@1').length > 1, 'asked again');
    assert.ok(native.paused.has('t/0'), 'still paused: the timed-out seek may still apply');
    g.control.pause([P0]);
    g.control.resume([P0]);
    assert.ok(native.paused.has('t/0'), 'resume() does not end it');
    await delay(20);
    assert.equal(exec.tasks.length, tasks, 'nothing fetched: the fake moved the position to 1, the old state gets none of it');
    assert.deepEqual(g.watermarks, [{ ...P0, offset: 4 }], 'the old state was not replaced');
    assert.ok(!native.calls.includes('commit 0@1'));
    const [l] = await g.control.lag();
    assert.deepEqual([l!.paused, l!.pausedByUser, l!.seekUnconfirmed], [true, false, true]);
    native.seekTimeouts = 0;
    await assert.rejects(g.control.seek({ ...P0, offset: 9 }), InvalidArgumentError);
    assert.ok(native.paused.has('t/0'), 'a failed later seek leaves it unconfirmed');
    assert.equal(await g.control.seek({ ...P0, offset: 1 }), 1);
    assert.equal((await g.control.lag())[0]!.seekUnconfirmed, false);
    await until(() => (exec.finish(), native.stored.get('t/0') === 4), 're-delivered from 1 once a seek applied');
    assert.deepEqual(offsetsOf(exec.tasks, 0), [0, 1, 2, 3, 1, 2, 3]);
  });

  it('a revoke ends an unconfirmed seek: it rejects with a StateError, the partition is resumed before its unassign and a new assignment starts unpaused', async () => {
    const { g, native } = await setup({}, 4);
    native.append('t', 0, 4);
    native.assign([P0]);
    native.seekTimeouts = Number.MAX_SAFE_INTEGER;
    const seeking = g.control.seek({ ...P0, offset: 1 }, 5000);
    await until(() => native.calls.filter((c) => c === 'seek 0@1').length >= 2, 'asked again');
    native.revoke([P0]);
    await assert.rejects(seeking, StateError);
    assert.ok(native.calls.lastIndexOf('resume 0') < native.calls.indexOf('incrementalUnassign 0'));
    native.seekTimeouts = 0;
    native.assign([P0]);
    assert.equal(g.pausedCount, 0);
    assert.equal((await g.control.lag())[0]!.seekUnconfirmed, false);
  });

  it('seek to a timestamp: a partition the broker failed to answer for (NOT_LEADER, the call itself ok) rejects; it is not taken for "no message at or after the time"', async () => {
    const { g, native, exec } = await setup({}, 4);
    native.append('t', 0, 6);
    native.assign([P0]);
    await until(() => (exec.finish(), native.stored.get('t/0') === 6), 'done');
    native.timeCodes.set('t/0', RD.ERR_NOT_LEADER_FOR_PARTITION);
    await assert.rejects(g.control.seek({ ...P0, timestamp: 2 }), (e: unknown) => e instanceof KafkaError && e.librdkafkaCode === RD.ERR_NOT_LEADER_FOR_PARTITION && e.retriable);
    assert.ok(!native.calls.some((c) => c.startsWith('seek ')), 'no seek');
    assert.ok(!native.calls.some((c) => c.startsWith('commit 0@')), 'nothing committed');
    native.timeCodes.clear();
    assert.equal(await g.control.seek({ ...P0, timestamp: 2 }), 2);
  });

  it('seek to a timestamp: the offsets-for-times lookup gets what the watermark query left of timeoutMs (not timeoutMs again)', async () => {
    const { g, native, exec } = await setup({}, 4);
    native.append('t', 0, 6);
    native.assign([P0]);
    await until(() => (exec.finish(), native.stored.get('t/0') === 6), 'done');
    native.watermarkDelayMs = 200;
    assert.equal(await g.control.seek({ ...P0, timestamp: 2 }, 300), 2);
    const [asked] = native.timesTimeouts;
    assert.ok(asked !== undefined && asked <= 110, `offsetsForTimes was given ${asked} ms of the 300`);
  });

  it('until librdkafka applied the seek the old state goes on (paused, nothing fetched); once applied its queued messages are dropped and its completions move nothing', async () => {
    const { g, native, exec } = await setup({ ordering: 'partition', taskBatchSize: 1 }, 1);
    native.append('t', 0, 10);
    native.assign([P0]);
    await until(() => exec.tasks.length === 1 && g.inFlight === 10, 'offset 0 running, 1..9 queued');
    let apply: (() => void) | undefined;
    const seekPartitions = native.seekPartitions.bind(native);
    native.seekPartitions = (o, t, cb) => (apply = () => seekPartitions(o, t, cb));
    const seeking = g.control.seek({ ...P0, offset: 8 });
    await until(() => apply !== undefined, 'asked librdkafka');
    assert.ok(native.paused.has('t/0'), 'paused before the seek');
    exec.finish(); // 0 done in the old epoch: 1 runs next, still the old state's
    await until(() => exec.tasks.length === 2, 'the old state goes on');
    assert.deepEqual(g.watermarks, [{ ...P0, offset: 1 }]);
    apply!();
    assert.equal(await seeking, 8);
    assert.deepEqual(g.watermarks, [{ ...P0, offset: 8 }]);
    assert.equal(g.inFlight, 0, '2..9 dropped; 1 (running) no longer counts');
    assert.ok(native.paused.has('t/0'), 'still paused: 1 runs');
    exec.finish();
    await until(() => (exec.finish(), native.stored.get('t/0') === 10), 'drains from 8');
    assert.deepEqual(offsetsOf(exec.tasks, 0), [0, 1, 8, 9]);
  });

  it('stop() waits for running work of a state a seek replaced (it no longer counts as in flight), bounded by its timeout', async () => {
    const { g, native, exec } = await setup({ ordering: 'partition', taskBatchSize: 1 }, 1);
    native.append('t', 0, 3);
    native.assign([P0]);
    await until(() => exec.tasks.length === 1, 'offset 0 running');
    await g.control.seek({ ...P0, offset: 3 });
    assert.equal(g.inFlight, 0);
    let stopped: boolean | undefined;
    const stopping = g.stop(5000).then((r) => (stopped = r));
    await delay(30);
    assert.equal(stopped, undefined, 'still waiting for offset 0');
    exec.finish();
    assert.equal(await stopping, true);
    assert.equal(native.commits.get('t/0'), 3);

    const second = await setup({ ordering: 'partition', taskBatchSize: 1 }, 1);
    second.native.append('t', 0, 3);
    second.native.assign([P0]);
    await until(() => second.exec.tasks.length === 1, 'offset 0 running');
    await second.g.control.seek({ ...P0, offset: 3 });
    assert.equal(await second.g.stop(50), false, 'not finished within the bound');
  });

  it('lag: a fetching partition with cached watermarks asks no broker; the others are asked at most two at a time', async () => {
    const { g, native } = await setup({}, 1);
    const all = [0, 1, 2, 3, 4, 5].map((partition) => ({ topic: 't', partition }));
    for (const tp of all) native.append('t', tp.partition, 3);
    native.assign(all);
    await until(() => g.inFlight === 18, 'fetched');
    g.control.pause([P1]);
    native.cacheMarks = false;
    native.cachedMarks.set('t/0', { lowOffset: 0, highOffset: 3 });
    native.cachedMarks.set('t/1', { lowOffset: 0, highOffset: 3 }); // paused: not fresh, asked
    native.cachedMarks.set('t/2', { lowOffset: -1, highOffset: 3 }); // not both known: asked
    native.watermarkQueries = 0;
    native.maxConcurrentQueries = 0;
    const lag = await g.control.lag();
    assert.deepEqual(
      lag.map((l) => [l.partition, l.highWatermark, l.lag]),
      all.map((tp) => [tp.partition, 3, 3]),
    );
    assert.equal(native.watermarkQueries, 5, 'partition 0 was not asked');
    assert.ok(native.maxConcurrentQueries <= 2, `at most two at once (${native.maxConcurrentQueries})`);
  });

  it('a second seek while the first one waits for running work: the last target wins, the old work still holds fetching', async () => {
    const { g, native, exec } = await setup({ ordering: 'partition', taskBatchSize: 1 }, 1);
    native.append('t', 0, 10);
    native.assign([P0]);
    await until(() => exec.tasks.length === 1, 'offset 0 running');
    await g.control.seek({ ...P0, offset: 4 });
    await g.control.seek({ ...P0, offset: 8 });
    assert.deepEqual(g.watermarks, [{ ...P0, offset: 8 }]);
    assert.ok(native.paused.has('t/0'), 'still paused for offset 0');
    await delay(20);
    assert.equal(exec.tasks.length, 1, 'still waiting for offset 0');
    exec.finish();
    await until(() => (exec.finish(), native.stored.get('t/0') === 10), 'drains from 8');
    assert.deepEqual(offsetsOf(exec.tasks, 0), [0, 8, 9]);
  });
});
