import { Writable } from 'node:stream';
import type { ProducerEngine } from '../delivery/index.js';
import { StreamDeliveryError } from '../errors/producer.js';
import { InvalidArgumentError } from '../errors/base.js';
import type { OutgoingMessage } from '../message/outgoing.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';
import type { Encoding } from './encode.js';
import { StreamItem, type StreamSink } from './outbound-kinds.js';

export interface ProducerStreamOptions {
  /**
   * Messages the stream buffers before write() returns false (Writable's objectMode
   * highWaterMark; default 1024). Beyond it, the producer's own backpressure holds writes back:
   * a write completes only once the local queue and the in-flight window have room (drain()).
   */
  highWaterMark?: number;
}

/** What a ProducerStream needs from its Producer: the engine (throws unless ready), the encoding, diagnostics. */
export interface StreamPort {
  engine(op: string): ProducerEngine;
  readonly enc: Encoding;
  readonly diagnostics: Diagnostics | undefined;
}

/**
 * A Writable (object mode) of OutgoingMessages on the producer's batch engine: `producer.writable()`.
 * Each write is handed to the same micro-batches as send() (no promise or callback per message);
 * 'finish' (and `pipeline()` resolving) means every written message was acknowledged by the broker.
 *
 * A message whose delivery fails stops the stream: it is destroyed, and once every message already
 * handed over has its outcome, it errors with StreamDeliveryError naming each failed message
 * (`failures`: see StreamDeliveryError).
 * Messages still buffered in the stream then are never handed over (never written); the source of a
 * pipeline() is destroyed with the same error. 'close' comes only after every handed-over message
 * has its outcome, however the stream ends, so nothing is left in flight unreported.
 */
export class ProducerStream extends Writable implements StreamSink {
  /** Messages acknowledged by the broker. */
  delivered = 0;
  /** Messages whose delivery failed (each in the error's `failures`). */
  failed = 0;
  /** Messages handed to the producer without an outcome yet. */
  pending = 0;
  readonly #port: StreamPort;
  readonly #failures: Error[] = [];
  #onIdle: Array<() => void> = [];

  constructor(port: StreamPort, options: ProducerStreamOptions = {}) {
    const hwm = options.highWaterMark ?? 1024;
    if (!Number.isInteger(hwm) || hwm < 1) throw new InvalidArgumentError('producer.writable(options)', `highWaterMark must be a positive integer, got ${String(hwm)}`);
    super({ objectMode: true, highWaterMark: hwm });
    this.#port = port;
  }

  override _write(message: OutgoingMessage, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.#hand([message], cb);
  }

  override _writev(chunks: Array<{ chunk: OutgoingMessage }>, cb: (error?: Error | null) => void): void {
    this.#hand(chunks.map((c) => c.chunk), cb);
  }

  /** Hands every message over, or none (a bad message or a producer not ready fails the whole write). */
  #hand(messages: readonly OutgoingMessage[], cb: (error?: Error | null) => void): void {
    let engine: ProducerEngine;
    let items: StreamItem[];
    try {
      engine = this.#port.engine('ProducerStream.write');
      items = messages.map((m) => new StreamItem(m, this.#port.enc, this));
    } catch (e) {
      cb(e as Error);
      return;
    }
    const t = this.#port.diagnostics;
    this.pending += items.length;
    for (const d of items) {
      if (t !== undefined) d.instrument(t);
      engine.send(d, true);
    }
    // A write completes once the producer has room (drain() never rejects; a close wakes it too).
    if (!engine.needsDrain) cb();
    else void engine.drain().then(() => cb());
  }

  /** From StreamItem (StreamSink): one message's outcome (undefined: delivered). */
  settle(error: Error | undefined): void {
    this.pending--;
    if (error === undefined) this.delivered++;
    else {
      this.failed++;
      this.#failures.push(error);
      // Not inside the engine's call stack (the engine may be reporting a batch): on a microtask.
      // Without an error: writes still buffered in the stream are told ERR_STREAM_DESTROYED (never
      // written), not this message's failure; _destroy ends the stream with StreamDeliveryError.
      if (this.#failures.length === 1) queueMicrotask(() => this.destroy());
    }
    if (this.pending === 0 && this.#onIdle.length > 0) {
      const idle = this.#onIdle;
      this.#onIdle = [];
      for (const fn of idle) fn();
    }
  }

  #whenIdle(fn: () => void): void {
    if (this.pending === 0) fn();
    else this.#onIdle.push(fn);
  }

  /** end(): 'finish' once every message has its outcome; errors instead if any failed. */
  override _final(cb: (error?: Error | null) => void): void {
    this.#whenIdle(() => cb(this.#failures.length > 0 ? this.#error(undefined) : null));
  }

  /** destroy() (by the caller, a failure, or pipeline()): waits for the outcomes of what was handed over. */
  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    this.#whenIdle(() => cb(this.#failures.length > 0 ? this.#error(error ?? undefined) : error));
  }

  /** The error the stream ends with once idle: every failure, and the reason it was ended if it was something else. */
  #error(reason: Error | undefined): Error {
    if (reason instanceof StreamDeliveryError) return reason;
    const cause = reason !== undefined && !this.#failures.includes(reason) ? reason : undefined;
    return new StreamDeliveryError(this.#failures, this.delivered, cause);
  }
}
