/**
 * Reads the JSON events the Go services publish (`content_type: application/json`, headers
 * `event_type`, `entity_type`, `entity_id`) into the same shape as the Avro events, so a consumer
 * reads both while services migrate one at a time. Everything encoding/json writes from the Go
 * structs maps; the reader schema drives every rule (docs/events.md, "Reading the Go services'
 * JSON events", has the table):
 *
 * - null or missing → the field's default, else Go's zero value of the reader type ('' / 0 /
 *   false / [] / {} / null for an optional field / 0001-01-01T00:00:00Z for a time); but an
 *   object that lacks fields of the record and has keys the record does not know is another
 *   event, not a version of this one (an error);
 * - timestamp-millis ← RFC 3339 (nanoseconds, offsets; go-values.ts); `<x>_ms` ← a Go
 *   `time.Duration` `<x>` (integer nanoseconds within int64, exact; or "1.5s" text), truncated to
 *   milliseconds;
 * - map of strings (metadata, changes): a non-string value → its JSON text, numbers exactly as
 *   written (`1.0`, `12345678901234567890`: json-exact.ts, only for the rare payloads that need it);
 * - an array of records whose fields are all strings (Ingredient) holds Go's free-form
 *   `[]interface{}`: a string → the first field (name), an object → the fields of the same name
 *   (case-insensitive, as encoding/json matches), numbers and booleans as JSON text, null or
 *   missing as ''; an element that does not map completely (another key, a nested value, a
 *   number/boolean/array element) is also kept whole, as JSON text, in the event's `metadata`
 *   under its path (`ingredients.<index>`; `ingredients.<index>#2`, ... when that key is taken);
 * - everything else must have the JSON type of the schema (a number for a string field is what
 *   Go itself refuses to unmarshal), and an integer field (int, long, a duration) an integer as
 *   Go's Unmarshal takes it (digits only: `1e3`, `1.0` refused) in range: otherwise a DecodeError
 *   naming each field path and why.
 */
import type avro from 'avsc';
import { DecodeError } from './errors.js';
import { GO_ZERO_TIME_MS, goDurationMillis, goDurationMillisOfText, parseRfc3339Millis } from './go-values.js';
import { integerOfText, JsonNumber, mayHaveInexactNumbers, parseExact } from './json-exact.js';
import { isStringRecord, jsonText, keepInMetadata, newCtx, problem, readFreeForm, type AnyType, type Ctx } from './json-free-form.js';

type Field = NonNullable<AnyType['fields']>[number];

const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;

/**
 * Decodes one Go service JSON event as `reader` (the event's latest local schema).
 * @throws DecodeError (not retriable: the consumer dead-letters the message): empty payload, not
 *   JSON, not an object, or fields that cannot be mapped (each named in the message and in
 *   `context.fields`).
 */
export function decodeJsonEvent(payload: Buffer | null, reader: avro.Type, where: Record<string, unknown>): unknown {
  if (payload === null || payload.length === 0) throw new DecodeError('empty JSON payload', where);
  const text = payload.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new DecodeError(`payload is not valid JSON: ${(e as Error).message}`, where, e);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DecodeError(`JSON event must be an object, got ${describe(parsed)}`, where);
  }
  // The rare payload with a number JSON.parse changes (a fraction or exponent, 16+ digits, -0):
  // parsed again keeping those numbers' text (one regular-expression test otherwise).
  const exact = mayHaveInexactNumbers(text);
  if (exact) parsed = parseExact(text);
  const ctx = newCtx(exact);
  const value = readValue(reader as AnyType, parsed, ctx) as Record<string, unknown>;
  if (ctx.kept !== undefined) keepInMetadata(reader as AnyType, value, ctx);
  // A net under the rules above: what they let through must be a valid value of the schema (the
  // hook, a closure, only when it is not).
  if (ctx.problems.length === 0 && !reader.isValid(value)) {
    reader.isValid(value, { errorHook: (path: string[], v: unknown, t: avro.Type) => problem(ctx, `got ${describe(v)}, expected ${expected(t as AnyType)}`, path.join('.')) });
  }
  if (ctx.problems.length > 0) {
    throw new DecodeError(`JSON event does not match ${reader.name ?? 'its schema'}: ${ctx.problems.join('; ')}`, { ...where, fields: ctx.fields });
  }
  return value;
}

function readValue(type: AnyType, v: unknown, ctx: Ctx): unknown {
  if (v === null || v === undefined) return zeroValue(type, ctx);
  switch (type.typeName) {
    case 'string':
      return typeof v === 'string' ? v : problem(ctx, `got ${describe(v)}, expected a string`);
    case 'int':
      if (typeof v === 'number' && Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX) return v;
      return readInteger(v, INT_MIN, INT_MAX, `the schema's int (${INT_MIN}..${INT_MAX})`, ctx);
    case 'long':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
      return readInteger(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'a safe integer (±2^53−1)', ctx);
    case 'float':
    case 'double':
      if (v instanceof JsonNumber) return v.value; // Go's float64 takes any JSON number
      return typeof v === 'number' ? v : problem(ctx, `got ${describe(v)}, expected a number`);
    case 'boolean':
      return typeof v === 'boolean' ? v : problem(ctx, `got ${describe(v)}, expected true or false`);
    case 'bytes':
      return typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) ? Buffer.from(v, 'base64') : problem(ctx, `got ${describe(v)}, expected base64 text`);
    case 'enum':
      return typeof v === 'string' && type.symbols!.includes(v) ? v : problem(ctx, `got ${describe(v)}, expected one of ${type.symbols!.join(', ')}`);
    case 'logical:timestamp-millis': {
      const ms = typeof v === 'string' ? parseRfc3339Millis(v) : typeof v === 'number' && Number.isSafeInteger(v) ? v : v instanceof JsonNumber ? safeIntegerOf(v) : undefined;
      return ms === undefined ? problem(ctx, `got ${describe(v)}, expected an RFC 3339 time (e.g. 2024-03-10T08:15:30.123456789+01:00)`) : new Date(ms);
    }
    case 'record':
      return readRecord(type, v, ctx);
    case 'array':
      return readArray(type, v, ctx);
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v) || v instanceof JsonNumber) return problem(ctx, `got ${describe(v)}, expected an object`);
      const values = type.valuesType as AnyType;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (values.typeName === 'string') {
          setKey(out, k, typeof x === 'string' ? x : jsonText(ctx, x));
        } else {
          ctx.path.push(k);
          setKey(out, k, readValue(values, x, ctx));
          ctx.path.pop();
        }
      }
      return out;
    }
    case 'union:unwrapped':
      return readUnion(type, v, ctx);
    default:
      return v; // fixed and other types: as they are, checked by the net
  }
}

/**
 * An integer field's value that is not a plain in-range integer: a number written with a fraction
 * or an exponent (`1e3`, `1.0`: Go's Unmarshal refuses them for an integer), one beyond `range`,
 * or another JSON type, each a problem; a JsonNumber of plain digits within the range (`-0`) is
 * its value.
 */
function readInteger(v: unknown, min: number, max: number, range: string, ctx: Ctx): unknown {
  const n = v instanceof JsonNumber ? integerOfText(v.text) : typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 1e21 ? BigInt(v) : undefined;
  if (n !== undefined) return n >= BigInt(min) && n <= BigInt(max) ? Number(n) : problem(ctx, `got ${numberText(v as number | JsonNumber)}, beyond ${range}`);
  if (typeof v === 'number' || v instanceof JsonNumber) return problem(ctx, `got number ${numberText(v)}, expected an integer (digits only: Go's encoding/json refuses a fraction or an exponent for an integer field)`);
  return problem(ctx, `got ${describe(v)}, expected an integer`);
}

function safeIntegerOf(v: JsonNumber): number | undefined {
  const n = integerOfText(v.text);
  return n !== undefined && n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
}

/** A number as its payload wrote it (a plain number's text is String(value)). */
function numberText(v: number | JsonNumber): string {
  return typeof v === 'number' ? String(v) : v.text;
}

function readRecord(type: AnyType, v: unknown, ctx: Ctx): unknown {
  if (typeof v !== 'object' || Array.isArray(v) || v instanceof JsonNumber) return problem(ctx, `got ${describe(v)}, expected an object`);
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let missing: string[] | undefined;
  for (const f of type.fields!) {
    const fv = Object.hasOwn(src, f.name) ? src[f.name] : undefined;
    if (fv === undefined && f.name.endsWith('_ms') && Object.hasOwn(src, f.name.slice(0, -3))) {
      // `<x>_ms` from a Go time.Duration `<x>` (nanoseconds, or Go's duration text).
      const goName = f.name.slice(0, -3);
      ctx.path.push(goName);
      out[f.name] = readDuration(f.type as AnyType, src[goName], ctx);
      ctx.path.pop();
      continue;
    }
    ctx.path.push(f.name);
    if (fv === undefined && f.defaultValue() === undefined) (missing ??= []).push(f.name);
    out[f.name] = fv === undefined || fv === null ? fieldZero(f, ctx) : readValue(f.type as AnyType, fv, ctx);
    ctx.path.pop();
  }
  if (missing !== undefined) checkNotAnotherRecord(type, src, missing, ctx);
  return out;
}

/**
 * Missing fields are Go's zero values (a Go struct of another version), but an object that lacks
 * fields of the record *and* has keys the record does not know is another record (a TaskCreated on
 * the beverage topic without an event_type header, a renamed field): not read as this one.
 */
function checkNotAnotherRecord(type: AnyType, src: Record<string, unknown>, missing: readonly string[], ctx: Ctx): void {
  const names = new Set(type.fields!.map((f) => f.name));
  const foreign = Object.keys(src).filter((k) => !names.has(k) && !names.has(`${k}_ms`));
  if (foreign.length === 0) return;
  const at = ctx.path.join('.');
  const list = (keys: readonly string[]) => (keys.length > 6 ? `${keys.slice(0, 6).join(', ')}, …` : keys.join(', '));
  for (const m of missing) ctx.fields.push(at === '' ? m : `${at}.${m}`);
  ctx.problems.push(`${at === '' ? '' : `${at}: `}missing ${list(missing)} and has ${list(foreign)}, which ${type.name ?? 'the record'} does not have: another event (or renamed fields), not a version of this one`);
}

function readDuration(type: AnyType, v: unknown, ctx: Ctx): unknown {
  if (v === null) return 0;
  const ms = v instanceof JsonNumber ? goDurationMillisOfText(v.text) : goDurationMillis(v);
  if (ms !== undefined) return readValue(type, ms, ctx);
  if (typeof v === 'number' || v instanceof JsonNumber) {
    const text = numberText(v);
    return problem(
      ctx,
      integerOfText(text) !== undefined
        ? `got ${text}, beyond a Go time.Duration (int64 nanoseconds, -9223372036854775808..9223372036854775807)`
        : `got number ${text}, expected a Go time.Duration: integer nanoseconds (digits only: Go's encoding/json refuses a fraction or an exponent)`,
    );
  }
  return problem(ctx, `got ${describe(v)}, expected a Go time.Duration (integer nanoseconds, or text like "1.5s")`);
}

function readArray(type: AnyType, v: unknown, ctx: Ctx): unknown {
  if (!Array.isArray(v)) return problem(ctx, `got ${describe(v)}, expected an array`);
  const items = type.itemsType as AnyType;
  const freeForm = isStringRecord(items);
  const out = new Array<unknown>(v.length);
  for (let i = 0; i < v.length; i++) {
    ctx.path.push(String(i));
    out[i] = freeForm ? readFreeForm(items, v[i], ctx) : readValue(items, v[i], ctx);
    ctx.path.pop();
  }
  return out;
}

const unionBranches = new WeakMap<AnyType, readonly AnyType[]>();

function readUnion(type: AnyType, v: unknown, ctx: Ctx): unknown {
  let branches = unionBranches.get(type);
  if (branches === undefined) {
    branches = type.types!.filter((b) => (b as AnyType).typeName !== 'null') as AnyType[];
    unionBranches.set(type, branches);
  }
  if (branches.length === 1) return readValue(branches[0]!, v, ctx);
  for (const b of branches) {
    const trial = newCtx(ctx.exact);
    const r = readValue(b, v, trial);
    if (trial.problems.length === 0 && b.isValid(r)) return r;
  }
  return problem(ctx, `got ${describe(v)}, expected ${expected(type)}`);
}

function fieldZero(f: Field, ctx: Ctx): unknown {
  const d = f.defaultValue();
  return d !== undefined ? d : zeroValue(f.type as AnyType, ctx);
}

/** Go's zero value of a reader type (null for an optional one). */
function zeroValue(type: AnyType, ctx: Ctx): unknown {
  switch (type.typeName) {
    case 'string':
      return '';
    case 'int':
    case 'long':
    case 'float':
    case 'double':
      return 0;
    case 'boolean':
      return false;
    case 'bytes':
      return Buffer.alloc(0);
    case 'array':
      return [];
    case 'map':
      return {};
    case 'logical:timestamp-millis':
      return new Date(GO_ZERO_TIME_MS);
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const f of type.fields!) {
        ctx.path.push(f.name);
        out[f.name] = fieldZero(f, ctx);
        ctx.path.pop();
      }
      return out;
    }
    case 'union:unwrapped':
      return type.types!.some((b) => (b as AnyType).typeName === 'null') ? null : zeroValue(type.types![0] as AnyType, ctx);
    default:
      return problem(ctx, `missing, and ${expected(type)} has neither a default nor a Go zero value`);
  }
}

function expected(t: AnyType): string {
  if (t.typeName === 'logical:timestamp-millis') return 'an RFC 3339 time';
  if (t.typeName === 'union:unwrapped') return t.types!.map((b) => expected(b as AnyType)).join(' or ');
  return t.typeName === 'record' || t.typeName === 'enum' || t.typeName === 'fixed' ? `${t.typeName} ${t.name ?? ''}`.trim() : `a ${t.typeName}`;
}

/** A value for a message: its JSON type, and short scalars as they are. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof JsonNumber) return `number ${v.text}`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** out[k] = v, also for the key "__proto__" (an own property, as JSON.parse made it). */
function setKey(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}
