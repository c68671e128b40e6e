import type { TopicNames } from '../config/types.js';
import { decodeJsonEvent } from '../schema/json.js';
import { packageSchemasDir } from '../schema/schemas.js';
import { defineEvents, type EventCatalog } from '../typed/catalog.js';
import type { EventSpecs } from '../typed/types.js';
import type { EventInputTypes, EventTypes } from './generated.js';

/**
 * The domain events: one Avro record each, versioned under `schemas/<name>/v<N>.avsc`, published to
 * the topic named by `kafka.topics.<topicKey>` and keyed by `keyField` (the entity id), so every
 * event of one entity lands on one partition, in order.
 */
export interface EventDescriptor {
  /** Record name, also the folder under schemas/. */
  readonly name: EventName;
  readonly topicKey: keyof TopicNames;
  /** The field whose value is the Kafka key. */
  readonly keyField: string;
  /** `event_type` header value the Go services use (and accept). */
  readonly eventType: string;
  /** `entity_type` header value. */
  readonly entityType: 'beverage' | 'task' | 'notification' | 'ai_request' | 'system';
}

export type EventName =
  | 'BeverageCreated'
  | 'BeverageUpdated'
  | 'TaskCreated'
  | 'TaskUpdated'
  | 'NotificationSent'
  | 'AIRequestCompleted'
  | 'SystemEvent';

export const AVRO_NAMESPACE = 'com.gocoffee.events';

export const EVENTS: readonly EventDescriptor[] = Object.freeze([
  { name: 'BeverageCreated', topicKey: 'beverageCreated', keyField: 'beverage_id', eventType: 'beverage.created', entityType: 'beverage' },
  { name: 'BeverageUpdated', topicKey: 'beverageUpdated', keyField: 'beverage_id', eventType: 'beverage.updated', entityType: 'beverage' },
  { name: 'TaskCreated', topicKey: 'taskCreated', keyField: 'task_id', eventType: 'task.created', entityType: 'task' },
  { name: 'TaskUpdated', topicKey: 'taskUpdated', keyField: 'task_id', eventType: 'task.updated', entityType: 'task' },
  { name: 'NotificationSent', topicKey: 'notificationSent', keyField: 'notification_id', eventType: 'notification.sent', entityType: 'notification' },
  { name: 'AIRequestCompleted', topicKey: 'aiRequestCompleted', keyField: 'request_id', eventType: 'ai.request.completed', entityType: 'ai_request' },
  { name: 'SystemEvent', topicKey: 'systemEvent', keyField: 'event_id', eventType: 'system.event', entityType: 'system' },
] as const);

export function eventDescriptor(name: EventName): EventDescriptor {
  const d = EVENTS.find((e) => e.name === name);
  if (d === undefined) throw new Error(`unknown event ${name}`);
  return d;
}

/** The Go Coffee events as a catalog of the generic facility (src/typed/). */
export type GoCoffeeCatalog = EventCatalog<EventTypes, EventInputTypes>;

let catalog: GoCoffeeCatalog | undefined;

/**
 * The Go Coffee events on the generic typed-events facility: the package's schemas/, each event on
 * its configured topic (`topicKey`), keyed by its entity id, with the Go services' `event_type`
 * header values; JSON is read the Go services' way (decodeJsonEvent). Built on first use (it reads
 * the schema files), then shared.
 */
export function goCoffeeEvents(): GoCoffeeCatalog {
  if (catalog === undefined) {
    const specs = Object.fromEntries(EVENTS.map((e) => [e.name, { topicKey: e.topicKey, key: e.keyField, eventType: e.eventType }]));
    catalog = defineEvents<EventTypes, EventInputTypes>({
      schemasDir: packageSchemasDir(),
      events: specs as unknown as EventSpecs<EventInputTypes>,
      jsonReader: decodeJsonEvent,
    });
  }
  return catalog;
}
