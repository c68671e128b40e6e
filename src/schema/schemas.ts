/**
 * The one loader of a schemas folder laid out as `<EventName>/v<N>.avsc` (see schemas/README.md),
 * used by the serdes (reader and writer schemas) and by schema registration. It checks the folder
 * strictly before anything talks to a registry: the expected events present (when given), versions
 * v1..vN without gaps, valid JSON, valid Avro (avsc), a record named like its folder, a namespace,
 * the same record full name in every version.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { parseSchema } from './avro.js';
import { SchemaFileError, SerdeError } from './errors.js';

/** One version of one event's schema: `<dir>/<event>/v<version>.avsc`. */
export interface SchemaVersion {
  /** The event's name (its folder, and the record's name). */
  readonly event: string;
  readonly version: number;
  /** Absolute path. */
  readonly path: string;
  /** `path` relative to the working directory when inside it (for messages). */
  readonly file: string;
  /** The parsed schema. */
  readonly schema: Readonly<Record<string, unknown>>;
  /**
   * What is registered and looked up: `JSON.stringify` of the parsed file (compact, key order as
   * written, docs kept). Registration and the serdes use the same text, so lookups by text match.
   */
  readonly text: string;
  /** Compiled with the library's logical types (timestamp-millis ⇄ Date): what the serdes use. */
  readonly type: avro.Type;
  /** Compiled without logical types: compatibility checks compare structure only. */
  readonly plainType: avro.Type;
}

/** Every version of one event's schema. */
export interface EventSchemas {
  readonly event: string;
  /** `<namespace>.<name>` of the record (the same in every version). */
  readonly fullName: string;
  /** In version order, v1 first. */
  readonly versions: readonly SchemaVersion[];
}

export interface LoadSchemasOptions {
  /**
   * The events the folder must hold, exactly (no other event folder), in the order they are
   * returned. Default: every event folder found, in name order.
   */
  readonly events?: readonly string[] | undefined;
}

const VERSION_FILE = /^v([1-9][0-9]*)\.avsc$/;

/** The package's own `schemas/` folder (found from this module, under src/ with tsx or in dist/). */
export function packageSchemasDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@gocoffee/kafka') return join(dir, 'schemas');
      } catch {
        /* not ours: keep looking */
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new SchemaFileError('schemas/', 'cannot find the @gocoffee/kafka package folder holding schemas/; pass the folder explicitly');
    dir = parent;
  }
}

/** A path for messages: relative to the working directory when inside it, else absolute. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || rel.startsWith(sep) ? path : rel;
}

/**
 * Loads every event's schema versions from `dir` (default: the package's schemas/).
 * @throws SchemaFileError naming the file or folder and the problem.
 */
export function loadSchemaSet(dir: string = packageSchemasDir(), options: LoadSchemasOptions = {}): EventSchemas[] {
  const root = resolve(dir);
  const shown = displayPath(root);
  if (!existsSync(root)) throw new SchemaFileError(shown, 'the schemas folder does not exist');
  if (!statSync(root).isDirectory()) throw new SchemaFileError(shown, 'is not a folder (expected a schemas folder with <EventName>/v<N>.avsc files)');

  const folders = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  const expected = options.events;
  if (expected !== undefined) {
    const known = new Set(expected);
    const unknown = folders.filter((f) => !known.has(f));
    if (unknown.length > 0) {
      throw new SchemaFileError(shown, `unknown event folder(s) ${unknown.map((u) => `"${u}"`).join(', ')}; expected only ${expected.join(', ')}`);
    }
    const missing = expected.filter((e) => !folders.includes(e));
    if (missing.length > 0) throw new SchemaFileError(shown, `no schemas for ${missing.join(', ')} (expected a folder <EventName>/ with v1.avsc for every event)`);
  } else if (folders.length === 0) {
    throw new SchemaFileError(shown, 'holds no event folders (expected <EventName>/v<N>.avsc files)');
  }
  return (expected ?? folders).map((event) => loadEvent(join(root, event), event));
}

/** The versions of each event by event name (what the serdes look schemas up in). */
export function schemaMap(set: readonly EventSchemas[]): Map<string, SchemaVersion[]> {
  return new Map(set.map((e) => [e.event, [...e.versions]]));
}

/**
 * The latest version of `event`'s schema.
 * @throws SerdeError `GCK_SCHEMA_MISSING` when there is none.
 */
export function latestOf(schemas: ReadonlyMap<string, readonly SchemaVersion[]>, event: string): SchemaVersion {
  const v = schemas.get(event);
  if (v === undefined || v.length === 0) throw new SerdeError('GCK_SCHEMA_MISSING', `no schema for event ${event} in the schemas folder`, { event });
  return v[v.length - 1]!;
}

function loadEvent(dir: string, event: string): EventSchemas {
  const versions: { version: number; path: string }[] = [];
  for (const name of readdirSync(dir)) {
    const m = VERSION_FILE.exec(name);
    if (m) versions.push({ version: Number(m[1]), path: join(dir, name) });
    else if (name.endsWith('.avsc')) throw new SchemaFileError(displayPath(join(dir, name)), 'schema files must be named v<N>.avsc (v1.avsc, v2.avsc, ...)');
  }
  if (versions.length === 0) throw new SchemaFileError(displayPath(dir), 'no v<N>.avsc schema files');
  versions.sort((a, b) => a.version - b.version);
  versions.forEach((v, i) => {
    if (v.version !== i + 1) {
      throw new SchemaFileError(displayPath(v.path), `versions of ${event} must be v1..v${versions.length} without gaps (found v${v.version} where v${i + 1} was expected)`);
    }
  });

  let fullName: string | undefined;
  const files = versions.map((v) => {
    const f = loadFile(v.path, v.version, event);
    const name = f.plainType.name ?? '';
    if (fullName !== undefined && name !== fullName) {
      throw new SchemaFileError(f.file, `record full name ${name} differs from v1's ${fullName}: a version must keep the record's name and namespace`);
    }
    fullName = name;
    return f;
  });
  return { event, fullName: fullName as string, versions: files };
}

function loadFile(path: string, version: number, event: string): SchemaVersion {
  const file = displayPath(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SchemaFileError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw new SchemaFileError(file, `is not valid JSON: ${(err as Error).message}`, err);
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema) || (schema as { type?: unknown }).type !== 'record') {
    throw new SchemaFileError(file, 'must hold one Avro record schema ({"type": "record", ...})');
  }
  const record = schema as Record<string, unknown>;
  if (record['name'] !== event) throw new SchemaFileError(file, `the record is named ${JSON.stringify(record['name'])}, expected "${event}" (the folder name)`);
  if (typeof record['namespace'] !== 'string' || record['namespace'] === '') throw new SchemaFileError(file, 'the record needs a "namespace" (e.g. com.example.events; the package\'s own events use com.gocoffee.events)');
  let plainType: avro.Type;
  let type: avro.Type;
  try {
    plainType = avro.Type.forSchema(schema as avro.Schema);
    type = parseSchema(schema);
  } catch (err) {
    throw new SchemaFileError(file, `is not a valid Avro schema: ${(err as Error).message}`, err);
  }
  return { event, version, path, file, schema: record, text: JSON.stringify(schema), type, plainType };
}
