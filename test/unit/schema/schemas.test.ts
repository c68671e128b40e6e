import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS } from '../../../src/gocoffee/catalog.js';
import { SchemaFileError, SerdeError } from '../../../src/schema/errors.js';
import { displayPath, latestOf, loadSchemaSet, packageSchemasDir, schemaMap } from '../../../src/schema/schemas.js';

describe('schema/schemas: the one schemas-folder loader (serdes and registration)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'schemas-'));
    cpSync(packageSchemasDir(), dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("loads the package's schemas in catalog order, versions in order", () => {
    const set = loadSchemaSet(packageSchemasDir(), { events: EVENTS.map((e) => e.name) });
    assert.deepEqual(set.map((e) => e.event), EVENTS.map((e) => e.name));
    const bc = set[0];
    assert.equal(bc?.fullName, 'com.gocoffee.events.BeverageCreated');
    assert.deepEqual(bc?.versions.map((v) => v.version), [1, 2]);
    assert.equal(bc?.versions[0]?.text, JSON.stringify(JSON.parse(readFileSync(join(packageSchemasDir(), 'BeverageCreated', 'v1.avsc'), 'utf8'))));
  });

  const fails = (pattern: RegExp): void => {
    assert.throws(() => loadSchemaSet(dir, { events: EVENTS.map((e) => e.name) }), (err: unknown) => err instanceof SchemaFileError && err.code === 'GCK_SCHEMA_FILE' && pattern.test(err.message));
  };

  it('refuses a missing event folder', () => {
    rmSync(join(dir, 'SystemEvent'), { recursive: true });
    fails(/no schemas for SystemEvent/);
  });
  it('refuses an unknown event folder', () => {
    mkdirSync(join(dir, 'BeverageDeleted'));
    fails(/unknown event folder.*BeverageDeleted/);
  });
  it('refuses a gap in the versions', () => {
    renameSync(join(dir, 'BeverageCreated', 'v2.avsc'), join(dir, 'BeverageCreated', 'v3.avsc'));
    fails(/v3\.avsc: versions of BeverageCreated must be v1\.\.v2 without gaps/);
  });
  it('refuses a misnamed file', () => {
    writeFileSync(join(dir, 'TaskCreated', 'latest.avsc'), '{}');
    fails(/latest\.avsc: schema files must be named v<N>\.avsc/);
  });
  it('refuses invalid JSON, naming the file', () => {
    writeFileSync(join(dir, 'TaskCreated', 'v1.avsc'), '{ "type": "record", ');
    fails(/TaskCreated\/v1\.avsc: is not valid JSON/);
  });
  it('refuses an invalid Avro schema', () => {
    const f = join(dir, 'TaskCreated', 'v1.avsc');
    writeFileSync(f, readFileSync(f, 'utf8').replace('"type": "string"', '"type": "strng"'));
    fails(/TaskCreated\/v1\.avsc: is not a valid Avro schema: .*strng/);
  });
  it('refuses a record not named like its folder', () => {
    const f = join(dir, 'TaskUpdated', 'v1.avsc');
    writeFileSync(f, readFileSync(f, 'utf8').replace('"name": "TaskUpdated"', '"name": "TaskChanged"'));
    fails(/record is named "TaskChanged", expected "TaskUpdated"/);
  });
  it('refuses a missing folder', () => {
    assert.throws(() => loadSchemaSet(join(dir, 'nope')), /the schemas folder does not exist/);
  });

  it('without an event list: every event folder, in name order, checked just as strictly', () => {
    const set = loadSchemaSet(dir);
    assert.deepEqual(set.map((e) => e.event), [...EVENTS.map((e) => e.name)].sort());
    mkdirSync(join(dir, 'Extra'));
    assert.throws(() => loadSchemaSet(dir), (err: unknown) => err instanceof SchemaFileError && /Extra: no v<N>\.avsc schema files/.test(err.message));
  });

  it('refuses a folder without event folders, and a path that is a file', () => {
    const empty = mkdtempSync(join(tmpdir(), 'schemas-empty-'));
    try {
      assert.throws(() => loadSchemaSet(empty), /holds no event folders/);
      writeFileSync(join(empty, 'f'), '');
      assert.throws(() => loadSchemaSet(join(empty, 'f')), /is not a folder/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a version that changes the record full name', () => {
    const f = join(dir, 'BeverageCreated', 'v2.avsc');
    writeFileSync(f, readFileSync(f, 'utf8').replace('"namespace": "com.gocoffee.events"', '"namespace": "com.gocoffee.other"'));
    fails(/v2\.avsc: record full name com\.gocoffee\.other\.BeverageCreated differs from v1's com\.gocoffee\.events\.BeverageCreated/);
  });

  it('each version carries the serde type (timestamp-millis ⇄ Date) and the plain type for compatibility checks', () => {
    const v1 = loadSchemaSet(dir).find((e) => e.event === 'SystemEvent')!.versions[0]!;
    const at = new Date(1_700_000_000_000);
    const value = { event_id: 'e', event_type: 't', source: 's', severity: 'info', message: 'm', occurred_at: at, metadata: {} };
    assert.deepEqual((v1.type.fromBuffer(v1.type.toBuffer(value)) as { occurred_at: unknown }).occurred_at, at);
    assert.equal(v1.plainType.isValid({ ...value, occurred_at: at.getTime() }), true);
    assert.equal(v1.plainType.name, 'com.gocoffee.events.SystemEvent');
    assert.equal(v1.event, 'SystemEvent');
    assert.equal(v1.path, join(dir, 'SystemEvent', 'v1.avsc'));
  });

  it('schemaMap + latestOf: versions by event, the latest last; no schema is GCK_SCHEMA_MISSING', () => {
    const map = schemaMap(loadSchemaSet(dir));
    assert.deepEqual(map.get('BeverageCreated')?.map((v) => v.version), [1, 2]);
    assert.equal(latestOf(map, 'BeverageCreated').version, 2);
    assert.throws(() => latestOf(map, 'BeverageDeleted'), (e: unknown) => e instanceof SerdeError && e.code === 'GCK_SCHEMA_MISSING' && /no schema for event BeverageDeleted/.test(e.message));
  });

  it('displayPath: relative inside the working directory, absolute outside', () => {
    assert.equal(displayPath(process.cwd()), '.');
    assert.equal(displayPath(join(process.cwd(), 'schemas', 'x')), join('schemas', 'x'));
    assert.equal(displayPath(dir), dir);
  });
});
