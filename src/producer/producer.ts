import { inspect } from 'node:util';
import { InvalidArgumentError } from '../errors/base.js';
import { ProducerEngine, type DeliveryResult } from '../delivery/index.js';
import type { OutgoingMessage } from '../message/outgoing.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';
import { encodingOf, type Encoding } from './encode.js';
import { BatchItem, BatchOutcomes, BatchTally, callBack, Publish, Send, TallyItem, type Instrumented } from './outbound-kinds.js';
import type { ProducerOptions } from './options.js';
import { ProducerStream, type ProducerStreamOptions } from './stream.js';
import { MessageBatch, OutcomeResults, TallyResults } from './message-batch.js';
import { producerSend, producerSettled } from '../diagnostics/channels.js';
import type { BatchSummary, DeliveryCallback, EngineSource, PublishBatchOptions, PublishOutcome } from './types.js';

/**
 * Publishes messages through a librdkafka producer: the client's shared one (`cm.producer`), or one
 * of its own with other guarantees (DedicatedProducer, from `cm.createProducer()`).
 *
 * `publish` resolves once the broker acknowledged the message as the producer's acks ask (acks=all,
 * idempotent by default; docs/producer.md#guarantees) with its topic, partition and offset, and
 * rejects with a typed error otherwise. Batching is
 * librdkafka's: every message is handed to it at once and it builds per-partition batches
 * (`batch_size`, `batch_timeout`).
 */
export class Producer {
  readonly #engine: ProducerEngine | undefined = undefined;
  readonly #source: EngineSource | undefined = undefined;
  readonly #enc: Encoding;
  readonly #diagnostics: Diagnostics | undefined;
  /*
   * publish() takes its promise's resolving functions through one executor per producer instead of
   * a new closure per call (one allocation less per message on the hot path). Safe: the executor
   * runs synchronously inside `new Promise`, and the values are read right after it.
   */
  #resolve: (r: DeliveryResult) => void = noop;
  #reject: (e: Error) => void = noop;
  readonly #capture = (resolve: (r: DeliveryResult) => void, reject: (e: Error) => void): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  /**
   * `engine`: the shared, connected producer engine (the client builds its Producer over it), or
   * anything that hands it out — a ConnectionManager: `new Producer(cm, { serializer })` gives a
   * producer with its own serializer over the client's connection (the engine is looked up per
   * call then, so it may be built before the client is initialized).
   */
  constructor(engine: ProducerEngine | EngineSource, options: ProducerOptions = {}) {
    if (engine instanceof ProducerEngine) this.#engine = engine;
    else if (engine !== null && typeof engine === 'object' && typeof (engine as EngineSource).producerEngine === 'function') this.#source = engine as EngineSource;
    else throw new InvalidArgumentError('new Producer(engine)', 'expected a ProducerEngine or a ConnectionManager (anything with producerEngine())');
    this.#enc = encodingOf(options);
    this.#diagnostics = options.diagnostics ?? options.telemetry?.diagnostics ?? (this.#source as { diagnostics?: Diagnostics } | undefined)?.diagnostics;
  }

  /** The engine, or throws (StateError, or the engine's fatal error) unless it is ready. */
  #ready(op: string): ProducerEngine {
    const e = this.#engine ?? this.#source!.producerEngine();
    e.assertReady(op);
    return e;
  }

  /** Counts the message (and tells diagnostics subscribers) and hands it to the engine. */
  #dispatch(engine: ProducerEngine, d: Instrumented, t: Diagnostics | undefined): void {
    if (t !== undefined) d.instrument(t);
    engine.send(d);
  }

  /** Resolves on the broker's acknowledgement; rejects with DeliveryError & co. otherwise. */
  publish(message: OutgoingMessage): Promise<DeliveryResult> {
    const promise = new Promise<DeliveryResult>(this.#capture);
    const reject = this.#reject;
    let d: Publish;
    let engine: ProducerEngine;
    try {
      d = new Publish(message, this.#enc, this.#resolve, reject);
      engine = this.#ready('publish');
    } catch (e) {
      reject(e as Error);
      return promise;
    }
    this.#dispatch(engine, d, this.#diagnostics);
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
      engine = this.#ready('send');
    } catch (e) {
      queueMicrotask(() => callBack(callback, e as Error, undefined));
      return;
    }
    // Counted on the engine (not a global): a failure reported meanwhile (a full micro-batch the
    // addon refuses, an expired waiting message) defers send() callbacks instead of running them
    // inside this call; a count, since a diagnostics subscriber may send() from inside it.
    engine.sendDepth++;
    try {
      this.#dispatch(engine, d, this.#diagnostics);
    } finally {
      engine.sendDepth--;
    }
  }

  /**
   * Publishes every message and resolves with one outcome per message, in input order. It never
   * stops at the first failure, and messages are handed to librdkafka in input order, so messages
   * that share a key keep their order.
   *
   * With `{ results: 'failures' }` it resolves with a BatchSummary instead: the number delivered,
   * and only the failed messages by index (input order) — the same delivery, order and errors,
   * without a result object per message kept until the whole batch settled (for large batches
   * whose caller only counts; docs/producer.md#batches).
   */
  publishBatch(messages: readonly OutgoingMessage[], options?: PublishBatchOptions & { readonly results?: 'all' }): Promise<PublishOutcome[]>;
  publishBatch(messages: readonly OutgoingMessage[], options: PublishBatchOptions & { readonly results: 'failures' }): Promise<BatchSummary>;
  publishBatch(messages: readonly OutgoingMessage[], options?: PublishBatchOptions): Promise<PublishOutcome[] | BatchSummary>;
  publishBatch(messages: readonly OutgoingMessage[], options?: PublishBatchOptions): Promise<PublishOutcome[] | BatchSummary> {
    let tally: boolean;
    try {
      tally = tallyOption(options);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (!Array.isArray(messages)) {
      return Promise.reject(new InvalidArgumentError('publishBatch(messages)', 'expected an array of messages'));
    }
    if (messages.length === 0) return Promise.resolve(tally ? { delivered: 0, failed: [], possibleDuplicates: [] } : []);
    let engine: ProducerEngine;
    try {
      engine = this.#ready('publishBatch');
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const t = this.#diagnostics;
    const enc = this.#enc;
    // Nobody listens per message (no tracing / publish-duration subscriber): packed, no object per message.
    if (!producerSend.hasSubscribers && !producerSettled.hasSubscribers) return this.#publishPacked(engine, messages, tally);
    return new Promise<PublishOutcome[] | BatchSummary>((resolve) => {
      const n = messages.length;
      const sink = tally ? new BatchTally(n, resolve) : new BatchOutcomes(n, resolve);
      for (let i = 0; i < n; i++) {
        let d: Instrumented;
        try {
          d = tally ? new TallyItem(messages[i]!, enc, sink as BatchTally, i) : new BatchItem(messages[i]!, enc, sink as BatchOutcomes, i);
        } catch (e) {
          // Refused while encoding (not an OutgoingMessage, serializer error): its outcome, the rest go on.
          sink.refused(i, e as Error);
          continue;
        }
        if (t !== undefined) d.instrument(t);
        engine.send(d, true);
      }
    });
  }

  /**
   * publishBatch() without per-message subscribers: the messages are packed as sendBatch() packs
   * them (same encoding, order, retries, close and errors; counted per topic), without an Outbound
   * per message; a message refused while encoding gets its outcome at its index, the rest go on.
   */
  #publishPacked(engine: ProducerEngine, messages: readonly OutgoingMessage[], tally: boolean): Promise<PublishOutcome[] | BatchSummary> {
    const n = messages.length;
    const batch = new MessageBatch(this.#enc, n);
    let refused: Array<[number, Error]> | undefined;
    let indexOf: Int32Array | undefined;
    // For one outcome per message: the topic and id each was sent with (the caller's objects are not read again).
    const topics = tally ? undefined : new Array<string>(n);
    const ids = tally ? undefined : new Array<string | undefined>(n);
    for (let i = 0; i < n; i++) {
      const m = messages[i]!;
      try {
        const id = batch.addMessage(m, 'publishBatch(messages)');
        if (topics !== undefined) {
          topics[i] = m.topic;
          ids![i] = id;
        }
      } catch (e) {
        // Packed indices skip it from here on: map them back to input indices.
        if (indexOf === undefined) indexOf = Int32Array.from({ length: n }, (_, k) => k);
        (refused ??= []).push([i, e as Error]);
        continue;
      }
      if (indexOf !== undefined) indexOf[batch.length - 1] = i;
    }
    return new Promise<PublishOutcome[] | BatchSummary>((resolve) => {
      const sink = tally ? new BatchTally(n, resolve) : new BatchOutcomes(n, resolve);
      if (refused !== undefined) for (const [i, e] of refused) sink.refused(i, e);
      if (batch.length > 0) batch.dispatch(engine, this.#diagnostics, tally ? new TallyResults(sink as BatchTally) : new OutcomeResults(sink as BatchOutcomes, topics!, ids!), indexOf, 'publishBatch');
    });
  }

  /**
   * A MessageBatch for sendBatch(): messages packed into the addon's buffers as they are added,
   * with this producer's serializer and message-id setting (docs/producer.md#packed-batches).
   */
  createBatch(): MessageBatch {
    return new MessageBatch(this.#enc);
  }

  /**
   * Sends a MessageBatch (one hand-over per 1,000 messages, no object per message) and resolves
   * with one BatchSummary once every message settled: the same delivery, order, backpressure,
   * retries, close and errors as publishBatch(messages, { results: 'failures' }). Rejects (nothing
   * sent) with StateError when the producer is not ready or the batch was sent already.
   */
  sendBatch(batch: MessageBatch): Promise<BatchSummary> {
    if (!(batch instanceof MessageBatch)) return Promise.reject(new InvalidArgumentError('sendBatch(batch)', 'expected a MessageBatch from producer.createBatch()'));
    let engine: ProducerEngine;
    try {
      engine = this.#ready('sendBatch');
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return batch.send(engine, this.#diagnostics);
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
      engine = this.#ready('needsDrain');
    } catch {
      return false;
    }
    return engine.needsDrain;
  }

  /**
   * A Writable (object mode) of messages for `pipeline(source, producer.writable())`: each write goes
   * to the batch engine like send() (no promise per message), with the producer's backpressure;
   * 'finish' means every message was acknowledged; a failed delivery stops the stream with
   * StreamDeliveryError naming every failed message, raised once nothing is in flight.
   */
  writable(options?: ProducerStreamOptions): ProducerStream {
    return new ProducerStream({ engine: (op) => this.#ready(op), enc: this.#enc, diagnostics: this.#diagnostics }, options);
  }

  /**
   * Resolves when no publish is waiting for room in the local queue. Rejects (never throws) with
   * StateError once the connection is closing or closed.
   */
  drain(): Promise<void> {
    try {
      return this.#ready('drain').drain();
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
      return this.#ready('flush').flush(timeoutMs);
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

}

function noop(): void {}

/** publishBatch()'s `options`: true for `{ results: 'failures' }`; throws InvalidArgumentError naming what is wrong. */
export function tallyOption(options: PublishBatchOptions | undefined, where = 'publishBatch(messages, options)'): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    const got = typeof options === 'string' ? `${inspect(options)}; pass { results: ${inspect(options)} }` : options === null ? 'null' : inspect(options);
    throw new InvalidArgumentError(where, `options must be an object { results?: 'all' | 'failures' }, got ${got}`);
  }
  for (const k of Object.keys(options)) {
    if (k !== 'results') throw new InvalidArgumentError(where, `unknown option ${inspect(k)} (the only one is results: 'all' | 'failures')`);
  }
  const r = options.results;
  if (r === undefined || r === 'all') return false;
  if (r === 'failures') return true;
  throw new InvalidArgumentError(where, `options.results must be 'all' or 'failures', got ${inspect(r)}`);
}
