import { GoCoffeeKafkaError } from './base.js';
import { kafkaErrorCode, type NativeErrorLike, isRetriableCode, RD } from './librdkafka.js';

/**
 * Failures after which the broker may have written the message: the request was (or may have
 * been) sent and no answer says it was not appended. Conservative: a transport error is counted even
 * when it struck before the request left (the library cannot tell), so a caller never re-publishes
 * a message believing it was not written when it may have been.
 */
const POSSIBLY_PERSISTED = new Map<number, string>([
  [RD.ERR__MSG_TIMED_OUT, 'it timed out in flight'],
  [RD.ERR_REQUEST_TIMED_OUT, 'the broker did not answer the produce request in time'],
  [RD.ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, 'the leader appended it but too few replicas confirmed'],
  [RD.ERR__TRANSPORT, 'the connection failed while its request may have been in flight'],
  [RD.ERR_NETWORK_EXCEPTION, 'the connection failed while its request may have been in flight'],
  [RD.ERR__TIMED_OUT, 'it timed out in librdkafka\'s hands'],
]);

/** Whether a delivery failure with this librdkafka code may have left the message written. */
export function possiblyPersistedCode(code: number): boolean {
  return POSSIBLY_PERSISTED.has(code);
}

/** A message the broker did not acknowledge (or that could not be enqueued at all). */
export class DeliveryError extends GoCoffeeKafkaError {
  readonly topic: string;
  /** The partition librdkafka chose, or -1 when none was chosen. */
  readonly partition: number;
  readonly librdkafkaCode: number;
  readonly messageId: string | undefined;
  readonly attempts: number;
  /**
   * True when the broker may have written the message although its delivery failed (timed out in
   * flight, request timed out, too few replicas after the append, a transport error while its
   * request may have been sent; or an earlier library retry of it failed so): publishing it again
   * may duplicate it.
   */
  readonly possiblyPersisted: boolean;

  constructor(
    topic: string,
    partition: number,
    err: NativeErrorLike,
    messageId: string | undefined,
    attempts: number,
    /**
     * The message may have been written although `err` does not say so: true when an earlier
     * attempt of it (a library retry) timed out in flight, or the reason as text (e.g. it was in
     * librdkafka's hands when the producer closed).
     */
    possiblyWritten: boolean | string = false,
  ) {
    const code = typeof err.code === 'number' ? err.code : -1;
    const name = kafkaErrorCode(code);
    const sent = POSSIBLY_PERSISTED.get(code);
    const maybe = sent !== undefined || possiblyWritten !== false;
    const why = typeof possiblyWritten === 'string' ? possiblyWritten : (sent ?? 'an earlier attempt may have been written');
    super(name, `delivery to ${topic}[${partition}] failed after ${attempts} attempt(s): ${err.message ?? 'unknown error'} (${name})${maybe ? `; it may have been written (${why}): publishing it again may duplicate it` : ''}`, {
      retriable: err.isRetriable === true || isRetriableCode(code),
      fatal: err.isFatal === true || code === RD.ERR__FATAL,
      cause: err,
      context: { topic, partition, librdkafkaCode: code, messageId, attempts },
    });
    this.topic = topic;
    this.partition = partition;
    this.librdkafkaCode = code;
    this.messageId = messageId;
    this.attempts = attempts;
    this.possiblyPersisted = maybe;
  }
}

/**
 * The cluster did not answer in time (`GCK_CONNECT`), refused the login (`GCK_AUTHENTICATION`) or
 * the TLS handshake failed (`GCK_TLS`; e.g. certificate verify failed).
 */
export class ConnectionError extends GoCoffeeKafkaError {
  constructor(message: string, options: { code?: 'GCK_CONNECT' | 'GCK_AUTHENTICATION' | 'GCK_TLS'; cause?: unknown; context?: Record<string, unknown>; retriable?: boolean } = {}) {
    super(options.code ?? 'GCK_CONNECT', message, { retriable: options.retriable ?? true, cause: options.cause, context: options.context ?? {} });
  }
}

/** The local producer queue stayed full for longer than the publish timeout. */
export class QueueFullTimeoutError extends GoCoffeeKafkaError {
  constructor(topic: string, timeoutMs: number, messageId: string | undefined) {
    super(
      'GCK_QUEUE_FULL_TIMEOUT',
      `local producer queue stayed full for ${timeoutMs} ms while publishing to ${topic}; the broker is not keeping up or unreachable (raise queue.buffering.max.messages or the publish timeout)`,
      { retriable: true, context: { topic, timeoutMs, messageId } },
    );
  }
}

export interface UndeliveredMessage {
  readonly messageId: string | undefined;
  readonly topic: string;
  readonly key: string | undefined;
}

/** `close()` could not flush everything: names every message that was not delivered. */
export class FlushIncompleteError extends GoCoffeeKafkaError {
  readonly undelivered: readonly UndeliveredMessage[];
  constructor(undelivered: readonly UndeliveredMessage[], timeoutMs: number) {
    super(
      'GCK_FLUSH_INCOMPLETE',
      `delivery of ${undelivered.length} message(s) was not confirmed within the ${timeoutMs} ms close timeout; each was reported to its publisher as failed`,
      { retriable: false, context: { count: undelivered.length, timeoutMs } },
    );
    this.undelivered = undelivered;
  }
}

/**
 * A ProducerStream (`producer.writable()`) stopped because messages failed: `failures` holds each
 * one's error: DeliveryError (messageId, topic, partition, librdkafka code, possiblyPersisted), or
 * QueueFullTimeoutError for one that waited for queue room too long (never written). Raised once
 * every message handed over had its outcome; messages still buffered in the stream were never written.
 */
export class StreamDeliveryError extends GoCoffeeKafkaError {
  readonly failures: readonly Error[];
  readonly delivered: number;
  constructor(failures: readonly Error[], delivered: number, cause?: Error) {
    const first = failures[0];
    super(
      'GCK_STREAM_DELIVERY',
      `${failures.length} message(s) written to the producer stream failed (${delivered} delivered; messages still buffered in the stream were never written); first: ${first?.message ?? 'none'}`,
      { retriable: false, cause: cause ?? first, context: { failed: failures.length, delivered, messageIds: failures.slice(0, 100).map((e) => (e as { messageId?: string }).messageId) } },
    );
    this.failures = failures;
    this.delivered = delivered;
  }
}
