import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { resolveConfig } from '../../../../src/config/index.js';
import type { DeliveryResult } from '../../../../src/delivery/engine.js';
import { Status, type TaskFailure } from '../../../../src/message/task.js';
import { ConsumerObserver } from '../../../../src/consumer/observer.js';
import { Telemetry } from '../../../../src/telemetry/telemetry.js';
import { Diagnostics } from '../../../../src/diagnostics/diagnostics.js';
import { finish, label, labels, msg, settle, setup } from './harness.js';
import { WorkerError } from '../../../../src/pool/executor.js';

async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await delay(2);
  }
}

describe('Dispatcher: retries and dead letters with a fake executor', () => {
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
    const diagnostics = new Diagnostics({ clientId: 'test' });
    const telemetry = new Telemetry(resolveConfig({ brokers: ['fake:9092'] }), diagnostics, { logger, tracing: false });
    const observer = new ConsumerObserver(diagnostics, 'g');
    const { exec, feed, d, dlq } = setup({ retryMax: 0, observer });
    const writes: Array<() => void> = [];
    dlq.write = () => new Promise((resolve) => writes.push(() => resolve({} as DeliveryResult)));
    feed([msg(7, 'a')]);
    await finish(exec.tasks[0]!, () => Status.Failed);
    d.stop();
    writes[0]!();
    await settle();
    assert.equal(diagnostics.counters.snapshot()['t']!.deadLettered, 1);
    const line = lines.find((l) => l.msg === 'message dead-lettered');
    assert.ok(line, 'logged');
    assert.equal(line.offset, 7);
    assert.equal(line.after, 'stop or revoke');
    telemetry.close();
  });

  it('a task that never started (pool infrastructure failure) charges no attempt: it is reported, dispatch waits out a backoff, the messages run again and nothing is dead-lettered (issue 17 item 9)', async () => {
    const { exec, feed, d, dlq, taskErrors, entry } = setup({ retryMax: 0, backoffMs: 5 });
    feed([msg(0, 'a'), msg(1, 'b')]);
    // three infrastructure failures in a row: e.g. a replacement worker cannot load the handler module
    for (let round = 0; round < 3; round++) {
      await until(() => exec.tasks.length === round + 1, `task ${round + 1}`);
      const t = exec.tasks[round]!;
      assert.deepEqual(t.attempts, [1, 1], 'no attempt charged by the earlier infrastructure failures');
      t.reject(new WorkerError('the worker pool did not run a handler task', new Error('Cannot find module'), {}, true));
      await settle();
      assert.equal(entry.held, true, 'dispatch held for a backoff');
    }
    assert.equal(taskErrors.length, 3);
    assert.ok(taskErrors.every((e) => e instanceof WorkerError && e.neverStarted));
    await until(() => exec.tasks.length === 4, 'run again after the backoff');
    await finish(exec.tasks[3]!);
    assert.equal(entry.infraFailures, 0, 'reset by a task that ran');
    assert.equal(dlq.written.length, 0, 'retryMax 0, yet nothing dead-lettered');
    d.stop();
  });

  it('a task that started and failed as a whole (worker died) still counts an attempt', async () => {
    const { exec, feed, d, dlq } = setup({ retryMax: 0, backoffMs: 5 });
    feed([msg(0, 'a')]);
    await until(() => exec.tasks.length === 1, 'task');
    exec.tasks[0]!.reject(new WorkerError('a worker thread died', new Error('exit 1')));
    await until(() => dlq.written.length === 1, 'dead-lettered after its one attempt');
    d.stop();
  });

  it('a task that never ran because the consumer stopped still tells task-end subscribers (its spans end, as not run) (issue 17 item 10)', async () => {
    const { subscribe, unsubscribe } = await import('node:diagnostics_channel');
    const { CHANNELS } = await import('../../../../src/diagnostics/channels.js');
    const diagnostics = new Diagnostics({ clientId: 'test' });
    const ends: number[][] = [];
    const onEnd = (m: unknown) => {
      const ev = m as { source: unknown; statuses: ArrayLike<number> };
      if (ev.source === diagnostics) ends.push(Array.from(ev.statuses));
    };
    subscribe(CHANNELS.CONSUMER_TASK_END, onEnd);
    try {
      const { exec, feed, d } = setup({ observer: new ConsumerObserver(diagnostics, 'g') });
      feed([msg(0, 'a'), msg(1, 'b')]);
      await until(() => exec.tasks.length === 1, 'task');
      d.stop();
      exec.tasks[0]!.reject(new Error('pool destroyed'));
      await settle();
      assert.deepEqual(ends, [[Status.Skipped, Status.Skipped]]);
    } finally {
      unsubscribe(CHANNELS.CONSUMER_TASK_END, onEnd);
    }
  });

  it('a dead-letter copy too large for the dead-letter topic is written reduced at once; an error retrying cannot clear keeps the partition paused and is reported as permanent (issue 17 item 1)', async () => {
    const { DeliveryError } = await import('../../../../src/errors/producer.js');
    const { RD } = await import('../../../../src/errors/librdkafka.js');
    const { exec, feed, d, dlq, ps, log } = setup({ retryMax: 0, backoffMs: 5 });
    const calls: string[] = [];
    let mode: 'size' | 'batch-size' | 'auth' | 'ok' = 'size';
    let alone = false;
    dlq.writeAlone = (m, info) => {
      alone = true;
      return dlq.write(m, info).finally(() => (alone = false));
    };
    dlq.write = (m, info, reduced = false) => {
      calls.push(reduced ? 'reduced' : alone ? 'alone' : 'full');
      if (mode === 'batch-size' && !reduced && !alone) return Promise.reject(new DeliveryError('t.dlq', 0, { code: RD.ERR_MSG_SIZE_TOO_LARGE, message: 'Broker: Message size too large' }, undefined, 1));
      if (mode === 'size' && !reduced) return Promise.reject(new DeliveryError('t.dlq', 0, { code: RD.ERR_MSG_SIZE_TOO_LARGE, message: 'Broker: Message size too large' }, undefined, 1));
      if (mode === 'auth') return Promise.reject(new DeliveryError('t.dlq', 0, { code: RD.ERR_TOPIC_AUTHORIZATION_FAILED, message: 'Broker: Topic authorization failed' }, undefined, 1));
      dlq.written.push({ msg: m, info });
      return Promise.resolve({} as DeliveryResult);
    };
    feed([msg(0, 'a')]);
    await until(() => exec.tasks.length === 1, 'task');
    await finish(exec.tasks[0]!, () => Status.Failed);
    await until(() => dlq.written.length === 1, 'written');
    assert.deepEqual(calls, ['full', 'alone', 'reduced'], 'full copy refused as too large, again alone, then the reduced copy at once');
    assert.ok(!log.some((l) => l.startsWith('dlqFailing')), 'no pause for a copy that could be reduced');
    // Only its batch was too large: the copy written alone goes through whole, not reduced.
    mode = 'batch-size';
    calls.length = 0;
    feed([msg(2, 'c')]);
    await until(() => exec.tasks.length === 2, 'task for c');
    await finish(exec.tasks[1]!, () => Status.Failed);
    await until(() => dlq.written.length === 2, 'c written');
    assert.deepEqual(calls, ['full', 'alone']);
    // Not authorized: no copy can be written until an operator acts; the partition stays paused, reported permanent.
    mode = 'auth';
    feed([msg(1, 'b')]);
    await until(() => exec.tasks.length === 3, 'task 3');
    await finish(exec.tasks[2]!, () => Status.Failed);
    await until(() => ps.dlqError !== undefined, 'blocked');
    assert.equal(ps.dlqError!.permanent, true);
    assert.match(ps.dlqError!.error.message, /authorization/i);
    assert.ok(log.includes('dlqFailing 0'));
    mode = 'ok'; // the operator fixed the ACL: the next attempt (after a backoff) goes through
    await until(() => dlq.written.length === 3, 'written after the fix');
    assert.equal(ps.dlqError, undefined);
    assert.ok(log.includes('dlqRecovered 0'));
    d.stop();
  });

  it('a failure the error marks as the infrastructure\'s (registry unreachable) charges no attempt: reported, run again after a backoff, never dead-lettered for it', async () => {
    const { exec, feed, d, dlq, taskErrors } = setup({ retryMax: 0, backoffMs: 5 });
    feed([msg(0, 'a'), msg(1, 'a')]);
    for (let round = 0; round < 3; round++) {
      await until(() => exec.tasks.length === round + 1, `run ${round + 1}`);
      const t = exec.tasks[round]!;
      assert.deepEqual(t.attempts.slice(0, 1), [1], 'still its first attempt');
      t.resolve({ statuses: Uint8Array.from([Status.Failed, Status.Skipped].slice(0, t.msgs.length)), failures: [{ index: 0, name: 'RegistryError', message: 'the Schema Registry is unreachable', retriable: true, infrastructure: true }] });
      await settle();
    }
    await until(() => exec.tasks.length === 4, 'run 4');
    await finish(exec.tasks[3]!);
    assert.equal(dlq.written.length, 0, 'retryMax 0, yet nothing dead-lettered');
    assert.equal(taskErrors.length, 3);
    assert.ok(taskErrors.every((e) => (e as { code?: string }).code === 'GCK_INFRASTRUCTURE'));
    d.stop();
  });

  describe('held dispatch is visible (held(), consumer.stats(): issue 17 item 9)', () => {
    const outage: TaskFailure = { index: 0, name: 'RegistryError', message: 'the Schema Registry is unreachable', retriable: true, infrastructure: true };

    it('a message held by infrastructure failures: counted with when its hold began and why, until it runs to an outcome', async () => {
      const { exec, feed, d } = setup({ retryMax: 3, backoffMs: 20 });
      assert.deepEqual(d.held(), { handlers: 0, lanes: 0, since: 0, reason: '' });
      feed([msg(0, 'a'), msg(1, 'a'), msg(2, 'b')]);
      const t0 = Date.now();
      await finish(exec.tasks[0]!, (l) => (l === 'a@0' ? outage : l === 'a@1' ? Status.Skipped : Status.Ok));
      let h = d.held();
      assert.equal(h.lanes, 1, 'key a is held behind a@0');
      assert.equal(h.handlers, 0);
      assert.ok(h.since >= t0 && h.since <= Date.now());
      assert.equal(h.reason, 'RegistryError: the Schema Registry is unreachable');
      const since = h.since;
      // a second outage of the same message: still one hold, since its first failure
      await until(() => exec.tasks.length === 2, 'run 2');
      await finish(exec.tasks[1]!, (l) => (l === 'a@0' ? outage : Status.Skipped));
      h = d.held();
      assert.deepEqual([h.lanes, h.since], [1, since]);
      // the registry is back: the message runs, nothing is held
      await until(() => exec.tasks.length === 3, 'run 3');
      await finish(exec.tasks[2]!);
      assert.deepEqual(d.held(), { handlers: 0, lanes: 0, since: 0, reason: '' });
      d.stop();
    });

    it('a message that then fails for real (an attempt charged) is no longer held; nor is one of a revoked partition', async () => {
      const { exec, feed, d, ps } = setup({ retryMax: 3, backoffMs: 5 });
      feed([msg(0, 'a'), msg(1, 'b')]);
      await finish(exec.tasks[0]!, () => outage);
      assert.equal(d.held().lanes, 2);
      // a@0 runs again (alone or with b@1, as the backoffs' jitter has it) and fails for real
      await until(() => exec.tasks.slice(1).some((t) => labels(t).includes('a@0')), 'a@0 runs again');
      await finish(exec.tasks.slice(1).find((t) => labels(t).includes('a@0'))!, (l) => (l === 'a@0' ? Status.Failed : outage));
      assert.equal(d.held().lanes, 1, 'a@0 failed for real: retried as usual, not held');
      ps.revoked = true;
      assert.equal(d.held().lanes, 0, 'revoked: its next owner reads it again');
      d.stop();
    });

    it('a handler whose tasks never start: held from its first such failure until a task runs; stop() clears it', async () => {
      const { exec, feed, d } = setup({ retryMax: 0, backoffMs: 20 });
      feed([msg(0, 'a')]);
      const t0 = Date.now();
      await until(() => exec.tasks.length === 1, 'task 1');
      exec.tasks[0]!.reject(new WorkerError('the worker pool did not run a handler task', new Error('Cannot find module'), {}, true));
      await settle();
      let h = d.held();
      assert.equal(h.handlers, 1);
      assert.ok(h.since >= t0);
      const since = h.since;
      assert.match(h.reason, /^WorkerError: the worker pool did not run a handler task: Cannot find module/);
      await until(() => exec.tasks.length === 2, 'task 2 after the backoff');
      assert.equal(d.held().handlers, 1, 'still held while its next task has not run');
      exec.tasks[1]!.reject(new WorkerError('the worker pool did not run a handler task', new Error('Cannot find module'), {}, true));
      await settle();
      h = d.held();
      assert.deepEqual([h.handlers, h.since], [1, since], 'since the first failure of the streak');
      await until(() => exec.tasks.length === 3, 'task 3');
      await finish(exec.tasks[2]!);
      assert.equal(d.held().handlers, 0);
      feed([msg(1, 'b')]);
      await until(() => exec.tasks.length === 4, 'task 4');
      exec.tasks[3]!.reject(new WorkerError('the worker pool did not run a handler task', new Error('gone'), {}, true));
      await settle();
      assert.equal(d.held().handlers, 1);
      d.stop();
      assert.deepEqual(d.held(), { handlers: 0, lanes: 0, since: 0, reason: '' });
    });
  });
});
