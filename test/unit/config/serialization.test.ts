import assert from 'node:assert/strict';
import { ConfigError, describeConfig, fieldByKey, loadConfig, resolveConfig } from '../../../src/config/index.js';
import { BROKERS, issueAt, issuesOf, tempDir } from './helpers.js';

describe('config: serialization and topic_serialization (issue 16 item 2)', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  const base = { brokers: [...BROKERS] };

  it('defaults: avro, no per-topic settings', () => {
    const c = resolveConfig(base);
    assert.equal(c.serialization, 'avro');
    assert.deepEqual(c.topicSerialization, {});
    assert.ok(Object.isFrozen(c.topicSerialization));
    assert.match(describeConfig(c), /^kafka\.serialization = avro$/m);
    assert.match(describeConfig(c), /^kafka\.topic_serialization = \{\}$/m);
  });

  it('YAML: kafka.serialization and kafka.topic_serialization (topic keys as under topics:, your own included; ${VAR} expanded)', () => {
    const file = tmp.write('s.yaml', [
      'kafka:',
      '  brokers: [localhost:9092]',
      '  serialization: JSON',
      '  topics:',
      '    order_placed: shop.orders',
      '  topic_serialization:',
      '    beverage_created: avro',
      '    taskCreated: ${TASK_FORMAT}',
      '    order_placed: json',
      '',
    ].join('\n'));
    const c = loadConfig({ file, env: { TASK_FORMAT: 'json' } });
    assert.equal(c.serialization, 'json');
    assert.deepEqual(c.topicSerialization, { beverageCreated: 'avro', taskCreated: 'json', orderPlaced: 'json' });
  });

  it('environment: GOCOFFEE_KAFKA_SERIALIZATION, GOCOFFEE_KAFKA_TOPIC_SERIALIZATION (a JSON object) and one variable per key, which wins for its key; maps merge per key over the file', () => {
    const file = tmp.write('m.yaml', 'kafka:\n  brokers: [localhost:9092]\n  topic_serialization:\n    system_event: json\n    task_updated: json\n');
    const c = loadConfig({
      file,
      env: {
        GOCOFFEE_KAFKA_SERIALIZATION: 'json',
        GOCOFFEE_KAFKA_TOPIC_SERIALIZATION: '{"beverage_created": "json", "task_created": "json"}',
        GOCOFFEE_KAFKA_TOPIC_SERIALIZATION_TASK_CREATED: 'avro',
        GOCOFFEE_KAFKA_TOPIC_SERIALIZATION_TASK_UPDATED: 'AVRO',
      },
    });
    assert.equal(c.serialization, 'json');
    assert.deepEqual(c.topicSerialization, { systemEvent: 'json', taskUpdated: 'avro', beverageCreated: 'json', taskCreated: 'avro' });
  });

  it('program input: serialization and topicSerialization (camelCase or snake_case keys), over the environment', () => {
    const c = loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'localhost:9092', GOCOFFEE_KAFKA_SERIALIZATION: 'json' }, overrides: { serialization: 'avro', topicSerialization: { aiRequestCompleted: 'json', notification_sent: 'avro', systemEvent: undefined } } });
    assert.equal(c.serialization, 'avro');
    assert.deepEqual(c.topicSerialization, { aiRequestCompleted: 'json', notificationSent: 'avro' });
  });

  it('an invalid value is a ConfigError naming the key (YAML path or variable) and the allowed values', () => {
    const f = fieldByKey('serialization');
    assert.equal(issueAt(issuesOf(() => resolveConfig({ ...base, serialization: 'protobuf' as never })), 'kafka.serialization').message, `got "protobuf", expected ${f.expected}`);
    assert.equal(f.expected, 'one of avro, json (case-insensitive)');
    assert.equal(issueAt(issuesOf(() => loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'x:1', GOCOFFEE_KAFKA_SERIALIZATION: 'xml' } })), 'GOCOFFEE_KAFKA_SERIALIZATION').message, 'got "xml", expected one of avro, json (case-insensitive)');
    const file = tmp.write('bad.yaml', 'kafka:\n  brokers: [localhost:9092]\n  topic_serialization:\n    beverage_created: xml\n');
    assert.equal(issueAt(issuesOf(() => loadConfig({ file, env: {} })), 'kafka.topic_serialization["beverage_created"]').message, 'got "xml", expected one of avro, json (case-insensitive)');
    assert.equal(issueAt(issuesOf(() => loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'x:1', GOCOFFEE_KAFKA_TOPIC_SERIALIZATION_TASK_CREATED: 'yaml' } })), 'GOCOFFEE_KAFKA_TOPIC_SERIALIZATION_TASK_CREATED').message, 'got "yaml", expected one of avro, json (case-insensitive)');
    assert.throws(() => resolveConfig({ ...base, topicSerialization: { taskCreated: 5 as never } }), ConfigError);
  });

  it('a key that names no configured topic is an error (a typo does not silently do nothing); not a mapping, a bad key, two spellings of one key too', () => {
    const typo = issueAt(issuesOf(() => resolveConfig({ ...base, topicSerialization: { bevrage_created: 'json' } })), 'kafka.topic_serialization["bevrage_created"]');
    assert.match(typo.message, /^names no configured topic key, expected one of the keys under topics: \(beverage_created, .*system_event\)/);
    assert.doesNotThrow(() => resolveConfig({ ...base, topics: { orderPlaced: 'shop.orders' }, topicSerialization: { order_placed: 'json' } }));
    assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, topicSerialization: 'json' as never })), 'kafka.topic_serialization').message, /^got "json", expected a mapping of topic keys \(as under topics:\) to avro or json/);
    assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, topicSerialization: { 'task-created': 'json' } })), 'kafka.topic_serialization["task-created"]').message, /invalid topic key/);
    assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, topicSerialization: { task_created: 'json', taskCreated: 'avro' } })), 'kafka.topic_serialization["taskCreated"]').message, /names the same topic key as kafka\.topic_serialization\["task_created"\]/);
    assert.match(issueAt(issuesOf(() => loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'x:1', GOCOFFEE_KAFKA_TOPIC_SERIALIZATION: '{nope' } })), 'GOCOFFEE_KAFKA_TOPIC_SERIALIZATION').message, /not valid JSON "\{nope", expected a JSON object/);
    assert.match(issueAt(issuesOf(() => loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'x:1', GOCOFFEE_KAFKA_TOPIC_SERIALIZATION_NO_SUCH: 'json' } })), 'GOCOFFEE_KAFKA_TOPIC_SERIALIZATION_NO_SUCH').message, /names no configured topic key/);
  });
});
