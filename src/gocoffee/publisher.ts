import type { KafkaConfig } from '../config/types.js';
import type { DeliveryResult } from '../delivery/engine.js';
import type { Producer } from '../producer/producer.js';
import { InvalidEventError } from '../typed/errors.js';
import { TypedPublisher, type PublishEventOptions } from '../typed/publisher.js';
import type { EventSerde } from './serde.js';
import { eventDescriptor, goCoffeeEvents, type EventName } from './catalog.js';
import type { EventInputTypes, EventTypes } from './generated.js';

export type { PublishEventOptions } from '../typed/publisher.js';

/**
 * Publishes domain events through the generic TypedPublisher (src/typed/publisher.ts): Avro-encoded
 * against the registered schema of the event's topic, or — `kafka.serialization: json`, or
 * `kafka.topic_serialization.<topic key>: json` for one topic — the Go services' JSON with their
 * `entity_type`, `entity_id` and `content_type` headers; keyed by the entity id (so one entity's
 * events stay in order on one partition), with the Go services' `event_type` header. The entity id
 * is checked first, with the Go Coffee wording (`beverage_id: expected the beverage id ...`).
 */
export class EventPublisher {
  readonly #typed: TypedPublisher<EventTypes, EventInputTypes>;

  constructor(config: KafkaConfig, serde: EventSerde, producer: () => Producer) {
    this.#typed = new TypedPublisher(goCoffeeEvents(), { config, serde, producer, serialization: config.serialization });
  }

  topicOf(name: EventName): string {
    return this.#typed.topicOf(name);
  }

  /** How an event is written: topic_serialization for its topic key, else kafka.serialization (default avro). */
  serializationOf(name: EventName): 'avro' | 'json' {
    return this.#typed.serializationOf(name);
  }

  async publish(name: EventName, event: object, options: PublishEventOptions = {}): Promise<DeliveryResult> {
    const d = eventDescriptor(name);
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new InvalidEventError(`${name}: expected an event object, got ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}`, { event: name });
    }
    const key = (event as Record<string, unknown>)[d.keyField];
    if (typeof key !== 'string' || key.length === 0) {
      throw new InvalidEventError(`${name}.${d.keyField}: expected the ${d.entityType} id (a non-empty string) that keys the event, got ${key === undefined ? 'nothing' : JSON.stringify(key)}`, {
        event: name,
        field: d.keyField,
      });
    }
    return this.#typed.publish(name, event as never, options);
  }
}
