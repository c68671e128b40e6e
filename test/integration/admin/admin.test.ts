import assert from 'node:assert/strict';
import { Consumer } from '../../../src/consumer/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { GroupAdmin, GroupNotEmptyError, TopicError, TopicManager, type AdminHost } from '../../../src/admin/index.js';
import { KafkaError, kafkaErrorCode } from '../../../src/errors/librdkafka.js';
import { InvalidArgumentError } from '../../../src/errors/base.js';
import { createNativeAdminClient } from '../../../src/native/admin.js';
import { toLibrdkafkaConfig } from '../../../src/config/index.js';
import type { NativeAdminClient } from '../../../src/native/admin-types.js';
import { createTopic, testConfig, uniqueName, useClient } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';

/** Committed offsets by partition, read with the addon's listConsumerGroupOffsets directly (not through GroupAdmin). */
async function committed(group: string): Promise<Record<number, number>> {
  const a = createNativeAdminClient(toLibrdkafkaConfig(testConfig(), 'admin').global);
  try {
    const [g] = await a.listGroupOffsets(group, null);
    return Object.fromEntries(g!.partitions.filter((p) => p.offset >= 0).map((p) => [p.partition, p.offset]));
  } finally {
    await a.close();
  }
}

describe('admin: consumer groups and topics (real broker)', function () {
  this.timeout(120_000);
  const client = useClient({ retryBackoffMs: 20 });

  it('groups: list, describe, offsets and lag; reset refused while a member is active, dry run changes nothing, resets after stop; delete', async () => {
    const topic = uniqueName('adm');
    const group = uniqueName('g');
    await createTopic(topic, 3);
    // Two batches 10 s apart in message time (explicit timestamps), 3 messages per partition each.
    const t0 = Date.now() - 60_000;
    const first = Array.from({ length: 9 }, (_, i) => newMessage(topic, `a${i}`).withPartition(i % 3).withTimestamp(t0 + i));
    const second = Array.from({ length: 9 }, (_, i) => newMessage(topic, `b${i}`).withPartition(i % 3).withTimestamp(t0 + 10_000 + i));
    assert.ok((await client.cm.producer.publishBatch([...first, ...second])).every((o) => o.ok));

    const groups = new GroupAdmin(client.cm);
    const topics = new TopicManager(client.cm);
    let handled = 0;
    const consumer = new Consumer(client.cm, {});
    consumer.registerHandler({ topics: [topic], groupId: group, handle: () => void handled++ });
    await consumer.start();
    await waitUntil(async () => handled >= 18 && (await groups.groupOffsets(group)).every((o) => o.lag === 0) && (await groups.groupOffsets(group)).length === 3, 60_000, () => `handled ${handled}`);

    const listed = await groups.listGroups();
    const mine = listed.find((g) => g.groupId === group);
    assert.ok(mine, 'the group is listed');
    assert.equal(mine.state, 'Stable');
    assert.deepEqual((await groups.listGroups({ states: ['Empty'] })).find((g) => g.groupId === group), undefined);
    const [desc] = await groups.describeGroups([group]);
    assert.equal(desc!.state, 'Stable');
    assert.equal(desc!.members.length, 1);
    assert.deepEqual(desc!.members[0]!.assignment, [0, 1, 2].map((partition) => ({ topic, partition })));
    assert.ok(desc!.coordinator !== null && desc!.coordinator.id >= 0);

    const offsets = await groups.groupOffsets(group, { topic });
    assert.deepEqual(offsets, [0, 1, 2].map((partition) => ({ topic, partition, committed: 6, latest: 6, lag: 0 })));

    // Refused while the consumer is in the group: typed, and nothing committed.
    const refused = await groups.resetGroupOffsets(group, topic, 'earliest').then(() => undefined, (e: unknown) => e);
    assert.ok(refused instanceof GroupNotEmptyError, String(refused));
    assert.ok(refused instanceof KafkaError);
    assert.equal(refused.code, kafkaErrorCode(68));
    assert.equal(refused.members.length, 1);
    assert.deepEqual(await committed(group), { 0: 6, 1: 6, 2: 6 });
    await assert.rejects(groups.deleteGroups([group]), GroupNotEmptyError);

    assert.equal(await consumer.stop(), true);
    await waitUntil(async () => (await groups.describeGroups([group]))[0]!.state === 'Empty', 30_000, () => 'the group to be empty');

    // Dry run: the plan, nothing committed.
    const plan = await groups.resetGroupOffsets(group, topic, 'earliest', { dryRun: true });
    assert.deepEqual(plan, { group, topic, dryRun: true, partitions: [0, 1, 2].map((partition) => ({ partition, from: 6, to: 0, clamped: false })) });
    assert.deepEqual(await committed(group), { 0: 6, 1: 6, 2: 6 });

    // To a time between the two batches: the first message of the second batch on each partition.
    const mid = await groups.resetGroupOffsets(group, topic, { timestamp: new Date(t0 + 5_000) });
    assert.deepEqual(mid.partitions.map((p) => p.to), [3, 3, 3]);
    assert.deepEqual(await committed(group), { 0: 3, 1: 3, 2: 3 });
    assert.deepEqual((await groups.groupOffsets(group)).map((o) => o.lag), [3, 3, 3]);

    await groups.resetGroupOffsets(group, topic, 'earliest');
    assert.deepEqual(await committed(group), { 0: 0, 1: 0, 2: 0 });
    await groups.resetGroupOffsets(group, topic, { offsets: [{ partition: 1, offset: 2 }] });
    assert.deepEqual(await committed(group), { 0: 0, 1: 2, 2: 0 });
    const clamped = await groups.resetGroupOffsets(group, topic, { offset: 1000 });
    assert.deepEqual(clamped.partitions.map((p) => [p.to, p.clamped]), [[6, true], [6, true], [6, true]]);
    await groups.resetGroupOffsets(group, topic, 'latest');
    assert.deepEqual(await committed(group), { 0: 6, 1: 6, 2: 6 });
    await assert.rejects(groups.resetGroupOffsets(group, topic, { offsets: [{ partition: 7, offset: 0 }] }), InvalidArgumentError);

    // Delete: dry run keeps it; then it is gone (Dead, no committed offsets).
    const dry = await groups.deleteGroups([group], { dryRun: true });
    assert.deepEqual(dry, { dryRun: true, groups: [{ groupId: group, state: 'Empty', exists: true }] });
    assert.deepEqual(await committed(group), { 0: 6, 1: 6, 2: 6 });
    await groups.deleteGroups([group]);
    assert.equal((await groups.describeGroups([group]))[0]!.state, 'Dead');
    assert.deepEqual(await committed(group), {});
    assert.equal((await groups.listGroups()).find((g) => g.groupId === group), undefined);
    // Deleting it again: missing, in the real run as in the dry run (nothing sent, no error).
    assert.deepEqual(await groups.deleteGroups([group]), { dryRun: false, groups: [{ groupId: group, state: 'Dead', exists: false }] });

    // Offsets for times through TopicManager agree; a time after every message gives the end.
    assert.deepEqual(await topics.offsetsForTimes(topic, t0 + 5_000), [0, 1, 2].map((partition) => ({ partition, offset: 3, timestamp: t0 + 10_000 + partition })));
    assert.deepEqual((await topics.offsetsForTimes(topic, Date.now() + 3_600_000)).map((o) => [o.offset, o.timestamp]), [[6, -1], [6, -1], [6, -1]]);
    assert.deepEqual(await topics.topicOffsets(topic), [0, 1, 2].map((partition) => ({ partition, earliest: 0, latest: 6 })));
  });

  it('groups: delete of several groups skips a missing one; a consumer joining one after the check: the others are deleted and the error says which', async () => {
    const topic = uniqueName('admdel');
    const [a, b, missing] = [uniqueName('ga'), uniqueName('gb'), uniqueName('gx')];
    await createTopic(topic, 1);
    const native = () => createNativeAdminClient(toLibrdkafkaConfig(client.cm.config, 'admin').global);
    // Two empty groups with committed offsets (committed from outside, as a reset does).
    const seed = native();
    try {
      for (const g of [a, b]) assert.equal((await seed.alterGroupOffsets(g, [{ topic, partition: 0, offset: 0 }]))[0]!.error, null);
    } finally {
      await seed.close();
    }
    const groups = new GroupAdmin(client.cm);
    assert.deepEqual((await groups.describeGroups([a, b, missing])).map((d) => d.state), ['Empty', 'Empty', 'Dead']);

    // The real admin client, with a consumer of group b joining between GroupAdmin's check and its delete.
    const consumer = new Consumer(client.cm, {});
    consumer.registerHandler({ topics: [topic], groupId: b, handle: () => undefined });
    const sent: string[][] = [];
    const interposed: AdminHost = {
      config: client.cm.config,
      metadata: (t, ms) => client.cm.metadata(t, ms),
      createAdminClient: () => {
        const real = native();
        return new Proxy(real, {
          get(target, name: string) {
            if (name !== 'deleteGroups') return (target as unknown as Record<string, (...x: unknown[]) => unknown>)[name]!.bind(target);
            return async (ids: string[], opts: unknown) => {
              sent.push(ids);
              await consumer.start();
              await waitUntil(async () => (await groups.describeGroups([b]))[0]!.state === 'Stable', 30_000, () => `group ${b} to be Stable`);
              return target.deleteGroups(ids, opts as never);
            };
          },
        }) as NativeAdminClient;
      },
    };
    try {
      const err = await new GroupAdmin(interposed).deleteGroups([a, b, missing]).then(() => undefined, (e: unknown) => e);
      assert.deepEqual(sent, [[a, b]], 'the missing group is not sent');
      assert.ok(err instanceof GroupNotEmptyError, String(err));
      assert.equal(err.group, b);
      assert.equal(err.librdkafkaCode, 68);
      assert.deepEqual([err.context.deleted, err.context.notDeleted], [[a], [b]]);
      assert.ok(err.message.endsWith(`(deleted: ${a}; not deleted: ${b})`), err.message);
      assert.deepEqual((await groups.describeGroups([a, b])).map((d) => d.state), ['Dead', 'Stable']);
      assert.deepEqual(await committed(a), {});
      assert.deepEqual(await committed(b), { 0: 0 });
    } finally {
      await consumer.stop();
    }
    await waitUntil(async () => (await groups.describeGroups([b]))[0]!.state === 'Empty', 30_000, () => `group ${b} to be empty`);
    assert.deepEqual(await groups.deleteGroups([a, b, missing]), {
      dryRun: false,
      groups: [
        { groupId: a, state: 'Dead', exists: false },
        { groupId: b, state: 'Empty', exists: true },
        { groupId: missing, state: 'Dead', exists: false },
      ],
    });
    assert.deepEqual(await committed(b), {});
  });

  it('topics: describe and alter configs (dry run first), add partitions (dry run first), delete topics (dry run first)', async () => {
    const topic = uniqueName('admt');
    await createTopic(topic, 2);
    const tm = new TopicManager(client.cm);

    const before = await tm.describeTopicConfigs(topic);
    const retention = before.find((c) => c.name === 'retention.ms')!;
    assert.equal(retention.isDefault, true);
    assert.equal(retention.isSensitive, false);
    assert.equal(retention.readOnly, false);
    assert.notEqual(retention.source, 'DYNAMIC_TOPIC_CONFIG');

    const dry = await tm.alterTopicConfigs(topic, { set: { 'retention.ms': '3600000' } }, { dryRun: true });
    assert.deepEqual(dry, { topic, dryRun: true, changes: [{ name: 'retention.ms', op: 'set', from: retention.value, to: '3600000' }] });
    assert.equal((await tm.describeTopicConfigs(topic)).find((c) => c.name === 'retention.ms')!.value, retention.value);

    await tm.alterTopicConfigs(topic, { set: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' } });
    const set = await tm.describeTopicConfigs(topic);
    assert.deepEqual(set.filter((c) => c.name === 'retention.ms' || c.name === 'cleanup.policy').map((c) => [c.name, c.value, c.source, c.isDefault]), [
      ['cleanup.policy', 'compact', 'DYNAMIC_TOPIC_CONFIG', false],
      ['retention.ms', '3600000', 'DYNAMIC_TOPIC_CONFIG', false],
    ]);
    // Incremental: deleting one key leaves the other as set.
    await tm.alterTopicConfigs(topic, { delete: ['cleanup.policy'] });
    const after = new Map((await tm.describeTopicConfigs(topic)).map((c) => [c.name, c] as const));
    assert.equal(after.get('cleanup.policy')!.isDefault, true);
    assert.equal(after.get('retention.ms')!.value, '3600000');
    await assert.rejects(tm.alterTopicConfigs(topic, { set: { 'retention.msx': '1' } }), InvalidArgumentError);
    await assert.rejects(tm.alterTopicConfigs(topic, { set: { 'retention.ms': 'soon' } }), (e: unknown) => e instanceof KafkaError && /retention\.ms|Invalid/i.test(e.message));

    assert.deepEqual(await tm.createPartitions(topic, 4, { dryRun: true }), { topic, dryRun: true, from: 2, to: 4 });
    assert.equal((await tm.describeTopic(topic)).partitions.length, 2);
    await tm.createPartitions(topic, 4);
    await waitUntil(async () => (await tm.describeTopic(topic)).partitions.length === 4, 30_000, () => 'four partitions');
    await assert.rejects(tm.createPartitions(topic, 3), InvalidArgumentError);

    const missing = uniqueName('nope');
    const plan = await tm.deleteTopics([topic, missing], { dryRun: true });
    assert.deepEqual(plan, { dryRun: true, topics: [{ topic, exists: true, partitions: 4 }, { topic: missing, exists: false, partitions: 0 }] });
    assert.ok((await tm.listTopics()).includes(topic));
    await tm.deleteTopics([topic]);
    await waitUntil(async () => !(await tm.listTopics()).includes(topic), 30_000, () => 'the topic to be gone');
    await assert.rejects(tm.deleteTopics([missing]), (e: unknown) => e instanceof KafkaError && e.librdkafkaCode === 3);
  });

  it('topics: ensureTopics creates through the admin addon (partitions, replication factor, configs), then reports the topic existing; refusals are TopicErrors', async () => {
    const tm = new TopicManager(client.cm);
    const topic = uniqueName('admens');
    const [r] = await tm.ensureTopics([{ name: topic, partitions: 3, replicationFactor: 1, config: { 'retention.ms': '3600000' } }]);
    assert.deepEqual(r, { topic, status: 'created', partitions: 3, replicationFactor: 1, warnings: [] });
    assert.equal((await tm.describeTopic(topic)).partitions.length, 3);
    const retention = (await tm.describeTopicConfigs(topic)).find((c) => c.name === 'retention.ms')!;
    assert.deepEqual([retention.value, retention.source], ['3600000', 'DYNAMIC_TOPIC_CONFIG']);
    const [again] = await tm.ensureTopics([{ name: topic, partitions: 6, replicationFactor: 1 }]);
    assert.equal(again!.status, 'exists');
    assert.match(again!.warnings.join(' '), /has 3 partitions, spec asks for 6/);

    // The addon directly: an existing topic is TOPIC_ALREADY_EXISTS (ensureTopics' race path); validateOnly creates nothing.
    const a = createNativeAdminClient(toLibrdkafkaConfig(client.cm.config, 'admin').global);
    const fresh = uniqueName('admval');
    try {
      const [exists] = await a.createTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
      assert.deepEqual([exists!.topic, exists!.error?.code, exists!.error?.name], [topic, 36, 'TOPIC_ALREADY_EXISTS']);
      assert.deepEqual(await a.createTopics([{ topic: fresh, partitions: 2, replicationFactor: -1 }], { validateOnly: true }), [{ topic: fresh, error: null }]);
    } finally {
      await a.close();
    }
    assert.ok(!(await tm.listTopics()).includes(fresh), 'validateOnly created nothing');

    const bad = uniqueName('admbad');
    await assert.rejects(tm.ensureTopics([{ name: bad, partitions: 1, replicationFactor: 50 }]), (e: unknown) => {
      assert.ok(e instanceof TopicError, String(e));
      assert.match(e.message, new RegExp(`cannot create topic ${bad} \\(1 partitions, replication factor 50\\)`));
      assert.ok(e.cause instanceof KafkaError && e.cause.librdkafkaCode === 38, String(e.cause));
      return true;
    });
    await assert.rejects(tm.ensureTopics([{ name: bad, partitions: 1, replicationFactor: 1, config: { 'retention.ms': 'soon' } }]), (e: unknown) => e instanceof TopicError && e.cause instanceof KafkaError);
    assert.ok(!(await tm.listTopics()).includes(bad));
    await tm.deleteTopics([topic]);
  });
});
