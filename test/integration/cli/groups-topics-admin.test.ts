import assert from 'node:assert/strict';
import { Consumer } from '../../../src/consumer/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { GroupAdmin, TopicManager } from '../../../src/admin/index.js';
import { kafkaErrorCode } from '../../../src/errors/librdkafka.js';
import { cli, createTopic, uniqueName, useClient } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';

const json = <T>(out: string): T => JSON.parse(out) as T;

describe('gocoffee-kafka groups … / topics delete|partitions|configs (real broker)', function () {
  this.timeout(180_000);
  const client = useClient({ retryBackoffMs: 20 });

  it('groups: list, describe, offsets; reset refused while a member is active, --dry-run changes nothing, reset to an offset and a time; delete', async () => {
    const topic = uniqueName('cliadm');
    const group = uniqueName('g');
    await createTopic(topic, 2);
    const t0 = Date.now() - 60_000;
    const msgs = Array.from({ length: 8 }, (_, i) => newMessage(topic, `m${i}`).withPartition(i % 2).withTimestamp(t0 + i * 1000));
    assert.ok((await client.cm.producer.publishBatch(msgs)).every((o) => o.ok));
    const admin = new GroupAdmin(client.cm);
    const committed = async () => (await admin.groupOffsets(group, { topic })).map((o) => o.committed);

    let handled = 0;
    const consumer = new Consumer(client.cm, {});
    consumer.registerHandler({ topics: [topic], groupId: group, handle: () => void handled++ });
    await consumer.start();
    try {
      await waitUntil(async () => handled >= 8 && (await committed()).every((c) => c === 4), 60_000, () => `handled ${handled}`);

      const list = await cli(['groups', 'list', '--json']);
      assert.equal(list.code, 0, list.stderr);
      assert.equal(json<Array<{ groupId: string; state: string }>>(list.stdout).find((g) => g.groupId === group)?.state, 'Stable');
      const desc = await cli(['groups', 'describe', '--group', group, '--json']);
      assert.equal(desc.code, 0, desc.stderr);
      assert.deepEqual(json<{ members: Array<{ assignment: unknown[] }> }>(desc.stdout).members.map((m) => m.assignment), [[{ topic, partition: 0 }, { topic, partition: 1 }]]);
      const text = await cli(['groups', 'offsets', '--group', group]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^TOPIC\\s+PARTITION\\s+COMMITTED\\s+LATEST\\s+LAG\\n${topic}\\s+0\\s+4\\s+4\\s+0\\n${topic}\\s+1\\s+4\\s+4\\s+0\\n$`));

      const refused = await cli(['groups', 'reset', '--group', group, '--topic', topic, '--to', 'earliest']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`\\[${kafkaErrorCode(68)}\\].*active member`));
      assert.deepEqual(await committed(), [4, 4]);
    } finally {
      await consumer.stop();
    }
    await waitUntil(async () => (await admin.describeGroups([group]))[0]!.state === 'Empty', 30_000, () => 'the group to be empty');

    const dry = await cli(['groups', 'reset', '--group', group, '--topic', topic, '--to', 'earliest', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`${topic}\\s+0\\s+4\\s+0\\n`));
    assert.match(dry.stdout, /dry run: nothing was changed/);
    assert.deepEqual(await committed(), [4, 4]);

    const one = await cli(['groups', 'reset', '--group', group, '--topic', topic, '--to', '1', '--json']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(json<{ dryRun: boolean }>(one.stdout).dryRun, false);
    assert.deepEqual(await committed(), [1, 1]);
    // Messages at t0, t0+2 s, t0+4 s, t0+6 s on partition 0 and +1 s on partition 1: t0+3.5 s → offset 2 on both.
    const at = await cli(['groups', 'reset', '--group', group, '--topic', topic, '--to', new Date(t0 + 3_500).toISOString()]);
    assert.equal(at.code, 0, at.stderr);
    assert.deepEqual(await committed(), [2, 2]);

    const delDry = await cli(['groups', 'delete', '--group', group, '--dry-run']);
    assert.equal(delDry.code, 0, delDry.stderr);
    assert.match(delDry.stdout, new RegExp(`${group}\\s+Empty\\s+delete\\n`));
    assert.deepEqual(await committed(), [2, 2]);
    const del = await cli(['groups', 'delete', '--group', group]);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(await committed(), [null, null]);
    assert.equal((await admin.describeGroups([group]))[0]!.state, 'Dead');
    // A real run over groups that do not exist: shown missing, as the dry run shows them, not an error.
    const other = uniqueName('gx');
    const again = await cli(['groups', 'delete', '--group', group, '--group', other]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^GROUP\\s+STATE\\s+STATUS\n${group}\\s+Dead\\s+missing\n${other}\\s+Dead\\s+missing\n$`));
  });

  it('topics configs / partitions / delete, each with --dry-run first', async () => {
    const topic = uniqueName('clitop');
    await createTopic(topic, 1);
    const tm = new TopicManager(client.cm);
    const retention = async () => (await tm.describeTopicConfigs(topic)).find((c) => c.name === 'retention.ms')!;
    const before = (await retention()).value;

    const dry = await cli(['topics', 'configs', '--topic', topic, '--set', 'retention.ms=3600000', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(json(dry.stdout), { topic, dryRun: true, changes: [{ name: 'retention.ms', op: 'set', from: before, to: '3600000' }] });
    assert.equal((await retention()).value, before);
    const set = await cli(['topics', 'configs', '--topic', topic, '--set', 'retention.ms=3600000']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal((await retention()).value, '3600000');
    const shown = await cli(['topics', 'configs', '--topic', topic]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /retention\.ms\s+3600000\s+DYNAMIC_TOPIC_CONFIG/);
    const unset = await cli(['topics', 'configs', '--topic', topic, '--delete', 'retention.ms']);
    assert.equal(unset.code, 0, unset.stderr);
    assert.equal((await retention()).isDefault, true);

    const pDry = await cli(['topics', 'partitions', '--topic', topic, '--total', '3', '--dry-run']);
    assert.equal(pDry.code, 0, pDry.stderr);
    assert.match(pDry.stdout, /1 → 3 partitions\ndry run: nothing was changed/);
    assert.equal((await tm.describeTopic(topic)).partitions.length, 1);
    const parts = await cli(['topics', 'partitions', '--topic', topic, '--total', '3']);
    assert.equal(parts.code, 0, parts.stderr);
    await waitUntil(async () => (await tm.describeTopic(topic)).partitions.length === 3, 30_000, () => 'three partitions');

    const dDry = await cli(['topics', 'delete', '--topic', topic, '--dry-run', '--json']);
    assert.equal(dDry.code, 0, dDry.stderr);
    assert.deepEqual(json(dDry.stdout), { dryRun: true, topics: [{ topic, exists: true, partitions: 3 }] });
    assert.ok((await tm.listTopics()).includes(topic));
    const d = await cli(['topics', 'delete', '--topic', topic]);
    assert.equal(d.code, 0, d.stderr);
    await waitUntil(async () => !(await tm.listTopics()).includes(topic), 30_000, () => 'the topic to be gone');
  });

  it('bad usage exits 2 before connecting; a missing topic exits 1', async () => {
    const noTo = await cli(['groups', 'reset', '--group', 'g', '--topic', 't']);
    assert.equal(noTo.code, 2);
    assert.match(noTo.stderr, /--to is required/);
    const badTotal = await cli(['topics', 'partitions', '--topic', 't', '--total', '0'], { ...process.env, GOCOFFEE_KAFKA_BROKERS: '127.0.0.1:1' });
    assert.equal(badTotal.code, 2);
    assert.match(badTotal.stderr, /--total: got "0", expected a positive integer/);
    const missing = await cli(['topics', 'configs', '--topic', uniqueName('nope'), '--set', 'retention.ms=1']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /GCK_KAFKA_/);
  });
});
