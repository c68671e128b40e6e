import { HEADERS } from './headers.js';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, MAX_PARTITION } from '../errors/base.js';

/**
 * Message ids: a random per-process prefix and a counter — unique across processes and restarts
 * (64 random bits per process) at the cost of a string concatenation, where a UUID per message
 * (crypto.randomUUID) measurably slowed publishing.
 */
const ID_PREFIX = randomBytes(8).toString('hex');
/** What every generated id starts with: an id is GENERATED_ID_PREFIX + its counter in base 36. */
export const GENERATED_ID_PREFIX = `${ID_PREFIX}-`;
let idCounter = 0;
const DIGITS_36 = Array.from({ length: 36 }, (_, i) => i.toString(36));
/** idCounter / 36 (rounded down) in base 36, '' below 36: changes once every 36 ids. */
let idHigh = '';
/** The next counter in base 36 (what `(++idCounter).toString(36)` gives) without a conversion per id. */
export function nextIdSuffix(): string {
  const n = ++idCounter;
  const low = n % 36;
  if (low === 0) idHigh = Math.floor(n / 36).toString(36);
  return idHigh + DIGITS_36[low]!;
}

/** Header names the library itself writes and reads. Kept to one per message by default. */
export const HEADER_MESSAGE_ID = HEADERS.MESSAGE_ID;
export const HEADER_METADATA = 'metadata';
export const HEADER_CORRELATION_ID = HEADERS.CORRELATION_ID;

export type MessageValue = Buffer | string | object | null;
export type MessageKey = string | Buffer | null;

/**
 * An outgoing message: built with `newMessage(topic, value).withKey(...).withHeader(...)`.
 *
 * Every message has an id (unique, see the `id` getter, unless `withId` sets one; generated when first
 * needed, so a producer with `message_ids: false` does not pay for it). The id travels in the
 * `message_id` header and metadata in one compact `metadata` header (JSON object of strings), so
 * both come back intact on the consumer. Each header costs ~0.5 µs per produce() on a 2-vCPU
 * machine (binding-notes/costs.md), about as much as the produce() itself, which is why metadata is
 * packed into one header instead of one header per entry.
 */
export class OutgoingMessage {
  readonly topic: string;
  value: MessageValue;
  key: MessageKey = null;
  #id: string | undefined = undefined;
  /** The part of a generated id after GENERATED_ID_PREFIX (its counter in base 36); undefined otherwise. */
  #idSuffix: string | undefined = undefined;
  partition: number | undefined = undefined;
  timestamp: number | undefined = undefined;
  headers: Array<[string, string | Buffer]> | undefined = undefined;
  metadata: Record<string, string> | undefined = undefined;
  correlationId: string | undefined = undefined;

  constructor(topic: string, value: MessageValue) {
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new InvalidArgumentError('message topic', `got ${JSON.stringify(topic)}, expected a non-empty topic name`);
    }
    // librdkafka takes the topic as a C string: a zero byte would silently cut the name short
    // (and publish to another topic). One scan of a short string, the only per-message check.
    if (topic.includes('\0')) throw new InvalidArgumentError('message topic', `got ${JSON.stringify(topic)}, a topic name cannot contain a zero byte`);
    this.topic = topic;
    this.value = value;
  }

  /** The message id: the one set with withId(), else a unique one generated on first read. */
  get id(): string {
    if (this.#id === undefined) {
      const suffix = nextIdSuffix();
      this.#idSuffix = suffix;
      this.#id = GENERATED_ID_PREFIX + suffix;
    }
    return this.#id;
  }

  /**
   * When the library generated the id: its part after GENERATED_ID_PREFIX (`id` is the two
   * concatenated); undefined when withId() set it or none exists yet. The producer writes a
   * generated id's bytes from the two parts (native/batch-producer.ts): reading the concatenated
   * string would make V8 flatten it first, which costs more than the whole write.
   */
  get generatedIdSuffix(): string | undefined {
    return this.#idSuffix;
  }

  /** The id if the message has one already (set with withId() or read), without generating one. */
  get existingId(): string | undefined {
    return this.#id;
  }

  withKey(key: MessageKey): this {
    if (key !== null && typeof key !== 'string' && !Buffer.isBuffer(key)) {
      throw new InvalidArgumentError('message key', `got ${typeof key}, expected a string, a Buffer or null`, { topic: this.topic });
    }
    this.key = key;
    return this;
  }

  withId(id: string): this {
    if (typeof id !== 'string' || id.length === 0) {
      throw new InvalidArgumentError('message id', 'expected a non-empty string', { topic: this.topic });
    }
    if (!id.isWellFormed()) throw new InvalidArgumentError('message id', LONE_SURROGATE, { topic: this.topic });
    this.#id = id;
    this.#idSuffix = undefined;
    return this;
  }

  withHeader(name: string, value: string | Buffer): this {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError('header name', 'expected a non-empty string', { topic: this.topic });
    }
    if (!isSafeHeaderName(name)) throw new InvalidArgumentError('header name', UNSAFE_NAME, { topic: this.topic });
    if (name === HEADER_MESSAGE_ID || name === HEADER_METADATA || name === HEADER_CORRELATION_ID) {
      const use = name === HEADER_MESSAGE_ID ? 'withId()' : name === HEADER_METADATA ? 'withMetadata()' : 'withCorrelationId()';
      throw new InvalidArgumentError(`header "${name}"`, `reserved by the library; use ${use} instead`, { topic: this.topic });
    }
    if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
      throw new InvalidArgumentError(`header "${name}"`, `got ${typeof value}, expected a string or a Buffer`, { topic: this.topic });
    }
    // The batch engine sends header values as length-delimited bytes: a Buffer goes as it is (any
    // bytes, NUL and invalid UTF-8 included); a string is encoded as UTF-8, which a lone surrogate
    // cannot be (it would arrive as U+FFFD).
    if (typeof value === 'string' && !value.isWellFormed()) {
      throw new InvalidArgumentError(`header "${name}"`, 'a string value must be well-formed UTF-16 (it contains a lone surrogate, which UTF-8 cannot encode); for binary data pass a Buffer (any bytes)', { topic: this.topic });
    }
    (this.headers ??= []).push([name, value]);
    return this;
  }

  /** Sets the `correlation_id` header (by default a message published inside a handler inherits it). */
  withCorrelationId(id: string): this {
    if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError('correlation id', 'expected a non-empty string', { topic: this.topic });
    if (!id.isWellFormed()) throw new InvalidArgumentError('correlation id', LONE_SURROGATE, { topic: this.topic });
    this.correlationId = id;
    return this;
  }

  withMetadata(name: string, value: string): this {
    if (typeof name !== 'string' || name.length === 0 || typeof value !== 'string') {
      throw new InvalidArgumentError('metadata', 'expected a non-empty string name and a string value', { topic: this.topic });
    }
    (this.metadata ??= {})[name] = value;
    return this;
  }

  withPartition(partition: number): this {
    // (librdkafka takes an int32: a larger number would wrap to another partition)
    if (!Number.isInteger(partition) || partition < 0 || partition > MAX_PARTITION) {
      throw new InvalidArgumentError('message partition', `got ${partition}, expected an integer from 0 to ${MAX_PARTITION}`, { topic: this.topic });
    }
    this.partition = partition;
    return this;
  }

  withTimestamp(timestampMs: number): this {
    if (!Number.isFinite(timestampMs) || timestampMs < 0) {
      throw new InvalidArgumentError('message timestamp', `got ${timestampMs}, expected milliseconds since the epoch`, { topic: this.topic });
    }
    this.timestamp = timestampMs;
    return this;
  }
}

const LONE_SURROGATE = 'it contains a lone UTF-16 surrogate, which UTF-8 cannot encode (it would arrive as U+FFFD)';

const UNSAFE_NAME =
  'it must be plain text (it contains a zero byte, which consumers cut there, or a lone UTF-16 surrogate, which UTF-8 cannot encode)';

/**
 * Whether a header name arrives intact: no zero byte and no lone surrogate. The batch engine sends
 * a name with its length, but librdkafka hands a consumed header's name over as a NUL-terminated
 * C string (rd_kafka_header_get_all), so a zero byte would cut it there on every librdkafka-based
 * consumer, this library's included. Header *values* (withHeader(), the message id, the
 * correlation id) are bytes end to end: only a string's lone surrogate is refused for them.
 */
export function isSafeHeaderName(name: string): boolean {
  return !name.includes('\0') && name.isWellFormed();
}

/** Starts an outgoing message (the seed's `NewMessage(topic, value)`). */
export function newMessage(topic: string, value: MessageValue): OutgoingMessage {
  return new OutgoingMessage(topic, value);
}
