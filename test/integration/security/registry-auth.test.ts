/**
 * Schema Registry basic auth, through a real reverse proxy (nginx auth_basic on 127.0.0.1:8082 in
 * front of the suite's registry; scripts/stack-secure.mjs): the library's SchemaRegistry client and
 * the `gocoffee-kafka schemas register` CLI work with the right credentials, fail clearly (HTTP
 * 401) with wrong ones, and never show the password.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry } from '../../../src/schema/registry.js';
import { RegistryError } from '../../../src/schema/errors.js';
import { cli, testConfig, uniqueName } from '../helpers.js';
import { Manager } from '../../../src/gocoffee/index.js';
import { SecretScan, assertNoLeaks, secretForms, secureStackDown, secureStackUp, type RegistryProxy } from './secure-stack.js';

const WRONG_PASSWORD = 'wrong-registry-pw-7Qx9Lm';


function avroSchema(name: string): string {
  return JSON.stringify({ type: 'record', name, namespace: 'com.gocoffee.securitytest', fields: [{ name: 'id', type: 'string' }] });
}

describe('Schema Registry basic auth through a reverse proxy', function () {
  this.timeout(60_000);
  let proxy: RegistryProxy;
  const scan = new SecretScan();
  const open: SchemaRegistry[] = [];
  const registry = (username: string | undefined, password: string | undefined, url = proxy.registryUrl): SchemaRegistry => {
    const r = new SchemaRegistry({ url, username, password });
    open.push(r);
    return r;
  };

  let dir: string | undefined;
  /** A config file with a unique topic suffix: the CLI registers subjects of its own. */
  const cliConfig = (): string => {
    if (dir === undefined) {
      dir = mkdtempSync(join(tmpdir(), 'gocoffee-sec-cli-'));
      writeFileSync(join(dir, 'kafka.yaml'), `kafka:\n  topic_suffix: ".${uniqueName('sec').replace(/[^a-zA-Z0-9-]/g, '')}"\n`);
    }
    return join(dir, 'kafka.yaml');
  };

  before(async function () {
    this.timeout(60_000);
    const up = await secureStackUp({ only: 'proxy' });
    assert.ok(up.proxy, 'the registry proxy started');
    proxy = up.proxy;
  });
  after(async function () {
    this.timeout(30_000);
    for (const r of open) r.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    await secureStackDown('proxy');
  });

  it('the proxy really requires credentials (401 without, 200 with)', async () => {
    const anon = await fetch(`${proxy.registryUrl}/subjects`);
    await anon.arrayBuffer();
    assert.equal(anon.status, 401);
    const auth = `Basic ${Buffer.from(`${proxy.username}:${proxy.password}`).toString('base64')}`;
    const ok = await fetch(`${proxy.registryUrl}/subjects`, { headers: { authorization: auth } });
    await ok.arrayBuffer();
    assert.equal(ok.status, 200);
  });

  it('SchemaRegistry registers and looks up a schema with the right credentials', async () => {
    const subject = `${uniqueName('sec-registry')}-value`;
    const schema = avroSchema(`Ok${Date.now().toString(36)}`);
    const r = registry(proxy.username, proxy.password);
    const id = await r.idFor(subject, schema, true);
    assert.ok(Number.isInteger(id) && id > 0, `id ${id}`);
    const again = registry(proxy.username, proxy.password);
    assert.equal(await again.idFor(subject, schema, false), id);
    assert.equal(JSON.parse(await again.schemaById(id)).name, JSON.parse(schema).name);
  });

  it('a wrong password fails with a clear HTTP 401 RegistryError that does not contain the password', async () => {
    const subject = `${uniqueName('sec-registry-bad')}-value`;
    const r = registry(proxy.username, WRONG_PASSWORD);
    const t0 = performance.now();
    const err = await r.idFor(subject, avroSchema('Bad'), true).then(() => null, (e: unknown) => e);
    const ms = performance.now() - t0;
    assert.ok(err instanceof RegistryError, `expected a RegistryError, got ${String(err)}`);
    assert.equal(err.code, 'GCK_SCHEMA_REGISTRY_AUTH');
    assert.match(err.message, /HTTP 401/);
    assert.equal(err.context['status'], 401);
    assert.ok(ms < 5000, `401 after ${ms.toFixed(0)} ms`);
    scan.addError('registry wrong password', err);
    // No credentials at all: the same clear 401.
    const anon = await registry(undefined, undefined).idFor(subject, avroSchema('Anon'), true).then(() => null, (e: unknown) => e);
    assert.ok(anon instanceof RegistryError);
    assert.match(anon.message, /HTTP 401/);
  });

  it('credentials in the registry URL (http://user:password@host) are never shown', async () => {
    const u = new URL(proxy.registryUrl);
    u.username = proxy.username;
    u.password = WRONG_PASSWORD;
    const r = registry(undefined, undefined, u.toString().replace(/\/$/, ''));
    const err = await r.idFor(`${uniqueName('sec-url')}-value`, avroSchema('Url'), true).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof Error, 'a wrong password in the URL fails');
    const own = new SecretScan();
    own.addError('RegistryError', err);
    own.add('SchemaRegistry.url', r.url);
    assertNoLeaks(own, secretForms('password in the registry URL', WRONG_PASSWORD, proxy.username));
  });

  it('health reaches the registry with credentials in the URL (issue 17 item 7: the probe used the redacted URL and got 401)', async () => {
    const u = new URL(proxy.registryUrl);
    u.username = proxy.username;
    u.password = proxy.password;
    const m = new Manager(testConfig({ schemaRegistryUrl: u.toString().replace(/\/$/, '') }));
    await m.initialize();
    try {
      const h = await m.healthCheck();
      assert.equal(h.details.registry?.reachable, true, `registry: ${h.details.registry?.error}`);
      assert.equal(h.healthy, true, h.error);
      assert.ok(!JSON.stringify(h).includes(proxy.password), 'the password is not shown');
      // and a wrong password in the URL is reported as it is (401), not hidden
      u.password = WRONG_PASSWORD;
      const bad = new Manager(testConfig({ schemaRegistryUrl: u.toString().replace(/\/$/, '') }));
      await bad.initialize();
      try {
        const hb = await bad.healthCheck();
        assert.equal(hb.details.registry?.reachable, false);
        assert.match(hb.details.registry?.error ?? '', /401/);
        assert.ok(!JSON.stringify(hb).includes(WRONG_PASSWORD));
      } finally {
        await bad.close();
      }
    } finally {
      await m.close();
    }
  });

  // The CLI (src/cli/main.ts), run from source as a child process.
  it('gocoffee-kafka schemas register works through the proxy with --username/--password and never prints the password', async function () {
    const r = await cli(['schemas', 'register', '--config', cliConfig(), '--registry-url', proxy.registryUrl, '--username', proxy.username, '--password', proxy.password]);
    scan.add('cli ok stdout', r.stdout);
    scan.add('cli ok stderr', r.stderr);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /registered|exists/);
  });

  it('gocoffee-kafka schemas register with a wrong password exits non-zero with HTTP 401 (plain, --verbose, --json, from the environment, in the URL)', async function () {
    const base = ['schemas', 'register', '--config', cliConfig()];
    const env = { ...process.env, GOCOFFEE_SCHEMA_REGISTRY_USERNAME: proxy.username, GOCOFFEE_SCHEMA_REGISTRY_PASSWORD: WRONG_PASSWORD };
    const inUrl = new URL(proxy.registryUrl);
    inUrl.username = proxy.username;
    inUrl.password = WRONG_PASSWORD;
    const url = ['--registry-url', proxy.registryUrl];
    const runs: Array<[string, string[], NodeJS.ProcessEnv]> = [
      ['--password', [...url, '--username', proxy.username, '--password', WRONG_PASSWORD], process.env],
      ['--password --verbose', [...url, '--username', proxy.username, '--password', WRONG_PASSWORD, '--verbose'], process.env],
      ['--password --json', [...url, '--username', proxy.username, '--password', WRONG_PASSWORD, '--json'], process.env],
      ['environment --verbose', [...url, '--verbose'], env],
      ['user:password@ in --registry-url, --verbose', ['--registry-url', inUrl.toString(), '--verbose'], process.env],
    ];
    const results = await Promise.all(runs.map(([, args, e]) => cli([...base, ...args], e)));
    runs.forEach(([what], i) => {
      const r = results[i]!;
      scan.add(`cli wrong password (${what}) stdout`, r.stdout);
      scan.add(`cli wrong password (${what}) stderr`, r.stderr);
      assert.notEqual(r.code, 0, `${what}: exit code 0\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout + r.stderr, /401/, `${what}: no HTTP 401 in the output:\n${r.stdout}\n${r.stderr}`);
    });
  });

  it('no password (nor its basic-auth header) appears in any error or CLI output', () => {
    const secrets = [...secretForms('registry password', proxy.password, proxy.username), ...secretForms('wrong registry password', WRONG_PASSWORD, proxy.username)];
    assertNoLeaks(scan, secrets);
  });
});
