/**
 * TypeScript types from a schemas folder (`<Event>/v<N>.avsc`, read by the one loader,
 * loadSchemaSet): one interface per event (its LATEST version) and per named nested record, with
 * the Avro docs as JSDoc, plus the `EventTypes` / `EventInputTypes` maps and `LATEST_VERSIONS`.
 * `gocoffee-kafka schemas codegen` runs it on an application's own schemas; scripts/gen-types.mjs
 * (npm run gen:types) on the package's schemas/ (src/gocoffee/generated.ts).
 *
 * Type mapping (avsc with timestamp-millis mapped to Date, unions unwrapped):
 *   null → null, boolean → boolean, int/long/float/double → number (avsc's long is exact up to
 *   2^53), string → string, bytes/fixed → Buffer, enum → union of string literals,
 *   {long, timestamp-millis} → Date, array → T[], map → Record<string, T>, union → A | B,
 *   record → its interface (by simple name; one name must mean one definition everywhere).
 *
 * Two shapes per record: `X` is what a consumer gets from the decoder (every field present);
 * `XInput` is what a publisher may pass: fields with an Avro default are optional (`?:`), because
 * the serializer writes the default for a missing field. An event without defaulted fields
 * (transitively) has `type XInput = X`.
 *
 * Output is deterministic: declarations sorted by name, fields in schema order, LF line ends.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { SchemaFileError } from './errors.js';
import { loadSchemaSet } from './schemas.js';

/* Avro schema JSON as written in a file: walked structurally. */
type Schema = string | Schema[] | SchemaObject;
interface SchemaObject {
  readonly type: Schema;
  readonly name?: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly logicalType?: string;
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly type: Schema; readonly doc?: string; readonly default?: unknown }>;
  readonly items?: Schema;
  readonly values?: Schema;
  readonly symbols?: readonly string[];
  readonly size?: number;
}

interface Named {
  readonly kind: 'record' | 'enum' | 'fixed';
  readonly schema: SchemaObject;
  readonly fullName: string;
  readonly canonical: string;
  readonly where: string;
}

interface EventInfo {
  readonly name: string;
  readonly latestVersion: number;
  readonly schema: SchemaObject;
  readonly file: string;
}

/** How the generated file introduces itself. */
export interface GenerateTypesOptions {
  /** The first line, without `// ` (who generated it, how to regenerate it). */
  readonly generatedBy: string;
  /** How the schemas folder is named in comments (default: its folder name, e.g. `schemas`). */
  readonly schemasLabel?: string | undefined;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function splitName(name: string, namespace: string | undefined): { simple: string; ns: string | undefined } {
  const i = name.lastIndexOf('.');
  return i >= 0 ? { simple: name.slice(i + 1), ns: name.slice(0, i) } : { simple: name, ns: namespace };
}

function isObject(s: Schema): s is SchemaObject {
  return typeof s === 'object' && s !== null && !Array.isArray(s);
}

/** Every named type (record, enum, fixed) of the latest schemas, by simple name. */
function collectNamed(events: readonly EventInfo[]): Map<string, Named> {
  const named = new Map<string, Named>();
  const visit = (schema: Schema, namespace: string | undefined, where: string): void => {
    if (Array.isArray(schema)) {
      for (const s of schema) visit(s, namespace, where);
      return;
    }
    if (!isObject(schema)) return;
    const t = schema.type;
    if (t === 'record' || t === 'error' || t === 'enum' || t === 'fixed') {
      const { simple, ns } = splitName(schema.name ?? '', schema.namespace ?? namespace);
      const fullName = ns ? `${ns}.${simple}` : simple;
      const canonical = JSON.stringify(schema);
      const seen = named.get(simple);
      if (seen !== undefined) {
        if (seen.fullName !== fullName) throw new SchemaFileError(where, `the name ${simple} means two types: ${seen.fullName} (${seen.where}) and ${fullName} (here); TypeScript names must be unique`);
        if (seen.canonical !== canonical) throw new SchemaFileError(where, `${fullName} is defined differently in ${seen.where} and here: every definition of one named type must be identical`);
        return;
      }
      named.set(simple, { kind: t === 'error' || t === 'record' ? 'record' : t, schema, fullName, canonical, where });
      if (t === 'record' || t === 'error') for (const f of schema.fields ?? []) visit(f.type, ns, where);
      return;
    }
    if (t === 'array' && schema.items !== undefined) visit(schema.items, namespace, where);
    else if (t === 'map' && schema.values !== undefined) visit(schema.values, namespace, where);
  };
  for (const e of events) visit(e.schema, undefined, e.file);
  return named;
}

interface Ctx {
  readonly named: ReadonlyMap<string, Named>;
  needsInput(simple: string): boolean;
}

function primitive(name: string): string {
  switch (name) {
    case 'null': return 'null';
    case 'boolean': return 'boolean';
    case 'int': case 'long': case 'float': case 'double': return 'number';
    case 'bytes': return 'Buffer';
    case 'string': return 'string';
  }
  throw new SchemaFileError('(schemas)', `unsupported Avro primitive ${name}`);
}

/** The TypeScript type of an Avro type; `input` selects the XInput variants of records. */
function tsType(schema: Schema, ctx: Ctx, input: boolean): string {
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema)) return primitive(schema);
    const { simple } = splitName(schema, undefined);
    if (!ctx.named.has(simple)) throw new SchemaFileError('(schemas)', `unknown type name ${schema}`);
    return input && ctx.needsInput(simple) ? `${simple}Input` : simple;
  }
  if (Array.isArray(schema)) {
    // `T | null` (null last), the way TypeScript code usually spells an optional value.
    const parts = [...new Set(schema.map((s) => tsType(s, ctx, input)))];
    return [...parts.filter((p) => p !== 'null'), ...parts.filter((p) => p === 'null')].join(' | ');
  }
  if (schema.logicalType === 'timestamp-millis' && schema.type === 'long') return 'Date';
  switch (schema.type) {
    case 'record':
    case 'error':
    case 'enum':
    case 'fixed':
      return tsType(schema.name ?? '', ctx, input);
    case 'array': {
      const item = tsType(schema.items ?? 'null', ctx, input);
      return item.includes(' ') ? `(${item})[]` : `${item}[]`;
    }
    case 'map':
      return `Record<string, ${tsType(schema.values ?? 'null', ctx, input)}>`;
    default:
      if (typeof schema.type === 'string' && PRIMITIVES.has(schema.type)) return primitive(schema.type);
      if (typeof schema.type !== 'string') return tsType(schema.type, ctx, input);
      throw new SchemaFileError('(schemas)', `unsupported Avro type ${JSON.stringify(schema.type)}`);
  }
}

/** Short Avro type text for the JSDoc, e.g. `long (timestamp-millis)`, `map<string>`. */
function avroText(schema: Schema): string {
  if (typeof schema === 'string') return splitName(schema, undefined).simple;
  if (Array.isArray(schema)) return `union {${schema.map(avroText).join(', ')}}`;
  if (schema.logicalType) return `${String(schema.type)} (${schema.logicalType})`;
  if (schema.type === 'array') return `array<${avroText(schema.items ?? 'null')}>`;
  if (schema.type === 'map') return `map<${avroText(schema.values ?? 'null')}>`;
  if (schema.name) return splitName(schema.name, undefined).simple;
  return String(schema.type);
}

function jsdoc(lines: readonly string[], indent: string): string {
  const body = lines.flatMap((l) => l.split('\n')).map((l) => l.replace(/\*\//g, '*\\/'));
  if (body.length === 1) return `${indent}/** ${body[0]} */`;
  return [`${indent}/**`, ...body.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)), `${indent} */`].join('\n');
}

function simpleOf(n: Named): string {
  return (n.schema.name ?? '').split('.').pop() ?? '';
}

function renderRecord(n: Named, ctx: Ctx, input: boolean, extraDoc: string): string {
  const name = input ? `${simpleOf(n)}Input` : simpleOf(n);
  const doc = [n.schema.doc ?? `Avro record ${n.fullName}.`];
  doc.push('', `Avro record \`${n.fullName}\`${extraDoc}.`);
  if (input) doc.push('What a publisher passes: fields with an Avro default may be omitted (the serializer writes the default).');
  const lines = [jsdoc(doc, ''), `export interface ${name} {`];
  for (const f of n.schema.fields ?? []) {
    const fdoc = [f.doc ?? `Field ${f.name}.`, '', `Avro: \`${avroText(f.type)}\``];
    if (f.default !== undefined) fdoc.push(`@defaultValue \`${JSON.stringify(f.default)}\``);
    lines.push(jsdoc(fdoc, '  '));
    const key = IDENT.test(f.name) ? f.name : JSON.stringify(f.name);
    const optional = input && f.default !== undefined ? '?' : '';
    lines.push(`  ${key}${optional}: ${tsType(f.type, ctx, input)};`);
  }
  lines.push('}');
  return lines.join('\n');
}

function renderEnum(n: Named): string {
  const doc = [n.schema.doc ?? `Avro enum ${n.fullName}.`, '', `Avro enum \`${n.fullName}\`.`];
  return `${jsdoc(doc, '')}\nexport type ${simpleOf(n)} = ${(n.schema.symbols ?? []).map((s) => JSON.stringify(s)).join(' | ')};`;
}

function renderFixed(n: Named): string {
  const doc = [n.schema.doc ?? `Avro fixed ${n.fullName}.`, '', `Avro fixed \`${n.fullName}\` of ${n.schema.size ?? 0} bytes.`];
  return `${jsdoc(doc, '')}\nexport type ${simpleOf(n)} = Buffer;`;
}

/**
 * The whole generated file for the schemas in `schemasDir`.
 * @throws SchemaFileError for a missing folder, a bad schema file, or one named type defined twice differently.
 */
export function generateTypes(schemasDir: string, options: GenerateTypesOptions): string {
  const label = options.schemasLabel ?? basename(schemasDir);
  const events: EventInfo[] = loadSchemaSet(schemasDir).map((e) => {
    const latest = e.versions[e.versions.length - 1]!;
    return { name: e.event, latestVersion: latest.version, schema: latest.schema as unknown as SchemaObject, file: latest.file };
  });
  const named = collectNamed(events);
  const eventNames = new Set(events.map((e) => e.name));

  // A record needs an XInput variant when a field has a default or refers to such a record.
  const memo = new Map<string, boolean>();
  const needsInput = (simple: string): boolean => {
    const known = memo.get(simple);
    if (known !== undefined) return known;
    memo.set(simple, false); // recursion guard
    const n = named.get(simple);
    const result = n !== undefined && n.kind === 'record' && (n.schema.fields ?? []).some((f) => f.default !== undefined || refersToInput(f.type));
    memo.set(simple, result);
    return result;
  };
  const refersToInput = (schema: Schema): boolean => {
    if (typeof schema === 'string') return !PRIMITIVES.has(schema) && needsInput(splitName(schema, undefined).simple);
    if (Array.isArray(schema)) return schema.some(refersToInput);
    if (schema.type === 'record' || schema.type === 'error') return needsInput(splitName(schema.name ?? '', undefined).simple);
    if (schema.type === 'array') return refersToInput(schema.items ?? 'null');
    if (schema.type === 'map') return refersToInput(schema.values ?? 'null');
    return false;
  };
  const ctx: Ctx = { named, needsInput };

  const out = [
    `// ${options.generatedBy}`,
    '//',
    `// TypeScript types of the LATEST version of every event under ${label}/. \`X\` is the decoded shape`,
    '// (what a handler receives: every field present); `XInput` is what a publisher passes (fields with',
    '// an Avro default are optional: the serializer writes the default). timestamp-millis is a Date,',
    '// long is a number (exact up to 2^53), map is Record<string, T>, an optional union is T | null.',
    '',
  ];
  for (const simple of [...named.keys()].sort()) {
    const n = named.get(simple)!;
    if (n.kind === 'enum') {
      out.push(renderEnum(n), '');
      continue;
    }
    if (n.kind === 'fixed') {
      out.push(renderFixed(n), '');
      continue;
    }
    const event = events.find((e) => e.name === simple);
    const extra = event ? `, version ${event.latestVersion} (\`${label}/${simple}/v${event.latestVersion}.avsc\`)` : '';
    out.push(renderRecord(n, ctx, false, extra), '');
    if (needsInput(simple)) out.push(renderRecord(n, ctx, true, extra), '');
    else if (eventNames.has(simple)) out.push(`/** What a publisher passes for a ${simple} (no field has a default). */\nexport type ${simple}Input = ${simple};`, '');
  }

  const sorted = [...eventNames].sort();
  out.push('/** Every event name → its decoded type (latest schema version). */', 'export interface EventTypes {');
  for (const e of sorted) out.push(`  ${e}: ${e};`);
  out.push('}', '');
  out.push('/** Every event name → what a publisher passes (fields with a default optional). */', 'export interface EventInputTypes {');
  for (const e of sorted) out.push(`  ${e}: ${e}Input;`);
  out.push('}', '');
  out.push(`/** The latest schema version of every event (\`${label}/<Event>/v<N>.avsc\`). */`);
  out.push('export const LATEST_VERSIONS = Object.freeze({');
  for (const e of sorted) out.push(`  ${e}: ${events.find((x) => x.name === e)!.latestVersion},`);
  out.push('} as const satisfies { readonly [E in keyof EventTypes]: number });', '');
  return out.join('\n');
}

/** Where a generated file differs from what the schemas give: the first differing line. */
export interface GeneratedDifference {
  readonly line: number;
  /** The file's line (undefined: the file ended). */
  readonly actual: string | undefined;
  /** The generated line (undefined: the generated text ended). */
  readonly expected: string | undefined;
}

/** The state of a generated file against freshly generated text. */
export type GeneratedState = { readonly state: 'up-to-date' } | { readonly state: 'missing' } | { readonly state: 'stale'; readonly difference: GeneratedDifference };

/** Compares the file at `out` with `text` (what --check reports). */
export function compareGenerated(out: string, text: string): GeneratedState {
  if (!existsSync(out)) return { state: 'missing' };
  const current = readFileSync(out, 'utf8');
  if (current === text) return { state: 'up-to-date' };
  const x = current.split('\n');
  const y = text.split('\n');
  let line = 1;
  while (line <= Math.max(x.length, y.length) && x[line - 1] === y[line - 1]) line++;
  return { state: 'stale', difference: { line, actual: x[line - 1], expected: y[line - 1] } };
}

/** Writes `text` to `out` (creating its folder) unless it is already there; true when written. */
export function writeGenerated(out: string, text: string): boolean {
  if (existsSync(out) && readFileSync(out, 'utf8') === text) return false;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  return true;
}
