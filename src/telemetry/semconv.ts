import { HEADERS } from '../message/headers.js';
/**
 * Every span, attribute, metric and log field name the library emits, in one place (OpenTelemetry
 * messaging semantic conventions for Kafka; metric names of the original Go package).
 */
export const ATTR = Object.freeze({
  MESSAGING_SYSTEM: 'messaging.system',
  MESSAGING_OPERATION_NAME: 'messaging.operation.name',
  MESSAGING_OPERATION_TYPE: 'messaging.operation.type',
  MESSAGING_DESTINATION_NAME: 'messaging.destination.name',
  MESSAGING_DESTINATION_PARTITION_ID: 'messaging.destination.partition.id',
  MESSAGING_CONSUMER_GROUP_NAME: 'messaging.consumer.group.name',
  MESSAGING_KAFKA_MESSAGE_KEY: 'messaging.kafka.message.key',
  MESSAGING_KAFKA_OFFSET: 'messaging.kafka.offset',
  MESSAGING_MESSAGE_ID: 'messaging.message.id',
  MESSAGING_BATCH_MESSAGE_COUNT: 'messaging.batch.message_count',
  MESSAGING_CLIENT_ID: 'messaging.client.id',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  ERROR_TYPE: 'error.type',
});

export const SYSTEM_KAFKA = 'kafka';

/** Span names: `<operation> <topic>`. */
export const SPAN = Object.freeze({
  send: (topic: string) => `send ${topic}`,
  process: (topic: string) => `process ${topic}`,
  receive: (topic: string) => `receive ${topic}`,
});

/** Message headers the library writes for tracing and correlation. */
export const HEADER = Object.freeze({
  TRACEPARENT: HEADERS.TRACEPARENT,
  TRACESTATE: HEADERS.TRACESTATE,
  /** The Go services' trace context (see Tracing: read without a traceparent, written beside it). */
  TRACE_ID: HEADERS.TRACE_ID,
  SPAN_ID: HEADERS.SPAN_ID,
  CORRELATION_ID: HEADERS.CORRELATION_ID,
});

export const METRIC = Object.freeze({
  MESSAGES_TOTAL: 'kafka_messages_total',
  MESSAGES_SUCCESS_TOTAL: 'kafka_messages_success_total',
  MESSAGES_ERROR_TOTAL: 'kafka_messages_error_total',
  PUBLISH_DURATION_SECONDS: 'kafka_publish_duration_seconds',
  CONSUME_DURATION_SECONDS: 'kafka_consume_duration_seconds',
  CONSUMER_LAG: 'kafka_consumer_lag',
  INFLIGHT_MESSAGES: 'kafka_inflight_messages',
  POOL_UTILIZATION: 'kafka_pool_utilization',
  POOL_QUEUE_DEPTH: 'kafka_pool_queue_depth',
  RETRIES_TOTAL: 'kafka_retries_total',
  HANDLER_TIMEOUTS_TOTAL: 'kafka_handler_timeouts_total',
  DEAD_LETTERED_TOTAL: 'kafka_dead_lettered_total',
  PAUSED_PARTITIONS: 'kafka_paused_partitions',
  LIBRDKAFKA_QUEUE_MESSAGES: 'kafka_librdkafka_queue_messages',
  LIBRDKAFKA_QUEUE_BYTES: 'kafka_librdkafka_queue_bytes',
  LIBRDKAFKA_TX_MESSAGES_TOTAL: 'kafka_librdkafka_tx_messages_total',
  LIBRDKAFKA_RX_MESSAGES_TOTAL: 'kafka_librdkafka_rx_messages_total',
  LIBRDKAFKA_BROKER_RTT_SECONDS: 'kafka_librdkafka_broker_rtt_avg_seconds',
  LIBRDKAFKA_BROKER_STATE_UP: 'kafka_librdkafka_broker_up',
});

/** Label names (low cardinality only: never keys, ids or offsets). */
export const LABEL = Object.freeze({
  TOPIC: 'topic',
  OPERATION: 'operation',
  ERROR_TYPE: 'error_type',
  PARTITION: 'partition',
  GROUP: 'group',
  CLIENT: 'client',
  BROKER: 'broker',
  COMPONENT: 'component',
});

/** Log field names. */
export const LOG = Object.freeze({
  TRACE_ID: 'trace_id',
  SPAN_ID: 'span_id',
  COMPONENT: 'component',
  TOPIC: 'topic',
  MESSAGE_ID: 'message_id',
  KEY: 'key',
  DURATION_MS: 'duration_ms',
});
