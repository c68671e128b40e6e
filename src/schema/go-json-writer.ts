/**
 * Writes events as the Go services' encoding/json writes the seed's structs, so a Go consumer
 * (json.Unmarshal, even with DisallowUnknownFields) reads what a TypeScript service publishes:
 *
 * - fields in the Go struct's order under its JSON names; `omitEmpty` fields (`,omitempty`) left
 *   out when empty ("" / null / 0 / false / no entries), as Go does;
 * - `timestamp-millis` as time.Time's MarshalJSON: RFC 3339 with the fraction's trailing zeros
 *   trimmed (none for a whole second), `Z` for UTC; years outside 0..9999 are refused (Go refuses
 *   to write them too);
 * - a `durationNs` field: a long of milliseconds written as a time.Duration (int64 nanoseconds);
 * - strings escaped like Go (`<`, `>`, `&`, U+2028, U+2029 as \u escapes; a lone surrogate,
 *   which UTF-8 cannot carry, as U+FFFD); map keys sorted (Go sorts map keys); nested records in
 *   schema order (a struct, or a map whose sorted keys are that order, e.g. Ingredient);
 * - a nullable value (`["null", X]`) as null when null (a Go pointer or nil slice), else as X;
 * - schema fields the Go struct has no field for (BeverageCreated v2's calories and tags) are not
 *   written, so they must hold their default: anything else is refused, never dropped silently.
 *
 * The layout is compiled once per event into a plan (plain objects, no closures); encode() walks
 * it with one output string and one Buffer per message.
 */
import type avro from 'avsc';
import { InvalidArgumentError } from '../errors/base.js';
import { checkValue } from './avro.js';
import { SchemaValidationError } from './errors.js';
import { typeNameOf, type AnyType } from './avro-type.js';

/** One field of the Go struct. */
export interface GoField {
  /** Its JSON name (the struct tag). */
  readonly json: string;
  /** The schema field it is written from. Default: `json`. */
  readonly from?: string | undefined;
  /** The tag's `,omitempty`: left out when empty. */
  readonly omitEmpty?: boolean | undefined;
  /** `durationNs`: a long of milliseconds written as Go's time.Duration (int64 nanoseconds). */
  readonly encoding?: 'durationNs' | undefined;
}

/** How an event is written for Go. */
export interface GoJsonLayout {
  /** The Go struct's fields, in its order. Default: every schema field under its own name, in schema order. */
  readonly fields?: readonly GoField[] | undefined;
  /** The Go struct's name, for messages (e.g. `BeverageCreatedEvent`). */
  readonly struct?: string | undefined;
  /** The `entity_type` header the Go services write with this event. */
  readonly entityType?: string | undefined;
  /** The field whose value is the `entity_id` header. */
  readonly entityIdField?: string | undefined;
}

// Node kinds of a compiled plan.
const STRING = 0;
const INTEGER = 1;
const FLOAT = 2;
const BOOLEAN = 3;
const TIME = 4;
const DURATION = 5;
const MAP = 6;
const ARRAY = 7;
const RECORD = 8;
const NULLABLE = 9;
const BYTES = 10;
const UNION = 11;
const NULL = 12;

interface Node {
  readonly kind: number;
  /** The field path, for errors (`ingredients[].name`, `metadata.*`). */
  readonly path: string;
  /** MAP values, ARRAY items, NULLABLE's branch. */
  readonly inner?: Node;
  /** RECORD fields. */
  readonly fields?: readonly FieldPlan[];
  /** UNION branches (no null branch). */
  readonly branches?: ReadonlyArray<{ readonly type: avro.Type; readonly node: Node }>;
}

interface FieldPlan {
  /** The schema field read. */
  readonly name: string;
  /** `"json":` */
  readonly key: string;
  readonly node: Node;
  readonly omitEmpty: boolean;
  /** The schema default, used when the value leaves the field out. */
  readonly def: unknown;
}


function compile(t: avro.Type, eventName: string, path: string): Node {
  const type = t as AnyType;
  switch (type.typeName) {
    case 'string':
    case 'enum':
      return { kind: STRING, path };
    case 'int':
    case 'long':
      return { kind: INTEGER, path };
    case 'float':
    case 'double':
      return { kind: FLOAT, path };
    case 'boolean':
      return { kind: BOOLEAN, path };
    case 'null':
      return { kind: NULL, path };
    case 'bytes':
    case 'fixed':
      return { kind: BYTES, path };
    case 'logical:timestamp-millis':
      return { kind: TIME, path };
    case 'map':
      return { kind: MAP, path, inner: compile(type.valuesType!, eventName, `${path}.*`) };
    case 'array':
      return { kind: ARRAY, path, inner: compile(type.itemsType!, eventName, `${path}[]`) };
    case 'record':
      return { kind: RECORD, path, fields: (type.fields ?? []).map((f) => plan(f, { json: f.name }, eventName, `${path}.${f.name}`)) };
    case 'union:unwrapped': {
      const others = (type.types ?? []).filter((b) => typeNameOf(b) !== 'null');
      if (others.length === 1 && others.length < (type.types ?? []).length) return { kind: NULLABLE, path, inner: compile(others[0]!, eventName, path) };
      return { kind: UNION, path, branches: others.map((b) => ({ type: b, node: compile(b, eventName, path) })) };
    }
    default:
      throw new InvalidArgumentError(`${eventName}.${path}`, `the Avro type ${type.typeName} has no Go JSON form in this writer`);
  }
}

function plan(f: { readonly name: string; readonly type: avro.Type; defaultValue(): unknown }, go: GoField, eventName: string, path: string): FieldPlan {
  const node = go.encoding === 'durationNs' ? { kind: DURATION, path } : compile(f.type, eventName, path);
  if (go.encoding === 'durationNs' && !['int', 'long'].includes(typeNameOf(f.type))) {
    throw new InvalidArgumentError(`${eventName}.${path}`, `a Go time.Duration is written from an int or long of milliseconds, not from the Avro type ${typeNameOf(f.type)}`);
  }
  return { name: f.name, key: `${JSON.stringify(go.json)}:`, node, omitEmpty: go.omitEmpty === true, def: f.defaultValue() };
}

const GO_ESCAPED = /[<>&\u2028\u2029]/;
const GO_ESCAPED_ALL = /[<>&\u2028\u2029]/g;
const ESCAPES: Readonly<Record<string, string>> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
const escapeOne = (c: string): string => ESCAPES[c]!;

/** A JSON string as Go's encoding/json writes it (HTML-safe; control characters as JSON.stringify, which Go ≥ 1.22 matches). */
export function goString(s: string): string {
  const text = JSON.stringify(s.isWellFormed() ? s : s.toWellFormed());
  return GO_ESCAPED.test(text) ? text.replace(GO_ESCAPED_ALL, escapeOne) : text;
}

/** time.Time's MarshalJSON of a UTC instant in milliseconds: `2024-01-01T12:00:00.12Z`, `2024-01-01T12:00:00Z`. */
export function goTime(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ for years 0..9999
  if (iso.endsWith('.000Z')) return `${iso.slice(0, -5)}Z`;
  if (iso.endsWith('00Z')) return `${iso.slice(0, -3)}Z`;
  if (iso.endsWith('0Z')) return `${iso.slice(0, -2)}Z`;
  return iso;
}

/** The largest |milliseconds| whose nanoseconds fit Go's int64 time.Duration. */
const MAX_DURATION_MS = 9_223_372_036_854;

/** Byte order of UTF-8 (Go's sort of map keys) where UTF-16 order differs: astral vs U+E000..U+FFFF. */
function utf8Order(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

const SURROGATE = /[\ud800-\udfff]/;

/** A map's keys in Go's order (bytes of UTF-8; the default sort's UTF-16 order is the same unless a key has an astral character). */
function sortedKeys(map: Record<string, unknown>): string[] {
  const keys = Object.keys(map);
  if (keys.length < 2) return keys;
  let astral = false;
  for (const k of keys) if (SURROGATE.test(k)) astral = true;
  return astral ? keys.sort(utf8Order) : keys.sort();
}

function isEmpty(node: Node, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  switch (node.kind) {
    case STRING:
      return v === '';
    case INTEGER:
    case FLOAT:
    case DURATION:
      return v === 0;
    case BOOLEAN:
      return v === false;
    case MAP:
      for (const _ in v as Record<string, unknown>) return false;
      return true;
    case ARRAY:
    case BYTES:
      return (v as { length: number }).length === 0;
    case NULLABLE:
      return isEmpty(node.inner!, v);
    default:
      return false; // a struct (time.Time, a record) is never empty for omitempty
  }
}

/** Whether a value the Go struct cannot carry equals its default (null, [], {}, a primitive). */
function isDefault(v: unknown, def: unknown): boolean {
  if (v === undefined || v === def) return true;
  if (Array.isArray(def)) return def.length === 0 && Array.isArray(v) && v.length === 0;
  if (def !== null && typeof def === 'object') {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
    for (const _ in v as Record<string, unknown>) return false;
    return Object.keys(def).length === 0;
  }
  return false;
}

/** Writes one event type as Go's encoding/json does (see the module comment). */
export class GoJsonWriter {
  readonly eventName: string;
  readonly type: avro.Type;
  readonly struct: string;
  readonly entityType: string | undefined;
  readonly entityIdField: string | undefined;
  readonly #fields: readonly FieldPlan[];
  /** Schema fields with no Go field: they must hold their default. */
  readonly #unwritten: ReadonlyArray<{ readonly name: string; readonly def: unknown }>;

  /** @throws InvalidArgumentError naming a layout field the schema does not have, or a type Go JSON cannot carry. */
  constructor(eventName: string, type: avro.Type, layout: GoJsonLayout = {}) {
    this.eventName = eventName;
    this.type = type;
    this.struct = layout.struct ?? eventName;
    this.entityType = layout.entityType;
    this.entityIdField = layout.entityIdField;
    const fields = (type as AnyType).fields ?? [];
    if (typeNameOf(type) !== 'record') throw new InvalidArgumentError(eventName, `expected a record schema, got the Avro type ${typeNameOf(type)}`);
    const go: readonly GoField[] = layout.fields ?? fields.map((f) => ({ json: f.name }));
    this.#fields = go.map((g) => {
      const from = g.from ?? g.json;
      const f = fields.find((x) => x.name === from);
      if (f === undefined) throw new InvalidArgumentError(`${eventName}.${from}`, `no such field in ${type.name ?? eventName} (${fields.map((x) => x.name).join(', ')}) for the Go field "${g.json}"`);
      return plan(f, g, eventName, f.name);
    });
    const written = new Set(this.#fields.map((f) => f.name));
    this.#unwritten = fields.filter((f) => !written.has(f.name)).map((f) => ({ name: f.name, def: f.defaultValue() }));
  }

  /**
   * The event as Go JSON (UTF-8). Validated first exactly like the Avro path (SchemaValidationError
   * naming the first field that does not fit, or a field the schema does not have), then for what
   * Go cannot write (a time outside years 0..9999, a duration beyond int64 nanoseconds, a value
   * the Go struct has no field for). Nothing is sent then.
   */
  encode(value: unknown): Buffer {
    checkValue(this.type, this.eventName, value);
    const src = value as Record<string, unknown>;
    for (const u of this.#unwritten) {
      if (!isDefault(src[u.name], u.def)) {
        throw new SchemaValidationError(this.eventName, u.name, `${JSON.stringify(u.def)} (its default): the Go struct ${this.struct} has no field for it, so the JSON Go reads cannot carry it (publish this event as Avro to send it)`, describeValue(src[u.name]));
      }
    }
    return Buffer.from(this.#record(this.#fields, src), 'utf8');
  }

  #record(fields: readonly FieldPlan[], src: Record<string, unknown>): string {
    let out = '{';
    let first = true;
    for (const f of fields) {
      let v = src[f.name];
      if (v === undefined) v = f.def;
      if (f.omitEmpty && isEmpty(f.node, v)) continue;
      if (!first) out += ',';
      first = false;
      out += f.key + this.#value(f.node, v);
    }
    return `${out}}`;
  }

  #value(node: Node, v: unknown): string {
    switch (node.kind) {
      case STRING:
        return goString(v as string);
      case INTEGER:
        return String(v);
      case FLOAT:
        if (!Number.isFinite(v)) throw new SchemaValidationError(this.eventName, node.path, 'a finite number (Go\'s encoding/json cannot write NaN or Infinity)', String(v));
        return String(v); // shortest round-trip form, exponent from 1e21 and below 1e-6: Go's 'g'-like float format
      case BOOLEAN:
        return v ? 'true' : 'false';
      case NULL:
        return 'null';
      case TIME: {
        const d = v instanceof Date ? v : new Date(v as number);
        const year = d.getUTCFullYear();
        if (!(year >= 0 && year <= 9999)) throw new SchemaValidationError(this.eventName, node.path, 'a time in the years 0..9999 (Go\'s time.Time MarshalJSON refuses others)', Number.isNaN(year) ? 'an invalid Date' : `a time in the year ${year}`);
        return `"${goTime(d)}"`;
      }
      case DURATION: {
        const ms = v as number;
        if (Math.abs(ms) > MAX_DURATION_MS) throw new SchemaValidationError(this.eventName, node.path, `milliseconds within ±${MAX_DURATION_MS} (a Go time.Duration is int64 nanoseconds)`, String(ms));
        return ms === 0 ? '0' : `${ms}000000`;
      }
      case MAP: {
        const map = v as Record<string, unknown>;
        let out = '{';
        let first = true;
        for (const k of sortedKeys(map)) {
          if (!first) out += ',';
          first = false;
          out += `${goString(k)}:${this.#value(node.inner!, map[k])}`;
        }
        return `${out}}`;
      }
      case ARRAY: {
        const items = v as unknown[];
        let out = '[';
        for (let i = 0; i < items.length; i++) {
          if (i > 0) out += ',';
          out += this.#value(node.inner!, items[i]);
        }
        return `${out}]`;
      }
      case RECORD:
        return this.#record(node.fields!, v as Record<string, unknown>);
      case NULLABLE:
        return v === null || v === undefined ? 'null' : this.#value(node.inner!, v);
      case BYTES:
        return `"${Buffer.from(v as Uint8Array).toString('base64')}"`;
      case UNION: {
        if (v === null || v === undefined) return 'null';
        for (const b of node.branches!) if (b.type.isValid(v)) return this.#value(b.node, v);
        return 'null'; // unreachable: checkValue accepted the value
      }
      default:
        return 'null';
    }
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object with entries';
  return `${typeof v} ${JSON.stringify(v)}`;
}
