import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { parseSchema } from './avro.js';
import { SerdeError } from './errors.js';

/** One version of one event's schema, as stored under schemas/<Event>/v<N>.avsc. */
export interface SchemaVersion {
  readonly event: string;
  readonly version: number;
  readonly file: string;
  /** Canonical JSON text (what is registered). */
  readonly text: string;
  readonly type: avro.Type;
}

/** The package's own schemas/ folder (works from src/ under tsx and from dist/). */
export function defaultSchemasDir(): string {
  for (const rel of ['../../schemas/', '../../../schemas/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  return fileURLToPath(new URL('../../schemas/', import.meta.url));
}

/** Reads every `<Event>/v<N>.avsc` under `dir`, versions in ascending order. */
export function loadSchemaVersions(dir: string = defaultSchemasDir()): Map<string, SchemaVersion[]> {
  const out = new Map<string, SchemaVersion[]>();
  if (!existsSync(dir)) throw new SerdeError('GCK_SCHEMAS_DIR', `schemas folder ${dir} does not exist`, { dir });
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const versions: SchemaVersion[] = [];
    for (const f of readdirSync(join(dir, entry.name))) {
      const m = /^v(\d+)\.avsc$/.exec(f);
      if (m === null) continue;
      const file = join(dir, entry.name, f);
      let obj: unknown;
      try {
        obj = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new SerdeError('GCK_SCHEMA_FILE', `${file}: not valid JSON: ${(e as Error).message}`, { file }, e);
      }
      let type: avro.Type;
      try {
        type = parseSchema(obj as object);
      } catch (e) {
        throw new SerdeError('GCK_SCHEMA_FILE', `${file}: not a valid Avro schema: ${(e as Error).message}`, { file }, e);
      }
      versions.push({ event: entry.name, version: Number(m[1]), file, text: JSON.stringify(obj), type });
    }
    if (versions.length > 0) out.set(entry.name, versions.sort((a, b) => a.version - b.version));
  }
  return out;
}

export function latestOf(versions: Map<string, SchemaVersion[]>, event: string): SchemaVersion {
  const v = versions.get(event);
  if (v === undefined || v.length === 0) throw new SerdeError('GCK_SCHEMA_MISSING', `no schema for event ${event} in the schemas folder`, { event });
  return v[v.length - 1]!;
}
