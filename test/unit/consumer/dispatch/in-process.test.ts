import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { InProcessExecutor } from '../../../../src/consumer/dispatch/in-process.js';
import type { ConsumedMessage } from '../../../../src/message/consumed.js';
import { PermanentError } from '../../../../src/consumer/handler.js';
import { Status } from '../../../../src/message/task.js';
import type { NativeMessage } from '../../../../src/native/types.js';
import { currentCorrelationId } from '../../../../src/diagnostics/correlation.js';

const msg = (offset: number, value: string, headers?: NativeMessage['headers']): NativeMessage => ({
  topic: 't',
  partition: 0,
  offset,
  key: value.split(':')[0]!,
  value: Buffer.from(value),
  size: value.length,
  ...(headers !== undefined ? { headers } : {}),
});

describe('InProcessExecutor (consumer, main thread)', () => {
  it('sync handler: statuses per message, the rest of a failed lane skipped, other lanes go on', async () => {
    const seen: string[] = [];
    const ex = new InProcessExecutor((m) => {
      seen.push(m.text()!);
      if (m.text() === 'a:1') throw new Error('no');
    }, 2);
    const r = await ex.run([msg(0, 'a:0'), msg(1, 'a:1'), msg(2, 'b:0'), msg(3, 'a:2'), msg(4, 'b:1')], [0, 0, 1, 0, 1], [1, 1, 1, 1, 1]);
    assert.deepEqual([...r.statuses], [Status.Ok, Status.Failed, Status.Ok, Status.Skipped, Status.Ok]);
    assert.deepEqual(r.failures, [{ index: 1, name: 'Error', message: 'no', retriable: true }]);
    assert.deepEqual(seen, ['a:0', 'a:1', 'b:0', 'b:1']);
    assert.equal(ex.utilization, 0);
  });

  it('async and sync results mixed: each thenable is awaited before the next message; rejections fail the message', async () => {
    const order: string[] = [];
    const ex = new InProcessExecutor((m) => {
      const v = m.text()!;
      order.push(`start ${v}`);
      if (v.endsWith(':sync')) return;
      if (v.endsWith(':null')) return null as unknown as void;
      return delay(2).then(() => {
        order.push(`end ${v}`);
        if (v.endsWith(':reject')) throw new PermanentError('bad');
      });
    }, 1);
    const values = ['a:async', 'a:sync', 'b:reject', 'b:sync', 'c:null', 'c:async'];
    const running = ex.run(
      values.map((v, i) => msg(i, v)),
      [0, 0, 1, 1, 2, 2],
      values.map(() => 1),
    );
    assert.equal(ex.utilization, 1, 'running until the last awaited message');
    const r = await running;
    assert.deepEqual([...r.statuses], [Status.Ok, Status.Ok, Status.Failed, Status.Skipped, Status.Ok, Status.Ok]);
    assert.deepEqual(r.failures, [{ index: 2, name: 'PermanentError', message: 'bad', retriable: false }]);
    assert.deepEqual(order, ['start a:async', 'end a:async', 'start a:sync', 'start b:reject', 'end b:reject', 'start c:null', 'start c:async', 'end c:async']);
    assert.equal(ex.utilization, 0);
  });

  it('a throw or rejection of any value is described, never thrown out of the task', async () => {
    const bare = Object.create(null) as object;
    const throws: unknown[] = ['text', null, bare];
    const ex = new InProcessExecutor((m) => {
      const i = Number(m.text()!.split(':')[1]);
      if (i === 1) return Promise.reject(throws[i]);
      throw throws[i];
    }, 1);
    const r = await ex.run(
      throws.map((_, i) => msg(i, `k${i}:${i}`)),
      [0, 1, 2],
      [1, 1, 1],
    );
    assert.deepEqual(
      r.failures.map((f) => [f.index, f.name, f.message]),
      [
        [0, 'NonErrorThrown', 'text'],
        [1, 'NonErrorThrown', 'null'],
        [2, 'NonErrorThrown', '[unprintable object]'],
      ],
    );
  });

  it('passes the attempt number; the handler runs in the message\'s correlation id (also across its awaits)', async () => {
    const seen: Array<[string, number, string | undefined]> = [];
    const ex = new InProcessExecutor(async (m: ConsumedMessage) => {
      await delay(1);
      seen.push([m.text()!, m.attempt, currentCorrelationId()]);
    }, 1);
    await ex.run([msg(0, 'a:0', [{ correlation_id: Buffer.from('c-1') }]), msg(1, 'a:1'), msg(2, 'b:0', [{ other: 'x' }])], [0, 0, 1], [3, 1, 2]);
    assert.deepEqual(seen, [
      ['a:0', 3, 'c-1'],
      ['a:1', 1, undefined],
      ['b:0', 2, undefined],
    ]);
  });

  it('with traces: same statuses through the traced path', async () => {
    const ex = new InProcessExecutor((m) => {
      if (m.text() === 'a:0') throw new Error('x');
    }, 1);
    const r = await ex.run([msg(0, 'a:0'), msg(1, 'a:1'), msg(2, 'b:0')], [0, 0, 1], [1, 1, 1], [undefined, undefined, undefined]);
    assert.deepEqual([...r.statuses], [Status.Failed, Status.Skipped, Status.Ok]);
    assert.equal(ex.utilization, 0);
  });
});
