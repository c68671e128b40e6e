import type avro from 'avsc';
import { AvroEncoder, AvroReader, parseSchema } from './avro.js';
import { DecodeError, WireFormatError } from './errors.js';
import { decodeJsonEvent } from './json.js';
import type { SchemaRegistry } from './registry.js';
import { latestOf, loadSchemaVersions, type SchemaVersion } from './schemas.js';
import { MAGIC_BYTE, readSchemaId } from './wire.js';

/** How a subject is named (Confluent's strategies). */
export type SubjectStrategy = 'topic' | 'record' | 'topic-record';

export function subjectName(strategy: SubjectStrategy, topic: string, fullName: string): string {
  switch (strategy) {
    case 'topic':
      return `${topic}-value`;
    case 'record':
      return fullName;
    case 'topic-record':
      return `${topic}-${fullName}`;
  }
}

export interface EventSerdeOptions {
  readonly registry: SchemaRegistry;
  /** Default: the package's schemas/ folder. */
  readonly schemas?: Map<string, SchemaVersion[]>;
  /** Default 'topic' (TopicNameStrategy, `<topic>-value`). */
  readonly strategy?: SubjectStrategy;
  /** Register schemas on first use instead of looking them up. Default false. */
  readonly autoRegister?: boolean;
  /** Write with this version of an event's schema instead of the latest (e.g. during a rollout). */
  readonly writerVersions?: Readonly<Record<string, number>>;
}

export interface DecodedEvent {
  readonly eventName: string;
  readonly value: unknown;
  readonly format: 'avro' | 'json';
  readonly schemaId?: number;
}

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
    this.#schemas = opts.schemas ?? loadSchemaVersions();
    this.#autoRegister = opts.autoRegister ?? false;
    this.#writerVersions = opts.writerVersions ?? {};
    this.#eventType = eventType;
  }

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
   * UnknownSchemaError, DecodeError (all non-retriable: the consumer dead-letters them).
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

export { MAGIC_BYTE, WireFormatError };
