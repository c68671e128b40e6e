import assert from 'node:assert/strict';
import { CONFIG_FIELDS, loadConfig, resolveConfig } from '../../../src/config/index.js';
import { issueAt, issuesOf } from './helpers.js';

describe('config: environment variables', () => {
  it('every variable has exactly one GOCOFFEE_KAFKA_ prefix + the upper-case YAML key', () => {
    for (const field of CONFIG_FIELDS) {
      assert.equal(field.env, `GOCOFFEE_KAFKA_${field.yamlKey.replace('.', '_').toUpperCase()}`);
      assert.ok(!field.env.startsWith('GOCOFFEE_KAFKA_KAFKA_'), field.env);
    }
    const names = CONFIG_FIELDS.map((f) => f.env);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.includes('GOCOFFEE_KAFKA_TOPICS_BEVERAGE_CREATED'));
  });

  it('reads the single prefix and NOT the doubled prefix of the Go package', () => {
    const env = {
      GOCOFFEE_KAFKA_KAFKA_BROKERS: 'doubled:9092',
      GOCOFFEE_KAFKA_KAFKA_CLIENT_ID: 'doubled',
      GOCOFFEE_KAFKA_KAFKA_BATCH_SIZE: '7',
      KAFKA_BROKERS: 'bare:9092',
    };
    // Only doubled/bare names: brokers are missing.
    const issues = issuesOf(() => loadConfig({ env }));
    assert.match(issueAt(issues, 'kafka.brokers').message, /^not set, expected .*GOCOFFEE_KAFKA_BROKERS/);
    const config = loadConfig({ env: { ...env, GOCOFFEE_KAFKA_BROKERS: 'single:9092' } });
    assert.deepEqual(config.brokers, ['single:9092']);
    assert.equal(config.clientId, 'gocoffee-kafka');
    assert.equal(config.batchSize, 10_000);
  });

  it('reads every scalar of the seed README', () => {
    const config = loadConfig({
      env: {
        GOCOFFEE_KAFKA_BROKERS: ' broker1:9092, broker2:9092 ,broker3:9092,',
        GOCOFFEE_KAFKA_ENABLE_SASL: 'true',
        GOCOFFEE_KAFKA_SASL_USERNAME: 'your-username',
        GOCOFFEE_KAFKA_SASL_PASSWORD: 'your-password',
        GOCOFFEE_KAFKA_ENABLE_TLS: 'TRUE',
        GOCOFFEE_KAFKA_BATCH_SIZE: '1000',
        GOCOFFEE_KAFKA_BATCH_TIMEOUT: '100ms',
        GOCOFFEE_KAFKA_RETRY_MAX: '3',
        GOCOFFEE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        GOCOFFEE_KAFKA_DELIVERY_TIMEOUT: '1m',
        GOCOFFEE_KAFKA_COMPRESSION: 'ZSTD',
        GOCOFFEE_KAFKA_TOPIC_SUFFIX: '.dev',
        GOCOFFEE_KAFKA_TOPICS_TASK_CREATED: 'tasks.v2',
      },
    });
    assert.deepEqual(config.brokers, ['broker1:9092', 'broker2:9092', 'broker3:9092']);
    assert.equal(config.enableSasl, true);
    assert.equal(config.saslUsername, 'your-username');
    assert.equal(config.saslPassword, 'your-password');
    assert.equal(config.enableTls, true);
    assert.equal(config.batchSize, 1000);
    assert.equal(config.batchTimeoutMs, 100);
    assert.equal(config.retryMax, 3);
    assert.equal(config.saslMechanism, 'SCRAM-SHA-512');
    assert.equal(config.deliveryTimeoutMs, 60_000);
    assert.equal(config.compression, 'zstd');
    assert.equal(config.topicSuffix, '.dev');
    assert.equal(config.topics.taskCreated, 'tasks.v2');
  });

  for (const [text, value] of [
    ['true', true], ['TRUE', true], ['1', true], ['yes', true], ['Yes', true],
    ['false', false], ['False', false], ['0', false], ['no', false], ['NO', false],
  ] as const) {
    it(`boolean from env: ${JSON.stringify(text)} → ${value}`, () => {
      assert.equal(resolveConfig({ brokers: 'x:1' }, { GOCOFFEE_KAFKA_IDEMPOTENCE: text }).idempotence, value);
    });
  }

  for (const text of ['on', 'off', 'y', 'n', '2', 'truthy', ' t ']) {
    it(`boolean from env: ${JSON.stringify(text)} is a ConfigError naming the variable`, () => {
      const issue = issueAt(issuesOf(() => resolveConfig({ brokers: 'x:1' }, { GOCOFFEE_KAFKA_ENABLE_TLS: text })), 'GOCOFFEE_KAFKA_ENABLE_TLS');
      assert.match(issue.message, /expected a boolean \(true\/false, 1\/0, yes\/no\)/);
    });
  }

  it('an empty variable counts as unset', () => {
    const config = loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'x:1', GOCOFFEE_KAFKA_CLIENT_ID: '', GOCOFFEE_KAFKA_BATCH_SIZE: '' } });
    assert.equal(config.clientId, 'gocoffee-kafka');
    assert.equal(config.batchSize, 10_000);
  });

  it('problems in env values are reported under the variable name', () => {
    const issues = issuesOf(() =>
      loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'good:1,bad', GOCOFFEE_KAFKA_BATCH_SIZE: 'abc', GOCOFFEE_KAFKA_RETRY_BACKOFF: '5 parsecs' } }),
    );
    assert.match(issueAt(issues, 'GOCOFFEE_KAFKA_BROKERS[1]').message, /got "bad", expected a non-empty list of host:port/);
    assert.equal(issueAt(issues, 'GOCOFFEE_KAFKA_BATCH_SIZE').message, 'got "abc", expected a positive integer (1..1000000)');
    assert.match(issueAt(issues, 'GOCOFFEE_KAFKA_RETRY_BACKOFF').message, /^got "5 parsecs", expected a duration/);
  });

  it('schema registry: GOCOFFEE_KAFKA_SCHEMA_REGISTRY_* first, else GOCOFFEE_SCHEMA_REGISTRY_*', () => {
    const harness = {
      GOCOFFEE_KAFKA_BROKERS: 'x:1',
      GOCOFFEE_SCHEMA_REGISTRY_URL: 'http://localhost:8080/apis/ccompat/v7',
      GOCOFFEE_SCHEMA_REGISTRY_USERNAME: 'reg',
      GOCOFFEE_SCHEMA_REGISTRY_PASSWORD: 'regpw',
    };
    const fromHarness = loadConfig({ env: harness });
    assert.equal(fromHarness.schemaRegistryUrl, 'http://localhost:8080/apis/ccompat/v7');
    assert.equal(fromHarness.schemaRegistryUsername, 'reg');
    assert.equal(fromHarness.schemaRegistryPassword, 'regpw');
    const own = loadConfig({ env: { ...harness, GOCOFFEE_KAFKA_SCHEMA_REGISTRY_URL: 'https://registry:8081/' } });
    assert.equal(own.schemaRegistryUrl, 'https://registry:8081');
    const issue = issueAt(issuesOf(() => loadConfig({ env: { ...harness, GOCOFFEE_SCHEMA_REGISTRY_URL: 'registry:8081' } })), 'GOCOFFEE_SCHEMA_REGISTRY_URL');
    assert.match(issue.message, /expected an http:\/\/ or https:\/\/ URL/);
  });

  it('GOCOFFEE_KAFKA_LIBRDKAFKA takes a JSON object; bad JSON is not echoed', () => {
    const config = loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'x:1', GOCOFFEE_KAFKA_LIBRDKAFKA: '{"statistics.interval.ms": 10000}' } });
    assert.deepEqual(config.librdkafka, { 'statistics.interval.ms': 10000 });
    const issue = issueAt(
      issuesOf(() => loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'x:1', GOCOFFEE_KAFKA_LIBRDKAFKA: '{sasl.oauthbearer.client.secret: hush' } })),
      'GOCOFFEE_KAFKA_LIBRDKAFKA',
    );
    assert.ok(!issue.message.includes('hush'));
    const managed = issuesOf(() => loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'x:1', GOCOFFEE_KAFKA_LIBRDKAFKA: '{"linger.ms": 50}' } }));
    assert.match(issueAt(managed, 'GOCOFFEE_KAFKA_LIBRDKAFKA["linger.ms"]').message, /set kafka\.batch_timeout \(GOCOFFEE_KAFKA_BATCH_TIMEOUT\) instead/);
  });

  it('resolveConfig never reads process.env implicitly', () => {
    const saved = process.env['GOCOFFEE_KAFKA_CLIENT_ID'];
    process.env['GOCOFFEE_KAFKA_CLIENT_ID'] = 'from-process-env';
    try {
      assert.equal(resolveConfig({ brokers: ['x:1'] }).clientId, 'gocoffee-kafka');
      assert.equal(resolveConfig({ brokers: ['x:1'] }, process.env).clientId, 'from-process-env');
      assert.equal(resolveConfig({ brokers: ['x:1'], clientId: 'input' }, process.env).clientId, 'input');
    } finally {
      if (saved === undefined) delete process.env['GOCOFFEE_KAFKA_CLIENT_ID'];
      else process.env['GOCOFFEE_KAFKA_CLIENT_ID'] = saved;
    }
  });
});
