/**
 * Events as plain JSON, for teams without a Schema Registry (`serialization: 'json'`): the Avro
 * schema still defines the event. Writing validates the value against it exactly as the Avro
 * encoder does (SchemaValidationError naming the field; a field the schema does not have is
 * refused), fills defaults, and writes natural JSON: timestamp-millis as an ISO-8601 string,
 * bytes/fixed as base64, a union as its branch's value, maps as objects. Reading turns such JSON
 * back into the decoded shape (Date, Buffer, defaults for missing fields) and checks it against the
 * reader schema (DecodeError naming the fields).
 */
import type avro from 'avsc';
import { checkValue } from './avro.js';
import { DecodeError } from './errors.js';
import { typeNameOf as typeName, type AnyType } from './avro-type.js';


/** The JSON value of a valid `value` of `type` (defaults filled). */
function toJson(t: avro.Type, v: unknown): unknown {
  const type = t as AnyType;
  switch (type.typeName) {
    case 'record': {
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of type.fields ?? []) {
        const fv = src[f.name];
        out[f.name] = toJson(f.type, fv === undefined ? f.defaultValue() : fv);
      }
      return out;
    }
    case 'logical:timestamp-millis':
      return new Date(v instanceof Date ? v.getTime() : (v as number)).toISOString();
    case 'bytes':
    case 'fixed':
      return (v as Buffer).toString('base64');
    case 'union:unwrapped': {
      if (v === null || v === undefined) return null;
      const branch = (type.types ?? []).find((b) => typeName(b) !== 'null' && b.isValid(v));
      return branch === undefined ? v : toJson(branch, v);
    }
    case 'map':
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toJson(type.valuesType!, x)]));
    case 'array':
      return (v as unknown[]).map((x) => toJson(type.itemsType!, x));
    default:
      return v;
  }
}

/** The decoded shape of a parsed JSON value read as `type` (invalid parts left as they are, for the check). */
function fromJson(t: avro.Type, v: unknown): unknown {
  const type = t as AnyType;
  switch (type.typeName) {
    case 'record': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of type.fields ?? []) {
        const fv = src[f.name];
        out[f.name] = fv === undefined ? f.defaultValue() : fromJson(f.type, fv);
      }
      return out;
    }
    case 'logical:timestamp-millis': {
      const ms = typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? v : Number.NaN;
      return Number.isFinite(ms) ? new Date(ms) : v;
    }
    case 'bytes':
    case 'fixed':
      return typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) ? Buffer.from(v, 'base64') : v;
    case 'union:unwrapped': {
      if (v === null || v === undefined) return null;
      for (const b of type.types ?? []) {
        if (typeName(b) === 'null') continue;
        const c = fromJson(b, v);
        if (b.isValid(c)) return c;
      }
      return v;
    }
    case 'map':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromJson(type.valuesType!, x)]));
    case 'array':
      return Array.isArray(v) ? v.map((x) => fromJson(type.itemsType!, x)) : v;
    default:
      return v;
  }
}

/** Writes one event type as JSON (UTF-8), validated against its Avro schema first. */
export class JsonEncoder {
  readonly eventName: string;
  readonly type: avro.Type;

  constructor(eventName: string, type: avro.Type) {
    this.eventName = eventName;
    this.type = type;
  }

  /** The event as JSON bytes; throws SchemaValidationError naming the first field that does not fit. Nothing is sent then. */
  encode(value: unknown): Buffer {
    checkValue(this.type, this.eventName, value);
    return Buffer.from(JSON.stringify(toJson(this.type, value)), 'utf8');
  }
}

/**
 * Reads a JSON event written by {@link JsonEncoder} (or by hand in the same shape) as `reader`.
 * @throws DecodeError (not retriable): empty payload, not JSON, not an object, or fields that do not
 *   match the reader schema (named in the message and in `context.fields`).
 */
export function decodeJsonValue(payload: Buffer | null, reader: avro.Type, where: Record<string, unknown>): unknown {
  if (payload === null || payload.length === 0) throw new DecodeError('empty JSON payload', where);
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    throw new DecodeError(`payload is not valid JSON: ${(e as Error).message}`, where, e);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new DecodeError('JSON event must be an object', where);
  const value = fromJson(reader, parsed);
  const problems: string[] = [];
  reader.isValid(value, { errorHook: (path: string[]) => problems.push(path.join('.') || '(the event)') });
  if (problems.length > 0) {
    throw new DecodeError(`JSON event does not match ${reader.name ?? 'its schema'}: invalid or missing field(s) ${problems.join(', ')}`, { ...where, fields: problems });
  }
  return value;
}
