import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Status } from '../../../../src/message/task.js';
import type { NativeMessage } from '../../../../src/native/types.js';
import { finish, labels, msg, settle, setup } from './harness.js';

describe('Dispatcher (ordered lanes, batching, revoke, stop) with a fake executor', () => {
  it('key mode: many lanes per task, lanes contiguous, one task at a time per key', async () => {
    const { exec, feed, ps } = setup();
    feed([msg(0, 'a'), msg(1, 'b'), msg(2, 'a'), msg(3, null), msg(4, 'b'), msg(5, null)]);
    assert.equal(exec.tasks.length, 1);
    const t = exec.tasks[0]!;
    assert.deepEqual(labels(t), ['a@0', 'a@2', 'b@1', 'b@4', 'null@3', 'null@5']);
    assert.deepEqual(t.lanes, [0, 0, 1, 1, 2, 2]);
    assert.deepEqual(t.attempts, [1, 1, 1, 1, 1, 1]);
    // more of key a (busy) and a new key c: c runs at once, a waits for the running task
    feed([msg(6, 'a'), msg(7, 'c')]);
    assert.equal(exec.tasks.length, 2);
    assert.deepEqual(labels(exec.tasks[1]!), ['c@7']);
    await finish(t);
    assert.equal(exec.tasks.length, 3);
    assert.deepEqual(labels(exec.tasks[2]!), ['a@6']);
    assert.equal(ps.tracker.watermark, 6, 'offsets 0..5 done');
    await finish(exec.tasks[1]!);
    await finish(exec.tasks[2]!);
    assert.equal(ps.tracker.watermark, 8);
    assert.equal(ps.open, 0);
  });

  it('a task holds at most taskBatchSize messages; the rest of a lane follows after it', async () => {
    const { exec, feed } = setup({ batch: 3 });
    feed([msg(0, 'a'), msg(1, 'a'), msg(2, 'a'), msg(3, 'a'), msg(4, 'b')]);
    assert.deepEqual(exec.tasks.map(labels), [['a@0', 'a@1', 'a@2'], ['b@4']]);
    await finish(exec.tasks[0]!);
    assert.deepEqual(labels(exec.tasks[2]!), ['a@3']);
  });

  it('respects the executor capacity and continues when a task ends', async () => {
    const { exec, feed, entry } = setup({ capacity: 1, batch: 1 });
    feed([msg(0, 'a'), msg(1, 'b'), msg(2, 'c')]);
    assert.equal(exec.tasks.length, 1);
    assert.equal(entry.running, 1);
    await finish(exec.tasks[0]!);
    await finish(exec.tasks[1]!);
    assert.deepEqual(exec.tasks.map(labels), [['a@0'], ['b@1'], ['c@2']]);
  });

  it("'partition' mode: one lane per partition, keys do not matter", async () => {
    // a backoff long enough that the retry cannot come before the assertion on a busy machine
    const { exec, feed, d } = setup({ ordering: 'partition', partitions: 2, backoffMs: 500 });
    feed([msg(0, 'a'), msg(1, 'b'), msg(0, 'c', 1)]);
    assert.equal(exec.tasks.length, 1);
    assert.deepEqual(labels(exec.tasks[0]!), ['a@0', 'b@1', 'c@0']);
    assert.deepEqual(exec.tasks[0]!.lanes, [0, 0, 1]);
    feed([msg(2, 'x')]);
    assert.equal(exec.tasks.length, 1, 'partition 0 is busy');
    await finish(exec.tasks[0]!, (l) => (l === 'a@0' ? Status.Failed : l === 'b@1' ? Status.Skipped : Status.Ok));
    assert.equal(exec.tasks.length, 1, 'partition 0 blocked by the retry of a@0');
    d.stop();
  });

  it("'unordered' mode: every message its own lane; a failure blocks nothing else", async () => {
    const { exec, feed, ps } = setup({ ordering: 'unordered' });
    feed([msg(0, 'a'), msg(1, 'a'), msg(2, 'a')]);
    assert.deepEqual(exec.tasks[0]!.lanes, [0, 1, 2]);
    feed([msg(3, 'a')]);
    assert.equal(exec.tasks.length, 2, 'not blocked by the running task');
    await finish(exec.tasks[0]!, (l) => (l === 'a@0' ? Status.Failed : Status.Ok));
    await finish(exec.tasks[1]!);
    assert.equal(ps.tracker.watermark, -1, 'a@0 is still open');
    assert.equal(ps.open, 1);
    await delay(20);
    assert.deepEqual(labels(exec.tasks[2]!), ['a@0']);
    await finish(exec.tasks[2]!);
    assert.equal(ps.tracker.watermark, 4);
  });

  it('revoke: queued messages are dropped; running work still moves the watermark but is no longer in flight; failures are not retried', async () => {
    const { exec, feed, ps, d, released, log } = setup({ batch: 2 });
    feed([msg(0, 'a'), msg(1, 'a'), msg(2, 'a'), msg(3, 'b'), msg(4, 'b')]);
    assert.deepEqual(labels(exec.tasks[0]!), ['a@0', 'a@1']);
    assert.deepEqual(labels(exec.tasks[1]!), ['b@3', 'b@4']);
    ps.revoked = true;
    assert.equal(d.dropQueued(ps), 1, 'a@2');
    ps.open = 0; // what the group consumer does
    assert.equal(ps.busyCount, 4);
    await finish(exec.tasks[0]!);
    await finish(exec.tasks[1]!, (l) => (l === 'b@3' ? Status.Failed : Status.Skipped));
    assert.equal(ps.busyCount, 0);
    assert.equal(ps.tracker.watermark, 2, 'the revoke commit covers a@0 and a@1');
    assert.equal(released.get(ps), undefined, 'nothing released: the revoke already took it out of flight');
    await delay(20);
    assert.equal(exec.tasks.length, 2, 'nothing re-run for a revoked partition');
    assert.ok(!log.some((l) => l.startsWith('retried')));
  });

  it('stop() cancels pending retries and dispatches nothing more', async () => {
    // A backoff long enough that the retry is still pending at stop() (with 2 ms it could fire
    // while finish() awaited, and the test raced the retry).
    const { exec, feed, d } = setup({ backoffMs: 1000 });
    feed([msg(0, 'a')]);
    await finish(exec.tasks[0]!, () => Status.Failed);
    d.stop();
    feed([msg(1, 'b')]);
    await delay(1100);
    assert.equal(exec.tasks.length, 1);
  });

  it('a task that ends after stop() only updates the offset tracker: no retry, no new timer, no event, no release', async () => {
    const { exec, feed, d, ps, log, released } = setup({ backoffMs: 5000, batch: 2 });
    feed([msg(0, 'a'), msg(1, 'a'), msg(2, 'b'), msg(3, 'c'), msg(4, 'd')]);
    assert.equal(exec.tasks.length, 3);
    d.stop();
    await settle(); // (mocha's own timeout timer is made at the test's first await)
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const logged = log.length;
    // a@0 done, a@1 failed (retriable): would be retried after 2.5-5 s
    await finish(exec.tasks[0]!, (l) => (l === 'a@1' ? Status.Failed : Status.Ok));
    // the pool destroyed by stop(): its task rejects (piscina's "Terminating worker thread")
    exec.tasks[1]!.reject(new Error('Terminating worker thread'));
    // a worker that died: reported progress with an error
    exec.tasks[2]!.resolve({ statuses: Uint8Array.from([Status.Failed]), failures: [{ index: 0, name: 'WorkerError', message: 'exit 1', retriable: true }], error: new Error('exit 1') });
    await settle();
    assert.equal(timers(), before, 'no new timer');
    assert.deepEqual(log.slice(logged), [], 'no retried / taskError / progressed event after stop');
    assert.equal(released.size, 0, 'nothing announced (no resume of a disconnected consumer)');
    assert.equal(ps.tracker.watermark, 1, 'a@0 done: the final commit covers it');
    assert.equal(ps.busyCount, 0, 'a revoke waiting for running work is not held up');
    assert.equal(exec.tasks.length, 3, 'nothing dispatched');
  });

  it('forgets idle key lanes (the lanes do not grow with every key ever seen)', async () => {
    const { exec, feed, ps } = setup({ batch: 500 });
    feed(Array.from({ length: 50 }, (_, i) => msg(i, `k${i}`)));
    assert.equal(ps.lanes.size, 50);
    await finish(exec.tasks[0]!);
    assert.equal(ps.lanes.size, 50, 'an idle lane stays filed for its key\'s next message');
    // 20,000 distinct keys, 500 at a time: idle lanes are swept, the busy ones stay
    let offset = 50;
    for (let round = 0; round < 40; round++) {
      feed(Array.from({ length: 500 }, () => msg(offset, `key-${offset++}`)));
      for (const t of exec.tasks.splice(0)) await finish(t);
      assert.ok(ps.lanes.size <= 2048 + 500, `${ps.lanes.size} lanes after ${offset} keys`);
    }
    assert.equal(ps.tracker.watermark, offset);
    assert.equal(ps.open, 0);
    // a key seen again after its lane was forgotten gets a new one, in order
    feed([msg(offset, 'k1'), msg(offset + 1, 'k1')]);
    assert.deepEqual(labels(exec.tasks[0]!), [`k1@${offset}`, `k1@${offset + 1}`]);
  });

  it('a key lane is found by the key\'s bytes: short keys by hash (collisions chained), long keys, string or Buffer', async () => {
    const { exec, feed, ps } = setup({ batch: 1000 });
    const long = 'x'.repeat(40);
    const keys = ['a', 'b', '', long, `${long}y`];
    const list: NativeMessage[] = [];
    for (let i = 0; i < 20; i++) {
      const k = keys[i % keys.length]!;
      list.push({ ...msg(i, null), key: i % 2 === 0 ? k : Buffer.from(k) });
    }
    feed(list);
    assert.equal(ps.lanes.size, keys.length);
    const t = exec.tasks[0]!;
    // lanes contiguous, in order of first appearance, each key's offsets in order
    const byLane = new Map<number, number[]>();
    t.msgs.forEach((m, i) => byLane.set(t.lanes[i]!, [...(byLane.get(t.lanes[i]!) ?? []), m.offset]));
    assert.deepEqual([...byLane.values()], [0, 1, 2, 3, 4].map((k) => [k, k + 5, k + 10, k + 15]));
    await finish(t);
    assert.equal(ps.tracker.watermark, 20);
  });
});
