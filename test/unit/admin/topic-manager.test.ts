import assert from 'node:assert/strict';
import { TopicError, TopicManager, type AdminHost } from '../../../src/admin/topic-manager.js';
import { resolveConfig } from '../../../src/config/index.js';
import { KafkaError, RD } from '../../../src/errors/librdkafka.js';
import type { NativeAdminClient, NativeMetadata } from '../../../src/native/index.js';

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
  let opened = 0;
  let closed = 0;
  const admin = {
    async createTopics(specs: Array<{ topic: string; partitions: number; replicationFactor: number; configs?: Record<string, string> }>, opts?: { timeoutMs?: number }) {
      assert.equal(specs.length, 1);
      const spec = specs[0]!;
      assert.equal(opts?.timeoutMs, 10_000, "the configuration's write_timeout");
      await new Promise((r) => setImmediate(r));
      if (spec.topic === 'timeout') throw Object.assign(new Error('Local: Timed out'), { code: RD.ERR__TIMED_OUT, name: '_TIMED_OUT' });
      const err = refuse?.(spec.topic);
      if (err !== undefined) return [{ topic: spec.topic, error: { ...err, name: 'REFUSED' } }];
      created.push({ topic: spec.topic, partitions: spec.partitions, rf: spec.replicationFactor, config: spec.configs ?? {} });
      topics[spec.topic] = spec.partitions;
      return [{ topic: spec.topic, error: null }];
    },
    async close() {
      closed++;
    },
  } as unknown as NativeAdminClient;
  const h: AdminHost = {
    config: resolveConfig({ brokers: ['fake:9092'], topicSuffix: '.t' }),
    metadata: async (topic?: string) => {
      const m = md();
      return topic === undefined ? m : ({ ...m, topics: (m as unknown as { topics: Array<{ name: string }> }).topics.filter((t) => t.name === topic) } as unknown as NativeMetadata);
    },
    createAdminClient: () => {
      opened++;
      return admin;
    },
  };
  return { h, created, opened: () => opened, closed: () => closed };
}

describe('TopicManager (admin/, unit with an in-memory cluster)', () => {
  it('ensureTopics(): creates the configured event topics and their .dlq topics, replication factor min(3, brokers), with the configs asked for; one admin handle, closed', async () => {
    const { h, created, opened, closed } = host(1);
    const tm = new TopicManager(h);
    const results = await tm.ensureTopics(undefined, { config: { 'retention.ms': '1000' } });
    const names = tm.eventTopics();
    assert.ok(names.includes('beverage.created.t'));
    assert.deepEqual(created.map((c) => c.topic).sort(), [...names, ...names.map((n) => `${n}.dlq`)].sort());
    assert.ok(created.every((c) => c.partitions === 6 && c.rf === 1 && c.config['retention.ms'] === '1000'));
    assert.ok(results.every((r) => r.status === 'created'));
    assert.deepEqual([opened(), closed()], [1, 1]);
  });

  it('an existing topic is left as it is and a different partition count is reported, not changed (no admin handle opened)', async () => {
    const { h, created, opened } = host(3, { orders: 3 });
    const [r] = await new TopicManager(h).ensureTopics([{ name: 'orders', partitions: 6 }]);
    assert.equal(r!.status, 'exists');
    assert.match(r!.warnings.join(' '), /has 3 partitions, spec asks for 6 \(not changed/);
    assert.deepEqual(created, []);
    assert.equal(opened(), 0);
  });

  it('a refused creation is a TopicError naming the topic; TOPIC_ALREADY_EXISTS (a race) is not an error', async () => {
    const refused = host(1, {}, (t) => (t === 'bad' ? { code: RD.ERR_POLICY_VIOLATION, message: 'Broker: Policy violation' } : undefined));
    await assert.rejects(new TopicManager(refused.h).ensureTopics([{ name: 'bad' }]), (e: unknown) => {
      assert.ok(e instanceof TopicError);
      assert.match(e.message, /cannot create topic bad \(6 partitions, replication factor 1\): Broker: Policy violation/);
      assert.ok(e.cause instanceof KafkaError && e.cause.librdkafkaCode === RD.ERR_POLICY_VIOLATION);
      return true;
    });
    assert.deepEqual([refused.opened(), refused.closed()], [1, 1], 'closed after the failure too');
    // A request-level failure (the request timed out) is a TopicError as well.
    await assert.rejects(new TopicManager(host(1).h).ensureTopics([{ name: 'timeout' }]), (e: unknown) => e instanceof TopicError && e.cause instanceof KafkaError && e.cause.librdkafkaCode === RD.ERR__TIMED_OUT);
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
