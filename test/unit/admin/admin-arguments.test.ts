import assert from 'node:assert/strict';
import { GroupAdmin, GroupNotEmptyError, TopicManager, checkResetTarget, type AdminHost } from '../../../src/admin/index.js';
import { configOps } from '../../../src/admin/topic-admin.js';
import { resolveConfig } from '../../../src/config/index.js';
import { InvalidArgumentError } from '../../../src/errors/base.js';
import { KafkaError, kafkaErrorCode } from '../../../src/errors/librdkafka.js';
import { createNativeAdminClient } from '../../../src/native/admin.js';
import type { NativeAdminClient, NativeGroupDescription, NativeMetadata } from '../../../src/native/index.js';
import { FakeBinding } from '../../helpers/fake-binding.js';

/**
 * A host whose admin client is scripted: `calls` records every operation; an operation not given
 * in `script` fails the test (argument errors must be thrown before anything is sent).
 */
function host(script: Partial<NativeAdminClient> = {}) {
  const calls: string[] = [];
  let opened = 0;
  let closed = 0;
  const client = new Proxy({} as NativeAdminClient, {
    get(_t, name: string) {
      if (name === 'close') return async () => void closed++;
      return (...args: unknown[]) => {
        calls.push(name);
        const f = (script as Record<string, (...a: unknown[]) => unknown>)[name];
        if (f === undefined) throw new Error(`unexpected admin call ${name}`);
        return f(...args);
      };
    },
  });
  const md = { orig_broker_id: 1, orig_broker_name: 'b', brokers: [{ id: 1, host: 'h', port: 1 }], topics: [{ name: 't', partitions: [0, 1].map((id) => ({ id, leader: 1, replicas: [1], isrs: [1] })) }] };
  const h: AdminHost = {
    config: resolveConfig({ brokers: ['fake:9092'] }),
    metadata: async () => md as unknown as NativeMetadata,
    createAdminClient: () => {
      opened++;
      return client;
    },
  };
  return { h, calls, opened: () => opened, closed: () => closed };
}

const group = (state: string, members: number): NativeGroupDescription => ({
  groupId: 'g',
  error: null,
  isSimple: false,
  assignor: 'range',
  state,
  type: 'Classic',
  coordinator: { id: 1, host: 'h', port: 1 },
  members: Array.from({ length: members }, (_, i) => ({ memberId: `m${i}`, clientId: `c${i}`, groupInstanceId: null, host: '/10.0.0.1', assignment: [] })),
});

const invalid = (what: RegExp) => (e: unknown) => e instanceof InvalidArgumentError && e.code === 'GCK_INVALID_ARGUMENT' && what.test(e.message);

describe('admin: argument validation (unit, scripted admin client)', () => {
  it('a host that still passes the removed AdminHost.oauthBearer without a binding is refused (its handles would get no tokens)', () => {
    const { h } = host();
    const stale = { config: h.config, metadata: h.metadata, oauthBearer: {} } as AdminHost;
    for (const make of [() => new TopicManager(stale), () => new GroupAdmin(stale)]) {
      assert.throws(make, (e: unknown) => e instanceof InvalidArgumentError && /AdminHost\.oauthBearer/.test(e.message) && /host\.binding/.test(e.message));
    }
    // With a binding (what a ConnectionManager has beside its oauthBearer refresher) or a factory: fine.
    new TopicManager({ ...stale, binding: new FakeBinding() } as AdminHost);
    new GroupAdmin({ ...h, oauthBearer: {} } as AdminHost);
  });

  it('checkResetTarget accepts the four forms and refuses anything else', () => {
    assert.equal(checkResetTarget('earliest'), 'earliest');
    assert.equal(checkResetTarget('latest'), 'latest');
    assert.deepEqual(checkResetTarget({ timestamp: new Date(5) }), { timestamp: 5 });
    assert.deepEqual(checkResetTarget({ offset: 3 }), { offset: 3 });
    assert.deepEqual(checkResetTarget({ offsets: [{ partition: 1, offset: 2 }] }), { offsets: [{ partition: 1, offset: 2 }] });
    for (const bad of ['start', 7, null, {}, { timestamp: -1 }, { timestamp: new Date(Number.NaN) }, { offset: 1.5 }, { offset: -1 }, { offsets: [] }, { offsets: [{ partition: -1, offset: 0 }] }, { offsets: [{ partition: 0, offset: 0 }, { partition: 0, offset: 1 }] }]) {
      assert.throws(() => checkResetTarget(bad), InvalidArgumentError, JSON.stringify(bad));
    }
  });

  it('GroupAdmin refuses bad groups, topics, targets, states and timeouts before opening an admin client', async () => {
    const { h, opened } = host();
    const g = new GroupAdmin(h);
    await assert.rejects(g.describeGroups([]), invalid(/describeGroups groups/));
    await assert.rejects(g.describeGroups(['']), invalid(/consumer group id/));
    await assert.rejects(g.deleteGroups(['ok', 5 as unknown as string]), invalid(/deleteGroups groups/));
    await assert.rejects(g.groupOffsets('g', { topic: 'bad topic' }), invalid(/topic name/));
    await assert.rejects(g.resetGroupOffsets('g', 't', 'sometime' as never), invalid(/resetGroupOffsets to/));
    await assert.rejects(g.resetGroupOffsets('g', 't', { offsets: [{ partition: 5, offset: 0 }] }), invalid(/no partition 5/));
    await assert.rejects(g.resetGroupOffsets('g', 'x'.repeat(250), 'earliest'), invalid(/topic name/));
    await assert.rejects(g.listGroups({ states: ['Running' as never] }), invalid(/listGroups states/));
    await assert.rejects(g.listGroups({ timeoutMs: 0 }), invalid(/timeoutMs/));
    assert.equal(opened(), 0);
  });

  it('TopicManager refuses bad topics, totals, timestamps and config changes before opening an admin client', async () => {
    const { h, opened } = host();
    const tm = new TopicManager(h);
    await assert.rejects(tm.deleteTopics([]), invalid(/deleteTopics topics/));
    await assert.rejects(tm.deleteTopics(['..']), invalid(/topic name/));
    await assert.rejects(tm.createPartitions('t', 0), invalid(/createPartitions total/));
    await assert.rejects(tm.createPartitions('t', 2), invalid(/has 2 partitions/));
    await assert.rejects(tm.createPartitions('missing', 4), invalid(/does not exist/));
    await assert.rejects(tm.offsetsForTimes('t', -5), invalid(/offsetsForTimes timestamp/));
    await assert.rejects(tm.describeTopicConfigs('a/b'), invalid(/topic name/));
    await assert.rejects(tm.offsetsForTimes('', 0), invalid(/topic name/));
    await assert.rejects(tm.alterTopicConfigs('t', {}), invalid(/nothing to change/));
    await assert.rejects(tm.alterTopicConfigs('t', { set: { 'retention.ms': 5 as unknown as string } }), invalid(/expected a string value/));
    await assert.rejects(tm.alterTopicConfigs('t', { set: { a: '1' }, delete: ['a'] }), invalid(/both set and deleted/));
    await assert.rejects(tm.alterTopicConfigs('t', { delete: ['bad key'] }), invalid(/bad config key/));
    await assert.rejects(tm.deleteTopics(['t'], { timeoutMs: 1.5 }), invalid(/timeoutMs/));
    assert.equal(opened(), 0);
    assert.deepEqual(configOps({ set: { 'retention.ms': '1' }, delete: ['cleanup.policy'] }), [
      { name: 'retention.ms', op: 'set', value: '1' },
      { name: 'cleanup.policy', op: 'delete' },
    ]);
  });

  it('reset and delete are refused with GroupNotEmptyError while the group has members; nothing is committed or deleted; the handle is closed', async () => {
    const { h, calls, opened, closed } = host({ describeGroups: async () => [group('Stable', 2)] });
    const g = new GroupAdmin(h);
    const err = await g.resetGroupOffsets('g', 't', 'earliest').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof GroupNotEmptyError && err instanceof KafkaError);
    assert.equal(err.code, kafkaErrorCode(68));
    assert.equal(err.librdkafkaCode, 68);
    assert.deepEqual(err.members, ['c0@/10.0.0.1', 'c1@/10.0.0.1']);
    assert.match(err.message, /resetGroupOffsets: consumer group g is Stable with 2 active member\(s\)/);
    await assert.rejects(g.deleteGroups(['g']), GroupNotEmptyError);
    assert.deepEqual(calls, ['describeGroups', 'describeGroups']);
    assert.equal(opened(), 2);
    assert.equal(closed(), 2);
  });

  it('a consumer that joins between the check and the commit: the broker\'s refusal becomes GroupNotEmptyError', async () => {
    const { h } = host({
      describeGroups: async () => [group('Empty', 0)],
      listOffsets: async (ps: Array<{ topic: string; partition: number; offset: number }>) => ps.map((p) => ({ ...p, offset: p.offset === -2 ? 0 : 10, timestamp: -1, error: null })),
      listGroupOffsets: async () => [{ groupId: 'g', error: null, partitions: [] }],
      alterGroupOffsets: async () => [{ groupId: 'g', error: null, partitions: [{ topic: 't', partition: 0, offset: 0, metadata: null, error: { code: 25, name: 'UNKNOWN_MEMBER_ID', message: 'Broker: Unknown member' } }] }],
    } as Partial<NativeAdminClient>);
    const g = new GroupAdmin(h);
    const plan = await g.resetGroupOffsets('g', 't', { offset: 50 }, { dryRun: true });
    assert.deepEqual(plan.partitions, [0, 1].map((partition) => ({ partition, from: null, to: 10, clamped: true })));
    await assert.rejects(g.resetGroupOffsets('g', 't', 'earliest'), GroupNotEmptyError);
  });

  it('deleteGroups skips groups that do not exist in the real run too, and reports them missing', async () => {
    const deleted: string[][] = [];
    const describe = async (ids: string[]) => ids.map((id) => ({ ...group(id.startsWith('gone') ? 'Dead' : 'Empty', 0), groupId: id }));
    const { h, calls } = host({
      describeGroups: describe,
      deleteGroups: async (ids: string[]) => (deleted.push(ids), ids.map((groupId) => ({ groupId, error: null, partitions: [] }))),
    } as Partial<NativeAdminClient>);
    const g = new GroupAdmin(h);
    const groups = [
      { groupId: 'a', state: 'Empty', exists: true },
      { groupId: 'gone1', state: 'Dead', exists: false },
    ];
    assert.deepEqual(await g.deleteGroups(['a', 'gone1'], { dryRun: true }), { dryRun: true, groups });
    assert.deepEqual(await g.deleteGroups(['a', 'gone1']), { dryRun: false, groups });
    assert.deepEqual(deleted, [['a']]);
    // Only missing groups: nothing to send.
    assert.deepEqual(await g.deleteGroups(['gone1', 'gone2']), { dryRun: false, groups: ['gone1', 'gone2'].map((groupId) => ({ groupId, state: 'Dead', exists: false })) });
    assert.deepEqual(calls, ['describeGroups', 'describeGroups', 'deleteGroups', 'describeGroups']);
  });

  it('deleteGroups: when the broker refuses some groups, the error says which were deleted and which not', async () => {
    const err = (code: number, name: string) => ({ code, name, message: `Broker: ${name}` });
    const results: Record<string, ReturnType<typeof err> | null> = { a: null, b: err(68, 'NON_EMPTY_GROUP'), c: err(69, 'GROUP_ID_NOT_FOUND'), d: null, e: err(30, 'GROUP_AUTHORIZATION_FAILED') };
    const script = (ids: string[]) => ({
      describeGroups: async () => ids.map((id) => ({ ...group('Empty', 0), groupId: id })),
      deleteGroups: async (asked: string[]) => asked.map((groupId) => ({ groupId, error: results[groupId] ?? null, partitions: [] })),
    }) as Partial<NativeAdminClient>;
    // A consumer joined b after the check: GroupNotEmptyError; a, d deleted; c was deleted meanwhile by someone else (not an error).
    const raced = await new GroupAdmin(host(script(['a', 'b', 'c', 'd'])).h).deleteGroups(['a', 'b', 'c', 'd']).then(() => undefined, (e: unknown) => e);
    assert.ok(raced instanceof GroupNotEmptyError, String(raced));
    assert.equal(raced.group, 'b');
    assert.match(raced.message, /consumer group b is not empty \(a consumer joined meanwhile\); .*\(deleted: a, d; not deleted: b\)$/);
    assert.deepEqual([raced.context?.deleted, raced.context?.notDeleted], [['a', 'd'], ['b']]);
    // Another refusal: its KafkaError, with the same account.
    const other = await new GroupAdmin(host(script(['e', 'a'])).h).deleteGroups(['e', 'a']).then(() => undefined, (e: unknown) => e);
    assert.ok(other instanceof KafkaError && !(other instanceof GroupNotEmptyError), String(other));
    assert.equal(other.librdkafkaCode, 30);
    assert.match(other.message, /e: Broker: GROUP_AUTHORIZATION_FAILED \(deleted: a; not deleted: e\)/);
    assert.deepEqual([other.context?.deleted, other.context?.notDeleted], [['a'], ['e']]);
    // Only c, gone since the check: reported missing, no error.
    assert.deepEqual(await new GroupAdmin(host(script(['c'])).h).deleteGroups(['c']), { dryRun: false, groups: [{ groupId: 'c', state: 'Dead', exists: false }] });
  });

  it('the addon checks its arguments synchronously (TypeError / RangeError) and refuses calls after close()', async () => {
    const a = createNativeAdminClient({ 'bootstrap.servers': '127.0.0.1:1' });
    const call = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof TypeError || e instanceof RangeError);
    call(() => a.describeGroups('g' as never));
    call(() => a.describeGroups([]));
    call(() => a.deleteGroups(['a\0b']));
    call(() => a.listGroupOffsets('', null));
    call(() => a.alterGroupOffsets('g', [{ topic: 't', partition: 0, offset: -1 }]));
    call(() => a.listOffsets([{ topic: 't', partition: 0, offset: -4 }]));
    call(() => a.listOffsets([{ topic: 't', partition: 1.5, offset: 0 }]));
    call(() => a.describeConfigs([{ type: 'cluster' as never, name: 'x' }]));
    call(() => a.incrementalAlterConfigs([{ type: 'topic', name: 't', ops: [{ name: 'a', op: 'replace' as never, value: '1' }] }]));
    call(() => a.incrementalAlterConfigs([{ type: 'topic', name: 't', ops: [{ name: 'a', op: 'set' }] }]));
    call(() => a.createPartitions([{ topic: 't', total: 0 }]));
    call(() => a.deleteTopics(['t'], { timeoutMs: 0 }));
    call(() => a.createTopics([]));
    call(() => a.createTopics('t' as never));
    call(() => a.createTopics([{ topic: '', partitions: 1, replicationFactor: 1 }]));
    call(() => a.createTopics([{ topic: 't', partitions: 0, replicationFactor: 1 }]));
    call(() => a.createTopics([{ topic: 't', partitions: -2, replicationFactor: 1 }]));
    call(() => a.createTopics([{ topic: 't', partitions: 1.5, replicationFactor: 1 }]));
    call(() => a.createTopics([{ topic: 't', partitions: 1, replicationFactor: 0 }]));
    call(() => a.createTopics([{ topic: 't', partitions: 1 } as never]));
    call(() => a.createTopics([{ topic: 't', partitions: 1, replicationFactor: 1, configs: [] as never }]));
    call(() => a.createTopics([{ topic: 't', partitions: 1, replicationFactor: 1, configs: { 'retention.ms': 1000 as never } }]));
    call(() => a.createTopics([{ topic: 't', partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'de\0lete' } }]));
    call(() => a.createTopics([{ topic: 't', partitions: 1, replicationFactor: 1 }], { timeoutMs: 900_001 }));
    // Valid arguments reach librdkafka: with no broker the request times out (a coded rejection).
    await assert.rejects(a.createTopics([{ topic: 't', partitions: 3, replicationFactor: -1, configs: { 'retention.ms': '1000' } }], { timeoutMs: 300 }), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal((e as { code?: unknown }).code, -185);
      assert.equal(e.name, '_TIMED_OUT');
      return true;
    });
    const first = a.close();
    // A native call in between reuses the handle slots of the first close(): a second close() must
    // still return that promise (kept in a persistent reference, not a stale napi_value).
    assert.throws(() => a.listGroups(), /admin client closed/);
    const second = a.close();
    assert.ok(first instanceof Promise && second instanceof Promise);
    assert.equal(second, first);
    assert.deepEqual(await Promise.all([first, second]), [undefined, undefined]);
    assert.throws(() => a.deleteGroups(['g']), /admin client closed/);
    const third = a.close();
    assert.equal(third, first);
    assert.equal(await third, undefined);
  });
});
