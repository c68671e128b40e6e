import assert from 'node:assert/strict';
import { TopicError, TopicManager, type AdminHost } from '../../../src/admin/topic-manager.js';
import { resolveConfig } from '../../../src/config/index.js';
import { RD } from '../../../src/errors/librdkafka.js';
import type { NativeAdmin, NativeMetadata } from '../../../src/native/types.js';

/** An AdminHost over an in-memory cluster of `brokers` brokers (topics as name → partitions). */
function host(brokers: number, topics: Record<string, number> = {}, refuse?: (topic: string) => { code: number; message: string } | undefined) {
  const created: Array<{ topic: string; partitions: number; rf: number; config: Record<string, string> }> = [];
  const md = (): NativeMetadata =>
    ({
      orig_broker_id: 1,
      orig_broker_name: 'b1',
      brokers: Array.from({ length: brokers }, (_, i) => ({ id: i + 1, host: 'h', port: 9092 + i })),
      topics: Object.entries(topics).map(([name, n]) => ({
        name,
        partitions: Array.from({ length: n }, (_, id) => ({ id, leader: 1, replicas: Array.from({ length: Math.min(3, brokers) }, (_, r) => r + 1), isrs: [1] })),
      })),
    }) as unknown as NativeMetadata;
  let disconnected = 0;
  const admin = {
    createTopic(spec: { topic: string; num_partitions: number; replication_factor: number; config: Record<string, string> }, _t: number, cb: (err?: unknown) => void) {
      const err = refuse?.(spec.topic);
      if (err !== undefined) return setImmediate(() => cb(err));
      created.push({ topic: spec.topic, partitions: spec.num_partitions, rf: spec.replication_factor, config: spec.config });
      topics[spec.topic] = spec.num_partitions;
      setImmediate(() => cb());
    },
    disconnect() {
      disconnected++;
    },
  } as unknown as NativeAdmin;
  const h: AdminHost = {
    config: resolveConfig({ brokers: ['fake:9092'], topicSuffix: '.t' }),
    metadata: async (topic?: string) => {
      const m = md();
      return topic === undefined ? m : ({ ...m, topics: (m as unknown as { topics: Array<{ name: string }> }).topics.filter((t) => t.name === topic) } as unknown as NativeMetadata);
    },
    createAdmin: () => admin,
  };
  return { h, created, disconnects: () => disconnected };
}

describe('TopicManager (admin/, unit with an in-memory cluster)', () => {
  it('ensureTopics(): creates the configured event topics and their .dlq topics, replication factor min(3, brokers); the admin client is disconnected', async () => {
    const { h, created, disconnects } = host(1);
    const tm = new TopicManager(h);
    const results = await tm.ensureTopics();
    const names = tm.eventTopics();
    assert.ok(names.includes('beverage.created.t'));
    assert.deepEqual(created.map((c) => c.topic).sort(), [...names, ...names.map((n) => `${n}.dlq`)].sort());
    assert.ok(created.every((c) => c.partitions === 6 && c.rf === 1));
    assert.ok(results.every((r) => r.status === 'created'));
    assert.equal(disconnects(), 1);
  });

  it('an existing topic is left as it is and a different partition count is reported, not changed', async () => {
    const { h, created } = host(3, { orders: 3 });
    const [r] = await new TopicManager(h).ensureTopics([{ name: 'orders', partitions: 6 }]);
    assert.equal(r!.status, 'exists');
    assert.match(r!.warnings.join(' '), /has 3 partitions, spec asks for 6 \(not changed/);
    assert.deepEqual(created, []);
  });

  it('a refused creation is a TopicError naming the topic; TOPIC_ALREADY_EXISTS (a race) is not an error', async () => {
    const { h } = host(1, {}, (t) => (t === 'bad' ? { code: RD.ERR_POLICY_VIOLATION, message: 'Broker: Policy violation' } : undefined));
    await assert.rejects(new TopicManager(h).ensureTopics([{ name: 'bad' }]), (e: unknown) => e instanceof TopicError && /cannot create topic bad/.test(e.message));
    // Another process created it between the metadata read and the create: reported as existing.
    const cluster: Record<string, number> = {};
    const raced = host(1, cluster, (t) => {
      if (t !== 'raced') return undefined;
      cluster[t] = 4;
      return { code: RD.ERR_TOPIC_ALREADY_EXISTS, message: 'Broker: Topic already exists' };
    });
    const [r] = await new TopicManager(raced.h).ensureTopics([{ name: 'raced', partitions: 4 }]);
    assert.equal(r!.status, 'exists');
    assert.deepEqual(r!.warnings, []);
  });

  it('listTopics() hides internal topics and sorts; describeTopic() of a missing topic is a TopicError', async () => {
    const { h } = host(1, { b: 1, a: 2, __consumer_offsets: 50 });
    const tm = new TopicManager(h);
    assert.deepEqual(await tm.listTopics(), ['a', 'b']);
    assert.equal((await tm.describeTopic('a')).partitions.length, 2);
    await assert.rejects(tm.describeTopic('nope'), TopicError);
  });
});
