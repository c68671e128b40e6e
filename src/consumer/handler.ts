import { GoCoffeeKafkaError } from '../errors/base.js';
import type { ConsumedMessage } from '../message/consumed.js';
import type { MessageHandler } from './types.js';

/**
 * Thrown by a handler for a failure that retrying cannot fix (bad data, a business rule): the
 * message goes to the dead-letter topic at once.
 */
export class PermanentError extends GoCoffeeKafkaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('GCK_PERMANENT', message, { retriable: false, ...(options.cause !== undefined ? { cause: options.cause } : {}) });
  }
}

/** Two handlers for the same topic and group, or a handler without a way to run. */
export class HandlerRegistrationError extends GoCoffeeKafkaError {
  constructor(message: string, context: Record<string, unknown>, options: { cause?: unknown } = {}) {
    super('GCK_HANDLER_REGISTRATION', message, { context, ...(options.cause !== undefined ? { cause: options.cause } : {}) });
  }
}

/**
 * Convenience base class (the seed's `BaseMessageHandler`): holds topics and group id; subclasses
 * implement `handle`.
 */
export abstract class BaseMessageHandler implements MessageHandler {
  readonly topics: readonly string[];
  readonly groupId: string;

  constructor(topics: readonly string[], groupId: string) {
    this.topics = Object.freeze([...topics]);
    this.groupId = groupId;
  }

  abstract handle(message: ConsumedMessage): void | Promise<void>;
}

/** Whether an error thrown by a handler may succeed on retry. */
export function isRetriable(err: unknown): boolean {
  if (err !== null && typeof err === 'object' && 'retriable' in err) return (err as { retriable: unknown }).retriable !== false;
  return true;
}
