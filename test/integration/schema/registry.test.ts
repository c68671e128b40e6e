/**
 * The library's one Schema Registry client (src/schema/registry.ts) against the real registry of
 * the suite (Apicurio's Confluent-compatible API): what the serdes use (register, by id, lookup,
 * latest) and what registration uses (compatibility levels and checks, versions), and how the
 * registry's own answers are classified (its 40403 is permanent, a 404 from a wrong path is not).
 */
import assert from 'node:assert/strict';
import { RegistryError, UnknownSchemaError } from '../../../src/schema/errors.js';
import { SchemaRegistry } from '../../../src/schema/registry.js';
import { REGISTRY_URL, uniqueName } from '../helpers.js';

const V1 = { type: 'record', name: 'Smoke', namespace: 'com.gocoffee.test', fields: [{ name: 'id', type: 'string' }] };
const V2 = { ...V1, fields: [...V1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
const BAD = { ...V1, fields: [...V1.fields, { name: 'required_new', type: 'int' }] };

describe('SchemaRegistry against the real registry', function () {
  this.timeout(30_000);
  const registry = new SchemaRegistry({ url: REGISTRY_URL });
  const subject = `${uniqueName('smoke')}-value`;
  after(() => registry.close());

  it('registers an Avro schema, fetches it by id and as the latest version; registering again is idempotent', async () => {
    const id = await registry.register(subject, JSON.stringify(V1));
    assert.ok(Number.isInteger(id) && id > 0);
    assert.deepEqual(JSON.parse(await registry.schemaById(id)), V1);
    const latest = await registry.latest(subject);
    assert.equal(latest?.id, id);
    assert.equal(latest?.version, 1);
    assert.deepEqual(JSON.parse(latest?.schema ?? ''), V1);
    // idempotent: the same schema again gets the same id
    assert.equal(await registry.register(subject, JSON.stringify(V1)), id);
    // what the serde asks (looked up, not registered) and what registration asks
    assert.equal(await registry.idFor(subject, JSON.stringify(V1), false), id);
    assert.deepEqual(await registry.lookup(subject, JSON.stringify(V1)), { id, version: 1 });
    assert.deepEqual(await registry.versions(subject), [1]);
    assert.ok((await registry.subjects()).includes(subject));
  });

  it('checks compatibility: a BACKWARD-compatible v2 passes, an incompatible change is refused (409 on register)', async () => {
    await registry.setCompatibility(subject, 'BACKWARD');
    assert.equal(await registry.subjectCompatibility(subject), 'BACKWARD');
    assert.equal((await registry.checkCompatibility(subject, JSON.stringify(V2), false)).compatible, true);
    const bad = await registry.checkCompatibility(subject, JSON.stringify(BAD), false);
    assert.equal(bad.compatible, false);
    const v2 = await registry.register(subject, JSON.stringify(V2));
    // never cached: the client sees what it just wrote
    const latest = await registry.latest(subject);
    assert.equal(latest?.id, v2);
    assert.equal(latest?.version, 2);
    assert.deepEqual(JSON.parse(await registry.schemaAt(subject, 1)), V1);
    await assert.rejects(registry.register(subject, JSON.stringify(BAD)), (e: unknown) => e instanceof RegistryError && e.status === 409 && !e.retriable);
  });

  it('the registry\'s own "not found" is permanent: an unknown id is UnknownSchemaError (40403), an unknown subject is "none"', async () => {
    const err = await registry.schemaById(2_000_000_000).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof UnknownSchemaError, String(err));
    assert.equal(err.retriable, false);
    assert.equal(err.errorCode, 40403);
    const none = `${uniqueName('none')}-value`;
    assert.equal(await registry.latest(none), undefined);
    assert.deepEqual(await registry.versions(none), []);
    assert.equal(await registry.lookup(none, JSON.stringify(V1)), undefined);
    await assert.rejects(registry.idFor(none, JSON.stringify(V1), false), (e: unknown) => e instanceof RegistryError && !e.retriable && /register it first/.test(e.message));
  });

  it('a 404 from something that is not the registry API (a wrong base path) is retriable, never "unknown schema"', async () => {
    const base = new URL(REGISTRY_URL);
    const wrong = new SchemaRegistry({ url: `${base.origin}/not/the/registry`, retries: 1, retryBackoffMs: 10 });
    try {
      const err = await wrong.schemaById(1).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof RegistryError && !(err instanceof UnknownSchemaError), String(err));
      assert.equal(err.status, 404);
      assert.equal(err.retriable, true);
      assert.match(err.message, /no Schema Registry API at .*\/not\/the\/registry.*\(2 attempts\)/);
    } finally {
      wrong.close();
    }
  });
});
