export { Producer } from './producer.js';
export { defaultSerializer } from './encode.js';
export type { ProducerOptions } from './options.js';
export type { PublishOutcome, ValueSerializer, DeliveryCallback, EngineSource } from './types.js';
export { ProducerEngine } from '../delivery/index.js';
export type { DeliveryResult, EngineOptions } from '../delivery/index.js';
export { OutgoingMessage, newMessage, HEADER_MESSAGE_ID, HEADER_METADATA } from '../message/outgoing.js';
export type { MessageKey, MessageValue } from '../message/outgoing.js';
