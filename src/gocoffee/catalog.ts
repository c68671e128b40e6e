import type { KafkaConfig, TopicNames } from '../config/types.js';
import type { ConfigIssue } from '../config/errors.js';
import { snakeTopicKey } from '../config/topics.js';
import { typoOf } from '../typed/near.js';
import { GoJsonWriter, type GoField, type GoJsonLayout } from '../schema/go-json-writer.js';
import { decodeJsonEvent } from '../schema/json.js';
import { packageSchemasDir } from '../schema/schemas.js';
import { defineEvents, type EventCatalog } from '../typed/catalog.js';
import type { JsonWriterFactory } from '../typed/serde.js';
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

const fields = (...names: string[]): GoField[] => names.map((json) => ({ json }));
const METADATA: GoField = { json: 'metadata', omitEmpty: true }; // map[string]interface{} `json:"metadata,omitempty"`

/**
 * How the Go services' encoding/json writes each event (src/schema/go-json-writer.ts): the seed's
 * four structs field for field (test/fixtures/go/events/events.go), and for the three events the
 * seed has no struct for, every schema field under its own name with the same conventions
 * (metadata `omitempty`, a nullable field as null). BeverageCreated v2's calories and tags are not
 * in the Go struct: JSON for Go carries them only at their defaults (anything else is refused).
 */
export const GO_STRUCTS: Readonly<Record<EventName, { readonly struct: string; readonly fields: readonly GoField[] }>> = Object.freeze({
  BeverageCreated: { struct: 'BeverageCreatedEvent', fields: [...fields('beverage_id', 'name', 'description', 'theme', 'ingredients', 'created_by', 'created_at'), METADATA] },
  BeverageUpdated: { struct: 'BeverageUpdatedEvent', fields: [...fields('beverage_id', 'changes', 'ingredients', 'updated_by', 'updated_at'), METADATA] },
  TaskCreated: { struct: 'TaskCreatedEvent', fields: [...fields('task_id', 'title', 'description', 'assignee_id', 'project_id', 'priority', 'status', 'created_by', 'created_at'), METADATA] },
  TaskUpdated: { struct: 'TaskUpdatedEvent', fields: [...fields('task_id', 'status', 'previous_status', 'changes', 'updated_by', 'updated_at'), METADATA] },
  NotificationSent: { struct: 'NotificationSentEvent', fields: [...fields('notification_id', 'type', 'channel', 'recipient', 'subject', 'message', 'status', 'sent_at'), METADATA] },
  AIRequestCompleted: {
    struct: 'AIRequestCompletedEvent',
    fields: [
      ...fields('request_id', 'provider', 'model', 'operation', 'tokens_used'),
      { json: 'duration', from: 'duration_ms', encoding: 'durationNs' }, // time.Duration: int64 nanoseconds
      { json: 'success' },
      { json: 'error', omitEmpty: true }, // string `json:"error,omitempty"`: null and "" both left out
      { json: 'completed_at' },
      METADATA,
    ],
  },
  SystemEvent: { struct: 'SystemEvent', fields: [...fields('event_id', 'event_type', 'source', 'severity', 'message', 'occurred_at'), METADATA] },
});

/** The Go layout of an event, with the entity headers the Go services write (`entity_type`, `entity_id`). */
export function goJsonLayout(name: string): GoJsonLayout {
  const d = EVENTS.find((e) => e.name === name);
  if (d === undefined) return {}; // an event of another schemas folder: every field, no entity headers
  return { ...GO_STRUCTS[d.name], entityType: d.entityType, entityIdField: d.keyField };
}

/** Writes the Go Coffee events as the Go services do (the serde's JSON writer). */
export const goJsonWriter: JsonWriterFactory = (eventName, writer) => new GoJsonWriter(eventName, writer.type, goJsonLayout(eventName));

/** The Go Coffee events as a catalog of the generic facility (src/typed/). */
export type GoCoffeeCatalog = EventCatalog<EventTypes, EventInputTypes>;

let catalog: GoCoffeeCatalog | undefined;

/**
 * The Go Coffee events on the generic typed-events facility: the package's schemas/, each event on
 * its configured topic (`topicKey`), keyed by its entity id, with the Go services' `event_type`
 * header values; JSON is read and written the Go services' way (decodeJsonEvent, goJsonWriter),
 * so `goCoffeeEvents().serde()` and `new TypedEvents(goCoffeeEvents(), …)` write what a Go
 * consumer reads, exactly as the EventSerde does. Built on first use (it reads the schema files),
 * then shared.
 */
export function goCoffeeEvents(): GoCoffeeCatalog {
  if (catalog === undefined) {
    const specs = Object.fromEntries(EVENTS.map((e) => [e.name, { topicKey: e.topicKey, key: e.keyField, eventType: e.eventType }]));
    catalog = defineEvents<EventTypes, EventInputTypes>({
      schemasDir: packageSchemasDir(),
      events: specs as unknown as EventSpecs<EventInputTypes>,
      jsonReader: decodeJsonEvent,
      jsonWriter: goJsonWriter,
    });
  }
  return catalog;
}

/**
 * `topics:` keys that look like misspelt Go Coffee keys (one edit away, e.g. `beverage_creatd`,
 * `taks_created`): such a key would silently name a topic of an event of the application's own
 * while the Go Coffee event keeps its default topic. (topic_serialization: keys must name a key
 * under topics:, checked by the configuration itself.) One issue per typo.
 */
export function topicKeyTypos(config: Pick<KafkaConfig, 'topics'>): ConfigIssue[] {
  const known = EVENTS.map((e) => e.topicKey as string);
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(config.topics)) {
    const meant = typoOf(key, known);
    if (meant !== undefined) {
      issues.push({ path: `kafka.topics.${snakeTopicKey(key)}`, message: `not a Go Coffee topic key: did you mean ${snakeTopicKey(meant)}? (a key of your own events must differ from the Go Coffee keys by more than one letter)` });
    }
  }
  return issues;
}
