/**
 * Every message header name the library writes or reads, in one place.
 *
 * - `HEADERS`: on ordinary messages (ids, correlation, W3C trace context, the Go services' event
 *   headers).
 * - `DLQ_HEADERS`: on dead-letter copies (where the message came from, why it failed).
 */
export const HEADERS = Object.freeze({
  /** The message id (`withId()`, or generated when config `message_ids` is on). */
  MESSAGE_ID: 'message_id',
  /** Correlation id, carried from a consumed message to what its handler publishes. */
  CORRELATION_ID: 'correlation_id',
  /** W3C trace context. */
  TRACEPARENT: 'traceparent',
  TRACESTATE: 'tracestate',
  /** The Go services' trace context (hex trace id / span id): read when there is no traceparent, written beside it. */
  TRACE_ID: 'trace_id',
  SPAN_ID: 'span_id',
  /** The Go services' event headers (seed: event_type, entity_type, entity_id, content_type). */
  EVENT_TYPE: 'event_type',
  ENTITY_TYPE: 'entity_type',
  ENTITY_ID: 'entity_id',
  CONTENT_TYPE: 'content_type',
});

/**
 * Headers of a dead-letter copy. `base64` (`dlq.base64.headers`) is never written any more: the
 * release before the batch engine, whose producer (node-rdkafka) cut a header value at a zero byte
 * and replaced invalid UTF-8, wrote such values base64-encoded and named them in that header (a
 * JSON array of header names, the message's last header); decodeDeadLetterHeaders still undoes it.
 */
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
  /** The original message's timestamp (ms since the epoch), when it had one. */
  timestamp: 'dlq.original.timestamp',
  /**
   * On a reduced copy only (the full copy was too large for the dead-letter topic): what was left
   * out, e.g. `value,headers` or `value,headers,key`; the value is then a JSON reference to the
   * original (topic, partition, offset, sizes), which stays readable in the source topic.
   */
  truncated: 'dlq.truncated',
  /** Legacy: only in dead-letter messages written by that earlier release (see above). */
  base64: 'dlq.base64.headers',
});
