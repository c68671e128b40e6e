export { GoCoffeeKafkaError, StateError, NativeFeatureError, InvalidArgumentError, checkIntegerOption, MAX_TIMER_MS } from './base.js';
export type { ErrorOptions, AnyErrorCode } from './base.js';
export { ERROR_CODES, KAFKA_CODE_PREFIX } from './codes.js';
export { backoffDelay } from './backoff.js';
export type { ErrorCode } from './codes.js';
export { RD, KafkaError, fromNativeError, librdkafkaErrorName, kafkaErrorCode, isRetriableCode } from './librdkafka.js';
export type { NativeErrorLike } from './librdkafka.js';
export {
  DeliveryError,
  ConnectionError,
  QueueFullTimeoutError,
  FlushIncompleteError,
  StreamDeliveryError,
} from './producer.js';
export type { UndeliveredMessage } from './producer.js';
