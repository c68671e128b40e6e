import assert from 'node:assert/strict';
import { RegistryError, UnknownSchemaError } from '../../../src/schema/errors.js';
import { SchemaRegistry } from '../../../src/schema/registry.js';
import { BAD_GATEWAY, PROXY_404, SCHEMA_NOT_FOUND, SUBJECT_NOT_FOUND, UNAVAILABLE, scriptedServer, type Answer, type ScriptedServer } from './http-server.js';

const SCHEMA = '{"type":"record","name":"E","namespace":"ns","fields":[{"name":"id","type":"string"}]}';
const BY_ID: Answer = { status: 200, body: { schema: SCHEMA } };

describe('schema/registry: SchemaRegistry (unit, local HTTP server)', () => {
  let srv: ScriptedServer | undefined;
  let registry: SchemaRegistry | undefined;
  const start = async (answers: readonly Answer[], retries = 2): Promise<SchemaRegistry> => {
    srv = await scriptedServer(answers);
    registry = new SchemaRegistry({ url: srv.url, retries, retryBackoffMs: 5, retryMaxBackoffMs: 20, timeoutMs: 2000 });
    return registry;
  };
  afterEach(async () => {
    registry?.close();
    await srv?.close();
    registry = undefined;
    srv = undefined;
  });

  it('a registry that never answers fails the lookup with a RegistryError after the request timeout instead of hanging', async function () {
    this.timeout(10_000);
    srv = await scriptedServer([]); // accepts every request and never answers: a hung registry
    registry = new SchemaRegistry({ url: srv.url, timeoutMs: 200 });
    const t0 = Date.now();
    await assert.rejects(registry.schemaById(42), (e: unknown) => e instanceof RegistryError && e.code === 'GCK_SCHEMA_REGISTRY_UNREACHABLE' && e.retriable && /to fetch schema id 42: no answer within 200 ms/.test(e.message));
    assert.ok(Date.now() - t0 < 8000);
    assert.ok(srv.requests.length >= 1);
  });

  describe('issue 17: a 404 is "unknown schema" only when the registry itself says so', () => {
    it('a proxy\'s plain 404 page is NOT an unknown schema: a retriable RegistryError after the bounded retries', async () => {
      const r = await start([PROXY_404]);
      const err = await r.schemaById(7).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof RegistryError, String(err));
      assert.ok(!(err instanceof UnknownSchemaError), 'a proxy 404 would dead-letter a valid message');
      assert.equal(err.code, 'GCK_SCHEMA_REGISTRY');
      assert.equal(err.retriable, true);
      assert.equal(err.status, 404);
      assert.equal(err.registryNotFound, false);
      assert.equal(srv!.requests.length, 3, '1 attempt + 2 retries');
      assert.ok(srv!.requests.every((q) => q.method === 'GET' && q.url === '/schemas/ids/7'));
    });

    it('a lagging replica (404, then the schema) or a 502/503 in between: the lookup succeeds', async () => {
      const r = await start([PROXY_404, BAD_GATEWAY, BY_ID]);
      assert.equal(await r.schemaById(7), SCHEMA);
      assert.equal(srv!.requests.length, 3);
      r.close();
      await srv!.close();
      const r2 = await start([UNAVAILABLE, UNAVAILABLE, BY_ID]);
      assert.equal(await r2.schemaById(8), SCHEMA);
    });

    it('502 and 503 that last are retriable RegistryErrors, never UnknownSchemaError', async () => {
      for (const answer of [BAD_GATEWAY, UNAVAILABLE]) {
        const r = await start([answer], 1);
        const err = await r.schemaById(9).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof RegistryError && !(err instanceof UnknownSchemaError) && err.retriable && err.status === answer.status, String(err));
        assert.equal(srv!.requests.length, 2);
        r.close();
        await srv!.close();
      }
      srv = undefined;
    });

    it('the registry\'s own 40403 is UnknownSchemaError: permanent, asked once', async () => {
      const r = await start([SCHEMA_NOT_FOUND]);
      const err = await r.schemaById(7).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof UnknownSchemaError, String(err));
      assert.ok(err instanceof RegistryError, 'one registry error hierarchy');
      assert.equal(err.code, 'GCK_UNKNOWN_SCHEMA');
      assert.equal(err.retriable, false);
      assert.equal(err.schemaId, 7);
      assert.equal(err.errorCode, 40403);
      assert.equal(err.status, 404);
      assert.match(err.message, /schema id 7 is not known to the schema registry at http:\/\/127\.0\.0\.1:\d+/);
      assert.equal(srv!.requests.length, 1);
    });
  });

  it('schemaById: concurrent first lookups share one request, then the cache answers; a failure is not cached', async () => {
    const r = await start([UNAVAILABLE, BY_ID], 0);
    await assert.rejects(r.schemaById(5), (e: unknown) => e instanceof RegistryError && e.retriable);
    const [a, b] = await Promise.all([r.schemaById(5), r.schemaById(5)]);
    assert.equal(a, SCHEMA);
    assert.equal(b, SCHEMA);
    assert.equal(await r.schemaById(5), SCHEMA);
    assert.equal(srv!.requests.length, 2);
  });

  it('idFor: looks the schema up (POST /subjects/{subject}) or registers it (POST .../versions), cached per subject and schema', async () => {
    srv = await scriptedServer([], (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url.includes('/versions') ? { id: 21 } : { subject: 's', id: 11, version: 1, schema: SCHEMA }));
      return true;
    });
    registry = new SchemaRegistry({ url: srv.url });
    assert.equal(await registry.idFor('t-value', SCHEMA, false), 11);
    assert.equal(await registry.idFor('t-value', SCHEMA, false), 11);
    assert.equal(await registry.idFor('u-value', SCHEMA, true), 21);
    assert.deepEqual(srv.requests.map((q) => `${q.method} ${q.url}`), ['POST /subjects/t-value?normalize=false', 'POST /subjects/u-value/versions?normalize=false']);
    assert.deepEqual(JSON.parse(srv.requests[0]!.body), { schemaType: 'AVRO', schema: SCHEMA });
  });

  it('idFor: a schema the registry says is not registered (40401 / 40403) is a permanent error telling how to register it', async () => {
    for (const answer of [SUBJECT_NOT_FOUND, SCHEMA_NOT_FOUND]) {
      const r = await start([answer]);
      const err = await r.idFor('t-value', SCHEMA, false).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof RegistryError && !err.retriable && err.status === 404, String(err));
      assert.match(err.message, /schema is not registered under subject "t-value" in http:\/\/127\.0\.0\.1:\d+; register it first \(gocoffee-kafka schemas register\) or enable auto-registration/);
      assert.equal(srv!.requests.length, 1);
      r.close();
      await srv!.close();
    }
    srv = undefined;
  });

  it('latest(), versions(), lookup() and subjectCompatibility(): the registry\'s own not-found is "none"; a proxy 404 is an error', async () => {
    const r = await start([SUBJECT_NOT_FOUND]);
    assert.equal(await r.latest('x'), undefined);
    assert.deepEqual(await r.versions('x'), []);
    assert.equal(await r.lookup('x', SCHEMA), undefined);
    assert.equal(await r.subjectCompatibility('x'), undefined);
    r.close();
    await srv!.close();
    const p = await start([PROXY_404], 0);
    await assert.rejects(p.latest('x'), (e: unknown) => e instanceof RegistryError && e.retriable);
    await assert.rejects(p.versions('x'), (e: unknown) => e instanceof RegistryError && e.retriable);
  });

  it('latest() and subjects() read the registry\'s answers; a malformed answer is a permanent error', async () => {
    srv = await scriptedServer([], (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/subjects') res.end(JSON.stringify(['a-value', 'b-value']));
      else if (req.url === '/subjects/a-value/versions/latest') res.end(JSON.stringify({ subject: 'a-value', id: 3, version: 2, schema: SCHEMA }));
      else res.end(JSON.stringify({ nothing: true }));
      return true;
    });
    registry = new SchemaRegistry({ url: srv.url });
    assert.deepEqual(await registry.subjects(), ['a-value', 'b-value']);
    assert.deepEqual(await registry.latest('a-value'), { subject: 'a-value', id: 3, version: 2, schema: SCHEMA });
    await assert.rejects(registry.latest('b-value'), (e: unknown) => e instanceof RegistryError && !e.retriable && /unexpected answer \(expected a numeric "id"\)/.test(e.message));
  });

  it('credentials in the URL are basic auth and never in url, messages or contexts', async () => {
    srv = await scriptedServer([{ status: 401, body: { error_code: 401, message: 'Unauthorized' } }]);
    const u = new URL(srv.url);
    u.username = 'bob';
    u.password = 's3cr3t-pw';
    registry = new SchemaRegistry({ url: u.toString() });
    assert.equal(registry.url, srv.url);
    const err = await registry.schemaById(1).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RegistryError && err.code === 'GCK_SCHEMA_REGISTRY_AUTH' && !err.retriable);
    assert.match(err.message, /rejected the credentials \(HTTP 401\)/);
    assert.ok(!JSON.stringify(err.toJSON()).includes('s3cr3t-pw'));
    assert.equal(srv.requests[0]!.headers['authorization'], `Basic ${Buffer.from('bob:s3cr3t-pw').toString('base64')}`);
    assert.equal(srv.requests.length, 1, '401 is not retried');
  });
});
