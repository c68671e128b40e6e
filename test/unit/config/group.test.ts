import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ConfigError, resolveConfig, toLibrdkafkaConfig, type KafkaConfig } from '../../../src/config/index.js';
import { BROKERS, issueAt, issuesOf } from './helpers.js';

const base = { brokers: [...BROKERS] };

describe('config: group_protocol and group_instance_id', () => {
  it('classic (the default): cooperative-sticky and session.timeout.ms are set, group.protocol classic', () => {
    const config = resolveConfig(base);
    assert.equal(config.groupProtocol, 'classic');
    assert.equal(config.groupInstanceId, undefined);
    const { global } = toLibrdkafkaConfig(config, 'consumer');
    assert.equal(global['group.protocol'], 'classic');
    assert.equal(global['partition.assignment.strategy'], 'cooperative-sticky');
    assert.equal(global['session.timeout.ms'], 45_000);
    assert.ok(!('group.instance.id' in global));
  });

  it('consumer: none of the properties librdkafka refuses with it; group.remote.assignor passes through', () => {
    const config = resolveConfig({ ...base, groupProtocol: 'CONSUMER', librdkafka: { 'group.remote.assignor': 'range', 'max.poll.interval.ms': 60_000 } });
    assert.equal(config.groupProtocol, 'consumer');
    const { global } = toLibrdkafkaConfig(config, 'consumer');
    assert.equal(global['group.protocol'], 'consumer');
    assert.equal(global['group.remote.assignor'], 'range');
    for (const p of ['partition.assignment.strategy', 'session.timeout.ms', 'heartbeat.interval.ms', 'group.protocol.type']) assert.ok(!(p in global), p);
    // producers and admin clients get no group property at all
    for (const role of ['producer', 'admin'] as const) assert.ok(!('group.protocol' in toLibrdkafkaConfig(config, role).global), role);
  });

  it('from the environment (GOCOFFEE_KAFKA_GROUP_PROTOCOL, GOCOFFEE_KAFKA_GROUP_INSTANCE_ID)', () => {
    const config = resolveConfig(base, { GOCOFFEE_KAFKA_GROUP_PROTOCOL: 'consumer', GOCOFFEE_KAFKA_GROUP_INSTANCE_ID: 'orders-7' });
    assert.equal(config.groupProtocol, 'consumer');
    assert.equal(config.groupInstanceId, 'orders-7');
    assert.equal(toLibrdkafkaConfig(config, 'consumer').global['group.instance.id'], 'orders-7');
  });

  it('consumer protocol: each override librdkafka would refuse is a ConfigError naming the property', () => {
    const issues = issuesOf(() =>
      resolveConfig({ ...base, groupProtocol: 'consumer', librdkafka: { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'group.protocol.type': 'consumer' } }),
    );
    assert.equal(issues.length, 3);
    assert.match(issueAt(issues, 'kafka.librdkafka["session.timeout.ms"]').message, /session\.timeout\.ms is not used with group_protocol consumer: the broker sets the session timeout \(group\.consumer\.session\.timeout\.ms/);
    assert.match(issueAt(issues, 'kafka.librdkafka["heartbeat.interval.ms"]').message, /heartbeat\.interval\.ms is not used with group_protocol consumer/);
    assert.match(issueAt(issues, 'kafka.librdkafka["group.protocol.type"]').message, /set group_protocol classic/);
    // partition.assignment.strategy is managed under either protocol
    assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, groupProtocol: 'consumer', librdkafka: { 'partition.assignment.strategy': 'range' } })), 'kafka.librdkafka["partition.assignment.strategy"]').message, /group\.remote\.assignor/);
  });

  it('classic protocol: session.timeout.ms and heartbeat.interval.ms may be overridden; group.remote.assignor is refused', () => {
    const config = resolveConfig({ ...base, librdkafka: { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 } });
    assert.equal(toLibrdkafkaConfig(config, 'consumer').global['session.timeout.ms'], 6000);
    const issue = issueAt(issuesOf(() => resolveConfig({ ...base, librdkafka: { 'group.remote.assignor': 'uniform' } })), 'kafka.librdkafka["group.remote.assignor"]');
    assert.match(issue.message, /only used with group_protocol consumer/);
  });

  it('group.protocol and group.instance.id are managed: a raw override names the field to set', () => {
    const issues = issuesOf(() => resolveConfig({ ...base, librdkafka: { 'group.protocol': 'consumer', 'group.instance.id': 'a' } }));
    assert.match(issueAt(issues, 'kafka.librdkafka["group.protocol"]').message, /set kafka\.group_protocol \(GOCOFFEE_KAFKA_GROUP_PROTOCOL\)/);
    assert.match(issueAt(issues, 'kafka.librdkafka["group.instance.id"]').message, /set kafka\.group_instance_id \(GOCOFFEE_KAFKA_GROUP_INSTANCE_ID\)/);
  });

  it('a bad group_protocol or group_instance_id is a ConfigError naming the field and the value', () => {
    assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, groupProtocol: 'eager' as 'classic' })), 'kafka.group_protocol').message, /got "eager", expected one of classic, consumer/);
    for (const [id, why] of [
      ['pod 1', 'contains whitespace'],
      ['pod/1', 'a character other than'],
      ['.', '"\\."'],
      ['x'.repeat(250), '250 characters'],
    ] as const) {
      const issues = issuesOf(() => resolveConfig({ ...base, groupInstanceId: id }));
      const message = issueAt(issues, 'kafka.group_instance_id').message;
      assert.ok(message.includes(`got ${JSON.stringify(id)}`), message);
      assert.match(message, new RegExp(why));
    }
    assert.match(issueAt(issuesOf(() => resolveConfig(base, { GOCOFFEE_KAFKA_GROUP_INSTANCE_ID: 'a\tb' })), 'GOCOFFEE_KAFKA_GROUP_INSTANCE_ID').message, /whitespace/);
    assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, groupInstanceId: '   ' })), 'kafka.group_instance_id').message, /empty/);
  });

  it('a consumer\'s own settings win over the configuration\'s, and are checked the same way', () => {
    const config = resolveConfig({ ...base, groupInstanceId: 'shared' });
    const own = toLibrdkafkaConfig(config, 'consumer', { groupProtocol: 'consumer', groupInstanceId: 'mine' }).global;
    assert.equal(own['group.protocol'], 'consumer');
    assert.equal(own['group.instance.id'], 'mine');
    assert.ok(!('session.timeout.ms' in own));
    // null: dynamic membership whatever the configuration says (e.g. for readers)
    assert.ok(!('group.instance.id' in toLibrdkafkaConfig(config, 'consumer', { groupInstanceId: null }).global));
    // the configuration's overrides are checked against the consumer's protocol
    const classic = resolveConfig({ ...base, librdkafka: { 'session.timeout.ms': 6000 } });
    assert.throws(() => toLibrdkafkaConfig(classic, 'consumer', { groupProtocol: 'consumer' }), (e: unknown) => e instanceof ConfigError && /session\.timeout\.ms is not used with group_protocol consumer/.test(e.message));
    assert.throws(() => toLibrdkafkaConfig(config, 'consumer', { groupInstanceId: 'a b' }), (e: unknown) => e instanceof ConfigError && e.issues[0]!.path === 'groupInstanceId');
    // a hand-built config without the fields is classic, dynamic membership
    const { groupProtocol: _p, groupInstanceId: _i, ...older } = config;
    const global = toLibrdkafkaConfig(older as KafkaConfig, 'consumer').global;
    assert.equal(global['group.protocol'], 'classic');
    assert.ok(!('group.instance.id' in global));
  });

  it('librdkafka knows every generated property and value, for each protocol', () => {
    const Kafka = createRequire(import.meta.url)('node-rdkafka') as { KafkaConsumer: new (g: object, t: object) => unknown };
    for (const groupProtocol of ['classic', 'consumer'] as const) {
      const c = toLibrdkafkaConfig(resolveConfig({ ...base, groupProtocol, groupInstanceId: 'i-1', ...(groupProtocol === 'consumer' ? { librdkafka: { 'group.remote.assignor': 'uniform' } } : {}) }), 'consumer');
      // construction applies every property through rd_kafka_conf_set (no connection is made)
      assert.doesNotThrow(() => new Kafka.KafkaConsumer({ ...c.global }, { ...c.topic }), groupProtocol);
    }
  });
});
