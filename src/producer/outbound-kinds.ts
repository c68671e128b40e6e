import { InvalidArgumentError } from '../errors/base.js';
import { Outbound, type DeliveryResult } from '../delivery/index.js';
import { OutgoingMessage } from '../message/outgoing.js';
import { coarseNow } from '../telemetry/clock.js';
import type { Span } from '@opentelemetry/api';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TopicCounters } from '../telemetry/counters.js';
import { headersOf, keyOf, valueOf, type Encoding } from './encode.js';
import type { DeliveryCallback, PublishOutcome } from './types.js';

/**
 * An Outbound with the telemetry of one publish: the topic's counters (always), the
 * publish-duration histogram (metrics on) and the PRODUCER span (tracing on), ended on the delivery
 * report. Four fields, no extra object per message.
 */
export abstract class Instrumented extends Outbound {
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
    if (this.tel !== undefined) this.reportDelivered(this.tel, result);
    this.resolve(result);
  }
  failed(error: Error): void {
    if (this.tel !== undefined) this.reportFailed(this.tel, error);
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
    if (this.tel !== undefined) this.reportDelivered(this.tel, result);
    this.batch.settle(this.index, { ok: true, result });
  }
  failed(error: Error): void {
    if (this.tel !== undefined) this.reportFailed(this.tel, error);
    this.batch.settle(this.index, { ok: false, error });
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

/** A message of send(): calls the caller's callback once. */
export class Send extends Instrumented {
  /** True while Producer#send() runs (it sets it): an outcome reported during it is deferred (never sync). */
  static inSend = false;

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
    if (Send.inSend) queueMicrotask(() => callBack(this.cb, error, undefined));
    else callBack(this.cb, error, undefined);
  }
}

/** Low-cardinality error label: the stable error code, or the class name. */
export function errorType(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name || 'Error';
}
