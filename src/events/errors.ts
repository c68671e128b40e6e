import { GoCoffeeKafkaError } from '../errors/base.js';

/** An event or EventBus call that cannot be published: wrong type, unknown action, missing id. */
export class InvalidEventError extends GoCoffeeKafkaError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('GCK_INVALID_EVENT', message, { context });
  }
}
