import type avro from 'avsc';
import { DecodeError } from './errors.js';

/**
 * Reads the JSON events the Go services publish (`content_type: application/json`, headers
 * `event_type`, `entity_type`, `entity_id`) into the same shape as the Avro events, so a consumer
 * can read both while services migrate one at a time. The reader schema drives the conversion:
 * RFC 3339 times → Date, Go `time.Duration` nanoseconds (`duration`) → `duration_ms`, metadata
 * values of any JSON type → strings, missing fields with defaults → their defaults.
 */
export function decodeJsonEvent(payload: Buffer | null, reader: avro.Type, where: Record<string, unknown>): unknown {
  if (payload === null) throw new DecodeError('empty JSON payload', where);
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    throw new DecodeError(`payload is not valid JSON: ${(e as Error).message}`, where, e);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DecodeError('JSON event must be an object', where);
  }
  const value = coerce(reader, parsed, []);
  const problems: string[] = [];
  reader.isValid(value, { errorHook: (path: string[]) => problems.push(path.join('.') || '(the event)') });
  if (problems.length > 0) {
    throw new DecodeError(`JSON event does not match ${reader.name}: invalid or missing field(s) ${problems.join(', ')}`, { ...where, fields: problems });
  }
  return value;
}

type AnyType = avro.Type & { typeName: string; fields?: Array<{ name: string; type: avro.Type; defaultValue(): unknown }>; types?: avro.Type[]; valuesType?: avro.Type; itemsType?: avro.Type };

function coerce(t: avro.Type, v: unknown, path: string[]): unknown {
  const type = t as AnyType;
  switch (type.typeName) {
    case 'record': {
      if (v === null || typeof v !== 'object') return v;
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of type.fields ?? []) {
        let fv = src[f.name];
        if (fv === undefined && f.name === 'duration_ms' && typeof src['duration'] === 'number') fv = src['duration'] / 1e6;
        out[f.name] = fv === undefined ? f.defaultValue() : coerce(f.type, fv, [...path, f.name]);
      }
      return out;
    }
    case 'logical:timestamp-millis':
      if (typeof v === 'string') {
        const ms = Date.parse(v);
        return Number.isNaN(ms) ? v : new Date(ms);
      }
      if (typeof v === 'number') return new Date(v);
      return v;
    case 'union:unwrapped': {
      if (v === null || v === undefined) return null;
      const nonNull = (type.types ?? []).filter((x) => (x as AnyType).typeName !== 'null');
      return nonNull.length === 1 ? coerce(nonNull[0]!, v, path) : v;
    }
    case 'map':
      if (v === null || typeof v !== 'object') return v;
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, (type.valuesType as AnyType).typeName === 'string' && typeof x !== 'string' ? JSON.stringify(x) : coerce(type.valuesType!, x, [...path, k])]),
      );
    case 'array':
      return Array.isArray(v) ? v.map((x, i) => coerce(type.itemsType!, x, [...path, String(i)])) : v;
    case 'string':
      return typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
    case 'int':
    case 'long':
      return typeof v === 'number' ? Math.trunc(v) : v;
    default:
      return v;
  }
}
