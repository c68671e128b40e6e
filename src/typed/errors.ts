import { GoCoffeeKafkaError } from '../errors/base.js';

/**
 * An event that cannot be published: not an object, an event name the catalog does not have, a
 * key that is missing or that its key serde cannot write, an event without a topic, or (Go Coffee
 * EventBus) an unknown action or an id that does not match the event. Nothing was sent.
 */
export class InvalidEventError extends GoCoffeeKafkaError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('GCK_INVALID_EVENT', message, { context });
  }
}
