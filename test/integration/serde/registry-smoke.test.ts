import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { REGISTRY_URL, uniqueName } from '../helpers.js';

// The narrow entry point: the package root also loads every cloud KMS SDK (~600 ms).
const require = createRequire(import.meta.url);
const { SchemaRegistryClient } = require('@confluentinc/schemaregistry/dist/schemaregistry-client.js') as typeof import('@confluentinc/schemaregistry');

const V1 = { type: 'record', name: 'Smoke', namespace: 'com.gocoffee.test', fields: [{ name: 'id', type: 'string' }] };
const V2 = { ...V1, fields: [...V1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
const BAD = { ...V1, fields: [...V1.fields, { name: 'required_new', type: 'int' }] };

describe('Schema Registry through @confluentinc/schemaregistry (smoke)', () => {
  const client = new SchemaRegistryClient({ baseURLs: [REGISTRY_URL] });
  const subject = `${uniqueName('smoke')}-value`;

  it('registers an Avro schema, fetches it by id and as the latest version', async () => {
    const id = await client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(V1) }, false);
    assert.ok(Number.isInteger(id) && id > 0);
    const byId = await client.getBySubjectAndId(subject, id);
    assert.deepEqual(JSON.parse(byId.schema), V1);
    const latest = await client.getLatestSchemaMetadata(subject);
    assert.equal(latest.id, id);
    assert.equal(latest.version, 1);
    // idempotent: the same schema again gets the same id
    assert.equal(await client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(V1) }, false), id);
  });

  it('checks compatibility: a BACKWARD-compatible v2 passes, an incompatible change is refused', async () => {
    await client.updateCompatibility(subject, 'BACKWARD' as never);
    assert.equal(await client.getCompatibility(subject), 'BACKWARD');
    assert.equal(await client.testSubjectCompatibility(subject, { schemaType: 'AVRO', schema: JSON.stringify(V2) }), true);
    assert.equal(await client.testSubjectCompatibility(subject, { schemaType: 'AVRO', schema: JSON.stringify(BAD) }), false);
    const v2 = await client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(V2) }, false);
    // a fresh client: the first one caches "latest" for a while, as it should
    const latest = await new SchemaRegistryClient({ baseURLs: [REGISTRY_URL] }).getLatestSchemaMetadata(subject);
    assert.equal(latest.id, v2);
    assert.equal(latest.version, 2);
    await assert.rejects(client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(BAD) }, false), /409|incompatible/i);
  });
});
