export { Producer, defaultSerializer } from './producer.js';
export type { ProducerOptions, PublishOutcome, ValueSerializer, EngineSource, DeliveryCallback } from './producer.js';
export { ProducerEngine } from './engine.js';
export type { DeliveryResult, EngineOptions } from './engine.js';
export { OutgoingMessage, newMessage, HEADER_MESSAGE_ID, HEADER_METADATA } from './message.js';
export type { MessageKey, MessageValue } from './message.js';
