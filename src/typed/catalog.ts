/**
 * defineEvents: an application's events, described once — name → topic, key, key serde,
 * serialization — over its own schemas folder (`<dir>/<Event>/v<N>.avsc`, the layout of the
 * package's schemas/), typed by the maps `gocoffee-kafka schemas codegen` generated from it. The
 * catalog is plain data (the schema files are read and checked once, synchronously), so a worker
 * module can import the same definition as the main thread.
 */
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { topicName, type KafkaConfig } from '../config/index.js';
import { InvalidArgumentError } from '../errors/base.js';
import { parseSchema } from '../schema/avro.js';
import { decodeJsonValue } from '../schema/json-codec.js';
import { loadSchemaSet, schemaMap, type SchemaVersion } from '../schema/schemas.js';
import { InvalidEventError } from './errors.js';
import { SchemaSerde, type JsonReader, type JsonWriterFactory } from './serde.js';
import { registerEventSchemas, type RegisterEventSchemasOptions } from './register.js';
import type { RegistrationResult } from '../schema/registration/types.js';
import type { SchemaRegistry } from '../schema/registry.js';
import type { SubjectStrategy } from '../schema/subjects.js';
import { isAvroKey, keySerde, KEY_SERDES, type KeySerde, type KeySerdeOption } from './keys.js';
import type { EventName, EventSpec, EventSpecs, Serialization } from './types.js';

/** Where topic keys and the suffix come from (a loaded KafkaConfig fits). */
export type TopicsConfig = Pick<KafkaConfig, 'topics' | 'topicSuffix'>;

export interface DefineEventsOptions<I> {
  /** The schemas folder: `<dir>/<Event>/v<N>.avsc`, exactly one folder per event below. */
  readonly schemasDir: string | URL;
  /** One spec per event (the schemas folder must hold exactly these events). */
  readonly events: EventSpecs<I>;
  /** Default serialization of the events. Default `avro`. */
  readonly serialization?: Serialization | undefined;
  /** How JSON values are read (the Go Coffee domain reads the Go services' JSON with its own). */
  readonly jsonReader?: JsonReader | undefined;
  /**
   * How the events are written as JSON (serialization `json`), by `catalog.serde()` and so by
   * TypedEvents and TypedPublisher over it: a factory of one writer per event. Default: natural
   * JSON (JsonEncoder, the counterpart of the default reader). The Go Coffee catalog passes
   * goJsonWriter (what the Go services write); `(name, w) => new GoJsonWriter(name, w.type, layout)`
   * writes your own events for Go consumers.
   */
  readonly jsonWriter?: JsonWriterFactory | undefined;
  /**
   * Environment suffixes an `event_type` header may carry (the Go Manager writes
   * `beverage.created.dev` in dev): `<eventType><suffix>` resolves to the event too. An exact
   * event type always wins. Default {@link DEFAULT_EVENT_TYPE_SUFFIXES}; `[]` turns it off.
   */
  readonly eventTypeSuffixes?: readonly string[] | undefined;
}

/** The environment suffixes of `event_type` headers understood by default. */
export const DEFAULT_EVENT_TYPE_SUFFIXES: readonly string[] = Object.freeze(['.dev', '.staging', '.test']);

/** An Avro key schema, compiled. */
export interface AvroKeySchema {
  readonly type: avro.Type;
  /** What is registered under `<topic>-key` and looked up. */
  readonly text: string;
}

/** One event as the publisher, the serde and the handlers use it. */
export interface ResolvedEvent {
  readonly name: string;
  readonly topic: string | undefined;
  readonly topicKey: string | undefined;
  /** The key field (undefined: a key function, or no key). */
  readonly keyField: string | undefined;
  /** Reads the key of an event (undefined: messages without a key). */
  readonly keyOf: ((event: Record<string, unknown>) => unknown) | undefined;
  /** The key serde (undefined for an Avro key: see avroKey). */
  readonly keySerde: KeySerde | undefined;
  readonly avroKey: AvroKeySchema | undefined;
  readonly serialization: Serialization;
  /** The pinned writer version, if any. */
  readonly version: number | undefined;
  readonly eventType: string;
}

const SERIALIZATIONS: readonly Serialization[] = ['avro', 'json'];

/** The events of an application (see {@link defineEvents}). `T`: decoded types, `I`: input types. */
export class EventCatalog<T = Record<string, object>, I = T> {
  /** Phantom: the types the catalog was defined with. */
  declare readonly types?: { readonly decoded: T; readonly input: I };
  readonly schemasDir: string;
  readonly schemas: ReadonlyMap<string, readonly SchemaVersion[]>;
  readonly names: readonly EventName<T>[];
  readonly jsonReader: JsonReader;
  /** How the events are written as JSON (undefined: natural JSON). */
  readonly jsonWriter: JsonWriterFactory | undefined;
  /** The environment suffixes `event_type` headers may carry (see DefineEventsOptions). */
  readonly eventTypeSuffixes: readonly string[];
  readonly #events: ReadonlyMap<string, ResolvedEvent>;
  readonly #byEventType: ReadonlyMap<string, string>;

  /** Use {@link defineEvents}. `topicless`: events read but never published (a worker given only a schemas folder). */
  constructor(
    dir: string,
    specs: Readonly<Record<string, EventSpec<never>>>,
    serialization: Serialization,
    jsonReader: JsonReader,
    topicless = false,
    eventTypeSuffixes: readonly string[] = DEFAULT_EVENT_TYPE_SUFFIXES,
    jsonWriter?: JsonWriterFactory,
  ) {
    if (jsonWriter !== undefined && typeof jsonWriter !== 'function') throw new InvalidArgumentError('jsonWriter', `got ${typeof jsonWriter}, expected a function (eventName, writerSchema) => JsonWriter, e.g. goJsonWriter`);
    this.schemasDir = dir;
    this.jsonWriter = jsonWriter;
    const names = Object.keys(specs);
    const set = loadSchemaSet(dir, topicless ? {} : { events: names });
    this.schemas = schemaMap(set);
    this.names = Object.freeze(set.map((e) => e.event)) as readonly EventName<T>[];
    this.jsonReader = jsonReader;
    const events = new Map<string, ResolvedEvent>();
    for (const name of this.names) events.set(name, resolve(name, specs[name] ?? {}, serialization, this.schemas.get(name)!, topicless));
    this.#events = events;
    const byType = new Map<string, string>();
    for (const e of events.values()) {
      const other = byType.get(e.eventType);
      if (other !== undefined && other !== e.name) throw new InvalidArgumentError(`events.${e.name}.eventType`, `"${e.eventType}" is already the event type of ${other}; event types must be unique`);
      byType.set(e.eventType, e.name);
      byType.set(e.name, e.name);
    }
    this.eventTypeSuffixes = checkSuffixes(eventTypeSuffixes);
    this.#byEventType = withSuffixes(byType, events, this.eventTypeSuffixes);
  }

  has(name: string): name is EventName<T> {
    return this.#events.has(name);
  }

  /** One event's resolved spec. @throws InvalidEventError for a name the catalog does not have. */
  event(name: string): ResolvedEvent {
    const e = typeof name === 'string' ? this.#events.get(name) : undefined;
    if (e === undefined) throw new InvalidEventError(`unknown event ${JSON.stringify(name)}; the catalog has ${this.names.join(', ')}`, { event: name });
    return e;
  }

  /**
   * The event name an `event_type` header value (or an event name) stands for; an event type with
   * one of the catalog's environment suffixes (`beverage.created.dev`) too. One map lookup.
   */
  eventNameOf(eventType: string): string | undefined {
    return this.#byEventType.get(eventType);
  }

  /**
   * A resolver of `event_type` header values like eventNameOf, with other environment suffixes
   * (e.g. a Manager option); built once, one map lookup per call.
   */
  eventTypeResolver(suffixes: readonly string[] = this.eventTypeSuffixes): (eventType: string) => string | undefined {
    if (suffixes === this.eventTypeSuffixes) return (t) => this.#byEventType.get(t);
    const exact = new Map<string, string>();
    for (const e of this.#events.values()) {
      exact.set(e.eventType, e.name);
      exact.set(e.name, e.name);
    }
    const map = withSuffixes(exact, this.#events, checkSuffixes(suffixes));
    return (t) => map.get(t);
  }

  /** Whether any event needs a Schema Registry (an Avro value or an Avro key). */
  get usesRegistry(): boolean {
    return [...this.#events.values()].some((e) => e.serialization === 'avro' || e.avroKey !== undefined);
  }

  /** Pinned writer versions by event name. */
  writerVersions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.#events.values()) if (e.version !== undefined) out[e.name] = e.version;
    return out;
  }

  /**
   * Registers (or, with `dryRun`, checks) every event's schema versions under its topic's subject,
   * and Avro key schemas under `<topic>-key`: what `gocoffee-kafka schemas register` does for the
   * package's own events. See registerEventSchemas (src/typed/register.ts).
   */
  registerSchemas(options: RegisterEventSchemasOptions = {}): Promise<RegistrationResult[]> {
    return registerEventSchemas(this as EventCatalog<unknown, unknown>, options);
  }

  /**
   * A serde for these events: their schemas, pinned writer versions, event types, JSON reader and
   * JSON writer. `registry` is needed for Avro (values or keys).
   */
  serde(options: { readonly registry?: SchemaRegistry | undefined; readonly strategy?: SubjectStrategy | undefined; readonly autoRegister?: boolean | undefined } = {}): SchemaSerde {
    return new SchemaSerde({
      registry: options.registry,
      schemas: this.schemas,
      strategy: options.strategy,
      autoRegister: options.autoRegister,
      writerVersions: this.writerVersions(),
      eventType: (t) => this.eventNameOf(t),
      jsonReader: this.jsonReader,
      jsonWriter: this.jsonWriter,
    });
  }

  /**
   * The Kafka topic of an event: its `topic`, or its `topicKey` looked up in `config` (suffix applied).
   * @throws InvalidEventError (unknown event, no topic), InvalidArgumentError (a topicKey and no
   *   config), ConfigError (the topic key is not configured).
   */
  topicOf(name: string, config?: TopicsConfig): string {
    const e = this.event(name);
    if (e.topic !== undefined) return e.topic;
    if (e.topicKey === undefined) throw new InvalidEventError(`${name} has no topic: it was read from a schemas folder only; define it with defineEvents() to publish it`, { event: name });
    if (config === undefined) throw new InvalidArgumentError('config', `${name} is published to the configured topic "${e.topicKey}": pass a configuration (its topics and topic_suffix)`);
    return topicName(config, e.topicKey);
  }
}

function checkSuffixes(suffixes: readonly string[]): readonly string[] {
  if (!Array.isArray(suffixes) || !suffixes.every((s) => typeof s === 'string' && /^[a-zA-Z0-9._-]+$/.test(s))) {
    throw new InvalidArgumentError('eventTypeSuffixes', `got ${JSON.stringify(suffixes)}, expected an array of non-empty suffixes of [a-zA-Z0-9._-], e.g. ['.dev', '.staging', '.test'] (or [] for none)`);
  }
  return Object.freeze([...suffixes]);
}

/** `exact` plus `<eventType><suffix>` → event for every suffix, where that is no exact event type. */
function withSuffixes(exact: Map<string, string>, events: ReadonlyMap<string, ResolvedEvent>, suffixes: readonly string[]): Map<string, string> {
  const out = new Map(exact);
  for (const suffix of suffixes) {
    for (const e of events.values()) if (!out.has(e.eventType + suffix)) out.set(e.eventType + suffix, e.name);
  }
  return out;
}

function resolve(name: string, spec: EventSpec<never>, fallback: Serialization, versions: readonly SchemaVersion[], topicless: boolean): ResolvedEvent {
  const at = (option: string): string => `events.${name}.${option}`;
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError(`events.${name}`, 'expected an event spec object ({ topic or topicKey, key, ... })');
  const { topic, topicKey } = spec;
  if (!topicless && (topic === undefined) === (topicKey === undefined)) throw new InvalidArgumentError(at('topic'), 'give exactly one of topic (a Kafka topic name) or topicKey (a key of the configuration\'s topics:)');
  if (topic !== undefined && (typeof topic !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic))) throw new InvalidArgumentError(at('topic'), `got ${JSON.stringify(topic)}, expected a Kafka topic name (1..249 characters of [a-zA-Z0-9._-])`);
  if (topicKey !== undefined && (typeof topicKey !== 'string' || topicKey === '')) throw new InvalidArgumentError(at('topicKey'), `got ${JSON.stringify(topicKey)}, expected a key of the configuration's topics: (e.g. "orderPlaced")`);
  const serialization = spec.serialization ?? fallback;
  if (!SERIALIZATIONS.includes(serialization)) throw new InvalidArgumentError(at('serialization'), `got ${JSON.stringify(serialization)}, expected avro or json`);
  const version = spec.version;
  if (version !== undefined && !versions.some((v) => v.version === version)) {
    throw new InvalidArgumentError(at('version'), `got ${JSON.stringify(version)}, expected one of the versions in the schemas folder (${versions.map((v) => v.version).join(', ')})`);
  }
  const writer = versions.find((v) => v.version === version) ?? versions[versions.length - 1]!;

  let keyField: string | undefined;
  let keyOf: ((event: Record<string, unknown>) => unknown) | undefined;
  const key = spec.key as unknown;
  if (typeof key === 'string') {
    const fields = ((writer.schema['fields'] ?? []) as Array<{ name: string }>).map((f) => f.name);
    if (!fields.includes(key)) throw new InvalidArgumentError(at('key'), `"${key}" is not a field of ${name} (${fields.join(', ')})`);
    keyField = key;
    keyOf = (event) => event[key];
  } else if (typeof key === 'function') {
    keyOf = key as (event: Record<string, unknown>) => unknown;
  } else if (key !== undefined) {
    throw new InvalidArgumentError(at('key'), `got ${typeof key}, expected the name of a field or a function of the event`);
  }

  const ks = spec.keySerde as KeySerdeOption | undefined;
  let serde: KeySerde | undefined;
  let avroKey: AvroKeySchema | undefined;
  if (isAvroKey(ks)) {
    try {
      // A primitive name ("string"), JSON text of a schema, or a schema object.
      const raw = ks.avro;
      const parsed: unknown = typeof raw === 'string' && /^\s*["{[]/.test(raw) ? JSON.parse(raw) : raw;
      const text = JSON.stringify(parsed);
      avroKey = { type: parseSchema(text), text };
    } catch (err) {
      throw new InvalidArgumentError(at('keySerde'), `the Avro key schema is not valid: ${(err as Error).message}`);
    }
  } else if (ks === undefined || typeof ks === 'string') {
    if (ks !== undefined && !(KEY_SERDES as readonly string[]).includes(ks)) throw new InvalidArgumentError(at('keySerde'), `got ${JSON.stringify(ks)}, expected one of ${KEY_SERDES.join(', ')}, { avro: schema } or a KeySerde`);
    serde = keySerde(ks ?? 'string');
  } else if (typeof ks === 'object' && typeof ks.serialize === 'function' && typeof ks.deserialize === 'function') {
    serde = ks;
  } else {
    throw new InvalidArgumentError(at('keySerde'), `expected one of ${KEY_SERDES.join(', ')}, { avro: schema } or an object with serialize() and deserialize()`);
  }
  const eventType = spec.eventType ?? name;
  if (typeof eventType !== 'string' || eventType === '') throw new InvalidArgumentError(at('eventType'), 'expected a non-empty string');
  return Object.freeze({ name, topic, topicKey, keyField, keyOf, keySerde: serde, avroKey, serialization, version, eventType });
}

/**
 * Describes an application's events over its own schemas folder. `T` and `I` are the generated
 * `EventTypes` and `EventInputTypes` (gocoffee-kafka schemas codegen), so publish() and on() are
 * type-checked:
 *
 * ```ts
 * const events = defineEvents<EventTypes, EventInputTypes>({
 *   schemasDir: new URL('./schemas', import.meta.url),
 *   events: {
 *     OrderPlaced: { topicKey: 'orderPlaced', key: 'order_id' },
 *     OrderShipped: { topic: 'orders.shipped', key: (e) => e.order_id, keySerde: 'uuid', serialization: 'json' },
 *   },
 * });
 * ```
 * @throws SchemaFileError (a bad or missing schema file, a folder the specs do not name or the
 *   reverse), InvalidArgumentError naming `events.<Event>.<option>` for a bad spec.
 */
export function defineEvents<T, I = T>(options: DefineEventsOptions<I>): EventCatalog<T, I> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('defineEvents(options)', 'expected { schemasDir, events }');
  const dir = options.schemasDir instanceof URL ? fileURLToPath(options.schemasDir) : options.schemasDir;
  if (typeof dir !== 'string' || dir === '') throw new InvalidArgumentError('schemasDir', 'expected the path (or file: URL) of a schemas folder');
  if (options.events === null || typeof options.events !== 'object' || Object.keys(options.events).length === 0) {
    throw new InvalidArgumentError('events', 'expected one spec per event, e.g. { OrderPlaced: { topic: "orders", key: "order_id" } }');
  }
  return new EventCatalog<T, I>(dir, options.events as Record<string, EventSpec<never>>, options.serialization ?? 'avro', options.jsonReader ?? decodeJsonValue, false, options.eventTypeSuffixes ?? DEFAULT_EVENT_TYPE_SUFFIXES, options.jsonWriter);
}

/** A catalog of every event of a schemas folder, for reading only (string keys, no topics). */
export function readOnlyCatalog<T = Record<string, object>>(schemasDir: string | URL, jsonReader: JsonReader = decodeJsonValue, eventTypeSuffixes: readonly string[] = DEFAULT_EVENT_TYPE_SUFFIXES): EventCatalog<T, T> {
  const dir = schemasDir instanceof URL ? fileURLToPath(schemasDir) : schemasDir;
  return new EventCatalog<T, T>(dir, {}, 'avro', jsonReader, true, eventTypeSuffixes);
}
