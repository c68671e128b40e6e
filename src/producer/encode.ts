import { InvalidArgumentError } from '../errors/base.js';
import type { NativeHeaders } from '../native/types.js';
import { HEADER_CORRELATION_ID, HEADER_METADATA, type OutgoingMessage, type MessageValue } from '../message/outgoing.js';
import { currentCorrelationId } from '../diagnostics/correlation.js';
import type { ProducerOptions } from './options.js';
import type { ValueSerializer } from './types.js';

/** What a producer decides for every message it encodes. */
export interface Encoding {
  readonly serialize: ValueSerializer;
  /** Give every message an id (config message_ids), or only those that have one. */
  readonly autoIds: boolean;
}

/** A Producer's encoding from its options; refuses a serializer that is not a function. */
export function encodingOf(options: ProducerOptions): Encoding {
  const custom = options.serializer;
  if (custom !== undefined && typeof custom !== 'function') {
    throw new InvalidArgumentError('Producer option serializer', `expected a function (value, topic) => Buffer | null, got ${describeValue(custom)}`);
  }
  return { serialize: custom === undefined ? defaultSerializer : checkedSerializer(custom), autoIds: options.messageIds ?? true };
}

/**
 * The default serializer: Buffer as is, string and Uint8Array as bytes, null as no value, anything
 * else as JSON. What JSON cannot encode (BigInt, a circular object, a function, a symbol,
 * undefined) is an InvalidArgumentError naming the problem.
 */
export function defaultSerializer(value: unknown, topic?: string): Buffer | null {
  if (value === null) return null;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    // A BigInt anywhere in the value, a circular object, or a throwing toJSON().
    throw new InvalidArgumentError('message value', `cannot be encoded as JSON: ${(e as Error).message}; pass a Buffer or a string, or give the producer a serializer`, topicContext(topic));
  }
  if (json === undefined) throw unencodableValue(value, topic);
  return Buffer.from(json, 'utf8');
}

/** A value that JSON.stringify turns into nothing (undefined, a function, a symbol, toJSON() → undefined). */
function unencodableValue(value: unknown, topic: string | undefined): InvalidArgumentError {
  const problem =
    value === undefined
      ? 'got undefined; pass null explicitly for a message without a value (a tombstone on a compacted topic)'
      : typeof value === 'function' || typeof value === 'symbol'
        ? `got a ${typeof value}; expected a Buffer, a string, null or a JSON-serializable value`
        : 'encodes to nothing as JSON (its toJSON() returned undefined); expected a Buffer, a string, null or a JSON-serializable value';
  return new InvalidArgumentError('message value', problem, topicContext(topic));
}

function topicContext(topic: string | undefined): Record<string, unknown> {
  return topic === undefined ? {} : { topic };
}

/**
 * A custom serializer whose result is checked: node-rdkafka takes only a Buffer or null and throws
 * a bare "Message must be a buffer or null" otherwise, which would reach the caller as an untyped
 * librdkafka error. One wrapper per Producer; the check is a type test per message.
 */
function checkedSerializer(serialize: ValueSerializer): ValueSerializer {
  // An inline `serializer: (v) => ...` is named after the option: no name worth repeating.
  const name = serialize.name === '' || serialize.name === 'serializer' ? 'the producer\'s serializer' : `the producer's serializer ${serialize.name}()`;
  return (value, topic) => {
    const out: unknown = serialize(value, topic);
    if (out === null || Buffer.isBuffer(out)) return out;
    if (out instanceof Uint8Array) return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    throw new InvalidArgumentError('message value', `${name} returned ${describeValue(out)}; expected a Buffer or null (no value)`, { topic });
  };
}

/** What a value is, for an error message (never the value itself: it may be secret or huge). */
function describeValue(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  const ctor = typeof v === 'object' ? (v as { constructor?: { name?: unknown } }).constructor?.name : undefined;
  const what = typeof ctor === 'string' && ctor !== '' && ctor !== 'Object' ? ctor : typeof v;
  return `${/^[aeiou]/i.test(what) ? 'an' : 'a'} ${what}`;
}

export function valueOf(m: OutgoingMessage, serialize: ValueSerializer): Buffer | null {
  const v: MessageValue = m.value;
  if (v === null || Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  // Not a silent null (on a compacted topic a null value deletes the key), whatever the serializer.
  if (v === undefined) throw unencodableValue(v, m.topic);
  return serialize(v, m.topic);
}

/**
 * node-rdkafka cuts string keys at a zero byte (a Buffer key is sent as is), and sends a
 * zero-length Buffer key as no key at all (an empty string key is an empty key).
 */
export function keyOf(key: Buffer | string | null): Buffer | string | null {
  if (typeof key === 'string') return key.includes('\0') ? Buffer.from(key) : key;
  if (key !== null && key.length === 0) return '';
  return key;
}

/**
 * The message's headers besides its id, as the packer takes them: the user's, metadata, correlation
 * id; undefined when there are none. The id (`message_id`, first on the wire) is the Outbound's
 * messageId, which BatchPacker.add writes without an object per message.
 */
export function headersOf(m: OutgoingMessage): NativeHeaders | undefined {
  let headers: NativeHeaders | undefined;
  if (m.headers !== undefined) {
    headers ??= [];
    for (const [name, hv] of m.headers) headers.push({ [name]: hv });
  }
  if (m.metadata !== undefined) (headers ??= []).push({ [HEADER_METADATA]: JSON.stringify(m.metadata) });
  const correlationId = m.correlationId ?? currentCorrelationId();
  if (correlationId !== undefined) (headers ??= []).push({ [HEADER_CORRELATION_ID]: correlationId });
  return headers;
}
