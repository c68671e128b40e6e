import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  CONFIG_FIELDS,
  ConfigError,
  loadConfig,
  resolveConfig,
  type ConfigField,
  type FieldKind,
  type KafkaConfigInput,
} from '../../../src/config/index.js';
import { BROKERS, issueAt, issuesOf, tempDir } from './helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());

/** One invalid value per field kind, as a program or a YAML file would give it. */
const BAD: Record<FieldKind, unknown> = {
  brokers: ['localhost'],
  string: 42,
  secret: 12345678,
  boolean: 'maybe',
  enum: 'GSSAPI',
  duration: '10 parsecs',
  integer: 'abc',
  topic: 'bad topic!',
  topicSuffix: '/dev',
  url: 'ftp://registry.example',
  file: '/nonexistent/gocoffee/cert.pem',
  librdkafka: ['not', 'a', 'mapping'],
  serializations: ['json'],
  suffixes: ['bad suffix!'],
};

/** One invalid value per field kind, as an environment variable would give it (secrets cannot be invalid). */
const BAD_ENV: Record<FieldKind, string | undefined> = {
  ...(BAD as Record<FieldKind, string>),
  brokers: 'localhost',
  string: '   ',
  secret: undefined,
  librdkafka: '[1, 2]',
  serializations: '[1, 2]',
  suffixes: '.dev,bad suffix!',
};

function inputWith(field: ConfigField, value: unknown): KafkaConfigInput {
  const input: Record<string, unknown> = field.key === 'brokers' ? {} : { brokers: BROKERS };
  if (field.key.startsWith('topics.')) input['topics'] = { [field.key.slice('topics.'.length)]: value };
  else input[field.key] = value;
  return input as KafkaConfigInput;
}

function yamlWith(field: ConfigField, value: unknown): string {
  const section: Record<string, unknown> = field.key === 'brokers' ? {} : { brokers: BROKERS };
  if (field.yamlKey.startsWith('topics.')) section['topics'] = { [field.yamlKey.slice('topics.'.length)]: value };
  else section[field.yamlKey] = value;
  return stringify({ kafka: section });
}

function issuesFor(issues: ReturnType<typeof issuesOf>, base: string): ReturnType<typeof issuesOf> {
  return issues.filter((i) => i.path === base || i.path.startsWith(`${base}[`));
}

describe('config: every field reports a bad value with its path and what was expected', () => {
  for (const field of CONFIG_FIELDS) {
    const bad = BAD[field.kind];

    it(`${field.path} (program input: ${JSON.stringify(bad)})`, () => {
      const found = issuesFor(issuesOf(() => resolveConfig(inputWith(field, bad))), field.path);
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.ok(found[0]?.message.includes(`expected ${field.expected}`), found[0]?.message);
      if (field.secret) assert.ok(!found[0]?.message.includes(String(bad)) && found[0]?.message.includes('(value hidden)'));
    });

    it(`${field.path} (YAML file)`, () => {
      const file = tmp.write(`field-${field.yamlKey}.yaml`, yamlWith(field, bad));
      const found = issuesFor(issuesOf(() => loadConfig({ file, env: {} })), field.path);
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.ok(found[0]?.message.includes(`expected ${field.expected}`), found[0]?.message);
    });

    const badEnv = BAD_ENV[field.kind];
    if (badEnv !== undefined) {
      it(`${field.env} (environment: ${JSON.stringify(badEnv)})`, () => {
        const env: Record<string, string> = field.key === 'brokers' ? {} : { GOCOFFEE_KAFKA_BROKERS: 'localhost:9092' };
        env[field.env] = badEnv;
        const found = issuesFor(issuesOf(() => loadConfig({ env })), field.env);
        assert.equal(found.length, 1, JSON.stringify(found));
        assert.ok(found[0]?.message.includes(`expected ${field.expected}`), found[0]?.message);
      });
    }
  }
});

describe('config: validation rules', () => {
  const base = { brokers: ['localhost:9092'] } as const;

  it('collects ALL problems in one pass', () => {
    const issues = issuesOf(() =>
      resolveConfig({ brokers: [], batchSize: 0, compression: 'brotli' as never, saslMechanism: 'GSSAPI' as never, topics: { systemEvent: '..' } }),
    );
    assert.deepEqual(issues.map((i) => i.path).sort(), [
      'kafka.batch_size', 'kafka.brokers', 'kafka.compression', 'kafka.sasl_mechanism', 'kafka.topics.system_event',
    ]);
  });

  describe('brokers', () => {
    it('accepts host:port, IPv6 and a comma-separated string', () => {
      assert.deepEqual(resolveConfig({ brokers: 'a:1, [::1]:9092 ,kafka-0.kafka.svc:9093' }).brokers, ['a:1', '[::1]:9092', 'kafka-0.kafka.svc:9093']);
    });
    for (const broker of ['localhost', 'host:0', 'host:65536', 'host:x', ':9092', 'PLAINTEXT://host:9092', 'ho st:1']) {
      it(`rejects ${JSON.stringify(broker)}`, () => {
        const issue = issueAt(issuesOf(() => resolveConfig({ brokers: ['ok:1', broker] })), 'kafka.brokers[1]');
        assert.match(issue.message, /^got ".*", expected a non-empty list of host:port with a port 1\.\.65535/);
      });
    }
    it('required and non-empty', () => {
      assert.match(issueAt(issuesOf(() => resolveConfig({})), 'kafka.brokers').message, /^not set, expected .* \(set kafka\.brokers \(GOCOFFEE_KAFKA_BROKERS\)\)$/);
      assert.match(issueAt(issuesOf(() => resolveConfig({ brokers: [] })), 'kafka.brokers').message, /^got an empty list/);
    });
  });

  describe('SASL', () => {
    it('an unknown mechanism is an error, never a fallback to PLAIN', () => {
      for (const mechanism of ['GSSAPI', 'SCRAM', 'plain ish', 'SCRAM-SHA-1']) {
        const issue = issueAt(
          issuesOf(() => resolveConfig({ ...base, enableSasl: true, saslMechanism: mechanism as never, saslUsername: 'u', saslPassword: 'p' })),
          'kafka.sasl_mechanism',
        );
        assert.equal(issue.message, `got ${JSON.stringify(mechanism)}, expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (case-insensitive)`);
      }
    });
    it('mechanism names are case-insensitive and normalised to upper case', () => {
      assert.equal(resolveConfig({ ...base, saslMechanism: 'scram-sha-256' }).saslMechanism, 'SCRAM-SHA-256');
      assert.equal(resolveConfig({ ...base, saslMechanism: 'oauthbearer' }).saslMechanism, 'OAUTHBEARER');
    });
    it('PLAIN and SCRAM need a username and a password', () => {
      for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
        const issues = issuesOf(() => resolveConfig({ ...base, enableSasl: true, saslMechanism: mechanism }));
        assert.match(issueAt(issues, 'kafka.sasl_username').message, new RegExp(`^not set, expected a non-empty string: enable_sasl is true and sasl_mechanism ${mechanism}`));
        assert.match(issueAt(issues, 'kafka.sasl_password').message, /\(set kafka\.sasl_password \(GOCOFFEE_KAFKA_SASL_PASSWORD\)\)$/);
      }
      const onlyUser = issuesOf(() => resolveConfig({ ...base, enableSasl: true, saslUsername: 'u' }));
      assert.deepEqual(onlyUser.map((i) => i.path), ['kafka.sasl_password']);
    });
    it('OAUTHBEARER needs no username or password', () => {
      assert.equal(resolveConfig({ ...base, enableSasl: true, saslMechanism: 'OAUTHBEARER' }).enableSasl, true);
    });
    it('credentials without enable_sasl are an error (they would be silently unused)', () => {
      const issues = issuesOf(() => resolveConfig({ ...base, saslUsername: 'u', saslPassword: 'zzz-secret' }));
      assert.match(issueAt(issues, 'kafka.sasl_username').message, /is set but enable_sasl is false/);
      assert.ok(!issueAt(issues, 'kafka.sasl_password').message.includes('zzz-secret'));
    });
  });

  describe('TLS files', () => {
    const ca = tmp.write('ca.pem', 'ca');
    const cert = tmp.write('client.pem', 'cert');
    const key = tmp.write('client.key', 'key');

    it('accepts readable files (absolute paths kept)', () => {
      const config = resolveConfig({ ...base, enableTls: true, tlsCaFile: ca, tlsCertFile: cert, tlsKeyFile: key, tlsKeyPassword: 'kp' });
      assert.deepEqual([config.tlsCaFile, config.tlsCertFile, config.tlsKeyFile], [ca, cert, key]);
    });
    it('a missing file: the error names the field and the path', () => {
      const missing = join(tmp.dir, 'missing-ca.pem');
      const issue = issueAt(issuesOf(() => resolveConfig({ ...base, enableTls: true, tlsCaFile: missing })), 'kafka.tls_ca_file');
      assert.equal(issue.message, `got ${JSON.stringify(missing)}, expected the path of a readable file (PEM) (file does not exist)`);
    });
    it('a directory is not a file', () => {
      const dir = join(tmp.dir, 'a-dir');
      mkdirSync(dir);
      assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, enableTls: true, tlsCaFile: dir })), 'kafka.tls_ca_file').message, /not a regular file/);
    });
    it('certificate and key come together; a key password needs the key', () => {
      assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, enableTls: true, tlsCertFile: cert })), 'kafka.tls_key_file').message, /must be given together/);
      assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, enableTls: true, tlsKeyFile: key })), 'kafka.tls_cert_file').message, /must be given together/);
      assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, enableTls: true, tlsKeyPassword: 'kp' })), 'kafka.tls_key_password').message, /tls_key_file/);
    });
    it('TLS settings without enable_tls are an error', () => {
      const issues = issuesOf(() => resolveConfig({ ...base, tlsCaFile: ca, tlsSkipVerify: true }));
      assert.match(issueAt(issues, 'kafka.tls_ca_file').message, /is set but enable_tls is false/);
      assert.match(issueAt(issues, 'kafka.tls_skip_verify').message, /is true but enable_tls is false/);
    });
  });

  it('delivery_timeout >= batch_timeout + write_timeout', () => {
    const issue = issueAt(issuesOf(() => resolveConfig({ ...base, deliveryTimeoutMs: '10s', writeTimeoutMs: '10s', batchTimeoutMs: 5 })), 'kafka.delivery_timeout');
    assert.match(issue.message, /^got 10s, expected at least batch_timeout \+ write_timeout = 10005ms/);
    assert.equal(resolveConfig({ ...base, deliveryTimeoutMs: 10_005, writeTimeoutMs: '10s', batchTimeoutMs: 5 }).deliveryTimeoutMs, 10_005);
    const fromEnv = issuesOf(() => loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'x:1', GOCOFFEE_KAFKA_DELIVERY_TIMEOUT: '1s' } }));
    assert.match(issueAt(fromEnv, 'GOCOFFEE_KAFKA_DELIVERY_TIMEOUT').message, /expected at least/);
  });


  it('integers: batch_size 1..1000000, whole numbers only', () => {
    for (const bad of [0, -1, 1_000_001, 1.5, '12abc']) {
      assert.equal(issueAt(issuesOf(() => resolveConfig({ ...base, batchSize: bad as number })), 'kafka.batch_size').message,
        `got ${typeof bad === 'string' ? JSON.stringify(bad) : bad}, expected a positive integer (1..1000000)`);
    }
    assert.equal(resolveConfig({ ...base, batchSize: 1_000_000 }).batchSize, 1_000_000);
  });

  it('topic names and the suffix', () => {
    for (const bad of ['.', '..', '', 'a'.repeat(250), 'has space', 'slash/x', 'ünicode']) {
      if (bad === '') continue; // '' means "not set"
      assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, topics: { taskCreated: bad } })), 'kafka.topics.task_created').message, /expected a Kafka topic name/);
    }
    const config = resolveConfig({ ...base, topicSuffix: '.dev', topics: { taskCreated: 'Task_Created-v1.x', systemEvent: 'a'.repeat(245) } });
    assert.equal(config.topics.taskCreated, 'Task_Created-v1.x');
    assert.equal(config.topics.beverageCreated, 'beverage.created');
    const tooLong = issueAt(issuesOf(() => resolveConfig({ ...base, topicSuffix: '.dev', topics: { systemEvent: 'a'.repeat(247) } })), 'kafka.topics.system_event');
    assert.match(tooLong.message, /with topic_suffix "\.dev" the topic name has 251 characters, expected at most 249/);
    assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, topicSuffix: '/dev' })), 'kafka.topic_suffix').message, /expected characters of \[a-zA-Z0-9._-\]/);
  });

  it('schema registry: http(s) URL; basic auth needs both parts and a URL', () => {
    assert.equal(resolveConfig({ ...base, schemaRegistryUrl: 'https://registry:8081/' }).schemaRegistryUrl, 'https://registry:8081');
    assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, schemaRegistryUrl: 'registry:8081' })), 'kafka.schema_registry_url').message, /expected an http:\/\/ or https:\/\/ URL/);
    const halfAuth = issuesOf(() => resolveConfig({ ...base, schemaRegistryUrl: 'http://r:1', schemaRegistryUsername: 'u' }));
    assert.match(issueAt(halfAuth, 'kafka.schema_registry_password').message, /basic auth needs both/);
    const noUrl = issuesOf(() => resolveConfig({ ...base, schemaRegistryUsername: 'u', schemaRegistryPassword: 'p' }));
    assert.match(issueAt(noUrl, 'kafka.schema_registry_url').message, /credentials are set/);
  });

  it('unknown programmatic options are errors with a suggestion; topic keys are open but must be identifiers', () => {
    const issues = issuesOf(() => resolveConfig({ ...base, batchsize: 5, topics: { 'task created': 'x' } } as unknown as KafkaConfigInput));
    assert.match(issueAt(issues, 'batchsize').message, /did you mean "batchSize"/);
    assert.match(issueAt(issues, 'topics.task created').message, /invalid topic key/);
  });

  it('the result is deeply frozen', () => {
    const config = resolveConfig({ ...base, librdkafka: { 'statistics.interval.ms': 5000 } });
    for (const part of [config, config.brokers, config.topics, config.librdkafka]) assert.ok(Object.isFrozen(part));
    assert.throws(() => {
      (config as { clientId: string }).clientId = 'x';
    }, TypeError);
    assert.throws(() => (config.brokers as string[]).push('y:1'), TypeError);
    assert.throws(() => {
      (config.topics as { taskCreated: string }).taskCreated = 'x';
    }, TypeError);
  });

  it('the input object is not modified or retained', () => {
    const input = { brokers: ['a:1'], librdkafka: { 'client.rack': 'r1' } };
    const config = resolveConfig(input);
    input.brokers.push('b:2');
    input.librdkafka['client.rack'] = 'r2';
    assert.deepEqual(config.brokers, ['a:1']);
    assert.equal(config.librdkafka['client.rack'], 'r1');
    assert.ok(!Object.isFrozen(input));
  });
});

describe('config: secrets are never echoed', () => {
  const base = { brokers: ['localhost:9092'] } as const;
  const SECRET = 'Sup3r-S3cret-Value';

  function assertHidden(err: unknown): void {
    assert.ok(err instanceof ConfigError);
    for (const text of [err.message, JSON.stringify(err.toJSON()), JSON.stringify(err.issues)]) {
      assert.ok(!text.includes(SECRET), `secret leaked: ${text}`);
    }
  }

  it('bad values of secret fields are described by type only', () => {
    const inputs: KafkaConfigInput[] = [
      { ...base, enableSasl: true, saslUsername: 'u', saslPassword: [SECRET] as never },
      { ...base, enableTls: true, tlsKeyPassword: { v: SECRET } as never },
      { ...base, schemaRegistryUrl: 'http://r:1', schemaRegistryUsername: 'u', schemaRegistryPassword: [SECRET] as never },
    ];
    for (const input of inputs) {
      assert.throws(() => resolveConfig(input), (err) => {
        assertHidden(err);
        assert.match((err as ConfigError).message, /got a value of type (array|object) \(value hidden\)/);
        return true;
      });
    }
  });

  it('credentials in a schema registry URL are redacted', () => {
    assert.throws(() => resolveConfig({ ...base, schemaRegistryUrl: `ftp://user:${SECRET}@registry:8081` }), (err) => {
      assertHidden(err);
      assert.match((err as ConfigError).message, /ftp:\/\/\[REDACTED\]@registry:8081/);
      return true;
    });
  });

  it('registry credentials stay hidden when the URL is refused: long values (cut after redaction) and passwords with / or @', () => {
    const long = `htps://KEY16CHARSABCDEFG:${SECRET}${'x'.repeat(64)}@psrc-abc.us-east-2.aws.confluent.cloud`;
    for (const url of [long, `htps://user:ab/cd${SECRET}@sr:8081`, `htps://user:p@ss${SECRET}@sr:8081`]) {
      assert.throws(() => resolveConfig({ ...base, schemaRegistryUrl: url }), (err) => {
        assertHidden(err);
        assert.match((err as ConfigError).message, /\[REDACTED\]@/);
        return true;
      });
    }
  });

  it('a registry URL password with a literal % (no valid escape) is taken as written, not a URIError', () => {
    const cfg = resolveConfig({ ...base, schemaRegistryUrl: 'https://user:50%off@sr:8081' });
    assert.equal(cfg.schemaRegistryPassword, '50%off');
    assert.equal(cfg.schemaRegistryUrl, 'https://sr:8081');
    assert.equal(resolveConfig({ ...base, schemaRegistryUrl: 'https://user:a%2Fb@sr:8081' }).schemaRegistryPassword, 'a/b');
  });

  it('secrets set without their feature are not echoed', () => {
    assert.throws(() => resolveConfig({ ...base, saslPassword: SECRET, schemaRegistryPassword: SECRET }), (err) => {
      assertHidden(err);
      return true;
    });
  });

  it('librdkafka override values are never echoed', () => {
    assert.throws(() => resolveConfig({ ...base, librdkafka: { 'sasl.oauthbearer.client.secret': { v: SECRET } as never, 'ssl.key.password': SECRET } }), (err) => {
      assertHidden(err);
      return true;
    });
  });

  it('secrets from a YAML file with other errors are not echoed', () => {
    const file = tmp.write('secret.yaml', `kafka:\n  brokers: [x]\n  sasl_password: ${SECRET}\n  schema_registry_password: ${SECRET}\n  tls_key_password: ${SECRET}\n`);
    assert.throws(() => loadConfig({ file, env: {} }), (err) => {
      assertHidden(err);
      return true;
    });
  });
});
