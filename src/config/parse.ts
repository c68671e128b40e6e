/**
 * Value parsers, one per field kind. Every parser accepts the forms a value can take in YAML (after
 * `${VAR}` expansion a number or boolean may arrive as a string), in an environment variable (always
 * a string) or from a program. A failure carries an optional `detail` and an optional `got` (when
 * the value shown should differ from the raw one, e.g. a resolved file path); the resolver words the
 * message as `got <value>, expected <field.expected>`.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { ConfigField } from './fields.js';
import { InvalidArgumentError } from '../errors/base.js';

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly detail?: string; readonly got?: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (detail?: string, got?: string): Parsed<never> => {
  const result: { ok: false; detail?: string; got?: string } = { ok: false };
  if (detail !== undefined) result.detail = detail;
  if (got !== undefined) result.got = got;
  return result;
};

/** How a value is shown in a message; secrets only by type. */
export function describeValue(value: unknown, secret: boolean): string {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (secret) return `a value of type ${type} (value hidden)`;
  if (typeof value === 'string') {
    // Redacted before it is shortened: a cut could drop the `@` that marks the credentials.
    const redacted = redactUrlCredentials(value);
    return JSON.stringify(redacted.length > 80 ? `${redacted.slice(0, 77)}...` : redacted);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) return String(value);
  return Array.isArray(value) ? 'a list' : `a value of type ${type}`;
}

/**
 * `https://user:pass@host` → `https://[REDACTED]@host` (also in text that is not a valid URL).
 * Everything from `//` to the last `@` before a space goes: a password may contain `/` or `@`
 * unencoded (a path with an `@` is hidden too; better than a secret shown).
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\/\/\S*@/g, '//[REDACTED]@');
}

// ---------------------------------------------------------------- durations

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ms|h|m|s)/y;
const BARE_NUMBER = /^(\d+(?:\.\d+)?|\.\d+)$/;

/** Parses a duration to milliseconds: a number (ms), "250", "250ms", "10s", "1.5s", "2m", "1h", "1m30s". */
export function parseDurationValue(value: unknown): Parsed<number> {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail('not a finite number');
    ms = value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (BARE_NUMBER.test(text)) {
      ms = Number(text);
    } else {
      ms = 0;
      DURATION_PART.lastIndex = 0;
      let parts = 0;
      while (DURATION_PART.lastIndex < text.length) {
        const m = DURATION_PART.exec(text);
        if (!m) return fail(text.length === 0 ? 'empty' : 'units are ms, s, m, h');
        ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
        parts += 1;
      }
      if (parts === 0) return fail('empty');
    }
  } else {
    return fail();
  }
  ms = Math.round(ms * 1e6) / 1e6; // 1.1s * 1000 = 1100.0000000000002
  if (ms < 0) return fail('negative');
  if (!Number.isInteger(ms)) return fail('not a whole number of milliseconds');
  return ok(ms);
}

/** Public helper: a duration (number of ms or a string like "1.5s") in milliseconds. */
export function parseDuration(value: number | string): number {
  const parsed = parseDurationValue(value);
  if (parsed.ok) return parsed.value;
  throw new InvalidArgumentError(
    'parseDuration(value)',
    `invalid duration ${describeValue(value, false)}: expected milliseconds or a string like "250ms", "10s", "1.5s", "2m", "1h"` +
      (parsed.detail ? ` (${parsed.detail})` : ''),
  );
}

// ---------------------------------------------------------------- scalars

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

export function parseBoolean(value: unknown): Parsed<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (value === 1 || value === 0) return ok(value === 1);
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (TRUE.has(text)) return ok(true);
    if (FALSE.has(text)) return ok(false);
  }
  return fail();
}

export function parseInteger(value: unknown): Parsed<number> {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? ok(value) : fail();
  if (typeof value === 'string' && /^\s*[+-]?\d{1,15}\s*$/.test(value)) return ok(Number(value));
  return fail();
}

function parseEnum(value: unknown, values: readonly string[]): Parsed<string> {
  if (typeof value !== 'string') return fail();
  const wanted = value.trim().toLowerCase();
  const found = values.find((v) => v.toLowerCase() === wanted);
  return found === undefined ? fail() : ok(found);
}

function parseString(value: unknown, secret: boolean): Parsed<string> {
  if (typeof value !== 'string') {
    return fail(typeof value === 'number' || typeof value === 'boolean' ? 'quote it in YAML' : undefined);
  }
  // Secrets are taken verbatim; other strings lose surrounding blanks.
  const text = secret ? value : value.trim();
  return text.length === 0 ? fail('empty') : ok(text);
}

const TOPIC_CHARS = /^[a-zA-Z0-9._-]*$/;
export const MAX_TOPIC_LENGTH = 249;

function parseTopic(value: unknown): Parsed<string> {
  if (typeof value !== 'string') return fail();
  if (!TOPIC_CHARS.test(value)) return fail('invalid character');
  if (value.length === 0 || value.length > MAX_TOPIC_LENGTH) return fail(`${value.length} characters`);
  if (value === '.' || value === '..') return fail();
  return ok(value);
}

function parseTopicSuffix(value: unknown): Parsed<string> {
  if (typeof value !== 'string') return fail();
  if (!TOPIC_CHARS.test(value)) return fail('invalid character');
  if (value.length >= MAX_TOPIC_LENGTH) return fail('too long');
  return ok(value);
}

function parseUrl(value: unknown): Parsed<string> {
  if (typeof value !== 'string') return fail();
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return fail('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(`scheme ${url.protocol}`);
  if (url.hostname === '') return fail('no host');
  return ok(value.trim().replace(/\/+$/, ''));
}

/** A path to a readable regular file; relative paths resolve against `baseDir`. */
function parseFile(value: unknown, baseDir: string): Parsed<string> {
  const text = parseString(value, false);
  if (!text.ok) return text;
  const path = isAbsolute(text.value) ? text.value : resolvePath(baseDir, text.value);
  const got = JSON.stringify(path);
  try {
    if (!statSync(path).isFile()) return fail('not a regular file', got);
    accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'file does not exist' : `file is not readable (${code ?? 'error'})`, got);
  }
  return ok(path);
}

/** Parses one value of a scalar field (every kind but `brokers`, `suffixes`, `librdkafka` and `serializations`). */
export function parseScalar(field: ConfigField, value: unknown, baseDir: string): Parsed<unknown> {
  switch (field.kind) {
    case 'string':
    case 'secret':
      return parseString(value, field.secret);
    case 'boolean':
      return parseBoolean(value);
    case 'enum':
      return parseEnum(value, field.values ?? []);
    case 'duration':
    case 'integer': {
      const parsed = field.kind === 'duration' ? parseDurationValue(value) : parseInteger(value);
      if (!parsed.ok) return parsed;
      if (parsed.value < (field.min ?? -Infinity) || parsed.value > (field.max ?? Infinity)) return fail();
      return parsed;
    }
    case 'topic':
      return parseTopic(value);
    case 'topicSuffix':
      return parseTopicSuffix(value);
    case 'url':
      return parseUrl(value);
    case 'file':
      return parseFile(value, baseDir);
    case 'brokers':
    case 'suffixes':
    case 'librdkafka':
    case 'serializations':
      throw new Error(`parseScalar: ${field.kind} is not a scalar kind`);
  }
}

// ---------------------------------------------------------------- brokers

const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9_](?:[a-zA-Z0-9._-]*[a-zA-Z0-9_])?)$/;

/** One `host:port` (`[v6addr]:port` for IPv6). */
export function parseBroker(value: unknown): Parsed<string> {
  if (typeof value !== 'string') return fail();
  const text = value.trim();
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(text)) return fail('no scheme prefix');
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return fail('missing port');
  const host = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (!HOST.test(host)) return fail('invalid host');
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return fail('invalid port');
  return ok(`${host}:${Number(port)}`);
}

/** A YAML list, or a comma-separated string (blank items dropped). */
export function brokerItems(value: unknown): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return undefined;
}

// ---------------------------------------------------------------- suffixes

const SUFFIX = /^[a-zA-Z0-9._-]+$/;

/**
 * The items of a suffix list: a YAML list (possibly empty), or a comma-separated string (blank
 * items dropped; `none` for an empty list, since an empty variable counts as unset); undefined
 * when the value is neither.
 */
export function suffixItems(value: unknown): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') return undefined;
  if (value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** One suffix: characters of [a-zA-Z0-9._-], not empty. */
export function parseSuffix(value: unknown): Parsed<string> {
  if (typeof value !== 'string') return fail();
  if (value.length === 0) return fail('empty');
  return SUFFIX.test(value) ? ok(value) : fail('invalid character');
}
