import { InvalidArgumentError } from '../errors/base.js';
import { Outbound, type DeliveryResult } from '../delivery/index.js';
import { OutgoingMessage } from '../message/outgoing.js';
import { producerSend, producerSettled, type SettledEvent } from '../diagnostics/channels.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';
import type { TopicCounters } from '../diagnostics/counters.js';
import { headersOf, keyOf, valueOf, type Encoding } from './encode.js';
import type { BatchSummary, DeliveryCallback, PublishOutcome } from './types.js';

/**
 * An Outbound with the diagnostics of one publish: the topic's counters (always), and the
 * `producer:send` / `producer:settled` channel events when someone subscribes (the telemetry
 * adapters: the publish-duration histogram, the PRODUCER span). The message object is the event:
 * a few fields, no extra object per message.
 */
export abstract class Instrumented extends Outbound implements SettledEvent {
  source: Diagnostics | undefined = undefined;
  counters: TopicCounters | undefined = undefined;
  /** Subscribers' slot (e.g. the PRODUCER span), from send to settled. */
  trace: unknown = undefined;
  startedAt = 0;
  /** Set on settlement, for `producer:settled` subscribers. */
  error: Error | undefined = undefined;
  result: DeliveryResult | undefined = undefined;

  /** Encodes `m` for produce(): value, key, id and headers. Throws InvalidArgumentError & co. (`where` names the call). */
  constructor(m: OutgoingMessage, where: string, enc: Encoding) {
    if (!(m instanceof OutgoingMessage)) {
      throw new InvalidArgumentError(where, 'expected a message built with newMessage(topic, value)');
    }
    const id = enc.autoIds ? m.id : m.existingId;
    super(m.topic, m.partition ?? null, valueOf(m, enc.serialize), keyOf(m.key), m.timestamp ?? null, headersOf(m), id);
    this.idSuffix = m.generatedIdSuffix;
  }

  /** Counts the message and tells `send` subscribers (before it is handed to the engine: they may add headers). */
  instrument(d: Diagnostics): void {
    this.source = d;
    (this.counters = d.counters.publish(this.topic)).total++;
    if (producerSettled.hasSubscribers) this.startedAt = d.clock.now();
    if (producerSend.hasSubscribers) producerSend.publish(this);
  }

  protected reportDelivered(result: DeliveryResult): void {
    this.counters!.success++;
    if (producerSettled.hasSubscribers) {
      this.result = result;
      producerSettled.publish(this);
    }
  }

  /** Retries count on the message's own topic counters; messages without them (dead-letter copies) are not counted. */
  override retrying(): void {
    if (this.counters !== undefined) this.counters.retries++;
  }

  protected reportFailed(d: Diagnostics, error: Error): void {
    d.counters.error(this.counters!, errorType(error));
    if (producerSettled.hasSubscribers) {
      this.error = error;
      producerSettled.publish(this);
    }
  }
}

/** A message of publish(): settles the caller's promise. */
export class Publish extends Instrumented {
  constructor(
    m: OutgoingMessage,
    enc: Encoding,
    readonly resolve: (r: DeliveryResult) => void,
    readonly reject: (e: Error) => void,
  ) {
    super(m, 'publish(message)', enc);
  }
  delivered(result: DeliveryResult): void {
    if (this.source !== undefined) this.reportDelivered(result);
    this.resolve(result);
  }
  failed(error: Error): void {
    if (this.source !== undefined) this.reportFailed(this.source, error);
    this.reject(error);
  }
}

/** The outcomes of one publishBatch(), in input order. */
export class BatchOutcomes {
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
  /** A message refused before it reached the engine (while being encoded). */
  refused(index: number, error: Error): void {
    this.settle(index, { ok: false, error });
  }
}

/** A message of publishBatch(): fills its slot of the batch's outcomes. */
export class BatchItem extends Instrumented {
  constructor(
    m: OutgoingMessage,
    enc: Encoding,
    readonly batch: BatchOutcomes,
    readonly index: number,
  ) {
    super(m, 'publishBatch(messages)', enc);
  }
  delivered(result: DeliveryResult): void {
    if (this.source !== undefined) this.reportDelivered(result);
    this.batch.settle(this.index, { ok: true, result });
  }
  failed(error: Error): void {
    if (this.source !== undefined) this.reportFailed(this.source, error);
    this.batch.settle(this.index, { ok: false, error });
  }
}

/**
 * The outcome of one publishBatch(messages, { results: 'failures' }): a count of deliveries, and
 * only the failures (and possible duplicates) by index. Resolves once every message settled.
 */
export class BatchTally {
  delivered = 0;
  remaining: number;
  #failed: Array<{ index: number; error: Error }> | undefined;
  #duplicates: number[] | undefined;
  constructor(
    size: number,
    readonly resolve: (s: BatchSummary) => void,
  ) {
    this.remaining = size;
  }
  ok(index: number, possibleDuplicate: boolean): void {
    this.delivered++;
    if (possibleDuplicate) (this.#duplicates ??= []).push(index);
    if (--this.remaining === 0) this.#done();
  }
  fail(index: number, error: Error): void {
    (this.#failed ??= []).push({ index, error });
    if (--this.remaining === 0) this.#done();
  }
  /** A message refused before it reached the engine (while being encoded). */
  refused(index: number, error: Error): void {
    this.fail(index, error);
  }
  #done(): void {
    // Reported in the order librdkafka settled them (per partition); the caller gets input order.
    const failed = this.#failed ?? [];
    failed.sort((a, b) => a.index - b.index);
    this.resolve({ delivered: this.delivered, failed, possibleDuplicates: (this.#duplicates ?? []).sort((a, b) => a - b) });
  }
}

/**
 * A message of publishBatch(messages, { results: 'failures' }): counts in its batch's tally. The
 * engine reports it through deliveredAt() without a DeliveryResult; one is built only for
 * `producer:settled` subscribers (the telemetry adapters), who are promised `result` on success.
 */
export class TallyItem extends Instrumented {
  constructor(
    m: OutgoingMessage,
    enc: Encoding,
    readonly batch: BatchTally,
    readonly index: number,
  ) {
    super(m, 'publishBatch(messages)', enc);
    this.wantsResult = false;
  }
  override deliveredAt(partition: number, offset: number, timestamp: number | undefined): void {
    if (this.source !== undefined) {
      if (producerSettled.hasSubscribers) this.reportDelivered({ topic: this.topic, partition, offset, timestamp, messageId: this.messageId });
      else this.counters!.success++;
    }
    // retryError is only set by a library retry (idempotence off): see DeliveryOutcomes.onReports.
    this.batch.ok(this.index, this.retryError?.possiblyPersisted === true);
  }
  /** Not called by the engine (wantsResult is false); here for completeness. */
  delivered(result: DeliveryResult): void {
    this.deliveredAt(result.partition, result.offset, result.timestamp);
  }
  failed(error: Error): void {
    if (this.source !== undefined) this.reportFailed(this.source, error);
    this.batch.fail(this.index, error);
  }
}

/** Who hears the outcomes of stream writes (ProducerStream). */
export interface StreamSink {
  settle(error: Error | undefined): void;
}

/** A message written to a ProducerStream: tells the stream its outcome, once. */
export class StreamItem extends Instrumented {
  constructor(
    m: OutgoingMessage,
    enc: Encoding,
    readonly owner: StreamSink,
  ) {
    super(m, 'ProducerStream.write(message)', enc);
  }
  delivered(result: DeliveryResult): void {
    if (this.source !== undefined) this.reportDelivered(result);
    this.owner.settle(undefined);
  }
  failed(error: Error): void {
    if (this.source !== undefined) this.reportFailed(this.source, error);
    this.owner.settle(error);
  }
}

/** Runs a user callback; what it throws surfaces as an uncaught exception, not inside the engine. */
export function callBack(cb: DeliveryCallback, error: Error | null, result: DeliveryResult | undefined): void {
  try {
    cb(error, result);
  } catch (e) {
    process.nextTick(() => {
      throw e;
    });
  }
}

/**
 * A message of send(): calls the caller's callback once. A failure reported while a send() runs on
 * the engine (failedInSend: the engine counts Producer#send() calls in `sendDepth`) is deferred to
 * a microtask, so a callback never runs synchronously inside send() — its own or another one.
 */
export class Send extends Instrumented {
  constructor(
    m: OutgoingMessage,
    enc: Encoding,
    readonly cb: DeliveryCallback,
  ) {
    super(m, 'send(message)', enc);
  }
  delivered(result: DeliveryResult): void {
    if (this.source !== undefined) this.reportDelivered(result);
    callBack(this.cb, null, result);
  }
  failed(error: Error): void {
    if (this.source !== undefined) this.reportFailed(this.source, error);
    callBack(this.cb, error, undefined);
  }
  override failedInSend(error: Error): void {
    if (this.source !== undefined) this.reportFailed(this.source, error);
    queueMicrotask(() => callBack(this.cb, error, undefined));
  }
}

/** Low-cardinality error label: the stable error code, or the class name. */
export function errorType(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name || 'Error';
}
