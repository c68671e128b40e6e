/**
 * Go's zero values at publish time. A Go service cannot leave a field of an event struct out: an
 * unset `Description` is sent as `""`, an unset `Ingredients` as an empty (nil) list, an unset
 * `TokensUsed` as `0`. The Manager and the EventBus do the same for every field a publish leaves
 * out (`undefined`): strings `''`, numbers `0`, booleans `false`, arrays `[]`, maps `{}`, a
 * nullable union `null`. Not filled, so still required:
 *
 * - the entity id (the Kafka key, e.g. `beverage_id`): an event without it is an InvalidEventError
 *   naming the field — an empty key would put every such event on one partition under one key;
 * - timestamps (`created_at`, ... and any other logical type): Go's zero time is
 *   0001-01-01T00:00:00Z, which no consumer can tell from a real time and which `time.Now()` in
 *   every Go publish never sends; a missing one is a SchemaValidationError naming the field;
 * - records, enums and named types (none in the Go Coffee events).
 *
 * Fields with a schema default (`metadata`, `calories`, `tags`, ...) keep their default.
 * An explicit `null` is not a missing value: it stays, and the schema decides (a non-nullable
 * field refuses it, naming the field). Which fields to fill is worked out once per event from the
 * writer schema (the latest version); a publish that leaves nothing out costs one `undefined` check
 * per fillable field and no copy; otherwise the event is copied once (the caller's object is never
 * changed).
 */
import type { EventInputTypes } from './generated.js';
import { eventDescriptor, goCoffeeEvents, type EventName } from './catalog.js';

/**
 * Per event, the fields a publish must carry (see the module comment): the entity id and the
 * timestamp. A unit test checks this list against what the schemas give.
 */
export interface RequiredOnPublish {
  BeverageCreated: 'beverage_id' | 'created_at';
  BeverageUpdated: 'beverage_id' | 'updated_at';
  TaskCreated: 'task_id' | 'created_at';
  TaskUpdated: 'task_id' | 'updated_at';
  NotificationSent: 'notification_id' | 'sent_at';
  AIRequestCompleted: 'request_id' | 'completed_at';
  SystemEvent: 'event_id' | 'occurred_at';
}

/**
 * What the Manager's and the EventBus' publish methods take for an event: its entity id and
 * timestamp, and any of the other fields (a field left out is sent as Go's zero value).
 * `PublishInput<'BeverageCreated'>` is `BeverageCreatedInput` with only `beverage_id` and
 * `created_at` required.
 */
export type PublishInput<N extends EventName> = Pick<EventInputTypes[N], RequiredKeys<N>> & Partial<Omit<EventInputTypes[N], RequiredKeys<N>>>;

type RequiredKeys<N extends EventName> = RequiredOnPublish[N] & keyof EventInputTypes[N];

/** How a zero value is made: a shared primitive, or a new empty array / map per filled event. */
const PRIMITIVE = 0;
const NEW_ARRAY = 1;
const NEW_MAP = 2;

/** The fillable fields of one event, as parallel arrays (no closure or object per field on the publish path). */
interface ZeroPlan {
  readonly fields: readonly string[];
  readonly kinds: Uint8Array;
  readonly values: readonly unknown[];
  /** The fields left required (entity id, timestamps, ...), for documentation and tests. */
  readonly required: readonly string[];
}

type Zero = { readonly kind: number; readonly value: unknown } | undefined;

const NUMBERS = new Set(['int', 'long', 'float', 'double']);

/** Go's zero value of an Avro type, or undefined when the field stays required. */
function zeroOf(type: unknown): Zero {
  if (typeof type === 'string') {
    if (type === 'string') return { kind: PRIMITIVE, value: '' };
    if (NUMBERS.has(type)) return { kind: PRIMITIVE, value: 0 };
    if (type === 'boolean') return { kind: PRIMITIVE, value: false };
    if (type === 'null') return { kind: PRIMITIVE, value: null };
    return undefined; // bytes, or a named type (record, enum, fixed)
  }
  if (Array.isArray(type)) return type.includes('null') ? { kind: PRIMITIVE, value: null } : undefined; // a union: Go's nil pointer
  if (type === null || typeof type !== 'object') return undefined;
  const t = type as { type?: unknown; logicalType?: unknown };
  if (t.logicalType !== undefined) return undefined; // timestamps (and any other logical type) stay required
  if (t.type === 'array') return { kind: NEW_ARRAY, value: undefined };
  if (t.type === 'map') return { kind: NEW_MAP, value: undefined };
  if (t.type === 'record' || t.type === 'enum' || t.type === 'fixed') return undefined;
  return zeroOf(t.type); // { "type": "string" }
}

function planOf(name: EventName): ZeroPlan {
  const versions = goCoffeeEvents().schemas.get(name) ?? [];
  let latest = versions[0];
  for (const v of versions) if (latest === undefined || v.version > latest.version) latest = v;
  const keyField = eventDescriptor(name).keyField;
  const fields: string[] = [];
  const kinds: number[] = [];
  const values: unknown[] = [];
  const required: string[] = [];
  for (const f of (latest?.schema['fields'] ?? []) as ReadonlyArray<{ name: string; type: unknown; default?: unknown }>) {
    if ('default' in f) continue; // the schema's default applies
    const zero = f.name === keyField ? undefined : zeroOf(f.type);
    if (zero === undefined) {
      required.push(f.name);
      continue;
    }
    fields.push(f.name);
    kinds.push(zero.kind);
    values.push(zero.value);
  }
  return Object.freeze({ fields: Object.freeze(fields), kinds: Uint8Array.from(kinds), values: Object.freeze(values), required: Object.freeze(required) });
}

const plans = new Map<EventName, ZeroPlan>();

function plan(name: EventName): ZeroPlan {
  let p = plans.get(name);
  if (p === undefined) plans.set(name, (p = planOf(name)));
  return p;
}

/** The fields of an event that a publish must carry (not zero-filled): entity id, timestamps. */
export function requiredOnPublish(name: EventName): readonly string[] {
  return plan(name).required;
}

/** The fields of an event that a publish may leave out (sent as Go's zero value), in schema order. */
export function zeroFilledFields(name: EventName): readonly string[] {
  return plan(name).fields;
}

function zeroValue(p: ZeroPlan, i: number): unknown {
  const kind = p.kinds[i];
  return kind === NEW_ARRAY ? [] : kind === NEW_MAP ? {} : p.values[i];
}

/**
 * The event with Go's zero value in every fillable field it leaves out: the same object when it
 * leaves none out, else a shallow copy. A value that is not an object is returned as it is (the
 * publisher refuses it with a typed error).
 */
export function withZeroValues(name: EventName, event: object): object {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return event;
  const p = plan(name);
  const fields = p.fields;
  const e = event as Record<string, unknown>;
  for (let i = 0; i < fields.length; i++) {
    if (e[fields[i]!] !== undefined) continue;
    const out: Record<string, unknown> = { ...e };
    for (let j = i; j < fields.length; j++) if (out[fields[j]!] === undefined) out[fields[j]!] = zeroValue(p, j);
    return out;
  }
  return event;
}
