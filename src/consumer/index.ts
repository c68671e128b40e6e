export { Consumer } from './consumer.js';
export type { ConsumerStats } from './consumer.js';
export { ConsumedMessage } from './message.js';
export { Reader } from './reader.js';
export { BaseMessageHandler, PermanentError, HandlerRegistrationError } from './handler.js';
export { DLQ_HEADERS } from './dead-letter.js';
export type { MessageHandler, ConsumerOptions, OrderingMode } from './types.js';
export type { GroupHooks } from './group-consumer.js';
