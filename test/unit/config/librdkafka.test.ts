import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  ConfigError,
  MANAGED_PROPERTIES,
  resolveConfig,
  securityProperties,
  toLibrdkafkaConfig,
  type ClientRole,
  type KafkaConfig,
  type KafkaConfigInput,
} from '../../../src/config/index.js';
import { issueAt, issuesOf, tempDir } from './helpers.js';

const ROLES: readonly ClientRole[] = ['producer', 'consumer', 'admin'];
const tmp = tempDir();
after(() => tmp.cleanup());

function security(global: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(global).filter(([k]) => /^(security|sasl|ssl|enable\.ssl)/.test(k)));
}

describe('config/toLibrdkafkaConfig', () => {
  const base = { brokers: ['b1:9092', 'b2:9093'], clientId: 'agent', groupId: 'agent-group' } as const;

  it('producer', () => {
    const { global, topic } = toLibrdkafkaConfig(resolveConfig({ ...base, batchSize: 500, batchTimeoutMs: '20ms', compression: 'zstd', retryMax: 5 }), 'producer');
    assert.deepEqual(global, {
      'bootstrap.servers': 'b1:9092,b2:9093',
      'client.id': 'agent',
      'socket.connection.setup.timeout.ms': 10_000,
      'socket.timeout.ms': 10_000,
      'socket.keepalive.enable': true,
      'retry.backoff.ms': 100,
      'retry.backoff.max.ms': 1000,
      'log.connection.close': false,
      'security.protocol': 'PLAINTEXT',
      'enable.idempotence': true,
      'linger.ms': 20,
      'batch.num.messages': 500,
      'compression.type': 'zstd',
      'queue.buffering.max.messages': 100_000,
      dr_cb: true,
    });
    assert.deepEqual(topic, {
      'request.required.acks': -1,
      partitioner: 'murmur2_random',
      'message.timeout.ms': 120_000,
      'request.timeout.ms': 10_000,
    });
    assert.ok(!('dr_msg_cb' in global));
  });

  it('consumer', () => {
    const { global, topic } = toLibrdkafkaConfig(resolveConfig({ ...base, readTimeoutMs: '30s' }), 'consumer');
    assert.deepEqual(global, {
      'bootstrap.servers': 'b1:9092,b2:9093',
      'client.id': 'agent',
      'socket.connection.setup.timeout.ms': 10_000,
      'socket.timeout.ms': 30_000,
      'socket.keepalive.enable': true,
      'retry.backoff.ms': 100,
      'retry.backoff.max.ms': 1000,
      'log.connection.close': false,
      'security.protocol': 'PLAINTEXT',
      'group.id': 'agent-group',
      'enable.auto.commit': true,
      'enable.auto.offset.store': false,
      'auto.commit.interval.ms': 1000,
      'group.protocol': 'classic',
      'fetch.wait.max.ms': 100,
      'partition.assignment.strategy': 'cooperative-sticky',
      'session.timeout.ms': 45_000,
    });
    assert.deepEqual(topic, { 'auto.offset.reset': 'earliest' });
  });

  it('admin: common and security properties only', () => {
    const config = resolveConfig(base);
    const { global, topic } = toLibrdkafkaConfig(config, 'admin');
    assert.deepEqual(Object.keys(global).sort(), [
      'bootstrap.servers', 'client.id', 'log.connection.close', 'retry.backoff.max.ms', 'retry.backoff.ms',
      'security.protocol', 'socket.connection.setup.timeout.ms', 'socket.keepalive.enable', 'socket.timeout.ms',
    ]);
    assert.deepEqual(topic, {});
  });

  it('the producer socket timeout is at least the produce request timeout; retry.backoff.max.ms is 10x clamped', () => {
    const config = resolveConfig({ ...base, readTimeoutMs: '5s', writeTimeoutMs: '30s', retryBackoffMs: '2s' });
    assert.equal(toLibrdkafkaConfig(config, 'producer').global['socket.timeout.ms'], 30_000);
    assert.equal(toLibrdkafkaConfig(config, 'consumer').global['socket.timeout.ms'], 5000);
    assert.equal(toLibrdkafkaConfig(config, 'admin').global['retry.backoff.max.ms'], 20_000);
    assert.equal(toLibrdkafkaConfig(resolveConfig({ ...base, retryBackoffMs: '1m' }), 'admin').global['retry.backoff.max.ms'], 300_000);
  });

  describe('security: one block, identical for every role', () => {
    const ca = tmp.write('ca.pem', 'ca');
    const cert = tmp.write('cert.pem', 'cert');
    const key = tmp.write('key.pem', 'key');

    const matrix: ReadonlyArray<readonly [boolean, boolean, string]> = [
      [false, false, 'PLAINTEXT'],
      [false, true, 'SSL'],
      [true, false, 'SASL_PLAINTEXT'],
      [true, true, 'SASL_SSL'],
    ];
    for (const [enableSasl, enableTls, protocol] of matrix) {
      for (const tlsSkipVerify of enableTls ? [false, true] : [false]) {
        it(`enable_sasl=${enableSasl} enable_tls=${enableTls} skip_verify=${tlsSkipVerify} → ${protocol}`, () => {
          const input: KafkaConfigInput = { ...base, enableSasl, enableTls, tlsSkipVerify };
          if (enableSasl) Object.assign(input, { saslMechanism: 'SCRAM-SHA-512', saslUsername: 'u', saslPassword: 'p' });
          if (enableTls) Object.assign(input, { tlsCaFile: ca, tlsCertFile: cert, tlsKeyFile: key, tlsKeyPassword: 'kp' });
          const config = resolveConfig(input);
          const expected: Record<string, unknown> = { 'security.protocol': protocol };
          if (enableSasl) Object.assign(expected, { 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'u', 'sasl.password': 'p' });
          if (enableTls) {
            Object.assign(expected, { 'ssl.ca.location': ca, 'ssl.certificate.location': cert, 'ssl.key.location': key, 'ssl.key.password': 'kp' });
            if (tlsSkipVerify) Object.assign(expected, { 'enable.ssl.certificate.verification': false, 'ssl.endpoint.identification.algorithm': 'none' });
            else expected['ssl.endpoint.identification.algorithm'] = 'https';
          }
          assert.deepEqual(securityProperties(config), expected);
          for (const role of ROLES) assert.deepEqual(security(toLibrdkafkaConfig(config, role).global), expected, role);
        });
      }
    }

    it('certificate verification is disabled ONLY when tls_skip_verify is set', () => {
      for (const role of ROLES) {
        const verified = toLibrdkafkaConfig(resolveConfig({ ...base, enableTls: true }), role).global;
        assert.ok(!('enable.ssl.certificate.verification' in verified));
        assert.equal(verified['ssl.endpoint.identification.algorithm'], 'https');
        const skipped = toLibrdkafkaConfig(resolveConfig({ ...base, enableTls: true, tlsSkipVerify: true }), role).global;
        assert.equal(skipped['enable.ssl.certificate.verification'], false);
        assert.equal(skipped['ssl.endpoint.identification.algorithm'], 'none');
      }
    });

    it('OAUTHBEARER sets the mechanism but no username/password', () => {
      const config = resolveConfig({ ...base, enableSasl: true, saslMechanism: 'OAUTHBEARER', enableTls: true, librdkafka: { 'sasl.oauthbearer.method': 'oidc' } });
      for (const role of ROLES) {
        const { global } = toLibrdkafkaConfig(config, role);
        assert.equal(global['sasl.mechanisms'], 'OAUTHBEARER');
        assert.equal(global['security.protocol'], 'SASL_SSL');
        assert.ok(!('sasl.username' in global) && !('sasl.password' in global));
        assert.equal(global['sasl.oauthbearer.method'], 'oidc');
      }
    });
  });

  describe('librdkafka overrides', () => {
    it('are applied on top, topic-only properties in the topic config, and only to roles that know them', () => {
      const config = resolveConfig({
        ...base,
        librdkafka: {
          'statistics.interval.ms': 10_000, // common
          'queue.buffering.max.messages': 5000, // producer, overrides the library default
          'compression.level': 3, // producer, topic-only
          'auto.offset.reset': 'latest', // consumer, topic-only, overrides 'earliest'
          'session.timeout.ms': 10_000, // consumer
          'fetch.wait.max.ms': 50,
        },
      });
      const producer = toLibrdkafkaConfig(config, 'producer');
      const consumer = toLibrdkafkaConfig(config, 'consumer');
      const admin = toLibrdkafkaConfig(config, 'admin');
      assert.equal(producer.global['statistics.interval.ms'], 10_000);
      assert.equal(consumer.global['statistics.interval.ms'], 10_000);
      assert.equal(admin.global['statistics.interval.ms'], 10_000);
      assert.equal(producer.global['queue.buffering.max.messages'], 5000);
      assert.equal(producer.topic['compression.level'], 3);
      assert.ok(!('compression.level' in producer.global));
      assert.equal(consumer.topic['auto.offset.reset'], 'latest');
      assert.equal(consumer.global['session.timeout.ms'], 10_000);
      assert.equal(consumer.global['fetch.wait.max.ms'], 50);
      for (const k of ['queue.buffering.max.messages', 'compression.level']) {
        assert.ok(!(k in consumer.global) && !(k in consumer.topic) && !(k in admin.global), k);
      }
      for (const k of ['auto.offset.reset', 'session.timeout.ms', 'fetch.wait.max.ms']) {
        assert.ok(!(k in producer.global) && !(k in producer.topic) && !(k in admin.global), k);
      }
    });

    it('managed properties are rejected at validation with the setting to use instead', () => {
      const cases: Record<string, string> = {
        'bootstrap.servers': 'managed by the library; set kafka.brokers (GOCOFFEE_KAFKA_BROKERS) instead',
        'transactional.id': 'not configurable as a property (it would make every publish of the shared producer transactional): use createTransactionalProducer({ transactionalId, transactionTimeoutMs }) or transform({ transactionalId })',
        'metadata.broker.list': 'managed by the library; set kafka.brokers (GOCOFFEE_KAFKA_BROKERS) instead',
        'client.id': 'managed by the library; set kafka.client_id (GOCOFFEE_KAFKA_CLIENT_ID) instead',
        'group.id': 'managed by the library; set kafka.group_id (GOCOFFEE_KAFKA_GROUP_ID) instead',
        'security.protocol': 'managed by the library; set kafka.enable_sasl (GOCOFFEE_KAFKA_ENABLE_SASL) and kafka.enable_tls (GOCOFFEE_KAFKA_ENABLE_TLS) instead',
        'sasl.mechanism': 'managed by the library; set kafka.sasl_mechanism (GOCOFFEE_KAFKA_SASL_MECHANISM) instead',
        'sasl.password': 'managed by the library; set kafka.sasl_password (GOCOFFEE_KAFKA_SASL_PASSWORD) instead',
        'ssl.key.location': 'managed by the library; set kafka.tls_key_file (GOCOFFEE_KAFKA_TLS_KEY_FILE) instead',
        'enable.ssl.certificate.verification': 'managed by the library; set kafka.tls_skip_verify (GOCOFFEE_KAFKA_TLS_SKIP_VERIFY) instead',
        'linger.ms': 'managed by the library; set kafka.batch_timeout (GOCOFFEE_KAFKA_BATCH_TIMEOUT) instead',
        'queue.buffering.max.ms': 'managed by the library; set kafka.batch_timeout (GOCOFFEE_KAFKA_BATCH_TIMEOUT) instead',
        'batch.num.messages': 'managed by the library; set kafka.batch_size (GOCOFFEE_KAFKA_BATCH_SIZE) instead',
        'retry.backoff.ms': 'managed by the library; set kafka.retry_backoff (GOCOFFEE_KAFKA_RETRY_BACKOFF) instead',
        'message.timeout.ms': 'managed by the library; set kafka.delivery_timeout (GOCOFFEE_KAFKA_DELIVERY_TIMEOUT) instead',
        'delivery.timeout.ms': 'managed by the library; set kafka.delivery_timeout (GOCOFFEE_KAFKA_DELIVERY_TIMEOUT) instead',
        'request.timeout.ms': 'managed by the library; set kafka.write_timeout (GOCOFFEE_KAFKA_WRITE_TIMEOUT) instead',
        'compression.codec': 'managed by the library; set kafka.compression (GOCOFFEE_KAFKA_COMPRESSION) instead',
        'enable.idempotence': 'managed by the library; set kafka.idempotence (GOCOFFEE_KAFKA_IDEMPOTENCE) instead',
        'socket.connection.setup.timeout.ms': 'managed by the library; set kafka.connect_timeout (GOCOFFEE_KAFKA_CONNECT_TIMEOUT) instead',
        acks: "not configurable as a property: choose acks per producer with createProducer({ acks: 'all' | 'leader' | 'none' }) (the shared producer uses acks=all)",
        'request.required.acks': "not configurable as a property: choose acks per producer with createProducer({ acks: 'all' | 'leader' | 'none' }) (the shared producer uses acks=all)",
        'enable.auto.offset.store': 'managed by the library: the consumer stores offsets itself for at-least-once delivery',
        dr_msg_cb: 'managed by the library: delivery tracking uses dr_cb (dr_msg_cb would copy every payload back to JS)',
        partitioner: 'managed by the library: murmur2_random for Java-compatible key partitioning',
        'delivery.report.only.error': 'managed by the library: publish() resolves on the delivery report of every message, successful ones included',
        'queuing.strategy': 'managed by the library: fifo keeps the per-key order of published messages (lifo reorders them)',
      };
      const librdkafka = Object.fromEntries(Object.keys(cases).map((k) => [k, 'x']));
      const issues = issuesOf(() => resolveConfig({ ...base, librdkafka }));
      for (const [property, message] of Object.entries(cases)) {
        assert.equal(issueAt(issues, `kafka.librdkafka[${JSON.stringify(property)}]`).message, message);
      }
      // every managed property is rejected, whatever its case
      for (const property of MANAGED_PROPERTIES.keys()) {
        const upper = property.toUpperCase();
        assert.equal(issuesOf(() => resolveConfig({ ...base, librdkafka: { [upper]: 1 } })).length, 1, property);
      }
    });

    it('a write_timeout above librdkafka\'s socket.timeout.ms limit (5 min) is allowed: the producer\'s socket timeout is capped', () => {
      const config = resolveConfig({ ...base, writeTimeoutMs: '10m', deliveryTimeoutMs: '15m' });
      const producer = toLibrdkafkaConfig(config, 'producer');
      assert.equal(producer.global['socket.timeout.ms'], 300_000);
      assert.equal(producer.topic['request.timeout.ms'] ?? producer.global['request.timeout.ms'], 600_000);
      assert.equal(toLibrdkafkaConfig(resolveConfig({ ...base, writeTimeoutMs: '2m', deliveryTimeoutMs: '5m' }), 'producer').global['socket.timeout.ms'], 120_000);
    });

    it('unknown properties pass through; values must be string, number or boolean', () => {
      const config = resolveConfig({ ...base, librdkafka: { 'some.future.property': 'v', 'client.rack': 'r', 'enable.partition.eof': false } });
      assert.equal(toLibrdkafkaConfig(config, 'producer').global['some.future.property'], 'v');
      const issues = issuesOf(() => resolveConfig({ ...base, librdkafka: { a: null, b: [1], c: Number.NaN, 'bad name!': 1 } as never }));
      assert.deepEqual(issues.map((i) => i.path), ['kafka.librdkafka["a"]', 'kafka.librdkafka["b"]', 'kafka.librdkafka["c"]', 'kafka.librdkafka["bad name!"]']);
      assert.match(issueAt(issues, 'kafka.librdkafka["a"]').message, /expected a string, number or boolean value/);
    });

    it('a hand-built config with a managed override is refused', () => {
      const config = { ...resolveConfig(base), librdkafka: { 'linger.ms': 1 } } as KafkaConfig;
      assert.throws(() => toLibrdkafkaConfig(config, 'producer'), ConfigError);
    });
  });

  it('returns fresh mutable objects (node-rdkafka may modify them)', () => {
    const config = resolveConfig(base);
    const a = toLibrdkafkaConfig(config, 'producer');
    a.global['x'] = 1;
    assert.ok(!('x' in toLibrdkafkaConfig(config, 'producer').global));
  });

  describe('node-rdkafka accepts the generated properties', () => {
    let Kafka: { Producer: new (g: object, t: object) => unknown; KafkaConsumer: new (g: object, t: object) => unknown } | undefined;
    before(function () {
      try {
        Kafka = createRequire(import.meta.url)('node-rdkafka') as typeof Kafka;
      } catch {
        this.skip(); // binding not built: nothing to check against
      }
    });

    it('every property name and value is valid for librdkafka (producer, consumer)', () => {
      const config = resolveConfig({
        brokers: ['127.0.0.1:9'],
        enableSasl: true, saslMechanism: 'SCRAM-SHA-256', saslUsername: 'u', saslPassword: 'p',
        enableTls: true, tlsSkipVerify: true, tlsCaFile: tmp.write('rk-ca.pem', 'x'),
        librdkafka: { 'statistics.interval.ms': 5000, 'auto.offset.reset': 'latest', 'compression.level': 3 },
      });
      const rdkafka = Kafka;
      assert.ok(rdkafka);
      const producer = toLibrdkafkaConfig(config, 'producer');
      const consumer = toLibrdkafkaConfig(config, 'consumer');
      // Construction applies every property through rd_kafka_conf_set (no connection is made).
      assert.doesNotThrow(() => new rdkafka.Producer({ ...producer.global }, { ...producer.topic }));
      assert.doesNotThrow(() => new rdkafka.KafkaConsumer({ ...consumer.global }, { ...consumer.topic }));
      assert.throws(() => new rdkafka.Producer({ ...producer.global, 'not.a.property': 1 }, {}), /not.a.property/);
    });
  });
});
