/**
 * The free-form part of the Go services' JSON events: Go's `Ingredients []interface{}` read into
 * an array of records whose fields are all strings (Ingredient), and the per-decode state the
 * JSON event reader (json.ts) shares with it. An element that does not map completely is kept
 * whole, as JSON text, in the event's `metadata` under its path (`ingredients.<index>`; when the
 * service already wrote that key, `ingredients.<index>#2`, `#3`, ...: never lost).
 */
import type avro from 'avsc';
import { exactJsonText, JsonNumber } from './json-exact.js';

import type { AnyType } from './avro-type.js';

export type { AnyType };

/**
 * One decode's state: the field path (a stack), the problems, the values kept for metadata, and
 * whether the value came from parseExact (numbers JSON.parse would change are JsonNumbers).
 */
export interface Ctx {
  readonly path: string[];
  readonly problems: string[];
  readonly fields: string[];
  kept: Array<[string, string]> | undefined;
  readonly exact: boolean;
}

export function newCtx(exact = false): Ctx {
  return { path: [], problems: [], fields: [], kept: undefined, exact };
}

/** The JSON text of a non-string value for a map of strings: numbers exactly as written (json-exact.ts). */
export function jsonText(ctx: Ctx, v: unknown): string {
  return ctx.exact ? exactJsonText(v) : JSON.stringify(v);
}

/** Records a problem at the current path (or `at`); the path is built only here, on failure. */
export function problem(ctx: Ctx, reason: string, at: string = ctx.path.join('.')): undefined {
  const field = at === '' ? '(the event)' : at;
  ctx.fields.push(field);
  ctx.problems.push(`${field}: ${reason}`);
  return undefined;
}

const stringRecords = new WeakMap<AnyType, boolean>();

/** A record of string fields only (Ingredient): what a Go `[]interface{}` element is read as. */
export function isStringRecord(t: AnyType): boolean {
  let yes = stringRecords.get(t);
  if (yes === undefined) {
    yes = t.typeName === 'record' && t.fields!.length > 0 && t.fields!.every((f) => (f.type as AnyType).typeName === 'string');
    stringRecords.set(t, yes);
  }
  return yes;
}

/**
 * One element of a Go `[]interface{}` read as a record of strings: a string → the first field
 * (Ingredient: name); an object → the fields of the same name (exact, else case-insensitive as
 * encoding/json matches: an untagged Go struct writes "Name"), numbers and booleans as their JSON
 * text, null or missing as ''. Kept in metadata as well: an element with another key or a nested
 * value, and a number, boolean or array element (its record is then all '').
 */
export function readFreeForm(type: AnyType, v: unknown, ctx: Ctx): Record<string, string> {
  const fields = type.fields!;
  const out: Record<string, string> = {};
  for (const f of fields) out[f.name] = '';
  if (v === null || v === undefined) return out;
  if (typeof v === 'string') {
    out[fields[0]!.name] = v;
    return out;
  }
  if (typeof v !== 'object' || Array.isArray(v) || v instanceof JsonNumber) {
    keep(ctx, v);
    return out;
  }
  const src = v as Record<string, unknown>;
  const keys = Object.keys(src);
  let used = 0;
  let complete = true;
  for (const f of fields) {
    const key = Object.hasOwn(src, f.name) ? f.name : foldedKey(keys, f.name, fields);
    if (key === undefined) continue;
    used++;
    const x = src[key];
    if (typeof x === 'string') out[f.name] = x;
    else if (typeof x === 'number' || typeof x === 'boolean') out[f.name] = JSON.stringify(x);
    else if (x instanceof JsonNumber) out[f.name] = x.text;
    else if (x !== null) complete = false; // a nested object or array
  }
  if (!complete || used < keys.length) keep(ctx, v);
  return out;
}

/** The key equal to `name` but for case that is no field's own name (encoding/json's matching). */
function foldedKey(keys: readonly string[], name: string, fields: NonNullable<AnyType['fields']>): string | undefined {
  const lower = name.toLowerCase();
  for (const k of keys) {
    if (k.length !== name.length || k.toLowerCase() !== lower) continue;
    let own = false;
    for (const g of fields) if (g.name === k) own = true;
    if (!own) return k;
  }
  return undefined;
}

function keep(ctx: Ctx, v: unknown): void {
  (ctx.kept ??= []).push([ctx.path.join('.'), jsonText(ctx, v)]);
}

/**
 * Puts the kept elements in the event's `metadata` (a map of strings) under their path, never
 * replacing a key the service wrote: when `ingredients.1` is taken, under `ingredients.1#2` (else
 * `#3`, ...).
 */
export function keepInMetadata(type: AnyType, value: Record<string, unknown>, ctx: Ctx): void {
  const f = type.fields?.find((x) => x.name === 'metadata');
  const t = f?.type as AnyType | undefined;
  if (t?.typeName !== 'map' || (t.valuesType as AnyType).typeName !== 'string') {
    for (const [path] of ctx.kept!) problem(ctx, 'does not map completely to a record of strings, and the event has no metadata map (of strings) to keep it in', path);
    return;
  }
  const metadata = value['metadata'] as Record<string, string>;
  for (const [path, json] of ctx.kept!) {
    let key = path;
    for (let n = 2; Object.hasOwn(metadata, key); n++) key = `${path}#${n}`;
    metadata[key] = json;
  }
}
