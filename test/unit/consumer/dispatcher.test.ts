import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Dispatcher, type DispatcherEvents } from '../../../src/consumer/dispatcher.js';
import type { DeadLetterInfo } from '../../../src/consumer/dead-letter.js';
import { HandlerEntry, PartitionState, type Pending } from '../../../src/consumer/partition-state.js';
import { Status, type OrderingMode, type TaskFailure, type TaskResult } from '../../../src/consumer/types.js';
import type { NativeMessage } from '../../../src/native/types.js';
import { WorkerError, type Executor } from '../../../src/pool/executor.js';
import type { DeliveryResult } from '../../../src/producer/engine.js';
import { pino } from 'pino';
import { resolveConfig } from '../../../src/config/index.js';
import { ConsumerObserver } from '../../../src/telemetry/consumer-observer.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

/** One task handed to the fake executor; the test decides how it ends. */
interface Task {
  msgs: readonly NativeMessage[];
  lanes: readonly number[];
  attempts: readonly number[];
  resolve(r: TaskResult): void;
  reject(e: unknown): void;
}

class FakeExecutor implements Executor {
  readonly tasks: Task[] = [];
  queueSize = 0;
  utilization = 0;
  throwNext: Error | undefined;
  constructor(readonly capacity: number) {}
  run(msgs: readonly NativeMessage[], lanes: readonly number[], attempts: readonly number[]): Promise<TaskResult> {
    if (this.throwNext) {
      const e = this.throwNext;
      this.throwNext = undefined;
      throw e;
    }
    return new Promise((resolve, reject) => this.tasks.push({ msgs, lanes, attempts, resolve, reject }));
  }
  async close(): Promise<void> {}
}

const msg = (offset: number, key: string | null, partition = 0): NativeMessage => ({ topic: 't', partition, offset, key, value: Buffer.from(`${key}@${offset}`), size: 0 });
const label = (m: NativeMessage) => `${m.key}@${m.offset}`;
const labels = (t: Task) => t.msgs.map(label);

/** Ends a task: `outcome(label)` gives each message's status (default Ok). */
const settle = () => new Promise<void>((r) => setImmediate(r));

async function finish(t: Task, outcome: (l: string) => Status | TaskFailure = () => Status.Ok): Promise<void> {
  const statuses = new Uint8Array(t.msgs.length);
  const failures: TaskFailure[] = [];
  t.msgs.forEach((m, i) => {
    const o = outcome(label(m));
    if (typeof o === 'object') {
      statuses[i] = Status.Failed;
      failures.push({ ...o, index: i });
    } else {
      statuses[i] = o;
      if (o === Status.Failed) failures.push({ index: i, name: 'Error', message: `failed ${label(m)}`, retriable: true });
    }
  });
  t.resolve({ statuses, failures });
  await settle();
}

class FakeDlq {
  readonly written: Array<{ msg: NativeMessage; info: DeadLetterInfo }> = [];
  failNext = 0;
  write(msg: NativeMessage, info: DeadLetterInfo): Promise<DeliveryResult> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('dlq down'));
    }
    this.written.push({ msg, info });
    return Promise.resolve({} as DeliveryResult);
  }
}

function setup(opts: { ordering?: OrderingMode; capacity?: number; batch?: number; retryMax?: number; partitions?: number; backoffMs?: number; observer?: ConsumerObserver } = {}) {
  const exec = new FakeExecutor(opts.capacity ?? 4);
  const entry = new HandlerEntry({ topics: ['t'], groupId: 'g', handle() {} }, exec);
  const parts = Array.from({ length: opts.partitions ?? 1 }, (_, i) => new PartitionState('t', i, entry));
  const log: string[] = [];
  const taskErrors: Error[] = [];
  const released = new Map<PartitionState, number>();
  const events: DispatcherEvents = {
    progressed: (ps) => log.push(`progressed ${ps.partition} ${ps.tracker.watermark}`),
    released: (ps, n) => released.set(ps, (released.get(ps) ?? 0) + n),
    dlqFailing: (ps) => log.push(`dlqFailing ${ps.partition}`),
    dlqRecovered: (ps) => log.push(`dlqRecovered ${ps.partition}`),
    retried: (_ps, p: Pending) => log.push(`retried ${label(p.msg)} after attempt ${p.attempts}`),
    deadLettered: (_ps, p: Pending) => log.push(`deadLettered ${label(p.msg)}`),
    taskError: (e) => {
      taskErrors.push(e);
      log.push(`taskError ${e.name}: ${e.message}`);
    },
  };
  const dlq = new FakeDlq();
  const d = new Dispatcher(
    { ordering: opts.ordering ?? 'key', taskBatchSize: opts.batch ?? 100, retryMax: opts.retryMax ?? 2, retryBackoffMs: opts.backoffMs ?? 2, retryBackoffMaxMs: 2 * (opts.backoffMs ?? 2) },
    events,
    dlq,
    opts.observer,
  );
  const feed = (list: NativeMessage[]) => {
    for (const m of list) d.ingest(parts[m.partition]!, m);
    d.dispatch(entry);
  };
  return { exec, entry, ps: parts[0]!, parts, d, log, released, dlq, feed, taskErrors };
}

describe('Dispatcher (ordered lanes, batching, retries, dead letters) with a fake executor', () => {
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

  it('retries a failed message BEFORE the later messages of its key, which keep their order', async () => {
    // a backoff (5..10 ms) long enough that the retry cannot come before the first assertions
    const { exec, feed, ps, log, released } = setup({ backoffMs: 10 });
    feed([msg(0, 'a'), msg(1, 'a'), msg(2, 'a'), msg(3, 'a'), msg(4, 'b')]);
    await finish(exec.tasks[0]!, (l) => (l === 'a@1' ? Status.Failed : l === 'a@2' || l === 'a@3' ? Status.Skipped : Status.Ok));
    assert.equal(ps.tracker.watermark, 1, 'a@0 done; a@1 is not, so b@4 waits in the watermark');
    assert.equal(released.get(ps), 2, 'a@0 and b@4 released');
    assert.equal(ps.open, 3);
    // a new message of key a arrives during the backoff: it must wait behind the retried ones
    feed([msg(5, 'a')]);
    assert.equal(exec.tasks.length, 1, 'lane a is blocked during the backoff');
    await delay(40);
    assert.equal(exec.tasks.length, 2);
    const retry = exec.tasks[1]!;
    assert.deepEqual(labels(retry), ['a@1', 'a@2', 'a@3', 'a@5']);
    assert.deepEqual(retry.attempts, [2, 1, 1, 1], 'only the failed one counts an attempt');
    assert.ok(log.includes('retried a@1 after attempt 1'));
    await finish(retry);
    assert.equal(ps.tracker.watermark, 6);
    assert.equal(ps.open, 0);
  });

  it('dead-letters after retry_max failed attempts, keeps the lane blocked until the write is acknowledged', async () => {
    const { exec, feed, ps, log, dlq } = setup({ retryMax: 2 });
    feed([msg(0, 'a'), msg(1, 'a'), msg(2, 'b')]);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const t = exec.tasks[exec.tasks.length - 1]!;
      assert.equal(t.msgs[0]!.offset, 0);
      assert.equal(t.attempts[0], attempt);
      await finish(t, (l) => (l === 'a@0' ? { index: 0, name: 'TypeError', message: `boom ${attempt}`, retriable: true } : l === 'a@1' ? Status.Skipped : Status.Ok));
      await delay(20);
    }
    assert.equal(dlq.written.length, 1);
    const { msg: m, info } = dlq.written[0]!;
    assert.equal(label(m), 'a@0');
    assert.equal(info.attempts, 3, 'retry_max + 1 attempts');
    assert.equal(info.errorType, 'TypeError');
    assert.equal(info.errorMessage, 'boom 3');
    assert.ok(info.firstFailure > 0 && info.firstFailure <= info.lastFailure);
    assert.ok(log.includes('deadLettered a@0'));
    // the dead-lettered message counts as done, and a@1 runs next (first in its lane, attempt 1)
    const next = exec.tasks[exec.tasks.length - 1]!;
    assert.deepEqual(labels(next), ['a@1']);
    assert.deepEqual(next.attempts, [1]);
    await finish(next);
    assert.equal(ps.tracker.watermark, 3);
    assert.equal(ps.open, 0);
  });

  it('a non-retriable failure (PermanentError) goes to the dead-letter topic at once', async () => {
    const { exec, feed, dlq, ps } = setup({ retryMax: 5 });
    feed([msg(0, 'a'), msg(1, 'a')]);
    await finish(exec.tasks[0]!, (l) => (l === 'a@0' ? { index: 0, name: 'PermanentError', message: 'bad', retriable: false } : Status.Skipped));
    await delay(5);
    assert.equal(dlq.written.length, 1);
    assert.equal(dlq.written[0]!.info.attempts, 1);
    await finish(exec.tasks[1]!);
    assert.equal(ps.tracker.watermark, 2);
  });

  it('a failing dead-letter write is not "done": the partition is reported blocked and the write retried', async () => {
    const { exec, feed, dlq, ps, log } = setup({ retryMax: 0 });
    dlq.failNext = 2;
    feed([msg(0, 'a'), msg(1, 'b')]);
    await finish(exec.tasks[0]!, (l) => (l === 'a@0' ? Status.Failed : Status.Ok));
    assert.equal(ps.tracker.watermark, -1, 'a@0 not done while its dead-letter write fails');
    assert.deepEqual(
      log.filter((l) => l.startsWith('dlq')),
      ['dlqFailing 0'],
    );
    assert.equal(ps.busyCount, 0, 'waiting to write again is not busy (a revoke does not wait for the backoff)');
    await delay(60);
    assert.equal(dlq.written.length, 1);
    assert.deepEqual(
      log.filter((l) => l.startsWith('dlq')),
      ['dlqFailing 0', 'dlqRecovered 0'],
    );
    assert.equal(ps.tracker.watermark, 2);
    assert.equal(ps.busyCount, 0);
  });

  it('a dead-letter write counts as busy (a revoke waits for it) only while it is in flight, not while it waits to be tried again', async () => {
    const { exec, feed, dlq, ps, log } = setup({ retryMax: 0, backoffMs: 40 });
    const writes: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
    dlq.write = () => new Promise((resolve, reject) => writes.push({ resolve: () => resolve({} as DeliveryResult), reject }));
    feed([msg(0, 'a'), msg(1, 'a')]);
    await finish(exec.tasks[0]!, (l) => (l === 'a@0' ? { index: 0, name: 'PermanentError', message: 'bad', retriable: false } : Status.Skipped));
    assert.equal(writes.length, 1);
    assert.equal(ps.busyCount, 1, 'the write is in flight');
    writes[0]!.reject(new Error('dlq down'));
    await settle();
    assert.equal(ps.busyCount, 0, 'waiting out the backoff is not busy');
    assert.ok(log.includes('dlqFailing 0'));
    const end = Date.now() + 1000;
    while (writes.length < 2 && Date.now() < end) await delay(2);
    assert.equal(writes.length, 2, 'written again after the backoff');
    assert.equal(ps.busyCount, 1, 'the second write is in flight');
    writes[1]!.resolve();
    await settle();
    assert.equal(ps.tracker.watermark, 1, 'a@0 done once written');
    assert.ok(log.includes('dlqRecovered 0'));
    assert.equal(exec.tasks.length, 2, 'a@1 runs next (the lane stayed blocked until the write)');
    assert.equal(ps.busyCount, 1, 'only a@1');
  });

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

  it('a dead-letter write that ends after stop(): recorded as done for the final commit, nothing announced; a failed one starts no retry timer', async () => {
    const { exec, feed, d, parts, dlq, log, released } = setup({ retryMax: 0, backoffMs: 5000, partitions: 2 });
    const writes: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
    dlq.write = () => new Promise((resolve, reject) => writes.push({ resolve: () => resolve({} as DeliveryResult), reject }));
    feed([msg(0, 'a'), msg(0, 'b', 1)]);
    await finish(exec.tasks[0]!, () => Status.Failed);
    assert.equal(writes.length, 2, 'both dead-letter writes under way');
    d.stop();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const logged = log.length;
    writes[0]!.resolve();
    writes[1]!.reject(new Error('dlq down'));
    await settle();
    assert.deepEqual(log.slice(logged), [], 'no deadLettered / progressed / dlqFailing event after stop');
    assert.equal(released.size, 0, 'nothing announced (no resume of a disconnected consumer)');
    assert.equal(parts[0]!.tracker.watermark, 1, 'the written one is done: the final commit covers it');
    assert.equal(parts[1]!.tracker.watermark, -1);
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, before, 'no retry timer');
    assert.equal(parts[0]!.busyCount + parts[1]!.busyCount, 0);
  });

  it('a dead-letter write that completes after stop() is still counted and logged (the message is parked all the same)', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const telemetry = new Telemetry(resolveConfig({ brokers: ['fake:9092'] }), { logger });
    const observer = new ConsumerObserver(telemetry, 'g', telemetry.component('consumer'));
    const { exec, feed, d, dlq } = setup({ retryMax: 0, observer });
    const writes: Array<() => void> = [];
    dlq.write = () => new Promise((resolve) => writes.push(() => resolve({} as DeliveryResult)));
    feed([msg(7, 'a')]);
    await finish(exec.tasks[0]!, () => Status.Failed);
    d.stop();
    writes[0]!();
    await settle();
    assert.equal(telemetry.counters.snapshot()['t']!.deadLettered, 1);
    const line = lines.find((l) => l.msg === 'message dead-lettered');
    assert.ok(line, 'logged');
    assert.equal(line.offset, 7);
    assert.equal(line.after, 'stop or revoke');
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
