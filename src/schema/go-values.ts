/**
 * The value encodings of Go's encoding/json that the JSON events of the Go services carry:
 * `time.Time` as RFC 3339 with up to nine fractional digits and a `Z` or `±hh:mm` offset, and
 * `time.Duration` as integer nanoseconds (or, from a service that marshals `d.String()`, Go's
 * duration text such as "1.5s", "150ms", "1h2m0s"). Parsed by hand: Date.parse accepts many
 * other, implementation-defined formats, and Date.UTC maps the years 0–99 to 1900–1999 (Go's
 * zero time is year 1).
 */

/** Go's zero `time.Time` (0001-01-01T00:00:00Z) in milliseconds since the Unix epoch. */
export const GO_ZERO_TIME_MS = -62_135_596_800_000;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * Milliseconds since the Unix epoch of an RFC 3339 time as Go writes it (`time.RFC3339Nano`):
 * fractional digits beyond milliseconds are dropped (floor, as Go's `UnixMilli`), the offset is
 * applied. Undefined for anything else (no offset, out-of-range parts, another format).
 */
export function parseRfc3339Millis(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return undefined;
  let offsetSeconds = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetSeconds = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const fraction = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds;
  return seconds * 1000 + fraction;
}

const NS_PER_MS = 1_000_000n;
const MAX_NS = (1n << 63n) - 1n;
/** Go's duration units in nanoseconds (time.ParseDuration's table: µ is U+00B5, μ U+03BC). */
const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n,
  'μs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const DURATION_PART = /([0-9]*)(?:\.([0-9]*))?([^0-9.]+)/y;

/**
 * Nanoseconds of Go duration text (`time.ParseDuration`'s grammar: an optional sign, then one or
 * more decimal numbers each with a unit ns, us, µs, ms, s, m, h; "0" alone), within int64.
 * Undefined when the text is not a Go duration.
 */
export function parseGoDurationNanos(text: string): bigint | undefined {
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let total = 0n;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < s.length) {
    const at = DURATION_PART.lastIndex;
    const part = DURATION_PART.exec(s);
    if (part === null || part.index !== at) return undefined;
    const whole = part[1]!;
    const frac = part[2] ?? '';
    const unit = UNITS[part[3]!];
    if ((whole === '' && frac === '') || unit === undefined) return undefined;
    total += BigInt(whole === '' ? 0 : whole) * unit;
    if (frac !== '') total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    if (total > MAX_NS + (negative ? 1n : 0n)) return undefined;
  }
  return negative ? -total : total;
}

const TWO_63 = 2 ** 63;

/**
 * Milliseconds of a Go `time.Duration` as encoding/json writes it (integer nanoseconds) or as its
 * String() text, truncated toward zero like Go's `Duration.Milliseconds()`. A number must be an
 * integer within int64 (a JavaScript number here is one whose JSON text is its canonical text:
 * `1e19` or `1.5e9` arrive as {@link goDurationMillisOfText}'s text, and are refused there).
 * Undefined for anything else (a fraction, beyond int64, text that is not a Go duration).
 */
export function goDurationMillis(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < -TWO_63 || value >= TWO_63) return undefined;
    return Number.isSafeInteger(value) ? Math.trunc(value / 1e6) + 0 : Number(BigInt(value) / NS_PER_MS);
  }
  if (typeof value !== 'string') return undefined;
  const ns = parseGoDurationNanos(value);
  return ns === undefined ? undefined : Number(ns / NS_PER_MS) + 0;
}

/**
 * Milliseconds of a `time.Duration` from the JSON text of its number, exactly (also beyond 2^53):
 * Go's Unmarshal into an int64 takes only digits, so a fraction or an exponent (`1.5e9`, `1e3`,
 * `1.0`) is undefined, and so is anything beyond int64 (`9223372036854775808`, `1e19`).
 */
export function goDurationMillisOfText(text: string): number | undefined {
  if (!/^-?\d+$/.test(text)) return undefined;
  const ns = BigInt(text);
  if (ns > MAX_NS || ns < -MAX_NS - 1n) return undefined;
  return Number(ns / NS_PER_MS) + 0;
}
