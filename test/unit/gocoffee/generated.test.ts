import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { AVRO_NAMESPACE, EVENTS, type EventName } from '../../../src/gocoffee/catalog.js';
import {
  LATEST_VERSIONS,
  type BeverageCreated,
  type BeverageCreatedInput,
  type EventInputTypes,
  type EventTypes,
  type Ingredient,
} from '../../../src/gocoffee/generated.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCHEMAS = join(ROOT, 'schemas');
const SCRIPT = join(ROOT, 'scripts', 'gen-types.mjs');

function runGen(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

type Json = Record<string, unknown>;
function readSchema(event: string, version: number): Json {
  return JSON.parse(readFileSync(join(SCHEMAS, event, `v${version}.avsc`), 'utf8')) as Json;
}
function versionsOf(event: string): number[] {
  return readdirSync(join(SCHEMAS, event))
    .map((f) => /^v(\d+)\.avsc$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** timestamp-millis ⇄ Date, as the serde configures avsc. */
class DateType extends avro.types.LogicalType {
  override _fromValue(v: number): Date {
    return new Date(v);
  }
  override _toValue(v: unknown): number | undefined {
    return v instanceof Date ? v.getTime() : undefined;
  }
  override _resolve(writer: avro.Type): ((v: number) => Date) | undefined {
    return avro.Type.isType(writer, 'long', 'logical:timestamp-millis') ? (v) => new Date(v) : undefined;
  }
}
/** Fresh options per call: avsc stores its type registry in the options object. */
const withDates = (): Partial<avro.ForSchemaOptions> => ({ logicalTypes: { 'timestamp-millis': DateType } });

// Compile-time checks: the generated maps cover exactly the catalog's events.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const sameNames: Equal<keyof EventTypes, EventName> = true;
const sameInputNames: Equal<keyof EventInputTypes, EventName> = true;
void sameNames;
void sameInputNames;

describe('events: schemas/ and the generated types', () => {
  describe('generated.ts', () => {
    it('is up to date with schemas/ (node scripts/gen-types.mjs --check)', async function () {
      this.timeout(20_000);
      const r = await runGen(['--check']);
      assert.equal(r.code, 0, `src/gocoffee/generated.ts is stale — run "npm run gen:types":\n${r.stderr}`);
    });

    it('--check fails with a clear message when the file is stale or missing', async function () {
      this.timeout(20_000);
      const dir = mkdtempSync(join(tmpdir(), 'gen-types-'));
      try {
        const out = join(dir, 'generated.ts');
        assert.equal((await runGen(['--out', out])).code, 0);
        assert.equal((await runGen(['--check', '--out', out])).code, 0);
        // a schema change without regenerating
        const schemas = join(dir, 'schemas');
        cpSync(SCHEMAS, schemas, { recursive: true });
        const v = readSchema('SystemEvent', 1);
        (v['fields'] as Json[]).push({ name: 'host', type: ['null', 'string'], default: null, doc: 'Host name.' });
        writeFileSync(join(schemas, 'SystemEvent', 'v2.avsc'), JSON.stringify(v, null, 2));
        const stale = await runGen(['--check', '--out', out, '--schemas', schemas]);
        assert.equal(stale.code, 1);
        assert.match(stale.stderr, /generated\.ts is stale/);
        assert.match(stale.stderr, /first difference at line \d+/);
        assert.match(stale.stderr, /npm run gen:types/);
        const missing = await runGen(['--check', '--out', join(dir, 'nope.ts')]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /does not exist/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses two different definitions of one named type (Ingredient)', async function () {
      this.timeout(20_000);
      const dir = mkdtempSync(join(tmpdir(), 'gen-types-'));
      try {
        cpSync(SCHEMAS, dir, { recursive: true });
        const file = join(dir, 'BeverageUpdated', 'v1.avsc');
        writeFileSync(file, readFileSync(file, 'utf8').replace('"name": "quantity", "type": "string"', '"name": "quantity", "type": "double"'));
        const r = await runGen(['--check', '--schemas', dir, '--out', join(dir, 'out.ts')]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /com\.gocoffee\.events\.Ingredient is defined differently/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('is deterministic: two runs give the same bytes', async function () {
      this.timeout(20_000);
      const dir = mkdtempSync(join(tmpdir(), 'gen-types-'));
      try {
        await runGen(['--out', join(dir, 'a.ts')]);
        await runGen(['--out', join(dir, 'b.ts')]);
        const a = readFileSync(join(dir, 'a.ts'), 'utf8');
        assert.equal(a, readFileSync(join(dir, 'b.ts'), 'utf8'));
        assert.ok(a.startsWith('// generated by scripts/gen-types.mjs — do not edit.'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('LATEST_VERSIONS names every catalog event with its highest vN.avsc', () => {
      assert.deepEqual(Object.keys(LATEST_VERSIONS).sort(), EVENTS.map((e) => e.name).sort());
      for (const e of EVENTS) assert.equal(LATEST_VERSIONS[e.name], Math.max(...versionsOf(e.name)), e.name);
      assert.equal(LATEST_VERSIONS.BeverageCreated, 2);
    });

    it('matches what avsc decodes (Date for timestamp-millis, null / [] / {} for defaults)', () => {
      const type = avro.Type.forSchema(readSchema('BeverageCreated', 2) as avro.Schema, withDates());
      const input: BeverageCreatedInput = {
        beverage_id: 'b-1',
        name: 'Cosmic Coffee',
        description: 'A stellar blend',
        theme: 'Mars Base',
        ingredients: [{ name: 'Coffee Beans', quantity: '200g', type: 'Base' }],
        created_by: 'beverage-inventor-agent',
        created_at: new Date(1_700_000_000_123),
      };
      assert.ok(type.isValid(input), 'an input without the defaulted fields is valid (avsc fills defaults)');
      const decoded = type.fromBuffer(type.toBuffer(input)) as BeverageCreated;
      assert.ok(decoded.created_at instanceof Date);
      assert.equal(decoded.created_at.getTime(), 1_700_000_000_123);
      assert.deepEqual(decoded.metadata, {});
      assert.equal(decoded.calories, null);
      assert.deepEqual(decoded.tags, []);
      const first: Ingredient | undefined = decoded.ingredients[0];
      assert.equal(first?.quantity, '200g');
    });
  });

  describe('schemas/', () => {
    const files = EVENTS.flatMap((e) => versionsOf(e.name).map((v) => ({ event: e.name, version: v })));

    it('has v1..vN without gaps for every catalog event, and nothing else', () => {
      const folders = readdirSync(SCHEMAS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
      assert.deepEqual(folders, EVENTS.map((e) => e.name).sort());
      for (const e of EVENTS) {
        const v = versionsOf(e.name);
        assert.deepEqual(v, v.map((_, i) => i + 1), `${e.name}: ${v.join(',')}`);
      }
    });

    for (const { event, version } of files) {
      it(`${event}/v${version}.avsc parses with avsc and follows the conventions`, () => {
        const schema = readSchema(event, version);
        const type = avro.Type.forSchema(schema as avro.Schema);
        assert.equal(type.name, `${AVRO_NAMESPACE}.${event}`);
        assert.equal(schema['namespace'], AVRO_NAMESPACE);
        const problems: string[] = [];
        checkDocs(schema, event, problems);
        assert.deepEqual(problems, []);
        const fields = schema['fields'] as Json[];
        const descriptor = EVENTS.find((e) => e.name === event);
        const key = fields.find((f) => f['name'] === descriptor?.keyField);
        assert.equal(key?.['type'], 'string', `the key field ${descriptor?.keyField} is a string`);
        const metadata = fields.find((f) => f['name'] === 'metadata');
        assert.deepEqual(metadata?.['type'], { type: 'map', values: 'string' });
        assert.deepEqual(metadata?.['default'], {});
        for (const f of fields) {
          const name = String(f['name']);
          assert.match(name, /^[a-z][a-z0-9_]*$/, `${event}.${name} is snake_case`);
          if (name.endsWith('_at')) assert.deepEqual(f['type'], { type: 'long', logicalType: 'timestamp-millis' }, `${event}.${name}`);
          if (Array.isArray(f['type']) && f['type'][0] === 'null') assert.equal(f['default'], null, `${event}.${name}: optional union defaults to null`);
        }
      });
    }

    it('AIRequestCompleted has duration_ms (long) and an optional error', () => {
      const fields = readSchema('AIRequestCompleted', 1)['fields'] as Json[];
      assert.equal(fields.find((f) => f['name'] === 'duration_ms')?.['type'], 'long');
      assert.deepEqual(fields.find((f) => f['name'] === 'error')?.['type'], ['null', 'string']);
    });

    it('defines Ingredient identically wherever it appears (each .avsc is self-contained)', () => {
      const find = (s: unknown): unknown => {
        if (s === null || typeof s !== 'object') return undefined;
        if (Array.isArray(s)) return s.map(find).find((x) => x !== undefined);
        const o = s as Json;
        if (o['type'] === 'record' && o['name'] === 'Ingredient') return o;
        return find(o['fields']) ?? find(o['type']) ?? find(o['items']);
      };
      const a = find(readSchema('BeverageCreated', 2));
      const b = find(readSchema('BeverageUpdated', 1));
      assert.ok(a !== undefined);
      assert.deepEqual(b, a);
      assert.deepEqual(find(readSchema('BeverageCreated', 1)), a);
    });

    describe('BeverageCreated v2 evolution', () => {
      const v1 = avro.Type.forSchema(readSchema('BeverageCreated', 1) as avro.Schema, withDates());
      const v2 = avro.Type.forSchema(readSchema('BeverageCreated', 2) as avro.Schema, withDates());
      const base = {
        beverage_id: 'b-2',
        name: 'Nebula Latte',
        description: '',
        theme: 'Deep Space',
        ingredients: [{ name: 'Milk', quantity: '150ml', type: 'Base' }],
        created_by: 'agent',
        created_at: new Date(1_700_000_000_000),
        metadata: { source: 'test' },
      };

      it('is BACKWARD compatible: a v2 reader reads v1 data (defaults for the new fields)', () => {
        const resolver = v2.createResolver(v1);
        const read = v2.fromBuffer(v1.toBuffer(base), resolver) as BeverageCreated;
        assert.equal(read.name, 'Nebula Latte');
        assert.equal(read.calories, null);
        assert.deepEqual(read.tags, []);
        assert.deepEqual(read.metadata, { source: 'test' });
      });

      it('is FORWARD compatible: a v1 reader reads v2 data (ignores the new fields)', () => {
        const resolver = v1.createResolver(v2);
        const read = v1.fromBuffer(v2.toBuffer({ ...base, calories: 120, tags: ['seasonal'] }), resolver) as Record<string, unknown>;
        assert.equal(read['name'], 'Nebula Latte');
        assert.equal('calories' in read, false);
        assert.ok(read['created_at'] instanceof Date);
      });

      it('only adds fields, each with a default', () => {
        const f1 = (readSchema('BeverageCreated', 1)['fields'] as Json[]).map((f) => f['name']);
        const f2 = readSchema('BeverageCreated', 2)['fields'] as Json[];
        assert.deepEqual(f2.slice(0, f1.length).map((f) => f['name']), f1);
        for (const f of f2.slice(f1.length)) assert.ok('default' in f, `${String(f['name'])} has a default`);
      });
    });
  });
});

/** Every record and every field has a non-empty `doc` (nested records too). */
function checkDocs(schema: unknown, path: string, problems: string[]): void {
  if (schema === null || typeof schema !== 'object') return;
  if (Array.isArray(schema)) {
    for (const s of schema) checkDocs(s, path, problems);
    return;
  }
  const o = schema as Json;
  if (o['type'] === 'record') {
    if (typeof o['doc'] !== 'string' || o['doc'] === '') problems.push(`${path}: record ${String(o['name'])} has no doc`);
    for (const f of o['fields'] as Json[]) {
      if (typeof f['doc'] !== 'string' || f['doc'] === '') problems.push(`${path}.${String(f['name'])}: no doc`);
      checkDocs(f['type'], `${path}.${String(f['name'])}`, problems);
    }
  } else if (o['type'] === 'array') checkDocs(o['items'], path, problems);
  else if (o['type'] === 'map') checkDocs(o['values'], path, problems);
}
