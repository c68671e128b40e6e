/**
 * Key serdes: how an event's key becomes the Kafka message key and back. The built-in ones write
 * what Kafka's own serializers write, so Java, Go and Python consumers read the keys as they are:
 *
 * | name | key value | bytes | read back as |
 * |---|---|---|---|
 * | `string` (default) | a non-empty string | UTF-8 | string |
 * | `bytes` | a Buffer / Uint8Array | as given | Buffer |
 * | `int32` | an integer −2^31..2^31−1 | 4 bytes big-endian (Kafka IntegerSerializer) | number |
 * | `int64` | a safe integer or a bigint in int64 range | 8 bytes big-endian (Kafka LongSerializer) | bigint |
 * | `uuid` | a UUID string | its 36-character lower-case text (Kafka UUIDSerializer) | string |
 * | `json` | any JSON value | JSON text, object keys sorted (equal keys, equal bytes) | parsed JSON |
 *
 * Avro keys in the registry (`{ avro: schema }`) are handled by the serde (src/typed/serde.ts):
 * they need the registry for their schema id.
 */
import { DecodeError } from '../schema/errors.js';
import { InvalidEventError } from './errors.js';

/** The built-in key serdes. */
export type KeySerdeName = 'string' | 'bytes' | 'int32' | 'int64' | 'uuid' | 'json';

/** A key serde of your own (or a built-in one). */
export interface KeySerde {
  readonly name: string;
  /** The message key of `key`; throws (InvalidEventError for the built-ins) when it cannot write it. `where` names it in messages. */
  serialize(key: unknown, where: string): string | Buffer;
  /** The key of a consumed message; throws (DecodeError for the built-ins) for bytes it cannot read. */
  deserialize(bytes: Buffer): unknown;
}

/** An Avro key schema registered under `<topic>-key` (Confluent wire format, like values). */
export interface AvroKeyOption {
  /** The key's Avro schema: a primitive name (`"string"`, `"long"`), a schema object, or its JSON text. */
  readonly avro: string | object;
}

/** What an event spec may name as its key serde. */
export type KeySerdeOption = KeySerdeName | KeySerde | AvroKeyOption;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v)) return `a Buffer of ${v.length} bytes`;
  try {
    return JSON.stringify(v) ?? typeof v;
  } catch {
    return typeof v;
  }
}

function refuse(where: string, expected: string, got: unknown): never {
  throw new InvalidEventError(`${where}: expected ${expected}, got ${shown(got)}; nothing was sent`, { expected });
}

function unreadable(what: string, bytes: Buffer): never {
  throw new DecodeError(`message key of ${bytes.length} bytes is not ${what}`, { keyBytes: bytes.length });
}

/** Object keys sorted at every level: equal keys give equal bytes (and so the same partition). */
function canonicalJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalJson);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonicalJson((v as Record<string, unknown>)[k])]));
  }
  return v;
}

const SERDES: Readonly<Record<KeySerdeName, KeySerde>> = Object.freeze({
  string: {
    name: 'string',
    serialize: (k, where) => (typeof k === 'string' && k.length > 0 ? k : refuse(where, 'a non-empty string (the message key)', k)),
    deserialize: (b) => b.toString('utf8'),
  },
  bytes: {
    name: 'bytes',
    serialize: (k, where) => (Buffer.isBuffer(k) ? k : k instanceof Uint8Array ? Buffer.from(k.buffer, k.byteOffset, k.byteLength) : refuse(where, 'a Buffer or Uint8Array (the message key)', k)),
    deserialize: (b) => b,
  },
  int32: {
    name: 'int32',
    serialize: (k, where) => {
      if (typeof k !== 'number' || !Number.isInteger(k) || k < -(2 ** 31) || k > 2 ** 31 - 1) refuse(where, 'an integer from -2147483648 to 2147483647 (an int32 key)', k);
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(k);
      return b;
    },
    deserialize: (b) => (b.length === 4 ? b.readInt32BE(0) : unreadable('a 4-byte int32', b)),
  },
  int64: {
    name: 'int64',
    serialize: (k, where) => {
      const n = typeof k === 'bigint' ? k : typeof k === 'number' && Number.isSafeInteger(k) ? BigInt(k) : undefined;
      if (n === undefined || n < INT64_MIN || n > INT64_MAX) refuse(where, 'a safe integer or a bigint in the int64 range (an int64 key)', k);
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(n);
      return b;
    },
    deserialize: (b) => (b.length === 8 ? b.readBigInt64BE(0) : unreadable('an 8-byte int64', b)),
  },
  uuid: {
    name: 'uuid',
    serialize: (k, where) => (typeof k === 'string' && UUID.test(k) ? k.toLowerCase() : refuse(where, 'a UUID string such as "123e4567-e89b-12d3-a456-426614174000"', k)),
    deserialize: (b) => {
      const s = b.toString('utf8');
      return UUID.test(s) ? s : unreadable('a UUID string', b);
    },
  },
  json: {
    name: 'json',
    serialize: (k, where) => {
      let text: string | undefined;
      try {
        text = JSON.stringify(canonicalJson(k));
      } catch {
        text = undefined;
      }
      return text === undefined ? refuse(where, 'a JSON value (the message key)', k) : text;
    },
    deserialize: (b) => {
      try {
        return JSON.parse(b.toString('utf8')) as unknown;
      } catch {
        return unreadable('JSON', b);
      }
    },
  },
});

/** Every built-in key serde name. */
export const KEY_SERDES: readonly KeySerdeName[] = Object.freeze(Object.keys(SERDES) as KeySerdeName[]);

/** A built-in key serde by name. */
export function keySerde(name: KeySerdeName): KeySerde {
  return SERDES[name];
}

/** Whether an option names an Avro key (registry-managed). */
export function isAvroKey(option: KeySerdeOption | undefined): option is AvroKeyOption {
  return option !== undefined && typeof option === 'object' && 'avro' in option;
}
