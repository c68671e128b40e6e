export { GoCoffeeKafkaError, StateError, NativeFeatureError, InvalidArgumentError, checkIntegerOption, MAX_TIMER_MS } from './base.js';
export type { ErrorOptions } from './base.js';
export { RD, KafkaError, fromNativeError, librdkafkaErrorName, isRetriableCode } from './librdkafka.js';
export type { NativeErrorLike } from './librdkafka.js';
export {
  DeliveryError,
  ConnectionError,
  QueueFullTimeoutError,
  FlushIncompleteError,
} from './producer.js';
export type { UndeliveredMessage } from './producer.js';
