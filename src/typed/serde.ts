/**
 * SchemaSerde: the events of a schemas set encoded and decoded — Avro in Confluent wire format with
 * registry-managed ids, or JSON validated against the same schemas (no registry; natural JSON by
 * default, the Go services' JSON for the Go Coffee events) — and Avro keys under `<topic>-key`.
 * The generic core of the typed events (src/typed/); the Go Coffee EventSerde
 * (src/gocoffee/serde.ts) is this with the package's schemas as default.
 */
import type avro from 'avsc';
import { ConfigError } from '../config/errors.js';
import { AvroEncoder, AvroReader, parseSchema } from '../schema/avro.js';
import { DecodeError, SerdeError } from '../schema/errors.js';
import { JsonEncoder, decodeJsonValue } from '../schema/json-codec.js';
import type { SchemaRegistry } from '../schema/registry.js';
import { latestOf, type SchemaVersion } from '../schema/schemas.js';
import { subjectName, type SubjectStrategy } from '../schema/subjects.js';
import { readSchemaId } from '../schema/wire.js';

/** Maps `event_type` header values to event names (undefined: unknown). */
export type EventTypeResolver = (eventType: string) => string | undefined;

/** Reads a JSON value of `reader` (default: decodeJsonValue, the counterpart of the JSON encoder). */
export type JsonReader = (payload: Buffer | null, reader: avro.Type, where: Record<string, unknown>) => unknown;

/**
 * Writes one event as JSON (JsonEncoder: natural JSON; GoJsonWriter: the Go services' JSON).
 * `entityType` / `entityIdField`: the publisher adds the Go services' `entity_type` and
 * `entity_id` headers (the value of that field) to the JSON messages of this event.
 */
export interface JsonWriter {
  readonly eventName: string;
  /** The writer schema's type. */
  readonly type: avro.Type;
  /** The value as JSON (UTF-8); throws SchemaValidationError naming the field that does not fit. */
  encode(value: unknown): Buffer;
  readonly entityType?: string | undefined;
  readonly entityIdField?: string | undefined;
}

/** Makes the JSON writer of an event from its writer schema (default: a JsonEncoder). */
export type JsonWriterFactory = (eventName: string, writer: SchemaVersion) => JsonWriter;

const naturalJson: JsonWriterFactory = (eventName, writer) => new JsonEncoder(eventName, writer.type);

/** What a SchemaSerde needs. */
export interface SchemaSerdeOptions {
  /** Needed for Avro (values and keys); JSON needs none. */
  readonly registry?: SchemaRegistry | undefined;
  /** Schema versions by event name (loadSchemaSet + schemaMap, or a catalog's `schemas`). */
  readonly schemas: ReadonlyMap<string, readonly SchemaVersion[]>;
  /** Default 'topic' (TopicNameStrategy, `<topic>-value`). */
  readonly strategy?: SubjectStrategy | undefined;
  /** Register schemas on first use instead of looking them up. Default false. */
  readonly autoRegister?: boolean | undefined;
  /** Write with this version of an event's schema instead of the latest (e.g. during a rollout). */
  readonly writerVersions?: Readonly<Record<string, number>> | undefined;
  /** `event_type` header → event name, for JSON. Default: the event's own name. */
  readonly eventType?: EventTypeResolver | undefined;
  /** How JSON values are read. Default decodeJsonValue. */
  readonly jsonReader?: JsonReader | undefined;
  /** How JSON values are written. Default: a JsonEncoder (natural JSON, the counterpart of decodeJsonValue). */
  readonly jsonWriter?: JsonWriterFactory | undefined;
}

/** A message's event as identify() found it: JSON (no reader) or Avro with its writer's reader. */
export type IdentifiedEvent = { readonly eventName: string; readonly reader: undefined } | { readonly eventName: string; readonly reader: AvroReader; readonly schemaId: number };

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

/**
 * Writer side: one AvroEncoder per (topic, event), created once (one registry lookup), then
 * synchronous; one JSON writer per event. Reader side: writer schemas fetched by id once and
 * cached; values resolved to the reader's (latest local) schema, so v2 readers read v1 data and
 * the reverse where compatible.
 */
export class SchemaSerde {
  readonly registry: SchemaRegistry | undefined;
  readonly strategy: SubjectStrategy;
  readonly #schemas: ReadonlyMap<string, readonly SchemaVersion[]>;
  readonly #autoRegister: boolean;
  readonly #writerVersions: Readonly<Record<string, number>>;
  readonly #encoders = new Map<string, Promise<AvroEncoder>>();
  readonly #ready = new Map<string, AvroEncoder>();
  readonly #json = new Map<string, JsonWriter>();
  readonly #readers = new Map<number, Promise<AvroReader>>();
  readonly #readersReady = new Map<number, AvroReader>();
  readonly #eventType: EventTypeResolver;
  readonly #jsonReader: JsonReader;
  readonly #jsonWriter: JsonWriterFactory;

  constructor(opts: SchemaSerdeOptions) {
    this.registry = opts.registry;
    this.strategy = opts.strategy ?? 'topic';
    this.#schemas = opts.schemas;
    this.#autoRegister = opts.autoRegister ?? false;
    this.#writerVersions = opts.writerVersions ?? {};
    this.#eventType = opts.eventType ?? ((t) => (this.#schemas.has(t) ? t : undefined));
    this.#jsonReader = opts.jsonReader ?? decodeJsonValue;
    this.#jsonWriter = opts.jsonWriter ?? naturalJson;
  }

  /** The schema versions by event name. */
  get schemas(): ReadonlyMap<string, readonly SchemaVersion[]> {
    return this.#schemas;
  }

  /** The reader type of an event: its latest local schema. */
  readerType(eventName: string): avro.Type {
    return latestOf(this.#schemas, eventName).type;
  }

  /** The schema an event is written with: the pinned version, else the latest. */
  writerSchema(eventName: string): SchemaVersion {
    const pinned = this.#writerVersions[eventName];
    if (pinned === undefined) return latestOf(this.#schemas, eventName);
    const v = this.#schemas.get(eventName)?.find((s) => s.version === pinned);
    if (v === undefined) throw new SerdeError('GCK_SCHEMA_MISSING', `no version ${pinned} of ${eventName} in the schemas folder`, { event: eventName, version: pinned });
    return v;
  }

  #registry(what: string): SchemaRegistry {
    if (this.registry === undefined) {
      throw new ConfigError([{ path: 'kafka.schema_registry_url', message: `not set, expected an http:// or https:// URL: ${what} needs a Schema Registry (set it, pass a registry, or use serialization: 'json')` }]);
    }
    return this.registry;
  }

  #cachedEncoder(key: string, make: () => Promise<AvroEncoder>): Promise<AvroEncoder> {
    const ready = this.#ready.get(key);
    if (ready !== undefined) return Promise.resolve(ready);
    let p = this.#encoders.get(key);
    if (p === undefined) {
      p = make().then((enc) => {
        this.#ready.set(key, enc);
        return enc;
      });
      p.catch(() => this.#encoders.delete(key));
      this.#encoders.set(key, p);
    }
    return p;
  }

  /** The Avro encoder of `eventName` on `topic` (first call: one registry lookup; then cached). */
  encoder(topic: string, eventName: string): Promise<AvroEncoder> {
    return this.#cachedEncoder(`${topic}\u0000${eventName}`, async () => {
      const sv = this.writerSchema(eventName);
      const subject = subjectName(this.strategy, topic, sv.type.name!);
      const id = await this.#registry(`Avro event ${eventName}`).idFor(subject, sv.text, this.#autoRegister);
      return new AvroEncoder(eventName, sv.type, id);
    });
  }

  /** Synchronous encoder when already warmed up (hot path), else undefined. */
  encoderSync(topic: string, eventName: string): AvroEncoder | undefined {
    return this.#ready.get(`${topic}\u0000${eventName}`);
  }

  /** The registry-less JSON writer of an event (validates against its writer schema; created once, then cached). */
  jsonEncoder(eventName: string): JsonWriter {
    let enc = this.#json.get(eventName);
    if (enc === undefined) {
      enc = this.#jsonWriter(eventName, this.writerSchema(eventName));
      this.#json.set(eventName, enc);
    }
    return enc;
  }

  /** The encoder of an Avro key schema (JSON text) on `topic`, registered under `<topic>-key`. */
  keyEncoder(topic: string, schemaText: string, eventName: string): Promise<AvroEncoder> {
    return this.#cachedEncoder(`${topic}\u0000key\u0000${schemaText}`, async () => {
      const id = await this.#registry(`the Avro key of ${eventName}`).idFor(`${topic}-key`, schemaText, this.#autoRegister);
      return new AvroEncoder(`${eventName} key`, parseSchema(schemaText), id);
    });
  }

  /** Synchronous key encoder when already warmed up, else undefined. */
  keyEncoderSync(topic: string, schemaText: string): AvroEncoder | undefined {
    return this.#ready.get(`${topic}\u0000key\u0000${schemaText}`);
  }

  #reader(id: number): Promise<AvroReader> {
    let p = this.#readers.get(id);
    if (p === undefined) {
      p = this.#registry(`Avro data (schema id ${id})`)
        .schemaById(id)
        .then((text) => {
          const r = new AvroReader(parseSchema(text));
          this.#readersReady.set(id, r);
          return r;
        });
      p.catch(() => this.#readers.delete(id));
      this.#readers.set(id, p);
    }
    return p;
  }

  /** Reads an Avro key (wire format) as `reader` (default: as written). */
  async decodeKey(bytes: Buffer, reader: avro.Type | undefined, where: Record<string, unknown>): Promise<unknown> {
    await this.prepareKey(bytes, where);
    return this.decodeKeyNow(bytes, reader, where);
  }

  /**
   * Makes decodeKeyNow() of an Avro key possible: fetches its writer schema unless cached (then
   * undefined, no promise made). A key without the wire-format prefix is left to decodeKeyNow's error.
   */
  prepareKey(bytes: Buffer, where: Record<string, unknown>): Promise<unknown> | undefined {
    if (bytes.length < 5 || bytes[0] !== 0) return undefined;
    const id = bytes.readInt32BE(1);
    return this.#readersReady.has(id) ? undefined : this.#readerOrDecodeError(id, where);
  }

  /** Reads an Avro key whose writer schema prepareKey() fetched (synchronous; typed errors as decode()). */
  decodeKeyNow(bytes: Buffer, reader: avro.Type | undefined, where: Record<string, unknown>): unknown {
    const id = readSchemaId(bytes, { ...where, part: 'key' });
    const r = this.#readersReady.get(id);
    if (r === undefined) throw new DecodeError(`the key's writer schema ${id} was not fetched (prepareKey() first)`, { ...where, part: 'key', schemaId: id });
    return r.decode(bytes, reader, { ...where, part: 'key', schemaId: id });
  }

  #readerOrDecodeError(id: number, where: Record<string, unknown>): Promise<AvroReader> {
    if (this.registry === undefined) {
      return Promise.reject(new DecodeError(`Avro data (wire format, schema id ${id}) but this reader has no Schema Registry; configure one to read Avro events`, { ...where, schemaId: id }));
    }
    return this.#reader(id);
  }

  /**
   * Decodes an event: Avro in wire format (any registered writer version, resolved to the local
   * latest schema of the same record), or JSON (`content_type: application/json`, or a payload
   * starting with `{` and no content type) named by its `event_type` header or, without one, the
   * topic's expected event. Typed errors: WireFormatError, UnknownSchemaError (the registry's own
   * "not found"), DecodeError — all non-retriable: the consumer dead-letters them; a RegistryError
   * that is retriable (registry unreachable, 5xx, a 404 from a proxy) makes the consumer retry.
   */
  async decode(msg: SerializedMessageView, expectedEvent?: string): Promise<DecodedEvent> {
    return this.decodeIdentified(msg, await this.identify(msg, expectedEvent));
  }

  /** Decodes a message identify() named (synchronous: the writer schema is cached by then). */
  decodeIdentified(msg: SerializedMessageView, found: IdentifiedEvent): DecodedEvent {
    const where = { topic: msg.topic, partition: msg.partition, offset: msg.offset };
    if (found.reader === undefined) return { eventName: found.eventName, value: this.#jsonReader(msg.value, this.readerType(found.eventName), where), format: 'json' };
    const readerType = this.#schemas.has(found.eventName) ? this.readerType(found.eventName) : undefined;
    return { eventName: found.eventName, value: found.reader.decode(msg.value!, readerType, { ...where, schemaId: found.schemaId }), format: 'avro', schemaId: found.schemaId };
  }

  /**
   * The event a message holds, without decoding its value (Avro: the writer schema is fetched and
   * cached, so a decode() after it costs no registry call). The same typed errors as decode().
   */
  async eventNameOf(msg: SerializedMessageView, expectedEvent?: string): Promise<string> {
    return (await this.identify(msg, expectedEvent)).eventName;
  }

  /**
   * Which event a message holds and how to read it, without decoding its value (Avro: the writer
   * schema is fetched and cached). The same typed errors as decode(); decodeIdentified() finishes.
   */
  async identify(msg: SerializedMessageView, expectedEvent: string | undefined): Promise<IdentifiedEvent> {
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
      return { eventName: name, reader: undefined };
    }
    const id = readSchemaId(value, where);
    const reader = this.#readersReady.get(id) ?? (await this.#readerOrDecodeError(id, where));
    const writerName = reader.writer.name ?? '';
    const eventName = writerName.slice(writerName.lastIndexOf('.') + 1);
    if (expectedEvent !== undefined && eventName !== expectedEvent && !this.#schemas.has(eventName)) {
      throw new DecodeError(`expected a ${expectedEvent} event, got a ${writerName} record`, { ...where, schemaId: id });
    }
    return { eventName, reader, schemaId: id };
  }
}
