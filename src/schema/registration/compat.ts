/**
 * Local Avro compatibility checks with avsc's schema resolution (the Avro specification's rules,
 * the same ones a Schema Registry applies). Used to explain a refusal when the registry gives no
 * reason, and in dry runs for versions the registry has not seen yet.
 *
 * "A can read B" = `A.createResolver(B)` succeeds (reader A, writer B). BACKWARD: the new schema
 * reads data written with the old one; FORWARD: the old reads the new; FULL: both. The
 * `_TRANSITIVE` levels check against every earlier version, the others against the latest only.
 */
import avro from 'avsc';
import type { CompatibilityLevel } from '../types.js';

/** A schema to compare against, with a label for messages (e.g. "v1", "registered version 3"). */
export interface LabelledType {
  readonly label: string;
  readonly type: avro.Type;
}

/**
 * Why `candidate` may not follow `previous` (oldest first) under `level`; empty when it may.
 */
export function compatibilityProblems(level: CompatibilityLevel, candidate: LabelledType, previous: readonly LabelledType[]): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const out: string[] = [];
  for (const old of against) {
    if (backward) {
      for (const p of readProblems(candidate.type, old.type)) out.push(`${p} (BACKWARD: ${candidate.label} must read data written with ${old.label})`);
    }
    if (forward) {
      for (const p of readProblems(old.type, candidate.type)) out.push(`${p} (FORWARD: ${old.label} must read data written with ${candidate.label})`);
    }
  }
  return out;
}

/** Why `reader` cannot read data written with `writer`, one line per problem with a field path. */
export function readProblems(reader: avro.Type, writer: avro.Type, path: string = simpleName(reader) ?? 'value'): string[] {
  try {
    reader.createResolver(writer);
    return [];
  } catch (err) {
    const detail = explain(reader, writer, path);
    return detail.length > 0 ? detail : [`${path}: ${(err as Error).message}`];
  }
}

function explain(reader: avro.Type, writer: avro.Type, path: string): string[] {
  if (reader instanceof avro.types.RecordType && writer instanceof avro.types.RecordType) {
    const out: string[] = [];
    const readerName = simpleName(reader);
    const writerName = simpleName(writer);
    if (reader.name !== writer.name && !(reader.aliases ?? []).includes(writer.name ?? '') && readerName !== writerName) {
      out.push(`${path}: record ${writer.name} cannot be read as ${reader.name} (different names and no alias)`);
    }
    for (const field of reader.fields) {
      const source = writer.fields.find((w) => w.name === field.name || field.aliases.includes(w.name));
      if (source === undefined) {
        if (field.defaultValue() === undefined) {
          out.push(`${path}.${field.name}: the reader's field has no default and the writer does not have it (a new field needs a default)`);
        }
        continue;
      }
      out.push(...readProblems(field.type, source.type, `${path}.${field.name}`));
    }
    return out;
  }
  if (reader instanceof avro.types.ArrayType && writer instanceof avro.types.ArrayType) {
    return readProblems(reader.itemsType, writer.itemsType, `${path}[]`);
  }
  if (reader instanceof avro.types.MapType && writer instanceof avro.types.MapType) {
    return readProblems(reader.valuesType as avro.Type, writer.valuesType as avro.Type, `${path}{}`);
  }
  return [];
}

function simpleName(type: avro.Type): string | undefined {
  return type.name === undefined ? undefined : type.name.slice(type.name.lastIndexOf('.') + 1);
}
