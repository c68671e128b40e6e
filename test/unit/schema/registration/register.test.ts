/**
 * registerSchemas against a small in-memory fake of Confluent's REST API: the paths the local
 * Apicurio stack cannot show (reasons from `?verbose=true`, a 409 on register after a passing
 * check, a 422 for a schema the registry finds invalid).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryError } from '../../../../src/schema/errors.js';
import { SchemaIncompatibleError } from '../../../../src/schema/registration/errors.js';
import { loadConfig, topicName } from '../../../../src/config/index.js';
import { EVENTS } from '../../../../src/gocoffee/catalog.js';
import { registerSchemaSet, type RegisterSchemaSetOptions } from '../../../../src/schema/registration/register.js';

/** The catalog's events on the default topics (what the Go Coffee binding passes). */
const defaults = loadConfig({ env: {}, overrides: { brokers: 'x:1' } });
const CATALOG = EVENTS.map((e) => ({ name: e.name, topic: topicName(defaults, e.topicKey) }));
const registerSchemas = (o: Omit<RegisterSchemaSetOptions, 'events'>): ReturnType<typeof registerSchemaSet> => registerSchemaSet({ ...o, events: CATALOG });

interface FakeOptions {
  /** Answer of the compatibility endpoint. */
  compatible?: boolean;
  verboseMessages?: string[];
  /** Register answers 409 with this message. */
  conflict?: string;
  /** Register answers 422. */
  invalid?: boolean;
  /** The first N schema lookups (POST /subjects/{subject}) get a proxy's plain 404 HTML page. */
  proxy404?: number;
}

interface Fake {
  url: string;
  server: Server;
  subjects: Map<string, string[]>;
  configs: Map<string, string>;
  log: string[];
}

async function fakeRegistry(opts: FakeOptions = {}): Promise<Fake> {
  const subjects = new Map<string, string[]>();
  const configs = new Map<string, string>();
  const ids = new Map<string, number>();
  const log: string[] = [];
  let proxied = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      log.push(`${req.method} ${url.pathname}${url.search}`);
      const send = (status: number, data: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(data));
      };
      const schema = body ? (JSON.parse(body) as { schema: string }).schema : '';
      const [a, subject, c] = parts;
      if (req.method === 'GET' && a === 'config' && subject === undefined) return send(200, { compatibilityLevel: 'BACKWARD' });
      if (a === 'config' && subject !== undefined) {
        if (req.method === 'PUT') {
          configs.set(subject, (JSON.parse(body) as { compatibility: string }).compatibility);
          return send(200, { compatibility: configs.get(subject) });
        }
        const level = configs.get(subject);
        return level === undefined ? send(404, { error_code: 40408, message: `Subject '${subject}' does not have subject-level compatibility configured` }) : send(200, { compatibilityLevel: level });
      }
      if (a === 'subjects' && subject !== undefined) {
        const versions = subjects.get(subject);
        if (req.method === 'GET' && c === 'versions' && parts.length === 3) {
          return versions ? send(200, versions.map((_, i) => i + 1)) : send(404, { error_code: 40401, message: 'Subject not found' });
        }
        if (req.method === 'GET' && c === 'versions') {
          const v = Number(parts[3]);
          return versions?.[v - 1] !== undefined ? send(200, { subject, version: v, id: ids.get(versions[v - 1] as string), schema: versions[v - 1] }) : send(404, { error_code: 40402, message: 'Version not found' });
        }
        if (req.method === 'POST' && c === undefined && proxied < (opts.proxy404 ?? 0)) {
          proxied++;
          res.writeHead(404, { 'content-type': 'text/html' });
          return res.end('<html><body>404 Not Found (ingress)</body></html>');
        }
        if (req.method === 'POST' && c === undefined) {
          const i = versions?.indexOf(schema) ?? -1;
          return i >= 0 ? send(200, { subject, version: i + 1, id: ids.get(schema), schema }) : send(404, { error_code: versions ? 40403 : 40401, message: 'Schema not found' });
        }
        if (req.method === 'POST' && c === 'versions') {
          if (opts.conflict !== undefined) return send(409, { error_code: 409, message: opts.conflict });
          if (opts.invalid === true) return send(422, { error_code: 42201, message: 'Invalid schema' });
          if (!ids.has(schema)) ids.set(schema, ids.size + 100);
          subjects.set(subject, [...(versions ?? []), schema]);
          return send(200, { id: ids.get(schema) });
        }
      }
      if (req.method === 'POST' && a === 'compatibility') {
        const compatible = opts.compatible ?? true;
        return send(200, url.searchParams.get('verbose') === 'true' && !compatible ? { is_compatible: false, messages: opts.verboseMessages ?? [] } : { is_compatible: compatible });
      }
      send(404, { error_code: 404, message: `no route ${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, subjects, configs, log };
}

async function stop(f: Fake): Promise<void> {
  f.server.closeAllConnections();
  await new Promise<void>((resolve) => f.server.close(() => resolve()));
}

describe('schema/registration: registerSchemaSet against a fake Confluent registry', () => {
  it('registers all, sets compatibility, then is idempotent; Confluent 40408 counts as "no level set"', async () => {
    const fake = await fakeRegistry();
    try {
      const first = await registerSchemas({ registryUrl: fake.url });
      assert.deepEqual(first.map((r) => r.status), Array(8).fill('registered'));
      assert.ok(first.every((r) => r.compatibilityAction === 'set' && r.previousCompatibility === undefined));
      assert.equal(fake.configs.get('beverage.created-value'), 'BACKWARD');
      assert.deepEqual(first.slice(0, 2).map((r) => r.registryVersion), [1, 2]);
      // v2 was checked against v1 with ?verbose=true
      assert.ok(fake.log.includes('POST /compatibility/subjects/beverage.created-value/versions/latest?verbose=true'));
      const again = await registerSchemas({ registryUrl: fake.url });
      assert.deepEqual(again.map((r) => [r.status, r.id]), first.map((r) => ['exists', r.id]));
    } finally {
      await stop(fake);
    }
  });

  it("uses the registry's verbose reasons when it gives them", async () => {
    const fake = await fakeRegistry({ compatible: false, verboseMessages: ["{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'x' at path '/fields/10' ...'}"] });
    try {
      const err = await registerSchemas({ registryUrl: fake.url }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof SchemaIncompatibleError);
      assert.deepEqual(err.result.reasons, ["{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'x' at path '/fields/10' ...'}"]);
      assert.equal(err.result.reasonSource, 'registry');
      assert.match(err.message, /under compatibility BACKWARD; the registry says:\n {2}- \{errorType/);
      assert.equal(fake.subjects.get('beverage.created-value')?.length, 1, 'v2 not registered');
      assert.equal(fake.subjects.has('beverage.updated-value'), false, 'stopped');
    } finally {
      await stop(fake);
    }
  });

  it('without reasons from the registry: "the registry gave no reason (compatibility level ...)" when avsc finds none either', async () => {
    const fake = await fakeRegistry({ compatible: false });
    try {
      const err = await registerSchemas({ registryUrl: fake.url }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof SchemaIncompatibleError);
      assert.deepEqual(err.result.reasons, ['the registry gave no reason (compatibility level BACKWARD)']);
      assert.equal(err.result.reasonSource, 'none');
      assert.match(err.message, /BeverageCreated v2 \(.*v2\.avsc\) is not compatible with subject "beverage\.created-value" under compatibility BACKWARD/);
    } finally {
      await stop(fake);
    }
  });

  it('a 409 on register (after a passing check) is an incompatible result with the registry message', async () => {
    const fake = await fakeRegistry({ conflict: 'Schema being registered is incompatible with an earlier schema' });
    try {
      const err = await registerSchemas({ registryUrl: fake.url }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof SchemaIncompatibleError);
      assert.equal(err.result.version, 1);
      assert.deepEqual(err.result.reasons, ['the registry refused it (HTTP 409): Schema being registered is incompatible with an earlier schema']);
      assert.ok(err.cause instanceof RegistryError);
    } finally {
      await stop(fake);
    }
  });

  it('a 422 is GCK_SCHEMA_REJECTED', async () => {
    const fake = await fakeRegistry({ invalid: true });
    try {
      await assert.rejects(registerSchemas({ registryUrl: fake.url }), (e: unknown) => e instanceof RegistryError && e.code === 'GCK_SCHEMA_REJECTED' && /HTTP 422, error code 42201\): Invalid schema/.test(e.message));
    } finally {
      await stop(fake);
    }
  });

  it('a plain 404 from a proxy on a lookup is retried, not taken for "not registered" (the registry\'s own 40403 is)', async () => {
    const fake = await fakeRegistry({ proxy404: 2 });
    try {
      const results = await registerSchemas({ registryUrl: fake.url });
      assert.deepEqual(results.map((r) => r.status), Array(8).fill('registered'));
      const lookups = fake.log.filter((l) => l === 'POST /subjects/beverage.created-value?normalize=false');
      assert.ok(lookups.length >= 3, `the first lookup was tried again: ${lookups.length} lookups`);
    } finally {
      await stop(fake);
    }
  });

  it('a proxy that keeps answering 404 fails the run with a retriable GCK_SCHEMA_REGISTRY after the bounded retries', async () => {
    const fake = await fakeRegistry({ proxy404: 1000 });
    try {
      const err = await registerSchemas({ registryUrl: fake.url, retries: 1 }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, 'GCK_SCHEMA_REGISTRY');
      assert.equal(err.retriable, true);
      assert.equal(err.status, 404);
      assert.match(err.message, /no Schema Registry API at .*HTTP 404 without a registry "not found" error code.*\(2 attempts\)/);
      assert.equal(fake.subjects.size, 0, 'nothing registered');
    } finally {
      await stop(fake);
    }
  });

  it('dry run: nothing written; later versions are checked locally against the pending ones', async () => {
    const fake = await fakeRegistry();
    try {
      const results = await registerSchemas({ registryUrl: fake.url, dryRun: true });
      assert.deepEqual(results.map((r) => r.status), Array(8).fill('would-register'));
      assert.ok(results.every((r) => r.compatibilityAction === 'would-set'));
      assert.equal(fake.subjects.size, 0);
      assert.equal(fake.configs.size, 0);
      assert.ok(!fake.log.some((l) => l.startsWith('PUT') || /^POST \/subjects\/[^/]+\/versions/.test(l)), fake.log.join('\n'));
    } finally {
      await stop(fake);
    }
  });
});
