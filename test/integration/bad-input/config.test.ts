import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CONFIG_FIELDS, ConfigError, loadConfig, type ConfigField, type ConfigIssue, type FieldKind } from '../../../src/config/index.js';
import { ConnectionManager } from '../../../src/client.js';
import { GoCoffeeKafkaError } from '../../../src/errors/index.js';
import { BROKERS } from '../helpers.js';
import { escapeGuard, assertNoProblems } from './util.js';

/**
 * Issue 8 §3, configuration: invalid values for every field, given through `loadConfig` with a
 * YAML file AND environment variables in the same call (test/unit/config covers one bad value per
 * kind per source; this adds every field wrong at once, several bad values per field in both
 * sources, the layering between them, and what reaches a real broker). Every invalid value must
 * end in one ConfigError naming the field the way the user set it (YAML path or env variable),
 * saying what was expected and never echoing a secret.
 */
describe('Bad input: configuration (YAML file + environment at once)', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'gocoffee-bad-config-'));
  const pem = join(dir, 'file.pem');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n');
  const aDir = join(dir, 'a-directory');
  mkdirSync(aDir);
  let n = 0;
  const yamlFile = (section: Record<string, unknown>): string => {
    const file = join(dir, `c${n++}.yaml`);
    writeFileSync(file, stringify({ kafka: section }));
    return file;
  };
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Valid environment for every field, consistent with the cross-field rules (SASL + TLS + registry auth on). */
  const GOOD_ENV: Readonly<Record<string, string>> = Object.freeze({
    GOCOFFEE_KAFKA_BROKERS: 'k1:9092,k2:9092',
    GOCOFFEE_KAFKA_ENABLE_SASL: 'true',
    GOCOFFEE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    GOCOFFEE_KAFKA_SASL_USERNAME: 'user',
    GOCOFFEE_KAFKA_SASL_PASSWORD: 'pw-env-secret',
    GOCOFFEE_KAFKA_ENABLE_TLS: 'true',
    GOCOFFEE_KAFKA_TLS_CA_FILE: pem,
    GOCOFFEE_KAFKA_TLS_CERT_FILE: pem,
    GOCOFFEE_KAFKA_TLS_KEY_FILE: pem,
    GOCOFFEE_KAFKA_TLS_KEY_PASSWORD: 'kp-env-secret',
    GOCOFFEE_KAFKA_SCHEMA_REGISTRY_URL: 'http://registry:8081',
    GOCOFFEE_KAFKA_SCHEMA_REGISTRY_USERNAME: 'reg',
    GOCOFFEE_KAFKA_SCHEMA_REGISTRY_PASSWORD: 'reg-env-secret',
  });

  /** A valid value per kind (as an environment variable). */
  const GOOD: Record<FieldKind, (f: ConfigField) => string> = {
    brokers: () => 'good:9092',
    string: () => 'good-value',
    secret: () => 'good-secret',
    boolean: () => 'yes',
    enum: (f) => f.values![0]!.toLowerCase(),
    duration: (f) => (f.key === 'deliveryTimeoutMs' ? '2m' : `${Math.max(f.min ?? 0, 1)}ms`),
    integer: (f) => String(f.min ?? 1),
    topic: () => 'good.topic',
    topicSuffix: () => '.dev',
    url: () => 'https://registry.example:8081',
    file: () => pem,
    librdkafka: () => '{"statistics.interval.ms": 5000}',
    serializations: () => '{"beverage_created": "json"}',
    suffixes: () => '.dev,.qa',
  };

  /** Invalid values per kind as they can appear in YAML (any type). */
  function badYaml(f: ConfigField): unknown[] {
    switch (f.kind) {
      case 'brokers':
        return ['localhost', 'h:0', 'h:65536', 'PLAINTEXT://h:9092', [], ['ok:1', 5], { host: 'h' }, true];
      case 'string':
        return [42, '   ', ['a'], { a: 1 }, true];
      case 'secret':
        return [12345678, ['hunter2'], { p: 'hunter2' }, false];
      case 'boolean':
        return ['maybe', 'on', 2, ['true'], { v: true }];
      case 'enum':
        return ['NOPE', 5, ['lz4'], { v: 1 }];
      case 'duration': {
        const out: unknown[] = ['10 parsecs', '1.5ms', -1, '5 s', [], { ms: 1 }, true, f.max! + 1];
        if (f.min! > 0) out.push(f.min! - 1);
        return out;
      }
      case 'integer':
        return ['abc', 1.5, f.min! - 1, f.max! + 1, [], true];
      case 'topic':
        return ['bad topic!', '.', '..', 'a'.repeat(250), 'ünicode', 7, ['t']];
      case 'topicSuffix':
        return ['/dev', ' .dev', '.dév', 5, ['x']];
      case 'url':
        return ['ftp://registry', 'registry:8081', 'http://', 8081, ['http://r']];
      case 'file':
        return ['/nonexistent/gocoffee.pem', aDir, 5, ['x']];
      case 'librdkafka':
        return [['a'], 'statistics.interval.ms=5', 5, { 'bad name!': 1 }, { 'bootstrap.servers': 'x:1' }, { 'client.rack': { nested: 1 } }, { 'client.rack': ['a'] }];
      case 'serializations':
        return [['json'], 'json', 5, { beverage_created: 'xml' }, { beverage_created: ['json'] }, { no_such_key: 'json' }, { 'bad key!': 'json' }, { beverage_created: 'json', beverageCreated: 'avro' }];
      case 'suffixes':
        return [['bad suffix!'], 'a/b', 5, true, [''], [5], { dev: '.dev' }, ['.dev', '/x']];
    }
  }

  /** Invalid values per kind as an environment variable (always a string; a secret cannot be invalid there). */
  function badEnv(f: ConfigField): string[] {
    switch (f.kind) {
      case 'brokers':
        return ['localhost', 'h:0', 'h:65536', 'PLAINTEXT://h:9092', 'ok:1,bad'];
      case 'string':
        return ['   '];
      case 'secret':
        return [];
      case 'boolean':
        return ['maybe', 'on', '2'];
      case 'enum':
        return ['NOPE', '5'];
      case 'duration':
        return ['10 parsecs', '1.5ms', '-1', '5 s', 'true', String(f.max! + 1), ...(f.min! > 0 ? [String(f.min! - 1)] : [])];
      case 'integer':
        return ['abc', '1.5', String(f.min! - 1), String(f.max! + 1)];
      case 'topic':
        return ['bad topic!', '.', '..', 'a'.repeat(250), 'ünicode'];
      case 'topicSuffix':
        return ['/dev', ' .dev', '.dév'];
      case 'url':
        return ['ftp://registry', 'registry:8081', 'http://', '8081'];
      case 'file':
        return ['/nonexistent/gocoffee.pem', aDir];
      case 'librdkafka':
        return ['"x"', '5', '{not json', '[1,2]', '{"bootstrap.servers":"x:1"}', '{"bad name!":1}', '{"client.rack":{"a":1}}'];
      case 'serializations':
        return ['"x"', '5', '{not json', '[1,2]', '{"beverage_created":"xml"}', '{"no_such_key":"json"}'];
      case 'suffixes':
        return ['bad suffix!', '.dev,/x', '.dév'];
    }
  }

  function yamlSection(f: ConfigField, value: unknown): Record<string, unknown> {
    if (f.yamlKey.startsWith('topics.')) return { topics: { [f.yamlKey.slice('topics.'.length)]: value } };
    return { [f.yamlKey]: value };
  }

  function issuesOf(fn: () => unknown): ConfigIssue[] {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      assert.ok(err instanceof GoCoffeeKafkaError && err.code === 'GCK_CONFIG' && err.retriable === false);
      return [...err.issues];
    }
    assert.fail('expected a ConfigError, but the configuration loaded');
  }

  const base = (label: string) => label.replace(/\[.*$/, '');
  const envWithout = (f: ConfigField): Record<string, string> => {
    const env: Record<string, string> = { ...GOOD_ENV };
    delete env[f.env];
    for (const a of f.envAliases) delete env[a];
    return env;
  };
  const SECRETS = ['hunter2', '12345678', 'pw-env-secret', 'kp-env-secret', 'reg-env-secret'];

  it('every field invalid at once (half in the YAML file, half in the environment): one ConfigError naming each field once', () => {
    const section: Record<string, unknown> = {};
    const env: Record<string, string> = {};
    const expected = new Set<string>();
    CONFIG_FIELDS.forEach((f, i) => {
      const inEnv = i % 2 === 1 && !f.secret;
      if (inEnv) {
        env[f.env] = badEnv(f)[0]!;
        expected.add(f.env);
      } else {
        const s = yamlSection(f, badYaml(f)[0]);
        if (s['topics'] !== undefined) section['topics'] = { ...(section['topics'] as object), ...(s['topics'] as object) };
        else Object.assign(section, s);
        expected.add(f.path);
      }
    });
    const issues = issuesOf(() => loadConfig({ file: yamlFile(section), env }));
    const byField = new Map<string, ConfigIssue[]>();
    for (const i of issues) byField.set(base(i.path), [...(byField.get(base(i.path)) ?? []), i]);
    assert.deepEqual([...byField.keys()].sort(), [...expected].sort(), issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    for (const f of CONFIG_FIELDS) {
      const got = byField.get(expected.has(f.env) ? f.env : f.path)!;
      assert.equal(got.length, 1, `${f.path}: ${JSON.stringify(got)}`);
      assert.ok(got[0]!.message.includes(f.expected), `${got[0]!.path}: ${got[0]!.message}`);
    }
    for (const i of issues) for (const s of SECRETS) assert.ok(!i.message.includes(s), `${i.path} echoes a secret`);
  });

  describe('each invalid value in the YAML file, with a valid environment for every other field', () => {
    for (const f of CONFIG_FIELDS) {
      it(`${f.path}: ${badYaml(f).length} invalid values`, () => {
        for (const bad of badYaml(f)) {
          const issues = issuesOf(() => loadConfig({ file: yamlFile(yamlSection(f, bad)), env: envWithout(f) }));
          const what = `${f.path} = ${JSON.stringify(bad)}: ${issues.map((i) => `${i.path}: ${i.message}`).join(' | ')}`;
          assert.ok(issues.length >= 1 && issues.every((i) => base(i.path) === f.path), what);
          assert.ok(issues.every((i) => /expected|managed by the library/.test(i.message)), what);
          if (f.kind !== 'librdkafka' && f.kind !== 'serializations') assert.ok(issues.some((i) => i.message.includes(`expected ${f.expected}`)), what);
          if (f.secret) for (const i of issues) assert.ok(i.message.includes('(value hidden)') && !SECRETS.some((s) => i.message.includes(s)), what);
        }
      });
    }
  });

  describe('each invalid value in the environment, with a valid YAML file for the same field (the environment wins)', () => {
    for (const f of CONFIG_FIELDS.filter((x) => badEnv(x).length > 0)) {
      it(`${f.env}: ${badEnv(f).length} invalid values`, () => {
        const goodInFile = f.kind === 'librdkafka' ? { 'client.rack': 'r1' } : f.kind === 'serializations' ? { task_created: 'json' } : f.kind === 'brokers' ? ['file:9092'] : GOOD[f.kind](f);
        for (const bad of badEnv(f)) {
          const env = { ...envWithout(f), [f.env]: bad };
          const issues = issuesOf(() => loadConfig({ file: yamlFile(yamlSection(f, goodInFile)), env }));
          const what = `${f.env} = ${JSON.stringify(bad)}: ${issues.map((i) => `${i.path}: ${i.message}`).join(' | ')}`;
          assert.ok(issues.length >= 1 && issues.every((i) => base(i.path) === f.env), what);
        }
      });
    }
  });

  it('a valid environment variable replaces an invalid YAML value of the same field (per-field precedence); librdkafka and topic_serialization maps merge, so a bad map stays an error', () => {
    for (const f of CONFIG_FIELDS) {
      const env = { ...envWithout(f), [f.env]: GOOD[f.kind](f) };
      const file = yamlFile(yamlSection(f, badYaml(f)[0]));
      if (f.kind === 'librdkafka' || f.kind === 'serializations') {
        assert.ok(issuesOf(() => loadConfig({ file, env })).every((i) => base(i.path) === f.path));
        continue;
      }
      const config = loadConfig({ file, env });
      assert.ok(config !== undefined, f.path);
    }
  });

  describe('values that pass validation but the client library refuses (real broker)', () => {
    let cm: ConnectionManager | undefined;
    afterEach(async () => {
      await cm?.close().catch(() => undefined);
      cm = undefined;
    });

    for (const [what, librdkafka] of [
      ['an unknown librdkafka property', { 'no.such.property': 'x' }],
      ['an invalid value of a known librdkafka property', { 'statistics.interval.ms': 'often' }],
    ] as const) {
      const property = Object.keys(librdkafka)[0]!;
      const load = () => loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: BROKERS, GOCOFFEE_KAFKA_LIBRDKAFKA: JSON.stringify(librdkafka) } });

      /** Calls initialize(); a synchronous throw is reported as such (initialize() should return a promise). */
      async function attempt(): Promise<{ sync: boolean; error: unknown }> {
        cm = new ConnectionManager(load());
        try {
          const r = await cm.initialize().then(() => undefined, (e: unknown) => e);
          return { sync: false, error: r };
        } catch (e) {
          return { sync: true, error: e };
        }
      }

      it(`${what}: passes validation (the library keeps no list of librdkafka properties), initialize() fails naming the property, the process survives`, async () => {
        const guard = escapeGuard();
        const r = await attempt();
        guard.dispose();
        assert.ok(r.error instanceof Error, `initialize() did not fail: ${String(r.error)}`);
        assert.match(r.error.message, new RegExp(property.replace(/\./g, '\\.')));
        assert.deepEqual(guard.escaped, []);
      });

      it(`${what}: initialize() returns a rejected promise with a typed error and leaves no half-initialized manager`, async function () {
        const r = await attempt();
        const state = cm!.state;
        const second = cm!.initialize() as unknown;
        const problems: string[] = [];
        if (r.sync) problems.push(`initialize() threw synchronously (${(r.error as Error).name}: ${(r.error as Error).message})`);
        if (!(r.error instanceof GoCoffeeKafkaError)) problems.push(`the error is not a GoCoffeeKafkaError but ${(r.error as Error)?.constructor?.name}`);
        if (state === 'initializing') problems.push('state stays "initializing"');
        if (!(second instanceof Promise)) problems.push(`a second initialize() returns ${String(second)} instead of a promise`);
        else await second.catch(() => undefined);
        assertNoProblems(problems, 'a librdkafka property librdkafka refuses fails initialize() with a ConfigError');
      });
    }
  });
});
