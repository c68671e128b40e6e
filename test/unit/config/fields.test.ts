import assert from 'node:assert/strict';
import {
  CONFIG_FIELDS,
  describeConfig,
  fieldByKey,
  fieldByYamlKey,
  formatDuration,
  MANAGED_PROPERTIES,
  redactConfig,
  REDACTED,
  renderConfigReference,
  resolveConfig,
  topicName,
} from '../../../src/config/index.js';
import { tempDir } from './helpers.js';

describe('config/CONFIG_FIELDS: the single source of truth', () => {
  const defaults = resolveConfig({ brokers: ['x:1'] });

  it('covers every KafkaConfig field exactly once', () => {
    const configKeys = [
      ...Object.keys(defaults).filter((k) => k !== 'topics'),
      ...Object.keys(defaults.topics).map((k) => `topics.${k}`),
    ].sort();
    assert.deepEqual(CONFIG_FIELDS.map((f) => f.key).sort(), configKeys);
  });

  it('every field documents its YAML key, env variable, default, kind, expected value and description', () => {
    for (const field of CONFIG_FIELDS) {
      assert.equal(field.path, `kafka.${field.yamlKey}`);
      assert.ok(field.description.length > 10 && !field.description.includes('\n'), field.key);
      assert.ok(field.expected.length > 5, field.key);
      assert.ok(field.defaultText.length > 0, field.key);
      assert.equal(fieldByKey(field.key), field);
      assert.equal(fieldByYamlKey(field.yamlKey), field);
      assert.ok(Object.isFrozen(field));
    }
    assert.ok(Object.isFrozen(CONFIG_FIELDS));
  });

  it('defaults in the table are the defaults applied', () => {
    for (const field of CONFIG_FIELDS) {
      if (field.required) continue;
      const value = field.key.startsWith('topics.')
        ? defaults.topics[field.key.slice(7) as keyof typeof defaults.topics]
        : defaults[field.key as keyof typeof defaults];
      assert.deepEqual(value, field.default, field.key);
      if (field.kind === 'duration') assert.equal(field.defaultText, formatDuration(field.default as number));
    }
    assert.equal(defaults.clientId, 'gocoffee-kafka');
    assert.equal(defaults.groupId, 'gocoffee-kafka-group');
    assert.equal(defaults.deliveryTimeoutMs, 120_000);
    assert.equal(defaults.batchTimeoutMs, 5);
  });

  it('only the three secret fields are secret', () => {
    assert.deepEqual(CONFIG_FIELDS.filter((f) => f.secret).map((f) => f.yamlKey), ['sasl_password', 'tls_key_password', 'schema_registry_password']);
  });

  it('managed librdkafka properties are derived from the table', () => {
    for (const field of CONFIG_FIELDS) {
      for (const property of field.librdkafka) assert.ok(MANAGED_PROPERTIES.get(property)?.includes(field.path), property);
    }
  });
});

describe('config: redactConfig / describeConfig / topicName', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  const config = resolveConfig({
    brokers: ['x:1'],
    enableSasl: true, saslUsername: 'user', saslPassword: 'sasl-secret',
    enableTls: true, tlsKeyFile: tmp.write('k.pem', 'k'), tlsCertFile: tmp.write('c.pem', 'c'), tlsKeyPassword: 'key-secret',
    schemaRegistryUrl: 'https://reg-user:url-secret@registry:8081', schemaRegistryUsername: 'reg', schemaRegistryPassword: 'reg-secret',
    librdkafka: { 'sasl.oauthbearer.client.secret': 'oauth-secret', 'ssl.keystore.password': 'ks-secret', 'statistics.interval.ms': 5000 },
    topicSuffix: '.dev',
  });

  it('moves credentials out of schema_registry_url into username/password', () => {
    const c = resolveConfig({ brokers: ['x:1'], schemaRegistryUrl: 'https://alice:p%40ss@registry:8081/apis/ccompat/v7/' });
    assert.equal(c.schemaRegistryUrl, 'https://registry:8081/apis/ccompat/v7');
    assert.equal(c.schemaRegistryUsername, 'alice');
    assert.equal(c.schemaRegistryPassword, 'p@ss');
    assert.ok(!JSON.stringify(redactConfig(c)).includes('p@ss'));
  });

  it('replaces every secret and leaves the rest', () => {
    const safe = redactConfig(config);
    assert.equal(safe.saslPassword, REDACTED);
    assert.equal(safe.tlsKeyPassword, REDACTED);
    assert.equal(safe.schemaRegistryPassword, REDACTED);
    // credentials in the URL are moved out at resolve time (explicit username/password win)
    assert.equal(config.schemaRegistryUrl, 'https://registry:8081');
    assert.equal(safe.schemaRegistryUrl, 'https://registry:8081');
    assert.deepEqual(safe.librdkafka, { 'sasl.oauthbearer.client.secret': REDACTED, 'ssl.keystore.password': REDACTED, 'statistics.interval.ms': 5000 });
    assert.equal(safe.saslUsername, 'user');
    assert.ok(Object.isFrozen(safe) && Object.isFrozen(safe.librdkafka));
    assert.equal(config.saslPassword, 'sasl-secret'); // original untouched
    assert.equal(redactConfig(resolveConfig({ brokers: ['x:1'] })).saslPassword, undefined);
  });

  it('describeConfig lists every field without secrets', () => {
    const text = describeConfig(config);
    assert.equal(text.split('\n').length, CONFIG_FIELDS.length);
    assert.match(text, /^kafka\.brokers = x:1$/m);
    assert.match(text, /^kafka\.delivery_timeout = 2m$/m);
    assert.match(text, /^kafka\.sasl_password = \[REDACTED\]$/m);
    for (const secret of ['sasl-secret', 'key-secret', 'url-secret', 'reg-secret', 'oauth-secret', 'ks-secret']) {
      assert.ok(!text.includes(secret), secret);
      assert.ok(!JSON.stringify(redactConfig(config)).includes(secret), secret);
    }
  });

  it('topicName applies the suffix', () => {
    assert.equal(topicName(config, 'taskCreated'), 'task.created.dev');
  });
});

describe('config/renderConfigReference', () => {
  it('has one row per field with its env variable, default and description', () => {
    const table = renderConfigReference();
    const rows = table.split('\n').slice(2);
    assert.equal(rows.length, CONFIG_FIELDS.length + 1, 'one row per field, and one for topic keys of your own');
    assert.ok(rows.some((r) => r.startsWith('| `topics.<your_key>` | `GOCOFFEE_KAFKA_TOPICS_<YOUR_KEY>` |')));
    for (const field of CONFIG_FIELDS) {
      const row = rows.find((r) => r.startsWith(`| \`${field.yamlKey}\` |`));
      assert.ok(row, field.yamlKey);
      assert.ok(row.includes(`\`${field.env}\``) && row.includes(field.defaultText), row);
    }
    assert.match(table, /`GOCOFFEE_KAFKA_SCHEMA_REGISTRY_URL` or `GOCOFFEE_SCHEMA_REGISTRY_URL`/);
  });
});
