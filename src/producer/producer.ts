import { InvalidArgumentError } from '../errors/base.js';
import type { NativeHeaders } from '../native/types.js';
import type { DeliveryResult, DeliverySink, PreparedMessage, ProducerEngine } from './engine.js';
import { HEADER_CORRELATION_ID, HEADER_MESSAGE_ID, HEADER_METADATA, OutgoingMessage, type MessageValue } from './message.js';
import { currentCorrelationId } from '../telemetry/correlation.js';
import type { Span } from '@opentelemetry/api';
import type { Telemetry } from '../telemetry/telemetry.js';

/** Turns a message value into bytes. The default: Buffer as is, string as UTF-8, object as JSON. */
export type ValueSerializer = (value: unknown, topic: string) => Buffer | null;

export type PublishOutcome =
  | { readonly ok: true; readonly result: DeliveryResult; readonly error?: undefined }
  | { readonly ok: false; readonly error: Error; readonly result?: undefined };

export interface ProducerOptions {
  /** Serializer for values that are neither Buffer nor string. Default: JSON. */
  readonly serializer?: ValueSerializer;
  /** Metrics, spans and logs (the connection manager passes its own). */
  readonly telemetry?: Telemetry;
}

/** Anything that can hand out the shared producer engine (the ConnectionManager). */
export interface EngineSource {
  producerEngine(): ProducerEngine;
}

export function defaultSerializer(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.from(JSON.stringify(value), 'utf8');
}

class PromiseSink implements DeliverySink {
  constructor(
    readonly resolve: (r: DeliveryResult) => void,
    readonly reject: (e: Error) => void,
  ) {}
  delivered(result: DeliveryResult): void {
    this.resolve(result);
  }
  failed(error: Error): void {
    this.reject(error);
  }
}

/**
 * Wraps a sink with telemetry: counters, the publish-duration histogram and the PRODUCER span,
 * ended on the delivery report. Only used while metrics or tracing are on.
 */
class TelemetrySink implements DeliverySink {
  readonly #start = performance.now();
  constructor(
    readonly inner: DeliverySink,
    readonly t: Telemetry,
    readonly topic: string,
    readonly span: Span | undefined,
  ) {
    const m = t.metrics;
    if (m !== undefined) m.counters(topic, 'publish').total++;
  }
  delivered(result: DeliveryResult, index: number): void {
    const m = this.t.metrics;
    if (m !== undefined) {
      m.counters(this.topic, 'publish').success++;
      m.observePublish(this.topic, (performance.now() - this.#start) / 1000);
    }
    if (this.span !== undefined) this.t.tracing.endSend(this.span, result.partition, result.offset);
    this.inner.delivered(result, index);
  }
  failed(error: Error, index: number): void {
    const m = this.t.metrics;
    if (m !== undefined) m.error(m.counters(this.topic, 'publish'), errorType(error));
    if (this.span !== undefined) this.t.tracing.fail(this.span, error);
    this.inner.failed(error, index);
  }
}

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

class BatchSink implements DeliverySink {
  readonly outcomes: PublishOutcome[];
  remaining: number;
  constructor(
    size: number,
    readonly resolve: (o: PublishOutcome[]) => void,
  ) {
    this.outcomes = new Array<PublishOutcome>(size);
    this.remaining = size;
  }
  delivered(result: DeliveryResult, index: number): void {
    this.outcomes[index] = { ok: true, result };
    if (--this.remaining === 0) this.resolve(this.outcomes);
  }
  failed(error: Error, index: number): void {
    this.outcomes[index] = { ok: false, error };
    if (--this.remaining === 0) this.resolve(this.outcomes);
  }
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
  readonly #serialize: ValueSerializer;
  readonly #telemetry: Telemetry | undefined;

  constructor(source: EngineSource, options: ProducerOptions = {}) {
    this.#source = source;
    this.#serialize = options.serializer ?? defaultSerializer;
    this.#telemetry = options.telemetry;
  }

  /** The telemetry to apply to this publish, or undefined when both metrics and tracing are off. */
  #active(): Telemetry | undefined {
    const t = this.#telemetry;
    return t !== undefined && (t.metrics !== undefined || t.tracing.enabled) ? t : undefined;
  }

  #wrap(sink: DeliverySink, t: Telemetry, p: PreparedMessage): DeliverySink {
    const span = t.tracing.enabled ? t.tracing.startSend(p.topic, p.key, p.messageId, p.headers!) : undefined;
    return new TelemetrySink(sink, t, p.topic, span);
  }

  /** Resolves on the broker's acknowledgement; rejects with DeliveryError & co. otherwise. */
  publish(message: OutgoingMessage): Promise<DeliveryResult> {
    let prepared: PreparedMessage;
    let engine: ProducerEngine;
    try {
      prepared = this.#prepare(message);
      engine = this.#source.producerEngine();
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const t = this.#active();
    return new Promise<DeliveryResult>((resolve, reject) => {
      const sink = new PromiseSink(resolve, reject);
      engine.send(prepared, t === undefined ? sink : this.#wrap(sink, t, prepared), 0);
    });
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
    const t = this.#active();
    return new Promise<PublishOutcome[]>((resolve) => {
      const sink = new BatchSink(messages.length, resolve);
      for (let i = 0; i < messages.length; i++) {
        let prepared: PreparedMessage;
        try {
          prepared = this.#prepare(messages[i]!);
        } catch (e) {
          sink.failed(e as Error, i);
          continue;
        }
        engine.send(prepared, t === undefined ? sink : this.#wrap(sink, t, prepared), i);
      }
    });
  }

  /** True while the local queue is full and publishes wait for room. */
  get needsDrain(): boolean {
    return this.#source.producerEngine().needsDrain;
  }

  /** Resolves when no publish is waiting for room in the local queue. */
  drain(): Promise<void> {
    return this.#source.producerEngine().drain();
  }

  /** Waits until every in-flight message is reported; resolves with how many are still pending. */
  flush(timeoutMs = 10_000): Promise<number> {
    return this.#source.producerEngine().flush(timeoutMs);
  }

  #prepare(m: OutgoingMessage): PreparedMessage {
    if (!(m instanceof OutgoingMessage)) {
      throw new InvalidArgumentError('publish(message)', 'expected a message built with newMessage(topic, value)');
    }
    let value: Buffer | null;
    const v: MessageValue = m.value;
    if (v === null || Buffer.isBuffer(v)) value = v;
    else if (typeof v === 'string') value = Buffer.from(v, 'utf8');
    else value = this.#serialize(v, m.topic);
    const headers: NativeHeaders = [{ [HEADER_MESSAGE_ID]: m.id }];
    if (m.headers !== undefined) {
      for (const [name, hv] of m.headers) headers.push({ [name]: hv });
    }
    if (m.metadata !== undefined) headers.push({ [HEADER_METADATA]: JSON.stringify(m.metadata) });
    const correlationId = m.correlationId ?? currentCorrelationId();
    if (correlationId !== undefined) headers.push({ [HEADER_CORRELATION_ID]: correlationId });
    return {
      topic: m.topic,
      partition: m.partition ?? null,
      value,
      // node-rdkafka cuts string keys at a zero byte; a Buffer key is sent as is.
      key: keyOf(m.key),
      timestamp: m.timestamp ?? null,
      headers,
      messageId: m.id,
    };
  }
}
