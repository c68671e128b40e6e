import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import { GoCoffeeKafkaError } from '../../../src/errors/index.js';
import { issueAt, issuesOf, tempDir } from './helpers.js';

describe('config/loadConfig: YAML files', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  const SEED = `
app:
  name: beverage-inventor
kafka:
  brokers:
    - localhost:9092
    - localhost:9093
    - localhost:9094
  client_id: beverage-inventor-agent
  group_id: beverage-inventor-group
  enable_sasl: true
  sasl_mechanism: SCRAM-SHA-256
  sasl_username: \${KAFKA_USERNAME}
  sasl_password: \${KAFKA_PASSWORD}
  enable_tls: true
  tls_skip_verify: false
  connect_timeout: 10s
  read_timeout: 10s
  write_timeout: 10s
  batch_size: 1000
  batch_timeout: 100ms
  retry_max: 3
  retry_backoff: 100ms
  topics:
    beverage_created: beverage.created
    beverage_updated: beverage.updated
    task_created: task.created
    task_updated: task.updated
    notification_sent: notification.sent
    ai_request_completed: ai.request.completed
    system_event: system.event
`;

  it('loads the seed README configuration with ${VAR} placeholders expanded', () => {
    const file = tmp.write('seed.yaml', SEED);
    const config = loadConfig({ file, env: { KAFKA_USERNAME: 'agent', KAFKA_PASSWORD: 'pw' } });
    assert.deepEqual(config.brokers, ['localhost:9092', 'localhost:9093', 'localhost:9094']);
    assert.equal(config.clientId, 'beverage-inventor-agent');
    assert.equal(config.groupId, 'beverage-inventor-group');
    assert.equal(config.enableSasl, true);
    assert.equal(config.saslMechanism, 'SCRAM-SHA-256');
    assert.equal(config.saslUsername, 'agent');
    assert.equal(config.saslPassword, 'pw');
    assert.equal(config.enableTls, true);
    assert.equal(config.connectTimeoutMs, 10_000);
    assert.equal(config.batchSize, 1000);
    assert.equal(config.batchTimeoutMs, 100);
    assert.equal(config.retryMax, 3);
    assert.equal(config.retryBackoffMs, 100);
    assert.equal(config.topics.aiRequestCompleted, 'ai.request.completed');
    // defaults for what the file leaves out
    assert.equal(config.deliveryTimeoutMs, 120_000);
    assert.equal(config.compression, 'lz4');
    assert.equal(config.idempotence, true);
    assert.equal(config.topicSuffix, '');
    assert.deepEqual(config.librdkafka, {});
  });

  it('expands ${VAR:-default} (default when unset or empty) and $${ as a literal', () => {
    const file = tmp.write('defaults.yaml', `
kafka:
  brokers: ["\${BROKER_A:-a:9092}", "\${BROKER_B:-b:9092}"]
  client_id: "\${CLIENT:-fallback}"
  group_id: "g-\${ENV_NAME}-x"
  topic_suffix: "\${SUFFIX:-}"
  librdkafka:
    debug: "\${DEBUG:-broker}"
    client.rack: "$\${literal}"
`);
    const config = loadConfig({ file, env: { BROKER_B: 'bb:9093', CLIENT: '', ENV_NAME: 'dev' } });
    assert.deepEqual(config.brokers, ['a:9092', 'bb:9093']);
    assert.equal(config.clientId, 'fallback');
    assert.equal(config.groupId, 'g-dev-x');
    assert.equal(config.topicSuffix, '');
    assert.deepEqual(config.librdkafka, { debug: 'broker', 'client.rack': '${literal}' });
  });

  it('expands placeholders into numbers and booleans (strings after expansion)', () => {
    const file = tmp.write('typed.yaml', 'kafka:\n  brokers: [x:1]\n  batch_size: ${BATCH}\n  idempotence: ${IDEMP}\n  batch_timeout: ${LINGER}\n');
    const config = loadConfig({ file, env: { BATCH: '250', IDEMP: 'no', LINGER: '20ms' } });
    assert.equal(config.batchSize, 250);
    assert.equal(config.idempotence, false);
    assert.equal(config.batchTimeoutMs, 20);
  });

  it('an undefined variable without default names the field path and the variable, never a value', () => {
    const file = tmp.write('undefined.yaml', `
kafka:
  brokers: ["\${MISSING_BROKER}"]
  sasl_password: "\${KAFKA_PASSWORD}"
  topics: { task_created: "\${TASK_TOPIC}" }
  librdkafka: { "client.rack": "\${RACK}" }
`);
    const issues = issuesOf(() => loadConfig({ file, env: {} }));
    assert.match(issueAt(issues, 'kafka.brokers[0]').message, /MISSING_BROKER is not set/);
    assert.match(issueAt(issues, 'kafka.sasl_password').message, /environment variable KAFKA_PASSWORD is not set/);
    assert.match(issueAt(issues, 'kafka.topics.task_created').message, /TASK_TOPIC/);
    assert.match(issueAt(issues, 'kafka.librdkafka["client.rack"]').message, /RACK/);
  });

  it('an unresolvable placeholder is not an error when a later layer sets the field', () => {
    const file = tmp.write('layered.yaml', 'kafka:\n  brokers: ["${BROKERS_FROM_FILE}"]\n');
    const config = loadConfig({ file, env: { GOCOFFEE_KAFKA_BROKERS: 'k:9092' } });
    assert.deepEqual(config.brokers, ['k:9092']);
  });

  it('never quotes the text around a malformed placeholder (it may be a secret)', () => {
    const file = tmp.write('malformed.yaml', 'kafka:\n  brokers: [x:1]\n  sasl_password: "hunter2${oops"\n');
    const issues = issuesOf(() => loadConfig({ file, env: {} }));
    const issue = issueAt(issues, 'kafka.sasl_password');
    assert.match(issue.message, /unterminated/);
    assert.ok(!issue.message.includes('hunter2'));
  });

  it('a missing file is a ConfigError naming the file', () => {
    const file = join(tmp.dir, 'nope.yaml');
    const issues = issuesOf(() => loadConfig({ file, env: {} }));
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.path, file);
    assert.match(issues[0]?.message ?? '', /does not exist/);
  });

  it('a YAML syntax error is a ConfigError naming the file and position, without quoting the line', () => {
    const file = tmp.write('broken.yaml', 'kafka:\n  brokers: [x:1]\n  sasl_password: s3cret: nested\n');
    const issues = issuesOf(() => loadConfig({ file, env: {} }));
    assert.ok(issues.length >= 1);
    assert.ok(issues[0]?.path.startsWith(`${file}:3:`), issues[0]?.path);
    assert.match(issues[0]?.message ?? '', /YAML syntax error/);
    for (const i of issues) assert.ok(!i.message.includes('s3cret'));
  });

  it('duplicate keys are a syntax error', () => {
    const file = tmp.write('dup.yaml', 'kafka:\n  brokers: [x:1]\n  batch_size: 1\n  batch_size: 2\n');
    assert.match(issuesOf(() => loadConfig({ file, env: {} }))[0]?.message ?? '', /unique|DUPLICATE/i);
  });

  it('a file without a kafka: section is an error', () => {
    const file = tmp.write('nokafka.yaml', 'database:\n  url: x\n');
    const issues = issuesOf(() => loadConfig({ file, env: {} }));
    assert.equal(issues[0]?.path, file);
    assert.match(issues[0]?.message ?? '', /no top-level "kafka:" section/);
    const empty = tmp.write('emptykafka.yaml', 'kafka:\n');
    assert.match(issuesOf(() => loadConfig({ file: empty, env: {} }))[0]?.message ?? '', /expected a mapping/);
  });

  it('unknown keys are errors with a did-you-mean suggestion (topic keys are open: any key names a topic of your own)', () => {
    const file = tmp.write('unknown.yaml', 'kafka:\n  brokers: [x:1]\n  batchSize: 5\n  retry_maximum: 2\n  frobnicate: 1\n  topics:\n    task_create: t\n    bad-key: u\n');
    const issues = issuesOf(() => loadConfig({ file, env: {} }));
    assert.match(issueAt(issues, 'kafka.batchSize').message, /unknown key; did you mean "batch_size"\?/);
    assert.match(issueAt(issues, 'kafka.retry_maximum').message, /did you mean "retry_max"/);
    assert.equal(issueAt(issues, 'kafka.frobnicate').message, 'unknown key');
    assert.match(issueAt(issues, 'kafka.topics.bad-key').message, /invalid topic key/);
    assert.ok(!issues.some((i) => i.path.includes('task_create')), 'task_create is a topic key of its own');
  });

  it('a key with no value means "not set"', () => {
    const file = tmp.write('nulls.yaml', 'kafka:\n  brokers: [x:1]\n  client_id:\n  topics:\n');
    assert.equal(loadConfig({ file, env: {} }).clientId, 'gocoffee-kafka');
  });

  it('precedence: defaults < file < environment < overrides', () => {
    const file = tmp.write('prec.yaml', 'kafka:\n  brokers: [file:9092]\n  client_id: from-file\n  group_id: from-file\n  batch_size: 10\n');
    const config = loadConfig({
      file,
      env: { GOCOFFEE_KAFKA_CLIENT_ID: 'from-env', GOCOFFEE_KAFKA_GROUP_ID: 'from-env', GOCOFFEE_KAFKA_BROKERS: 'env:9092' },
      overrides: { groupId: 'from-overrides' },
    });
    assert.deepEqual(config.brokers, ['env:9092']);
    assert.equal(config.clientId, 'from-env');
    assert.equal(config.groupId, 'from-overrides');
    assert.equal(config.batchSize, 10);
    assert.equal(config.retryMax, 3);
  });

  it('librdkafka overrides merge per property across layers', () => {
    const file = tmp.write('merge.yaml', 'kafka:\n  brokers: [x:1]\n  librdkafka:\n    statistics.interval.ms: 5000\n    client.rack: a\n');
    const config = loadConfig({
      file,
      env: { GOCOFFEE_KAFKA_LIBRDKAFKA: '{"client.rack":"b","fetch.min.bytes":10}' },
      overrides: { librdkafka: { 'fetch.min.bytes': 20 } },
    });
    assert.deepEqual(config.librdkafka, { 'statistics.interval.ms': 5000, 'client.rack': 'b', 'fetch.min.bytes': 20 });
  });

  it('relative TLS file paths resolve against the YAML file directory', () => {
    tmp.write('ca.pem', '-----BEGIN CERTIFICATE-----\n');
    const file = tmp.write('tls.yaml', 'kafka:\n  brokers: [x:1]\n  enable_tls: true\n  tls_ca_file: ./ca.pem\n');
    assert.equal(loadConfig({ file, env: {} }).tlsCaFile, join(tmp.dir, 'ca.pem'));
  });

  it('reads process.env when no env is given', () => {
    const saved = process.env['GOCOFFEE_KAFKA_BROKERS'];
    process.env['GOCOFFEE_KAFKA_BROKERS'] = 'proc:9092';
    try {
      assert.deepEqual(loadConfig().brokers, ['proc:9092']);
    } finally {
      if (saved === undefined) delete process.env['GOCOFFEE_KAFKA_BROKERS'];
      else process.env['GOCOFFEE_KAFKA_BROKERS'] = saved;
    }
  });

  it('ConfigError: code, flags, base class and message format', () => {
    const file = tmp.write('bad.yaml', 'kafka:\n  brokers: [x:1]\n  batch_size: abc\n  compression: brotli\n');
    try {
      loadConfig({ file, env: {} });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.ok(err instanceof GoCoffeeKafkaError);
      assert.equal(err.code, 'GCK_CONFIG');
      assert.equal(err.retriable, false);
      assert.equal(err.fatal, false);
      assert.equal(
        err.message,
        'Invalid Kafka configuration:\n' +
          '  - kafka.batch_size: got "abc", expected a positive integer (1..1000000)\n' +
          '  - kafka.compression: got "brotli", expected one of none, gzip, snappy, lz4, zstd',
      );
      assert.ok(Object.isFrozen(err.issues));
    }
  });
});
