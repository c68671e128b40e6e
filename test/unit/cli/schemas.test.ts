import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { EVENTS } from '../../../src/events/catalog.js';
import { compatibilityProblems, readProblems } from '../../../src/events/registration/compat.js';
import { SchemaFileError } from '../../../src/events/registration/errors.js';
import { loadSchemaSet, packageSchemasDir } from '../../../src/events/registration/load.js';
import { parseRegistryUrl } from '../../../src/events/registration/registry.js';
import { parseSubjectStrategy, subjectName } from '../../../src/events/registration/subjects.js';

const rec = (fields: object[], name = 'E'): avro.Type =>
  avro.Type.forSchema({ type: 'record', name, namespace: 'ns', fields } as avro.Schema);
const ID = { name: 'id', type: 'string' };

describe('events/registration: subjects', () => {
  it('names subjects by strategy', () => {
    assert.equal(subjectName('topic', 'beverage.created.dev', 'com.gocoffee.events.BeverageCreated'), 'beverage.created.dev-value');
    assert.equal(subjectName('record', 'beverage.created.dev', 'com.gocoffee.events.BeverageCreated'), 'com.gocoffee.events.BeverageCreated');
    assert.equal(subjectName('topic-record', 'beverage.created.dev', 'com.gocoffee.events.BeverageCreated'), 'beverage.created.dev-com.gocoffee.events.BeverageCreated');
    assert.throws(() => subjectName('nope' as never, 't', 'r'), /GCK_INVALID_ARGUMENT|strategy/);
  });

  it('parses CLI spellings and Confluent class names', () => {
    assert.equal(parseSubjectStrategy('topic'), 'topic');
    assert.equal(parseSubjectStrategy('RecordNameStrategy'), 'record');
    assert.equal(parseSubjectStrategy('topic_record'), 'topic-record');
    assert.equal(parseSubjectStrategy('TopicRecordNameStrategy'), 'topic-record');
    assert.equal(parseSubjectStrategy('subject'), undefined);
  });
});

describe('events/registration: local compatibility check', () => {
  const v1 = { label: 'v1', type: rec([ID]) };

  it('accepts a new field with a default under every level', () => {
    const v2 = { label: 'v2', type: rec([ID, { name: 'n', type: ['null', 'int'], default: null }]) };
    for (const level of ['BACKWARD', 'FORWARD', 'FULL', 'FULL_TRANSITIVE'] as const) assert.deepEqual(compatibilityProblems(level, v2, [v1]), [], level);
  });

  it('BACKWARD: a new field without a default is named with its path', () => {
    const v2 = { label: 'v2', type: rec([ID, { name: 'strength', type: 'int' }]) };
    const problems = compatibilityProblems('BACKWARD', v2, [v1]);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^E\.strength: .*no default.*\(BACKWARD: v2 must read data written with v1\)$/);
    assert.deepEqual(compatibilityProblems('FORWARD', v2, [v1]), [], 'old readers ignore the new field');
    assert.deepEqual(compatibilityProblems('NONE', v2, [v1]), []);
  });

  it('FORWARD: removing a field without a default breaks old readers', () => {
    const v2 = { label: 'v2', type: rec([{ name: 'other', type: 'string', default: '' }]) };
    const problems = compatibilityProblems('FORWARD', v2, [v1]);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /E\.id: .*\(FORWARD: v1 must read data written with v2\)/);
  });

  it('reports every changed type, nested paths included', () => {
    const inner = (t: string): object => ({ type: 'array', items: { type: 'record', name: 'I', fields: [{ name: 'q', type: t }] } });
    const a = rec([{ name: 'id', type: 'string' }, { name: 'items', type: inner('string') }]);
    const b = rec([{ name: 'id', type: 'int' }, { name: 'items', type: inner('int') }]);
    assert.deepEqual(readProblems(b, a), ['E.id: cannot read "string" as "int"', 'E.items[].q: cannot read "string" as "int"']);
  });

  it('_TRANSITIVE levels check every earlier version, the others only the latest', () => {
    const old = { label: 'v1', type: rec([ID, { name: 'x', type: 'int' }]) };
    const mid = { label: 'v2', type: rec([ID]) };
    const next = { label: 'v3', type: rec([ID, { name: 'x', type: 'string', default: '' }]) };
    assert.deepEqual(compatibilityProblems('BACKWARD', next, [old, mid]), []);
    const transitive = compatibilityProblems('BACKWARD_TRANSITIVE', next, [old, mid]);
    assert.equal(transitive.length, 1);
    assert.match(transitive[0] ?? '', /E\.x: cannot read "int" as "string".*v3 must read data written with v1/);
  });
});

describe('events/registration: loading a schemas folder', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'schemas-'));
    cpSync(packageSchemasDir(), dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("loads the package's schemas in catalog order, versions in order", () => {
    const set = loadSchemaSet();
    assert.deepEqual(set.map((e) => e.event.name), EVENTS.map((e) => e.name));
    const bc = set[0];
    assert.equal(bc?.fullName, 'com.gocoffee.events.BeverageCreated');
    assert.deepEqual(bc?.versions.map((v) => v.version), [1, 2]);
    assert.equal(bc?.versions[0]?.text, JSON.stringify(JSON.parse(readFileSync(join(packageSchemasDir(), 'BeverageCreated', 'v1.avsc'), 'utf8'))));
  });

  const fails = (pattern: RegExp): void => {
    assert.throws(() => loadSchemaSet(dir), (err: unknown) => err instanceof SchemaFileError && err.code === 'GCK_SCHEMA_FILE' && pattern.test(err.message));
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
});

describe('events/registration: registry URL', () => {
  it('takes credentials out of the URL and strips trailing slashes', () => {
    assert.deepEqual(parseRegistryUrl('https://bob:s%3Acret@reg.example:8081/apis/ccompat/v7/'), {
      url: 'https://reg.example:8081/apis/ccompat/v7',
      username: 'bob',
      password: 's:cret',
    });
    assert.deepEqual(parseRegistryUrl('http://127.0.0.1:8081'), { url: 'http://127.0.0.1:8081', username: undefined, password: undefined });
  });
  it('refuses a non-http URL without echoing credentials', () => {
    assert.throws(() => parseRegistryUrl('ftp://a:secret@x'), (e: Error) => /http/.test(e.message) && !e.message.includes('secret'));
    assert.throws(() => parseRegistryUrl('not a url with secret@'), /not a valid URL/);
  });
});
