import { MAX_TIMER_MS, checkIntegerOption } from '../errors/base.js';
import { FlushIncompleteError } from '../errors/producer.js';
import type { EngineState, ProducerEngine } from '../delivery/index.js';
import { Producer } from './producer.js';
import type { ProducerOptions } from './options.js';
import type { Guarantees } from './guarantees.js';

/**
 * A producer with its own native producer (librdkafka handle, connections, in-flight window) and
 * its own guarantees, from `ConnectionManager.createProducer()`. Same publish / send /
 * publishBatch / backpressure API as the client's shared producer; closed by its own close() or by
 * the client's close(), whichever comes first.
 *
 * Its own handle because acks and idempotence are properties of a librdkafka producer, not of a
 * message: producers with different guarantees cannot share one.
 */
export class DedicatedProducer extends Producer {
  /** The acks it waits for and whether it is idempotent. */
  readonly guarantees: Guarantees;
  readonly #engine: ProducerEngine;
  readonly #closeTimeoutMs: number;
  readonly #onClosed: (p: DedicatedProducer) => void;
  #closing: Promise<void> | undefined;

  /** Built by ConnectionManager.createProducer() (which connects the engine and tracks the producer). */
  constructor(engine: ProducerEngine, guarantees: Guarantees, options: ProducerOptions, closeTimeoutMs: number, onClosed: (p: DedicatedProducer) => void) {
    super(engine, options);
    this.guarantees = Object.freeze({ ...guarantees });
    this.#engine = engine;
    this.#closeTimeoutMs = closeTimeoutMs;
    this.#onClosed = onClosed;
  }

  /** 'ready' while it publishes; 'closing' / 'closed' after close(); 'failed' after a fatal error. */
  get state(): EngineState {
    return this.#engine.state;
  }

  /** Messages handed to librdkafka and not yet reported. */
  get inflightCount(): number {
    return this.#engine.inflightCount;
  }

  /**
   * Stops intake, flushes within `timeoutMs` (default: the client's closeTimeoutMs), and destroys
   * the native producer. Rejects with FlushIncompleteError (listing them) when messages could not
   * be delivered; each of them was failed to its publisher. Idempotent: later calls share the
   * first one's outcome.
   */
  close(timeoutMs: number = this.#closeTimeoutMs): Promise<void> {
    try {
      checkIntegerOption('DedicatedProducer.close(timeoutMs)', timeoutMs, 0, MAX_TIMER_MS);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (this.#closing === undefined) {
      this.#closing = this.#engine.close(timeoutMs).finally(() => this.#onClosed(this));
    }
    return this.#closing;
  }
}

/**
 * What ConnectionManager.close() rejects with when its producers could not deliver everything: one FlushIncompleteError
 * listing the messages of all of them (the shared producer's first), or the first other failure.
 */
export function throwUndelivered(results: ReadonlyArray<PromiseSettledResult<unknown>>, timeoutMs: number): void {
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
  if (failures.length === 0) return;
  const incomplete = failures.filter((e): e is FlushIncompleteError => e instanceof FlushIncompleteError);
  if (incomplete.length !== failures.length) throw failures.find((e) => !(e instanceof FlushIncompleteError));
  throw incomplete.length === 1 ? incomplete[0] : new FlushIncompleteError(incomplete.flatMap((e) => e.undelivered), timeoutMs);
}
