import assert from 'node:assert/strict';
import {
  ConfigError,
  canonicalTopicKey,
  describeConfig,
  loadConfig,
  redactConfig,
  resolveConfig,
  snakeTopicKey,
  topicName,
} from '../../../src/config/index.js';
import { issueAt, issuesOf, tempDir } from './helpers.js';

describe('config: topic keys of your own (topics.<key>)', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('one camelCase key for every spelling: snake_case, camelCase, upper-case variable', () => {
    assert.equal(canonicalTopicKey('order_placed'), 'orderPlaced');
    assert.equal(canonicalTopicKey('orderPlaced'), 'orderPlaced');
    assert.equal(canonicalTopicKey('ORDER_PLACED'.toLowerCase()), 'orderPlaced');
    assert.equal(canonicalTopicKey('OrderPlaced'), 'orderPlaced');
    assert.equal(canonicalTopicKey('orders'), 'orders');
    assert.equal(canonicalTopicKey('v2Orders'), 'v2Orders');
    assert.equal(snakeTopicKey('aiRequestCompleted'), 'ai_request_completed');
  });

  it('YAML: any key names a topic; the Go Coffee keys keep their defaults; the suffix applies to all', () => {
    const file = tmp.write('own.yaml', 'kafka:\n  brokers: [x:1]\n  topic_suffix: .dev\n  topics:\n    order_placed: orders.placed\n    shipments: orders.shipped\n    task_created: tasks.v2\n');
    const config = loadConfig({ file, env: {} });
    assert.equal(config.topics['orderPlaced'], 'orders.placed');
    assert.equal(config.topics['shipments'], 'orders.shipped');
    assert.equal(config.topics.taskCreated, 'tasks.v2');
    assert.equal(config.topics.beverageCreated, 'beverage.created', 'default kept');
    assert.equal(topicName(config, 'orderPlaced'), 'orders.placed.dev');
    assert.equal(topicName(config, 'order_placed'), 'orders.placed.dev', 'snake_case finds the same key');
    assert.equal(topicName(config, 'beverageCreated'), 'beverage.created.dev');
    assert.ok(Object.isFrozen(config.topics));
  });

  it('environment: GOCOFFEE_KAFKA_TOPICS_<KEY> adds or overrides a key (over YAML)', () => {
    const file = tmp.write('env.yaml', 'kafka:\n  brokers: [x:1]\n  topics:\n    order_placed: from.yaml\n');
    const config = loadConfig({
      file,
      env: { GOCOFFEE_KAFKA_TOPICS_ORDER_PLACED: 'from.env', GOCOFFEE_KAFKA_TOPICS_PAYMENTS: 'payments.v1', GOCOFFEE_KAFKA_TOPICS_TASK_CREATED: 'tasks.env' },
    });
    assert.equal(config.topics['orderPlaced'], 'from.env');
    assert.equal(config.topics['payments'], 'payments.v1');
    assert.equal(config.topics.taskCreated, 'tasks.env');
  });

  it('program input: camelCase or snake_case keys; overrides win', () => {
    const config = resolveConfig({ brokers: 'x:1', topics: { orderPlaced: 'a', refund_issued: 'b', taskCreated: 'c' } }, { GOCOFFEE_KAFKA_TOPICS_ORDER_PLACED: 'env' });
    assert.deepEqual({ ...config.topics, beverageCreated: undefined, beverageUpdated: undefined, taskUpdated: undefined, notificationSent: undefined, aiRequestCompleted: undefined, systemEvent: undefined }, {
      orderPlaced: 'a', refundIssued: 'b', taskCreated: 'c',
      beverageCreated: undefined, beverageUpdated: undefined, taskUpdated: undefined, notificationSent: undefined, aiRequestCompleted: undefined, systemEvent: undefined,
    });
  });

  it('invalid names and keys are ConfigErrors naming the key or variable; two spellings of one key in a layer are refused', () => {
    const file = tmp.write('bad.yaml', 'kafka:\n  brokers: [x:1]\n  topics:\n    order_placed: "bad topic!"\n    orderPlaced: other\n    "9lives": x\n');
    const issues = issuesOf(() => loadConfig({ file, env: { GOCOFFEE_KAFKA_TOPICS_REFUNDS: 'a'.repeat(250) } }));
    assert.match(issueAt(issues, 'kafka.topics.order_placed').message, /expected a Kafka topic name/);
    assert.match(issueAt(issues, 'kafka.topics.orderPlaced').message, /same topic key as kafka\.topics\.order_placed/);
    assert.match(issueAt(issues, 'kafka.topics.9lives').message, /invalid topic key/);
    assert.match(issueAt(issues, 'GOCOFFEE_KAFKA_TOPICS_REFUNDS').message, /expected a Kafka topic name/);
  });

  it('topic_suffix: a topic of your own that becomes too long with the suffix is an issue', () => {
    const issues = issuesOf(() => resolveConfig({ brokers: 'x:1', topicSuffix: '.staging', topics: { orders: 'o'.repeat(245) } }));
    assert.match(issueAt(issues, 'kafka.topics.orders').message, /with topic_suffix ".staging" the topic name has 253 characters/);
  });

  it('topicName of a key nobody configured is a ConfigError naming the YAML key and the variable', () => {
    const config = resolveConfig({ brokers: 'x:1' });
    assert.throws(
      () => topicName(config, 'orderPlaced'),
      (e: unknown) => e instanceof ConfigError && e.issues[0]?.path === 'kafka.topics.order_placed' && /GOCOFFEE_KAFKA_TOPICS_ORDER_PLACED/.test(e.message),
    );
  });

  it('describeConfig and redactConfig show topics of your own', () => {
    const config = resolveConfig({ brokers: 'x:1', topics: { orderPlaced: 'orders.placed' } });
    assert.match(describeConfig(config), /^kafka\.topics\.order_placed = orders\.placed$/m);
    assert.equal(redactConfig(config).topics['orderPlaced'], 'orders.placed');
  });
});
