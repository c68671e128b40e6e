import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { HandlerTimeoutError, PoolExecutor, WorkerError } from '../../../src/pool/executor.js';
import { InProcessExecutor } from '../../../src/consumer/dispatch/in-process.js';
import { runTask } from '../../../src/pool/run-task.js';
import { ConsumedMessage } from '../../../src/message/consumed.js';
import { PermanentError } from '../../../src/consumer/handler.js';
import { Status } from '../../../src/message/task.js';
import type { NativeMessage } from '../../../src/native/types.js';

const HANDLER = fileURLToPath(new URL('../../fixtures/handlers/recording.ts', import.meta.url));
const HANGING_FLUSH = fileURLToPath(new URL('../../fixtures/handlers/hanging-flush.ts', import.meta.url));
const FLUSHING = fileURLToPath(new URL('../../fixtures/handlers/flushing.ts', import.meta.url));
const msg = (topic: string, offset: number, value: string): NativeMessage => ({ topic, partition: 0, offset, key: value.split(':')[0]!, value: Buffer.from(value), size: value.length });

describe('runTask (shared by the in-process executor and the worker)', () => {
  const m = (v: string, attempt = 1) => new ConsumedMessage(msg('t', 0, v), attempt);

  it('skips the rest of a failed lane, goes on with other lanes', async () => {
    const r = await runTask(
      (x) => {
        if (x.text() === 'a:1') throw new Error('no');
      },
      [m('a:0'), m('a:1'), m('a:2'), m('b:0')],
      [0, 0, 0, 1],
    );
    assert.deepEqual([...r.statuses], [Status.Ok, Status.Failed, Status.Skipped, Status.Ok]);
    assert.deepEqual(r.failures, [{ index: 1, name: 'Error', message: 'no', retriable: true }]);
  });

  it('an error marked infrastructure (a retriable RegistryError) is reported as such, a permanent one is not', async () => {
    const { RegistryError, UnknownSchemaError } = await import('../../../src/schema/errors.js');
    const { describeFailure } = await import('../../../src/pool/run-task.js');
    const outage = new RegistryError('GCK_SCHEMA_REGISTRY_UNREACHABLE', 'registry unreachable', { retriable: true });
    assert.equal(describeFailure(0, outage).infrastructure, true);
    assert.equal(describeFailure(0, new UnknownSchemaError(7, 'http://r')).infrastructure, undefined);
    assert.equal(describeFailure(0, new Error('handler bug')).infrastructure, undefined);
  });

  it('a handler returning null (or any non-thenable) succeeded', async () => {
    const r = await runTask(() => null as unknown as void, [m('a:0')], [0]);
    assert.deepEqual([...r.statuses], [Status.Ok]);
  });

  it('describes whatever was thrown; nothing thrown fails the task itself', async () => {
    const bare = Object.create(null) as object; // String(bare) throws
    const throws: unknown[] = ['text', 42, null, undefined, { name: 'Custom', message: 'plain object', retriable: false }, bare, new PermanentError('perm')];
    const r = await runTask(
      (x) => {
        throw throws[Number(x.text()!.split(':')[1])];
      },
      throws.map((_, i) => m(`k:${i}`)),
      throws.map((_, i) => i),
    );
    assert.deepEqual(
      r.failures.map((f) => [f.name, f.message, f.retriable]),
      [
        ['NonErrorThrown', 'text', true],
        ['NonErrorThrown', '42', true],
        ['NonErrorThrown', 'null', true],
        ['NonErrorThrown', 'undefined', true],
        ['Custom', 'plain object', false],
        ['NonErrorThrown', '[unprintable object]', true],
        ['PermanentError', 'perm', false],
      ],
    );
  });

  it('InProcessExecutor passes the attempt number to the handler', async () => {
    const seen: number[] = [];
    const ex = new InProcessExecutor((x) => void seen.push(x.attempt), 2);
    await ex.run([msg('t', 0, 'a:0'), msg('t', 1, 'a:1')], [0, 0], [3, 1]);
    assert.deepEqual(seen, [3, 1]);
  });

  it('handlerTimeoutMs (issue 17 item 8): a handler that never settles fails with HandlerTimeoutError (retriable), its lane goes on, other lanes are not held', async () => {
    const ex = new InProcessExecutor((x) => (x.text()!.endsWith(':hang') ? new Promise<void>(() => undefined) : Promise.resolve()), 2, undefined, 40);
    const t0 = performance.now();
    const r = await ex.run([msg('t', 0, 'a:0:hang'), msg('t', 1, 'a:1'), msg('t', 2, 'b:0')], [0, 0, 1], [1, 1, 1]);
    const ms = performance.now() - t0;
    assert.deepEqual([...r.statuses], [Status.Failed, Status.Skipped, Status.Ok]);
    assert.equal(r.failures[0]!.name, 'HandlerTimeoutError');
    assert.equal(r.failures[0]!.retriable, true);
    assert.match(r.failures[0]!.message, /did not settle within 40 ms/);
    assert.ok(ms >= 35, `timed out after ${ms.toFixed(0)} ms, not before the limit`);
    assert.equal(ex.utilization, 0, 'its slot is free again');
    await ex.close();
  });

  it('handlerTimeoutMs also bounds a traced task (runTask path)', async () => {
    const ex = new InProcessExecutor(() => new Promise<void>(() => undefined), 1, { traceRunner: (_tp, fn) => fn(), traceModule: undefined }, 30);
    const r = await ex.run([msg('t', 0, 'a:0')], [0], [1], ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']);
    assert.deepEqual([...r.statuses], [Status.Failed]);
    assert.equal(r.failures[0]!.name, 'HandlerTimeoutError');
    await ex.close();
  });
});

describe('PoolExecutor (piscina, real worker threads)', function () {
  this.timeout(30_000);
  let ex: PoolExecutor | undefined;
  afterEach(async () => {
    await ex?.close(true);
    ex = undefined;
  });

  it('handlerTimeoutMs (issue 17 item 8): a worker hung in a handler is terminated and replaced; the message fails with HandlerTimeoutError, what ran before is kept, the next task runs', async () => {
    ex = new PoolExecutor(HANDLER, 1, 1, undefined, 200);
    const t = `unit-timeout-${process.pid}`;
    const r = await ex.run([msg(t, 0, 'a:0:-'), msg(t, 1, 'a:1:B'), msg(t, 2, 'a:2:-'), msg(t, 3, 'b:0:-')], [0, 0, 0, 1], [1, 1, 1, 1]);
    assert.deepEqual([...r.statuses], [Status.Ok, Status.Failed, Status.Skipped, Status.Skipped]);
    assert.equal(r.failures[0]!.index, 1);
    assert.equal(r.failures[0]!.name, 'HandlerTimeoutError');
    assert.ok(r.error instanceof HandlerTimeoutError);
    const next = await ex.run([msg(t, 4, 'c:0:-')], [0], [1]);
    assert.deepEqual([...next.statuses], [Status.Ok], 'a replacement worker runs the next task');
  });

  it('loads the handler module at ready(); a bad module path rejects there', async () => {
    ex = new PoolExecutor(HANDLER, 1, 1);
    await ex.ready();
    const bad = new PoolExecutor('/nonexistent/handler.js', 1, 1);
    try {
      await assert.rejects(bad.ready());
    } finally {
      await bad.close(true);
    }
  });

  it('runs a task in a worker: statuses per message, lanes skipped after a failure, PermanentError not retriable', async () => {
    ex = new PoolExecutor(HANDLER, 2, 2);
    const t = `unit-${process.pid}`;
    const r = await ex.run([msg(t, 0, 'a:0:-'), msg(t, 1, 'a:1:P'), msg(t, 2, 'a:2:-'), msg(t, 3, 'b:0:T'), msg(t, 4, 'b:1:T')], [0, 0, 0, 1, 1], [1, 1, 1, 2, 1]);
    assert.deepEqual([...r.statuses], [Status.Ok, Status.Failed, Status.Skipped, Status.Ok, Status.Failed]);
    assert.deepEqual(
      r.failures.map((f) => [f.index, f.name, f.retriable]),
      [
        [1, 'PermanentError', false],
        [4, 'Error', true],
      ],
    );
    assert.equal(r.error, undefined);
  });

  it('a module exporting flush(): it runs once per task after the messages; the task is done only then', async () => {
    ex = new PoolExecutor(FLUSHING, 1, 1);
    const t = `unit-flush-${process.pid}`;
    const seen: string[] = [];
    const ch = new BroadcastChannel(`gocoffee-test:${t}`);
    ch.onmessage = (e) => seen.push((e as { data: string }).data);
    try {
      const r = await ex.run([msg(t, 0, 'a:0:-'), msg(t, 1, 'a:1:P'), msg(t, 2, 'b:0:-')], [0, 0, 1], [1, 1, 1]);
      assert.deepEqual([...r.statuses], [Status.Ok, Status.Failed, Status.Ok]);
      assert.deepEqual(r.failures.map((f) => [f.index, f.name, f.retriable]), [[1, 'PermanentError', false]]);
      await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual(seen, ['a:0:-,b:0:-'], 'one flush for the task, after its messages');
    } finally {
      ch.close();
    }
  });

  it('flush() that throws fails every message of the task that had succeeded (retriable), keeps the handler failures', async () => {
    ex = new PoolExecutor(FLUSHING, 1, 1);
    const t = `unit-flush-fail-${process.pid}`;
    const r = await ex.run([msg(t, 0, 'a:0:-'), msg(t, 1, 'a:1:P'), msg(t, 2, 'b:0:F'), msg(t, 3, 'c:0:-')], [0, 0, 1, 2], [1, 1, 1, 1]);
    assert.deepEqual([...r.statuses], [Status.Failed, Status.Failed, Status.Failed, Status.Failed]);
    assert.deepEqual(
      r.failures.map((f) => [f.index, f.name, f.retriable, /not confirmed/.test(f.message)]),
      [
        [0, 'Error', true, true],
        [1, 'PermanentError', false, false],
        [2, 'Error', true, true],
        [3, 'Error', true, true],
      ],
    );
    assert.equal(r.error, undefined);
    // the next task starts with an empty buffer and succeeds
    const again = await ex.run([msg(t, 4, 'd:0:-')], [0], [1]);
    assert.deepEqual([...again.statuses], [Status.Ok]);
  });

  it('a worker module whose flush() hangs past handlerTimeoutMs: the messages it covers fail with HandlerTimeoutError; a PermanentError thrown before stays permanent', async () => {
    ex = new PoolExecutor(HANGING_FLUSH, 1, 1, undefined, 200);
    const t = `unit-flush-hang-${process.pid}`;
    const r = await ex.run([msg(t, 0, 'a:0:-'), msg(t, 1, 'b:0:P'), msg(t, 2, 'c:0:F')], [0, 1, 2], [1, 1, 1]);
    assert.ok(r.error instanceof HandlerTimeoutError);
    assert.deepEqual([...r.statuses], [Status.Failed, Status.Failed, Status.Failed]);
    assert.deepEqual(
      r.failures.map((f) => [f.index, f.name, f.retriable]),
      [
        [0, 'HandlerTimeoutError', true],
        [1, 'PermanentError', false],
        [2, 'HandlerTimeoutError', true],
      ],
    );
  });

  it('a worker thread that exits mid-task: what was done is kept, the running message is charged, the rest never ran; the pool replaces the worker', async () => {
    ex = new PoolExecutor(HANDLER, 2, 2);
    await ex.ready();
    const t = `unit-exit-${process.pid}`;
    const records: string[] = [];
    const ch = new BroadcastChannel(`gocoffee-test:${t}`);
    ch.onmessage = (e) => records.push(...(e as { data: string[] }).data);
    try {
      const r = await ex.run([msg(t, 0, 'a:0:-'), msg(t, 1, 'b:0:T'), msg(t, 5, 'd:0:P'), msg(t, 2, 'a:1:E'), msg(t, 3, 'a:2:-'), msg(t, 4, 'c:0:-')], [0, 1, 3, 0, 0, 2], [1, 1, 1, 1, 1, 1]);
      assert.match(String(r.error?.message), /worker exited with code: 1/);
      // a library error for onError, piscina's own as its cause
      assert.ok(r.error instanceof WorkerError, `a WorkerError, got ${String(r.error)}`);
      assert.equal(r.error.code, 'GCK_WORKER');
      assert.match(String((r.error.cause as Error).message), /^worker exited with code: 1/);
      assert.deepEqual([...r.statuses], [Status.Ok, Status.Failed, Status.Failed, Status.Failed, Status.Skipped, Status.Skipped]);
      assert.deepEqual(
        r.failures.map((f) => [f.index, f.name, f.retriable]),
        [
          [1, 'Error', true], // a real handler failure before the exit (details died with the worker)
          [2, 'PermanentError', false], // its details died too, not its kind: still dead-lettered at once
          [3, 'WorkerError', true], // running when the worker died
        ],
      );
      // the records flushed before process.exit arrived
      await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual(records.map((l) => l.split('|').slice(5).join('|')), ['1|a:0:-', '0|b:0:T', '0|d:0:P']);
      // the pool is whole again and runs the re-run (attempt 2 of the exiting message)
      const again = await ex.run([msg(t, 2, 'a:1:E'), msg(t, 3, 'a:2:-')], [0, 0], [2, 1]);
      assert.deepEqual([...again.statuses], [Status.Ok, Status.Ok]);
      const start = Date.now();
      while (ex.threads < 2 && Date.now() - start < 5000) await new Promise((res) => setTimeout(res, 20));
      assert.equal(ex.threads, 2);
    } finally {
      ch.close();
    }
  });
});
