import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Status } from '../../../../src/message/task.js';
import { WorkerError } from '../../../../src/pool/executor.js';
import { finish, label, labels, msg, settle, setup } from './harness.js';

describe('Dispatcher: settling task results (a worker that died, a task that never ran) with a fake executor', () => {
  it('a worker that died mid-task: done messages stay done, the running one is charged, the rest re-run uncharged', async () => {
    const { exec, feed, ps, log } = setup({ backoffMs: 1000 });
    feed([msg(0, 'a'), msg(1, 'a'), msg(2, 'a'), msg(3, 'b'), msg(4, 'c')]);
    const t = exec.tasks[0]!;
    assert.deepEqual(labels(t), ['a@0', 'a@1', 'a@2', 'b@3', 'c@4']);
    // what PoolExecutor reports from the shared progress: a@0 done, a@1 was running, rest never ran
    t.resolve({
      statuses: Uint8Array.from([Status.Ok, Status.Failed, Status.Skipped, Status.Skipped, Status.Skipped]),
      failures: [{ index: 1, name: 'WorkerError', message: 'worker exited with code: 1', retriable: true }],
      error: new Error('worker exited with code: 1'),
    });
    await settle();
    assert.ok(log.includes('taskError WorkerError: a handler task ended abnormally: worker exited with code: 1'), log.join('\n'));
    assert.equal(ps.tracker.watermark, 1);
    // b and c never ran: they go again at once, not charged; lane a waits for the backoff
    assert.equal(exec.tasks.length, 2);
    assert.deepEqual(labels(exec.tasks[1]!), ['b@3', 'c@4']);
    assert.deepEqual(exec.tasks[1]!.attempts, [1, 1]);
  });

  it('a task rejected without progress (never started): every lane head is charged, the rest of the lane waits; the error is a WorkerError', async () => {
    const { exec, feed, log, taskErrors } = setup({ capacity: 1 });
    feed([msg(0, 'a'), msg(1, 'a'), msg(2, 'b')]);
    exec.tasks[0]!.reject(new Error('pool broken'));
    await settle();
    // onError gets a library error (code, retriable) with the pool's error as its cause
    assert.ok(log.includes('taskError WorkerError: the executor could not run a handler task: pool broken'), log.join('\n'));
    const e = taskErrors[0] as WorkerError;
    assert.ok(e instanceof WorkerError);
    assert.equal(e.code, 'GCK_WORKER');
    assert.equal(e.retriable, true);
    assert.equal((e.cause as Error).message, 'pool broken');
    assert.ok(log.includes('retried a@0 after attempt 1'));
    assert.ok(log.includes('retried b@2 after attempt 1'));
    assert.ok(!log.some((l) => l.startsWith('retried a@1')), 'a@1 was skipped, not failed');
    await delay(20);
    await finish(exec.tasks[1]!); // capacity 1: the other lane runs after it
    const again = exec.tasks.slice(1);
    assert.deepEqual(again.flatMap(labels).sort(), ['a@0', 'a@1', 'b@2']);
    const attempts = new Map(again.flatMap((t) => t.msgs.map((m, i) => [label(m), t.attempts[i]] as const)));
    assert.deepEqual(Object.fromEntries(attempts), { 'a@0': 2, 'a@1': 1, 'b@2': 2 });
    assert.ok(again.some((t) => labels(t).join() === 'a@0,a@1'), 'a@1 still after a@0 in one task');
  });

  it('an executor that throws synchronously is a failed task, not an exception out of dispatch()', async () => {
    const { exec, feed, log } = setup();
    exec.throwNext = new Error('cannot pack');
    assert.doesNotThrow(() => feed([msg(0, 'a')]));
    await delay(1);
    assert.ok(log.includes('taskError WorkerError: the executor could not run a handler task: cannot pack'), log.join('\n'));
    await delay(20);
    assert.deepEqual(exec.tasks[0]!.attempts, [2]);
  });
});
