/**
 * The Go Coffee events on top of the generic src/schema/: the catalog's events (src/events/catalog.ts)
 * encoded and decoded (Avro in Confluent wire format with registry-managed ids, and the Go services'
 * JSON events), and their schemas registered under the configured topics' subjects.
 */
import type avro from 'avsc';
import { topicName, type KafkaConfig, type TopicNames } from '../config/index.js';
import { InvalidArgumentError } from '../errors/base.js';
import { registerSchemaSet, type RegisterSchemaSetOptions } from '../schema/registration/register.js';
import type { RegistrationResult } from '../schema/registration/types.js';
import { AvroEncoder, AvroReader, parseSchema } from '../schema/avro.js';
import { DecodeError } from '../schema/errors.js';
import { decodeJsonEvent } from '../schema/json.js';
import type { SchemaRegistry } from '../schema/registry.js';
import { latestOf, loadSchemaSet, packageSchemasDir, schemaMap, type SchemaVersion } from '../schema/schemas.js';
import { subjectName, type SubjectStrategy } from '../schema/subjects.js';
import { readSchemaId } from '../schema/wire.js';
import { EVENTS } from './catalog.js';

/** Where topic names, the suffix and the registry settings come from (a loaded KafkaConfig fits). */
export type RegistrationConfig = Pick<KafkaConfig, 'topics' | 'topicSuffix'> &
  Partial<Pick<KafkaConfig, 'schemaRegistryUrl' | 'schemaRegistryUsername' | 'schemaRegistryPassword'>>;

/** registerSchemas' options: registerSchemaSet's, with the registry and the topics taken from a configuration. */
export interface RegisterSchemasOptions extends Omit<RegisterSchemaSetOptions, 'registryUrl' | 'events'> {
  /** Topics, suffix and (unless given below) the registry URL and credentials. Default: the default topic names, no suffix. */
  readonly config?: RegistrationConfig | undefined;
  /** Overrides `config.schemaRegistryUrl`; one of the two is required. */
  readonly registryUrl?: string | undefined;
}

const DEFAULT_TOPICS: Readonly<TopicNames> = Object.freeze({
  beverageCreated: 'beverage.created',
  beverageUpdated: 'beverage.updated',
  taskCreated: 'task.created',
  taskUpdated: 'task.updated',
  notificationSent: 'notification.sent',
  aiRequestCompleted: 'ai.request.completed',
  systemEvent: 'system.event',
});

/**
 * Registers (or, with `dryRun`, checks) the schema of every catalog event, in catalog order, under
 * the subject of its configured topic: what `gocoffee-kafka schemas register` and the Manager's
 * `registerSchemas` option run. See registerSchemaSet (src/schema/registration/register.ts) for
 * the steps, results and errors; InvalidArgumentError when no registry URL is given.
 */
export async function registerSchemas(options: RegisterSchemasOptions = {}): Promise<RegistrationResult[]> {
  const { config, registryUrl, ...rest } = options;
  const url = registryUrl ?? config?.schemaRegistryUrl;
  if (url === undefined || url === '') {
    throw new InvalidArgumentError('registryUrl', 'no Schema Registry URL: pass registryUrl or a config with schemaRegistryUrl (GOCOFFEE_SCHEMA_REGISTRY_URL)');
  }
  const topics = config ?? { topics: DEFAULT_TOPICS, topicSuffix: '' };
  return registerSchemaSet({
    ...rest,
    registryUrl: url,
    username: options.username ?? config?.schemaRegistryUsername,
    password: options.password ?? config?.schemaRegistryPassword,
    events: EVENTS.map((e) => ({ name: e.name, topic: topicName(topics, e.topicKey) })),
  });
}

/** The catalog's events from the package's schemas/ folder (checked strictly, every event present). */
export function packageEventSchemas(): Map<string, SchemaVersion[]> {
  return schemaMap(loadSchemaSet(packageSchemasDir(), { events: EVENTS.map((e) => e.name) }));
}

/** What an EventSerde needs. */
export interface EventSerdeOptions {
  readonly registry: SchemaRegistry;
  /** Schema versions by event name. Default: the package's schemas/ folder ({@link packageEventSchemas}). */
  readonly schemas?: Map<string, SchemaVersion[]>;
  /** Default 'topic' (TopicNameStrategy, `<topic>-value`). */
  readonly strategy?: SubjectStrategy;
  /** Register schemas on first use instead of looking them up. Default false. */
  readonly autoRegister?: boolean;
  /** Write with this version of an event's schema instead of the latest (e.g. during a rollout). */
  readonly writerVersions?: Readonly<Record<string, number>>;
}

/** A decoded event: its name, its value (read as the local latest schema) and how it was encoded. */
export interface DecodedEvent {
  readonly eventName: string;
  readonly value: unknown;
  readonly format: 'avro' | 'json';
  readonly schemaId?: number;
}

/** What decode() reads of a consumed message. */
export interface SerializedMessageView {
  readonly topic: string;
  readonly partition?: number;
  readonly offset?: number;
  readonly value: Buffer | null;
  /** Header value by name (UTF-8 text). */
  header(name: string): string | undefined;
}

/** Maps the Go services' `event_type` header values to event names. */
export type EventTypeResolver = (eventType: string) => string | undefined;

/**
 * Avro events in Confluent wire format with registry-managed schema ids. Writer side: one
 * AvroEncoder per (topic, event), created once (one registry lookup), then synchronous. Reader
 * side: writer schemas fetched by id once and cached; values resolved to the reader's (latest
 * local) schema, so v2 readers read v1 data and the reverse where compatible.
 */
export class EventSerde {
  readonly registry: SchemaRegistry;
  readonly strategy: SubjectStrategy;
  readonly #schemas: Map<string, SchemaVersion[]>;
  readonly #autoRegister: boolean;
  readonly #writerVersions: Readonly<Record<string, number>>;
  readonly #encoders = new Map<string, Promise<AvroEncoder>>();
  readonly #ready = new Map<string, AvroEncoder>();
  readonly #readers = new Map<number, Promise<AvroReader>>();
  readonly #readersReady = new Map<number, AvroReader>();
  readonly #eventType: EventTypeResolver;

  constructor(opts: EventSerdeOptions, eventType: EventTypeResolver = () => undefined) {
    this.registry = opts.registry;
    this.strategy = opts.strategy ?? 'topic';
    this.#schemas = opts.schemas ?? packageEventSchemas();
    this.#autoRegister = opts.autoRegister ?? false;
    this.#writerVersions = opts.writerVersions ?? {};
    this.#eventType = eventType;
  }

  /** The schema versions by event name. */
  get schemas(): ReadonlyMap<string, readonly SchemaVersion[]> {
    return this.#schemas;
  }

  /** The reader type of an event: its latest local schema. */
  readerType(eventName: string): avro.Type {
    return latestOf(this.#schemas, eventName).type;
  }

  #writerSchema(eventName: string): SchemaVersion {
    const pinned = this.#writerVersions[eventName];
    if (pinned === undefined) return latestOf(this.#schemas, eventName);
    const v = this.#schemas.get(eventName)?.find((s) => s.version === pinned);
    if (v === undefined) throw new DecodeError(`no version ${pinned} of ${eventName} in the schemas folder`, { event: eventName });
    return v;
  }

  /** The encoder of `eventName` on `topic` (first call: one registry lookup; then cached). */
  encoder(topic: string, eventName: string): Promise<AvroEncoder> {
    const key = `${topic}\u0000${eventName}`;
    const ready = this.#ready.get(key);
    if (ready !== undefined) return Promise.resolve(ready);
    let p = this.#encoders.get(key);
    if (p === undefined) {
      p = (async () => {
        const sv = this.#writerSchema(eventName);
        const subject = subjectName(this.strategy, topic, sv.type.name!);
        const id = await this.registry.idFor(subject, sv.text, this.#autoRegister);
        const enc = new AvroEncoder(eventName, sv.type, id);
        this.#ready.set(key, enc);
        return enc;
      })();
      p.catch(() => this.#encoders.delete(key));
      this.#encoders.set(key, p);
    }
    return p;
  }

  /** Synchronous encoder when already warmed up (hot path), else undefined. */
  encoderSync(topic: string, eventName: string): AvroEncoder | undefined {
    return this.#ready.get(`${topic}\u0000${eventName}`);
  }

  #reader(id: number): Promise<AvroReader> {
    let p = this.#readers.get(id);
    if (p === undefined) {
      p = this.registry.schemaById(id).then((text) => {
        const r = new AvroReader(parseSchema(text));
        this.#readersReady.set(id, r);
        return r;
      });
      p.catch(() => this.#readers.delete(id));
      this.#readers.set(id, p);
    }
    return p;
  }

  /**
   * Decodes an event: Avro in wire format (any registered writer version, resolved to the local
   * latest schema of the same record), or a Go service's JSON event. Typed errors: WireFormatError,
   * UnknownSchemaError (the registry's own "not found"), DecodeError — all non-retriable: the
   * consumer dead-letters them; a RegistryError that is retriable (registry unreachable, 5xx, a 404
   * from a proxy) makes the consumer retry the message instead.
   */
  async decode(msg: SerializedMessageView, expectedEvent?: string): Promise<DecodedEvent> {
    const where = { topic: msg.topic, partition: msg.partition, offset: msg.offset };
    const value = msg.value;
    const contentType = msg.header('content_type');
    if (contentType === 'application/json' || (contentType === undefined && value !== null && value.length > 0 && value[0] === 0x7b)) {
      const eventType = msg.header('event_type');
      // An event_type header that names no known event is an error (never read as the topic's
      // event); without the header the topic's expected event is assumed.
      const name = eventType !== undefined ? this.#eventType(eventType) : expectedEvent;
      if (name === undefined) {
        throw new DecodeError(eventType === undefined ? 'JSON event without an event_type header on a topic with no single event type' : `JSON event with unknown event_type ${JSON.stringify(eventType)}`, where);
      }
      return { eventName: name, value: decodeJsonEvent(value, this.readerType(name), where), format: 'json' };
    }
    const id = readSchemaId(value, where);
    const reader = this.#readersReady.get(id) ?? (await this.#reader(id));
    const writerName = reader.writer.name ?? '';
    const eventName = writerName.slice(writerName.lastIndexOf('.') + 1);
    if (expectedEvent !== undefined && eventName !== expectedEvent && !this.#schemas.has(eventName)) {
      throw new DecodeError(`expected a ${expectedEvent} event, got a ${writerName} record`, { ...where, schemaId: id });
    }
    const readerType = this.#schemas.has(eventName) ? this.readerType(eventName) : undefined;
    return { eventName, value: reader.decode(value!, readerType, { ...where, schemaId: id }), format: 'avro', schemaId: id };
  }
}
