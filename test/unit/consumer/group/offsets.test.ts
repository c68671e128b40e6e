import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { setup, started, until } from './harness.js';

describe('GroupConsumer offsets (store and commit) with a fake native consumer', () => {
  afterEach(async () => {
    for (const g of started.splice(0)) await g.stop(100).catch(() => undefined); // after a failed test
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
});
