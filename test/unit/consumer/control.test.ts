import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/client.js';
import { resolveConfig } from '../../../src/config/index.js';
import { Consumer } from '../../../src/consumer/consumer.js';
import { InvalidArgumentError, StateError } from '../../../src/errors/base.js';
import { ConsumerBinding, type FakeConsumer } from './fake-consumer.js';
import { until } from './group/harness.js';

const argument = (name: string) => (e: unknown) => e instanceof InvalidArgumentError && e.context['argument'] === name;

describe('Consumer control: which group a partition means', () => {
  let cm: ConnectionManager | undefined;
  let consumer: Consumer | undefined;
  afterEach(async () => {
    await consumer?.stop();
    await cm?.close();
    consumer = undefined;
    cm = undefined;
  });

  async function start(): Promise<{ c: Consumer; fakes: Map<string, FakeConsumer>; handled: string[] }> {
    const binding = new ConsumerBinding();
    cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], connectTimeoutMs: 1000 }), { binding });
    await cm.initialize();
    const handled: string[] = [];
    const c = new Consumer(cm, { stopTimeoutMs: 200 }, {
      // A pause that lasts across rebalances: made again at each assignment.
      onRebalance: (groupId, kind, tps) => {
        if (groupId === 'g2' && kind === 'assign') c.pause(tps.filter((tp) => tp.topic === 'b').map((tp) => ({ ...tp, groupId })));
      },
    });
    consumer = c;
    c.registerHandler({ topics: ['a', 'shared'], groupId: 'g1', handle: (m) => void handled.push(`g1 ${m.topic}@${m.offset}`) });
    c.registerHandler({ topics: ['b', 'shared'], groupId: 'g2', handle: (m) => void handled.push(`g2 ${m.topic}@${m.offset}`) });
    await c.start();
    const fakes = new Map(binding.consumers.map((f) => [String(f.global['group.id']), f]));
    return { c, fakes, handled };
  }

  it('routes by topic; a topic of two groups needs groupId; unknown topics and groups are InvalidArgumentErrors', async () => {
    const { c, fakes, handled } = await start();
    const g1 = fakes.get('g1')!;
    const g2 = fakes.get('g2')!;
    g1.assign([{ topic: 'a', partition: 0 }, { topic: 'shared', partition: 0 }]);
    g2.assign([{ topic: 'b', partition: 0 }, { topic: 'shared', partition: 0 }]);
    assert.deepEqual(c.paused(), [{ groupId: 'g2', topic: 'b', partition: 0 }], 'paused from onRebalance');
    assert.ok(g2.paused.has('b/0'));

    c.pause([{ topic: 'a', partition: 0 }]);
    assert.ok(g1.paused.has('a/0'), 'the group consuming the topic');
    assert.throws(() => c.pause([{ topic: 'shared', partition: 0 }]), argument('groupId'), 'two groups consume it');
    c.pause([{ topic: 'shared', partition: 0, groupId: 'g2' }]);
    assert.ok(g2.paused.has('shared/0') && !g1.paused.has('shared/0'));
    assert.throws(() => c.pause([{ topic: 'a', partition: 0, groupId: 'g2' }]), argument('groupId'), 'g2 does not consume a');
    assert.throws(() => c.pause([{ topic: 'nope', partition: 0 }]), argument('topic'));
    assert.throws(() => c.pause({} as never), argument('partitions'));
    assert.throws(() => c.position({ topic: 'a', partition: 1 }), StateError, 'not assigned');
    assert.deepEqual(
      c.paused().map((p) => `${p.groupId} ${p.topic}`).sort(),
      ['g1 a', 'g2 b', 'g2 shared'],
    );
    c.resume([{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }, { topic: 'shared', partition: 0, groupId: 'g2' }]);
    assert.deepEqual(c.paused(), []);

    g1.append('a', 0, 3);
    await until(() => handled.length === 3, 'handled');
    assert.equal(await c.seek({ topic: 'a', partition: 0, offset: 1 }), 1);
    await until(() => handled.length === 5, 're-delivered from 1');
    assert.deepEqual(handled, ['g1 a@0', 'g1 a@1', 'g1 a@2', 'g1 a@1', 'g1 a@2']);
    const committed = await c.commitNow();
    assert.deepEqual(committed, [{ groupId: 'g1', topic: 'a', partition: 0, offset: 3 }]);
    const lag = await c.lag();
    assert.deepEqual(lag.map((l) => `${l.groupId} ${l.topic} ${l.lag}`).sort(), ['g1 a 0', 'g1 shared 0', 'g2 b 0', 'g2 shared 0']);
  });

  it('before start() and after stop() the calls are StateErrors', async () => {
    const { c } = await start();
    await c.stop();
    assert.throws(() => c.pause([{ topic: 'a', partition: 0 }]), StateError);
    assert.throws(() => c.paused(), StateError);
    await assert.rejects(c.seek({ topic: 'a', partition: 0, offset: 0 }), StateError);
    await assert.rejects(c.commitNow(), StateError);
    await assert.rejects(c.lag(), StateError);
  });

  it('options may be null or left out (the defaults); anything else but an object is an InvalidArgumentError naming options', async () => {
    const { c, fakes, handled } = await start();
    const g1 = fakes.get('g1')!;
    g1.assign([{ topic: 'a', partition: 0 }]);
    g1.append('a', 0, 2);
    await until(() => handled.length === 2, 'handled');
    assert.equal(await c.seek({ topic: 'a', partition: 0, offset: 1 }, null), 1);
    await until(() => handled.length === 3, 're-delivered from 1');
    assert.deepEqual(await c.commitNow(null), [{ groupId: 'g1', topic: 'a', partition: 0, offset: 2 }]);
    assert.equal((await c.lag(null)).length, 1);
    await assert.rejects(c.seek({ topic: 'a', partition: 0, offset: 1 }, 5 as never), argument('options'));
    await assert.rejects(c.commitNow('x' as never), argument('options'));
    await assert.rejects(c.lag(true as never), argument('options'));
  });
});
