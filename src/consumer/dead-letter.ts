import type { NativeDeliveryReport, NativeHeaders, NativeMessage } from '../native/types.js';
import { deliveryResult, Outbound, type DeliveryResult, type ProducerEngine } from '../producer/engine.js';

/** Header names written on every dead-letter message. */
export const DLQ_HEADERS = Object.freeze({
  topic: 'dlq.original.topic',
  partition: 'dlq.original.partition',
  offset: 'dlq.original.offset',
  key: 'dlq.original.key',
  errorType: 'dlq.error.type',
  errorMessage: 'dlq.error.message',
  attempts: 'dlq.attempts',
  firstFailure: 'dlq.first.failure',
  lastFailure: 'dlq.last.failure',
  group: 'dlq.consumer.group',
});

export interface DeadLetterInfo {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly attempts: number;
  readonly firstFailure: number;
  readonly lastFailure: number;
}

/** A dead-letter message: resolves on the broker's acknowledgement. */
class DeadLetter extends Outbound {
  constructor(
    topic: string,
    value: Buffer | null,
    key: Buffer | string | null,
    headers: NativeHeaders,
    readonly resolve: (r: DeliveryResult) => void,
    readonly reject: (e: Error) => void,
  ) {
    super(topic, null, value, key, null, headers, undefined);
  }
  delivered(report: NativeDeliveryReport): void {
    this.resolve(deliveryResult(this, report));
  }
  failed(e: Error): void {
    this.reject(e);
  }
}

/**
 * Writes failed messages to the dead-letter topic through the shared producer (acks=all,
 * idempotent). The original key, value and headers are kept; the failure is described in
 * `dlq.*` headers. Resolves only on the broker's acknowledgement.
 */
export class DeadLetterWriter {
  constructor(
    readonly engine: () => ProducerEngine,
    readonly topicFor: (topic: string) => string,
    readonly groupId: string,
  ) {}

  write(msg: NativeMessage, info: DeadLetterInfo): Promise<DeliveryResult> {
    const headers: NativeHeaders = [];
    if (msg.headers !== undefined) for (const h of msg.headers) headers.push(h);
    headers.push(
      { [DLQ_HEADERS.topic]: msg.topic },
      { [DLQ_HEADERS.partition]: String(msg.partition) },
      { [DLQ_HEADERS.offset]: String(msg.offset) },
    );
    if (msg.key !== undefined && msg.key !== null) headers.push({ [DLQ_HEADERS.key]: msg.key });
    headers.push(
      { [DLQ_HEADERS.errorType]: info.errorType },
      { [DLQ_HEADERS.errorMessage]: info.errorMessage.slice(0, 4096) },
      { [DLQ_HEADERS.attempts]: String(info.attempts) },
      { [DLQ_HEADERS.firstFailure]: new Date(info.firstFailure).toISOString() },
      { [DLQ_HEADERS.lastFailure]: new Date(info.lastFailure).toISOString() },
      { [DLQ_HEADERS.group]: this.groupId },
    );
    const topic = this.topicFor(msg.topic);
    return new Promise((resolve, reject) => this.engine().send(new DeadLetter(topic, msg.value, msg.key ?? null, headers, resolve, reject)));
  }
}
