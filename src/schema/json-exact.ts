/**
 * The numbers of a JSON payload as they were written. JSON.parse turns every number into a
 * JavaScript number, which changes some of them: `12345678901234567890` (a Go uint64, or an int64
 * such as `time.Now().UnixNano()`) becomes 12345678901234567000, `1.0` becomes 1, `-0` becomes 0,
 * and `1e3` can no longer be told from `1000` (Node 20's JSON.parse has no access to the source
 * text). The Go JSON event reader (json.ts) needs the text: a map of strings (metadata) keeps the
 * number exactly as the Go service wrote it, and an integer field refuses what Go refuses (`1e3`,
 * `1.0`, beyond int64).
 *
 * Only on the rare path: {@link mayHaveInexactNumbers} is one regular-expression test of the payload
 * text; only when it matches is the payload parsed again by {@link parseExact}, a small parser that
 * gives the same values as JSON.parse except that a number whose text is not what JavaScript writes
 * for its value (`String(value) !== text`) becomes a {@link JsonNumber} holding both.
 */

/** A JSON number whose text JavaScript cannot reproduce from its value (`1.0`, `1e3`, `-0`, beyond 2^53). */
export class JsonNumber {
  /** The number exactly as written in the payload. */
  readonly text: string;
  /** Its value as a JavaScript number (what JSON.parse gives: rounded to a double). */
  readonly value: number;

  constructor(text: string, value: number) {
    this.text = text;
    this.value = value;
  }
}

/**
 * A number token with a fraction or an exponent, 16 or more digits, or `-0`. Sound: every number
 * inside a JSON object or array follows `":` (a key) or `,` / `[` (whitespace allowed), so a
 * payload where this does not match has only numbers JSON.parse keeps exactly. It may match inside
 * a string ("Tom: 1.5 cups", a JSON text inside a string): that costs a re-parse, never a wrong
 * value. Times ("08:15:30.123Z") never match: a digit, not `"`, comes before their colons.
 */
const INEXACT = /(?:"[ \t\n\r]*:|[,[])[ \t\n\r]*(?:-?\d+[.eE]|-?\d{16}|-0)/;

/** Whether the payload may hold a number JSON.parse does not keep exactly (then {@link parseExact} it). */
export function mayHaveInexactNumbers(text: string): boolean {
  return INEXACT.test(text);
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

interface Frame {
  readonly obj: Record<string, unknown> | undefined;
  readonly arr: unknown[] | undefined;
  key: string;
}

/**
 * Parses JSON text (already accepted by JSON.parse) into the values JSON.parse gives, except that
 * a number whose text is not `String(value)` is a {@link JsonNumber}. Iterative (no recursion),
 * so nesting depth is not limited by the stack.
 * @throws SyntaxError for text that is not JSON (callers run JSON.parse first).
 */
export function parseExact(text: string): unknown {
  const p = { text, i: 0 };
  const stack: Frame[] = [];
  let value: unknown;
  for (;;) {
    skipSpace(p);
    const c = text.charCodeAt(p.i);
    if (c === 0x7b /* { */) {
      p.i++;
      skipSpace(p);
      if (text.charCodeAt(p.i) === 0x7d /* } */) {
        p.i++;
        value = {};
      } else {
        stack.push({ obj: {}, arr: undefined, key: readKey(p) });
        continue;
      }
    } else if (c === 0x5b /* [ */) {
      p.i++;
      skipSpace(p);
      if (text.charCodeAt(p.i) === 0x5d /* ] */) {
        p.i++;
        value = [];
      } else {
        stack.push({ obj: undefined, arr: [], key: '' });
        continue;
      }
    } else {
      value = readScalar(p);
    }
    // Put the value in its container; close the containers that end here.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        skipSpace(p);
        if (p.i !== text.length) throw new SyntaxError(`unexpected text at ${p.i}`);
        return value;
      }
      if (top.arr !== undefined) top.arr.push(value);
      else setKey(top.obj!, top.key, value);
      skipSpace(p);
      const d = text.charCodeAt(p.i++);
      if (d === 0x2c /* , */) {
        if (top.obj !== undefined) {
          skipSpace(p);
          top.key = readKey(p);
        }
        break;
      }
      if (d !== (top.arr !== undefined ? 0x5d : 0x7d)) throw new SyntaxError(`unexpected text at ${p.i - 1}`);
      stack.pop();
      value = top.arr ?? top.obj;
    }
  }
}

interface Cursor {
  readonly text: string;
  i: number;
}

function skipSpace(p: Cursor): void {
  const t = p.text;
  while (p.i < t.length) {
    const c = t.charCodeAt(p.i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
    p.i++;
  }
}

function readKey(p: Cursor): string {
  if (p.text.charCodeAt(p.i) !== 0x22) throw new SyntaxError(`expected a key at ${p.i}`);
  const key = readString(p);
  skipSpace(p);
  if (p.text.charCodeAt(p.i++) !== 0x3a /* : */) throw new SyntaxError(`expected ':' at ${p.i - 1}`);
  return key;
}

function readString(p: Cursor): string {
  const t = p.text;
  const start = p.i;
  let escaped = false;
  let j = start + 1;
  for (; j < t.length; j++) {
    const c = t.charCodeAt(j);
    if (c === 0x5c /* \ */) {
      escaped = true;
      j++;
    } else if (c === 0x22 /* " */) {
      break;
    }
  }
  if (j >= t.length) throw new SyntaxError(`unterminated string at ${start}`);
  p.i = j + 1;
  return escaped ? (JSON.parse(t.slice(start, j + 1)) as string) : t.slice(start + 1, j);
}

function readScalar(p: Cursor): unknown {
  const t = p.text;
  const c = t.charCodeAt(p.i);
  if (c === 0x22) return readString(p);
  if (t.startsWith('true', p.i)) {
    p.i += 4;
    return true;
  }
  if (t.startsWith('false', p.i)) {
    p.i += 5;
    return false;
  }
  if (t.startsWith('null', p.i)) {
    p.i += 4;
    return null;
  }
  NUMBER.lastIndex = p.i;
  const m = NUMBER.exec(t);
  if (m === null) throw new SyntaxError(`unexpected text at ${p.i}`);
  const text = m[0];
  p.i += text.length;
  const value = Number(text);
  return String(value) === text ? value : new JsonNumber(text, value);
}

/** out[k] = v, also for the key "__proto__" (an own property, as JSON.parse makes it). */
function setKey(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

/**
 * JSON text of a parsed value, numbers as they were written: JSON.stringify's output (no spaces,
 * keys in their order) with each {@link JsonNumber} as its original text.
 */
export function exactJsonText(v: unknown): string {
  if (v instanceof JsonNumber) return v.text;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + exactJsonText(v[i]);
    return `${out}]`;
  }
  let out = '{';
  let first = true;
  for (const k of Object.keys(v)) {
    out += `${first ? '' : ','}${JSON.stringify(k)}:${exactJsonText((v as Record<string, unknown>)[k])}`;
    first = false;
  }
  return `${out}}`;
}

const INTEGER_TEXT = /^-?\d+$/;

/** The integer a JSON number's text writes (exact, any size), or undefined when it has a fraction or an exponent (`1.0`, `1e3`: Go refuses them for an integer). */
export function integerOfText(text: string): bigint | undefined {
  return INTEGER_TEXT.test(text) ? BigInt(text) : undefined;
}
