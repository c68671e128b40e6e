import { canonicalTopicKey } from '../config/topics.js';
import type { KafkaConfig, Serialization } from '../config/types.js';
import { decodeJsonEvent } from '../schema/json.js';
import { packageSchemasDir } from '../schema/schemas.js';
import { defineEvents, DEFAULT_EVENT_TYPE_SUFFIXES, type TopicsConfig } from '../typed/catalog.js';
import type { EventSpecs } from '../typed/types.js';
import { typedWorker, type TypedWorkerModule, type TypedWorkerOptions } from '../typed/worker.js';
import { EVENTS, goCoffeeEvents, type GoCoffeeCatalog } from './catalog.js';
import type { EventInputTypes, EventTypes } from './generated.js';

/** goCoffeeWorker's options: typedWorker's, with the reading side of a loaded configuration. */
export interface GoCoffeeWorkerOptions extends TypedWorkerOptions<EventTypes> {
  /**
   * The worker's configuration (a loaded KafkaConfig fits: `loadConfig()` in the worker module):
   * its topics and topic_suffix (JSON without an `event_type` header is read as its topic's event),
   * its `event_type_suffixes`, and its `serialization` / `topic_serialization` — as for the
   * Manager, a registry is required only when one of the handled events is written as Avro (an
   * Avro message read without one is dead-lettered with a DecodeError naming the missing registry).
   */
  readonly config?: (TopicsConfig & Partial<Pick<KafkaConfig, 'eventTypeSuffixes' | 'serialization' | 'topicSerialization'>>) | undefined;
  /** Environment suffixes of the `event_type` header. Default: `config.eventTypeSuffixes`, else `.dev`, `.staging`, `.test`. */
  readonly eventTypeSuffixes?: readonly string[] | undefined;
}

/** Catalogs with other suffixes or serializations than the package's, by setting (one per worker thread and setting). */
const catalogs = new Map<string, GoCoffeeCatalog>();

/** The Go Coffee catalog with these `event_type` suffixes and per-event serializations (the shared one when both are the defaults). */
function catalogFor(suffixes: readonly string[], formats: readonly Serialization[]): GoCoffeeCatalog {
  const defaults = suffixes.length === DEFAULT_EVENT_TYPE_SUFFIXES.length && suffixes.every((s, i) => s === DEFAULT_EVENT_TYPE_SUFFIXES[i]) && formats.every((f) => f === 'avro');
  if (defaults) return goCoffeeEvents();
  const id = JSON.stringify([suffixes, formats]);
  let c = catalogs.get(id);
  if (c === undefined) {
    const specs = Object.fromEntries(EVENTS.map((e, i) => [e.name, { topicKey: e.topicKey, key: e.keyField, eventType: e.eventType, serialization: formats[i] }]));
    c = defineEvents<EventTypes, EventInputTypes>({
      schemasDir: packageSchemasDir(),
      events: specs as unknown as EventSpecs<EventInputTypes>,
      jsonReader: decodeJsonEvent,
      eventTypeSuffixes: suffixes,
    });
    catalogs.set(id, c);
  }
  return c;
}

/**
 * A worker module for the Go Coffee events: typedWorker (src/typed/worker.ts) over the package's
 * catalog, so a pool worker gets typed events (Avro, or the Go services' JSON):
 *
 * ```ts
 * // beverage-worker.ts, registered as { topics: [topicName(config, 'beverageCreated')], groupId, workerModule }
 * export default goCoffeeWorker({
 *   config: loadConfig(),                                        // topics, event_type_suffixes, serialization
 *   registry: { url: process.env.GOCOFFEE_SCHEMA_REGISTRY_URL! }, // needed for Avro events
 *   handlers: { BeverageCreated: async (beverage, ctx) => { ... } },
 * });
 * ```
 */
export function goCoffeeWorker(options: GoCoffeeWorkerOptions): TypedWorkerModule {
  const config = options?.config;
  const suffixes = options?.eventTypeSuffixes ?? config?.eventTypeSuffixes ?? DEFAULT_EVENT_TYPE_SUFFIXES;
  const formats = EVENTS.map((e) => config?.topicSerialization?.[canonicalTopicKey(e.topicKey)] ?? config?.serialization ?? 'avro');
  return typedWorker(catalogFor(suffixes, formats), options);
}
