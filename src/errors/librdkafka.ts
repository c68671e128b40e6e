import { GoCoffeeKafkaError } from './base.js';

/**
 * librdkafka error codes the library reasons about. The numbers are librdkafka's stable ABI
 * (rdkafka.h `rd_kafka_resp_err_t`); negative codes are local (client-side) errors, positive codes
 * come from the broker.
 */
export const RD = Object.freeze({
  ERR__FENCED: -144,
  ERR__INCONSISTENT: -149,
  ERR__FATAL: -150,
  ERR__PURGE_INFLIGHT: -151,
  ERR__PURGE_QUEUE: -152,
  ERR__TIMED_OUT_QUEUE: -166,
  ERR__NO_OFFSET: -168,
  ERR__AUTHENTICATION: -169,
  ERR__STATE: -172,
  ERR__CONFLICT: -173,
  ERR__REVOKE_PARTITIONS: -174,
  ERR__ASSIGN_PARTITIONS: -175,
  ERR__SSL: -181,
  ERR__QUEUE_FULL: -184,
  ERR__IN_PROGRESS: -178,
  ERR__TIMED_OUT: -185,
  ERR__INVALID_ARG: -186,
  ERR__ALL_BROKERS_DOWN: -187,
  ERR__UNKNOWN_TOPIC: -188,
  ERR__UNKNOWN_PARTITION: -190,
  ERR__PARTITION_EOF: -191,
  ERR__MSG_TIMED_OUT: -192,
  ERR__RESOLVE: -193,
  ERR__TRANSPORT: -195,
  ERR__FAIL: -196,
  ERR__DESTROY: -197,
  ERR_INVALID_MSG: 2,
  ERR_UNKNOWN_TOPIC_OR_PART: 3,
  ERR_LEADER_NOT_AVAILABLE: 5,
  ERR_NOT_LEADER_FOR_PARTITION: 6,
  ERR_REQUEST_TIMED_OUT: 7,
  ERR_MSG_SIZE_TOO_LARGE: 10,
  ERR_NETWORK_EXCEPTION: 13,
  ERR_TOPIC_EXCEPTION: 17,
  ERR_RECORD_LIST_TOO_LARGE: 18,
  ERR_NOT_ENOUGH_REPLICAS: 19,
  ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  ERR_UNKNOWN_MEMBER_ID: 25,
  ERR_REBALANCE_IN_PROGRESS: 27,
  ERR_TOPIC_AUTHORIZATION_FAILED: 29,
  ERR_GROUP_AUTHORIZATION_FAILED: 30,
  ERR_CLUSTER_AUTHORIZATION_FAILED: 31,
  ERR_TOPIC_ALREADY_EXISTS: 36,
  ERR_INVALID_PARTITIONS: 37,
  ERR_INVALID_REPLICATION_FACTOR: 38,
  ERR_INVALID_CONFIG: 40,
  ERR_POLICY_VIOLATION: 44,
  ERR_OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  ERR_INVALID_PRODUCER_EPOCH: 47,
  ERR_INVALID_TXN_STATE: 48,
  ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  ERR_KAFKA_STORAGE_ERROR: 56,
  ERR_SASL_AUTHENTICATION_FAILED: 58,
  ERR_UNKNOWN_PRODUCER_ID: 59,
  ERR_NON_EMPTY_GROUP: 68,
  ERR_GROUP_ID_NOT_FOUND: 69,
  ERR_INVALID_RECORD: 87,
  ERR_THROTTLING_QUOTA_EXCEEDED: 89,
  ERR_PRODUCER_FENCED: 90,
});

const NAMES = new Map<number, string>(Object.entries(RD).map(([name, code]) => [code, name]));

/** Errors worth another attempt: transient broker/network conditions and local timeouts. */
const RETRIABLE = new Set<number>([
  RD.ERR__MSG_TIMED_OUT,
  RD.ERR__TIMED_OUT,
  RD.ERR__TIMED_OUT_QUEUE,
  RD.ERR__TRANSPORT,
  RD.ERR__ALL_BROKERS_DOWN,
  RD.ERR__QUEUE_FULL,
  RD.ERR__RESOLVE,
  RD.ERR_LEADER_NOT_AVAILABLE,
  RD.ERR_NOT_LEADER_FOR_PARTITION,
  RD.ERR_REQUEST_TIMED_OUT,
  RD.ERR_NETWORK_EXCEPTION,
  RD.ERR_NOT_ENOUGH_REPLICAS,
  RD.ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  RD.ERR_KAFKA_STORAGE_ERROR,
  RD.ERR_THROTTLING_QUOTA_EXCEEDED,
  RD.ERR_UNKNOWN_TOPIC_OR_PART,
]);

/** Errors after which the client cannot be used any more. */
const FATAL = new Set<number>([RD.ERR__FATAL, RD.ERR__FENCED]);

/** librdkafka's name for a numeric code, e.g. `ERR_MSG_SIZE_TOO_LARGE` (`ERR_<number>` when not listed in RD). */
export function librdkafkaErrorName(code: number): string {
  return NAMES.get(code) ?? `ERR_${code}`;
}

/**
 * The library's error code for a librdkafka error: `GCK_KAFKA_` + librdkafka's name without its
 * `ERR_` prefix, e.g. `GCK_KAFKA_MSG_SIZE_TOO_LARGE`, `GCK_KAFKA__MSG_TIMED_OUT` (local errors keep
 * librdkafka's double underscore); `GCK_KAFKA_<number>` for a code not listed in RD.
 */
export function kafkaErrorCode(code: number): `GCK_KAFKA_${string}` {
  const name = NAMES.get(code);
  return name === undefined ? `GCK_KAFKA_${code}` : `GCK_KAFKA_${name.slice(4)}`;
}

export interface NativeErrorLike {
  readonly message?: string;
  readonly code?: number;
  readonly isFatal?: boolean;
  readonly isRetriable?: boolean;
}

/** Any error coming from librdkafka: `code` is {@link kafkaErrorCode}, `librdkafkaCode` librdkafka's number. */
export class KafkaError extends GoCoffeeKafkaError {
  readonly librdkafkaCode: number;
  constructor(message: string, librdkafkaCode: number, options: { retriable: boolean; fatal: boolean; cause?: unknown; context?: Record<string, unknown> }) {
    super(kafkaErrorCode(librdkafkaCode), message, options);
    this.librdkafkaCode = librdkafkaCode;
  }
}

/** One place that classifies librdkafka errors. `what` says which operation failed. */
export function fromNativeError(err: NativeErrorLike, what: string, context: Record<string, unknown> = {}): KafkaError {
  const code = typeof err.code === 'number' ? err.code : -1;
  return new KafkaError(`${what}: ${err.message ?? 'unknown librdkafka error'} (${kafkaErrorCode(code)})`, code, {
    retriable: err.isRetriable === true || RETRIABLE.has(code),
    fatal: err.isFatal === true || FATAL.has(code),
    cause: err,
    context,
  });
}

export function isRetriableCode(code: number): boolean {
  return RETRIABLE.has(code);
}
