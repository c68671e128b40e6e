import { topicName } from '../config/index.js';
import type { KafkaConfig } from '../config/types.js';
import type { DeliveryResult } from '../delivery/engine.js';
import { newMessage } from '../message/outgoing.js';
import type { Producer } from '../producer/producer.js';
import type { EventSerde } from './serde.js';
import { eventDescriptor, type EventName } from './catalog.js';
import { InvalidEventError } from './errors.js';

export interface PublishEventOptions {
  /** Travels in the `correlation_id` header. */
  readonly correlationId?: string;
  /** Travels in the message's metadata header. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * Publishes domain events: Avro-encoded against the registered schema of the event's topic, keyed
 * by the entity id (so one entity's events stay in order on one partition), with an `event_type`
 * header for consumers that route by it (the Go services do).
 */
export class EventPublisher {
  readonly #config: KafkaConfig;
  readonly #serde: EventSerde;
  readonly #producer: () => Producer;

  constructor(config: KafkaConfig, serde: EventSerde, producer: () => Producer) {
    this.#config = config;
    this.#serde = serde;
    this.#producer = producer;
  }

  topicOf(name: EventName): string {
    return topicName(this.#config, eventDescriptor(name).topicKey);
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
    const topic = this.topicOf(name);
    const encoder = this.#serde.encoderSync(topic, name) ?? (await this.#serde.encoder(topic, name));
    const value = encoder.encode(event); // SchemaValidationError names the field; nothing is sent
    const msg = newMessage(topic, value).withKey(key).withHeader('event_type', d.eventType);
    if (options.correlationId !== undefined) msg.withCorrelationId(options.correlationId);
    if (options.metadata !== undefined) for (const [k, v] of Object.entries(options.metadata)) msg.withMetadata(k, v);
    return this.#producer().publish(msg);
  }
}
