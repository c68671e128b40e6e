import { InvalidArgumentError } from '../errors/base.js';
import type { NativeHeaders } from '../native/types.js';
import { Outbound, type DeliveryResult, type ProducerEngine } from './engine.js';
import { HEADER_CORRELATION_ID, HEADER_METADATA, OutgoingMessage, type MessageValue } from './message.js';
import { currentCorrelationId } from '../telemetry/correlation.js';
import { coarseNow } from '../telemetry/clock.js';
import type { Span } from '@opentelemetry/api';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TopicCounters } from '../telemetry/counters.js';

/**
 * Turns a message value into bytes. The default: Buffer as is, string as UTF-8, object as JSON.
 * A custom serializer must return a Buffer (a Uint8Array is taken as one) or null (no value);
 * anything else fails the publish with an InvalidArgumentError naming the serializer.
 */
export type ValueSerializer = (value: unknown, topic: string) => Buffer | null;

export type PublishOutcome =
  | { readonly ok: true; readonly result: DeliveryResult; readonly error?: undefined }
  | { readonly ok: false; readonly error: Error; readonly result?: undefined };

export interface ProducerOptions {
  /** Serializer for values that are neither Buffer nor string. Default: JSON. */
  readonly serializer?: ValueSerializer;
  /** Metrics, spans and logs (the connection manager passes its own). */
  readonly telemetry?: Telemetry;
  /** Give every message an id (`message_id` header); false: only messages that have one. Default true (config `message_ids`). */
  readonly messageIds?: boolean;
}

/** Anything that can hand out the shared producer engine (the ConnectionManager). */
export interface EngineSource {
  producerEngine(): ProducerEngine;
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
 * An Outbound with the telemetry of one publish: the topic's counters (always), the
 * publish-duration histogram (metrics on) and the PRODUCER span (tracing on), ended on the delivery
 * report. Four fields, no extra object per message.
 */
abstract class Instrumented extends Outbound {
  tel: Telemetry | undefined = undefined;
  counters: TopicCounters | undefined = undefined;
  span: Span | undefined = undefined;
  startedAt = 0;

  /** Encodes `m` for produce(): value, key, id and headers. Throws InvalidArgumentError & co. (`where` names the call). */
  constructor(m: OutgoingMessage, where: string, enc: Encoding) {
    if (!(m instanceof OutgoingMessage)) {
      throw new InvalidArgumentError(where, 'expected a message built with newMessage(topic, value)');
    }
    const id = enc.autoIds ? m.id : m.existingId;
    super(m.topic, m.partition ?? null, valueOf(m, enc.serialize), keyOf(m.key), m.timestamp ?? null, headersOf(m), id);
  }

  /** Starts the telemetry of this message (before it is handed to the engine). */
  instrument(t: Telemetry): void {
    this.tel = t;
    (this.counters = t.counters.publish(this.topic)).total++;
    if (t.metrics !== undefined) this.startedAt = coarseNow();
    // Injects the span's context into the headers, which librdkafka has not seen yet.
    if (t.tracing.enabled) this.span = t.tracing.startSend(this.topic, this.key, this.messageId, (this.headers ??= []));
  }

  protected reportDelivered(t: Telemetry, report: DeliveryResult): void {
    this.counters!.success++;
    const m = t.metrics;
    if (m !== undefined) m.observePublish(this.topic, (coarseNow() - this.startedAt) / 1000);
    if (this.span !== undefined) t.tracing.endSend(this.span, report.partition, report.offset);
  }

  /** Retries count on the message's own topic counters; messages without them (dead-letter copies) are not counted. */
  override retrying(): void {
    if (this.counters !== undefined) this.counters.retries++;
  }

  protected reportFailed(t: Telemetry, error: Error): void {
    t.counters.error(this.counters!, errorType(error));
    if (this.span !== undefined) t.tracing.fail(this.span, error);
  }
}

/** A message of publish(): settles the caller's promise. */
class Publish extends Instrumented {
  constructor(
    m: OutgoingMessage,
    enc: Encoding,
    readonly resolve: (r: DeliveryResult) => void,
    readonly reject: (e: Error) => void,
  ) {
    super(m, 'publish(message)', enc);
  }
  delivered(result: DeliveryResult): void {
    if (this.tel !== undefined) this.reportDelivered(this.tel, result);
    this.resolve(result);
  }
  failed(error: Error): void {
    if (this.tel !== undefined) this.reportFailed(this.tel, error);
    this.reject(error);
  }
}

/** The outcomes of one publishBatch(), in input order. */
class BatchOutcomes {
  readonly outcomes: PublishOutcome[];
  remaining: number;
  constructor(
    size: number,
    readonly resolve: (o: PublishOutcome[]) => void,
  ) {
    this.outcomes = new Array<PublishOutcome>(size);
    this.remaining = size;
  }
  settle(index: number, outcome: PublishOutcome): void {
    this.outcomes[index] = outcome;
    if (--this.remaining === 0) this.resolve(this.outcomes);
  }
}

/** A message of publishBatch(): fills its slot of the batch's outcomes. */
class BatchItem extends Instrumented {
  constructor(
    m: OutgoingMessage,
    enc: Encoding,
    readonly batch: BatchOutcomes,
    readonly index: number,
  ) {
    super(m, 'publishBatch(messages)', enc);
  }
  delivered(result: DeliveryResult): void {
    if (this.tel !== undefined) this.reportDelivered(this.tel, result);
    this.batch.settle(this.index, { ok: true, result });
  }
  failed(error: Error): void {
    if (this.tel !== undefined) this.reportFailed(this.tel, error);
    this.batch.settle(this.index, { ok: false, error });
  }
}

/** Hears the outcome of one send(): `(null, result)` once acknowledged, `(error)` otherwise. */
export type DeliveryCallback = (error: Error | null, result?: DeliveryResult) => void;

/** True while Producer#send() runs: an outcome reported during it is deferred (never sync). */
let inSend = false;

/** Runs a user callback; what it throws surfaces as an uncaught exception, not inside the engine. */
function callBack(cb: DeliveryCallback, error: Error | null, result: DeliveryResult | undefined): void {
  try {
    cb(error, result);
  } catch (e) {
    process.nextTick(() => {
      throw e;
    });
  }
}

/** A message of send(): calls the caller's callback once. */
class Send extends Instrumented {
  constructor(
    m: OutgoingMessage,
    enc: Encoding,
    readonly cb: DeliveryCallback,
  ) {
    super(m, 'send(message)', enc);
  }
  delivered(result: DeliveryResult): void {
    if (this.tel !== undefined) this.reportDelivered(this.tel, result);
    callBack(this.cb, null, result);
  }
  failed(error: Error): void {
    if (this.tel !== undefined) this.reportFailed(this.tel, error);
    if (inSend) queueMicrotask(() => callBack(this.cb, error, undefined));
    else callBack(this.cb, error, undefined);
  }
}

/*
 * publish() takes its promise's resolving functions through one shared executor instead of a new
 * closure per call (one allocation less per message on the hot path). Safe: the executor runs
 * synchronously inside `new Promise`, and the values are read right after it.
 */
let capturedResolve: (r: DeliveryResult) => void = noop;
let capturedReject: (e: Error) => void = noop;
function capture(resolve: (r: DeliveryResult) => void, reject: (e: Error) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}
function noop(): void {}

/**
 * node-rdkafka cuts string keys at a zero byte (a Buffer key is sent as is), and sends a
 * zero-length Buffer key as no key at all (an empty string key is an empty key).
 */
function keyOf(key: Buffer | string | null): Buffer | string | null {
  if (typeof key === 'string') return key.includes('\0') ? Buffer.from(key) : key;
  if (key !== null && key.length === 0) return '';
  return key;
}

/** Low-cardinality error label: the stable error code, or the class name. */
export function errorType(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name || 'Error';
}

/**
 * Publishes messages through the process-wide librdkafka producer.
 *
 * `publish` resolves once the broker acknowledged the message (acks=all, idempotent by default)
 * with its topic, partition and offset, and rejects with a typed error otherwise. Batching is
 * librdkafka's: every message is handed to it at once and it builds per-partition batches
 * (`batch_size`, `batch_timeout`).
 */
export class Producer {
  readonly #source: EngineSource;
  readonly #enc: Encoding;
  readonly #telemetry: Telemetry | undefined;

  constructor(source: EngineSource, options: ProducerOptions = {}) {
    this.#source = source;
    const custom = options.serializer;
    if (custom !== undefined && typeof custom !== 'function') {
      throw new InvalidArgumentError('Producer option serializer', `expected a function (value, topic) => Buffer | null, got ${describeValue(custom)}`);
    }
    this.#enc = { serialize: custom === undefined ? defaultSerializer : checkedSerializer(custom), autoIds: options.messageIds ?? true };
    this.#telemetry = options.telemetry;
  }


  /** Starts the message's telemetry (when on) and hands it to the engine. */
  #dispatch(engine: ProducerEngine, d: Instrumented, t: Telemetry | undefined): void {
    if (t !== undefined) d.instrument(t);
    engine.send(d);
  }

  /** Resolves on the broker's acknowledgement; rejects with DeliveryError & co. otherwise. */
  publish(message: OutgoingMessage): Promise<DeliveryResult> {
    const promise = new Promise<DeliveryResult>(capture);
    const reject = capturedReject;
    let d: Publish;
    let engine: ProducerEngine;
    try {
      d = new Publish(message, this.#enc, capturedResolve, reject);
      engine = this.#source.producerEngine();
    } catch (e) {
      reject(e as Error);
      return promise;
    }
    this.#dispatch(engine, d, this.#telemetry);
    return promise;
  }

  /**
   * Like publish(), without a promise: `callback(null, result)` once the broker acknowledged the
   * message, `callback(error)` otherwise — exactly once, never synchronously. For hot loops that
   * publish many messages and handle outcomes one by one: a promise (and the caller's `.then`)
   * per message is the largest per-message cost publish() adds over a raw node-rdkafka loop
   * (bench/README.md). Same order, backpressure (`needsDrain` / `drain()`), retries and telemetry
   * as publish(). An exception thrown by the callback is rethrown asynchronously (it cannot break
   * delivery tracking).
   */
  send(message: OutgoingMessage, callback: DeliveryCallback): void {
    if (typeof callback !== 'function') throw new InvalidArgumentError('send(message, callback)', 'expected a callback function');
    let d: Send;
    let engine: ProducerEngine;
    try {
      d = new Send(message, this.#enc, callback);
      engine = this.#source.producerEngine();
    } catch (e) {
      queueMicrotask(() => callBack(callback, e as Error, undefined));
      return;
    }
    inSend = true;
    try {
      this.#dispatch(engine, d, this.#telemetry);
    } finally {
      inSend = false;
    }
  }

  /**
   * Publishes every message and resolves with one outcome per message, in input order. It never
   * stops at the first failure, and messages are handed to librdkafka in input order, so messages
   * that share a key keep their order.
   */
  publishBatch(messages: readonly OutgoingMessage[]): Promise<PublishOutcome[]> {
    if (!Array.isArray(messages)) {
      return Promise.reject(new InvalidArgumentError('publishBatch(messages)', 'expected an array of messages'));
    }
    if (messages.length === 0) return Promise.resolve([]);
    let engine: ProducerEngine;
    try {
      engine = this.#source.producerEngine();
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const t = this.#telemetry;
    return new Promise<PublishOutcome[]>((resolve) => {
      const batch = new BatchOutcomes(messages.length, resolve);
      for (let i = 0; i < messages.length; i++) {
        let d: BatchItem;
        try {
          d = new BatchItem(messages[i]!, this.#enc, batch, i);
        } catch (e) {
          batch.settle(i, { ok: false, error: e as Error });
          continue;
        }
        if (t !== undefined) d.instrument(t);
        engine.send(d, true);
      }
    });
  }

  /**
   * True while the local queue or the in-flight window is full and publishes wait for room. False
   * once the connection is closing or closed (it never throws): nothing can wait for room then,
   * and a loop `send(); if (needsDrain) await drain();` learns of the close from its outcomes
   * (StateError), as publish() reports it, instead of an exception out of a property read.
   */
  get needsDrain(): boolean {
    let engine: ProducerEngine;
    try {
      engine = this.#source.producerEngine();
    } catch {
      return false;
    }
    return engine.needsDrain;
  }

  /**
   * Resolves when no publish is waiting for room in the local queue. Rejects (never throws) with
   * StateError once the connection is closing or closed.
   */
  drain(): Promise<void> {
    try {
      return this.#source.producerEngine().drain();
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /**
   * Waits until every in-flight message is reported; resolves with how many are still pending.
   * Rejects (never throws) with StateError once the connection is closing or closed (close()
   * flushes and reports what it could not deliver).
   */
  flush(timeoutMs = 10_000): Promise<number> {
    try {
      return this.#source.producerEngine().flush(timeoutMs);
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

}

/** What a producer decides for every message it encodes. */
interface Encoding {
  readonly serialize: ValueSerializer;
  /** Give every message an id (config message_ids), or only those that have one. */
  readonly autoIds: boolean;
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

function valueOf(m: OutgoingMessage, serialize: ValueSerializer): Buffer | null {
  const v: MessageValue = m.value;
  if (v === null || Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  // Not a silent null (on a compacted topic a null value deletes the key), whatever the serializer.
  if (v === undefined) throw unencodableValue(v, m.topic);
  return serialize(v, m.topic);
}

/**
 * The message's headers besides its id, as the packer takes them: the user's, metadata, correlation
 * id; undefined when there are none. The id (`message_id`, first on the wire) is the Outbound's
 * messageId, which BatchPacker.add writes without an object per message.
 */
function headersOf(m: OutgoingMessage): NativeHeaders | undefined {
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
