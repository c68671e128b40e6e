/**
 * TypedPublisher: publishes a catalog's events, type-checked against the generated input types —
 * the value encoded (Avro through the registry, or validated JSON), keyed by its key serde, with an
 * `event_type` header (and `content_type: application/json` for JSON, plus the Go services'
 * `entity_type` / `entity_id` when the serde's JSON writer names them) — through a producer.
 */
import { canonicalTopicKey } from '../config/topics.js';
import type { KafkaConfig } from '../config/types.js';
import type { DeliveryResult } from '../delivery/engine.js';
import { HEADERS } from '../message/headers.js';
import { newMessage, type OutgoingMessage } from '../message/outgoing.js';
import type { EventCatalog, ResolvedEvent, TopicsConfig } from './catalog.js';
import { InvalidEventError } from './errors.js';
import type { JsonWriter, SchemaSerde } from './serde.js';
import type { EventName, InputOf, Serialization } from './types.js';

/** What a publisher sends through (the client's Producer fits). */
export interface EventProducer {
  publish(message: OutgoingMessage): Promise<DeliveryResult>;
}

/** Per-message options of publish(). */
export interface PublishEventOptions {
  /** Travels in the `correlation_id` header. */
  readonly correlationId?: string | undefined;
  /** Travels in the message's metadata header. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** More headers (names the library reserves are refused, see OutgoingMessage.withHeader). */
  readonly headers?: Readonly<Record<string, string | Buffer>> | undefined;
  /** The message id (default: generated). */
  readonly id?: string | undefined;
  /** A partition instead of the key's. */
  readonly partition?: number | undefined;
  /** Milliseconds since the epoch (default: now). */
  readonly timestamp?: number | undefined;
}

export interface TypedPublisherOptions {
  /** The producer, or a function returning it (looked up per publish: the client's producer exists once connected). */
  readonly producer: EventProducer | (() => EventProducer);
  /** Encodes values and Avro keys (catalog.serde({ registry })). */
  readonly serde: SchemaSerde;
  /**
   * Topics for events given by topicKey, and `topicSerialization` (per topic key: avro or json,
   * winning over everything else) — a loaded KafkaConfig fits.
   */
  readonly config?: (TopicsConfig & Partial<Pick<KafkaConfig, 'topicSerialization'>>) | undefined;
  /**
   * How every event is written unless its topic key has a `topicSerialization` entry. Default: each
   * event's own serialization (defineEvents). The Go Coffee publisher passes `kafka.serialization`.
   */
  readonly serialization?: Serialization | undefined;
}

const JSON_CONTENT = 'application/json';

/**
 * How an event is written: `topicSerialization[<its topic key>]` when configured, else
 * `serialization` (a publisher's option), else the event's own (defineEvents, default avro). The
 * one rule, shared by TypedPublisher and by TypedEvents' registry check.
 */
export function effectiveSerialization(e: ResolvedEvent, config: Partial<Pick<KafkaConfig, 'topicSerialization'>> | undefined, serialization?: Serialization): Serialization {
  const byTopic = e.topicKey !== undefined ? config?.topicSerialization?.[canonicalTopicKey(e.topicKey)] : undefined;
  return byTopic ?? serialization ?? e.serialization;
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/** Publishes typed events: see {@link TypedPublisher.publish}. */
export class TypedPublisher<T = Record<string, object>, I = T> {
  readonly catalog: EventCatalog<T, I>;
  readonly #serde: SchemaSerde;
  readonly #config: TypedPublisherOptions['config'];
  readonly #serialization: Serialization | undefined;
  readonly #producer: () => EventProducer;
  readonly #topics = new Map<string, string>();
  readonly #formats = new Map<string, Serialization>();
  /** Per topic and key: resolves once the last publish of that key has handed its message to the producer (or failed before). */
  readonly #handoffs = new Map<string, Promise<void>>();

  constructor(catalog: EventCatalog<T, I>, options: TypedPublisherOptions) {
    this.catalog = catalog;
    this.#serde = options.serde;
    this.#config = options.config;
    this.#serialization = options.serialization;
    const p = options.producer;
    this.#producer = typeof p === 'function' ? p : () => p;
  }

  /** The Kafka topic of an event (suffix applied for a topicKey; cached). */
  topicOf(name: EventName<T>): string {
    let topic = this.#topics.get(name);
    if (topic === undefined) {
      topic = this.catalog.topicOf(name, this.#config);
      this.#topics.set(name, topic);
    }
    return topic;
  }

  /**
   * How an event is written (cached): `topicSerialization[<its topic key>]` when configured, else
   * the publisher's `serialization` option, else the event's own (defineEvents, default avro).
   */
  serializationOf(name: EventName<T>): Serialization {
    let format = this.#formats.get(name);
    if (format === undefined) {
      format = effectiveSerialization(this.catalog.event(name), this.#config, this.#serialization);
      this.#formats.set(name, format);
    }
    return format;
  }

  /**
   * Builds the message of an event without sending it: the encoded value, the key, the headers.
   * @throws InvalidEventError (unknown event, not an object, a key its serde cannot write),
   *   SchemaValidationError naming the field that does not match the schema, a RegistryError when
   *   the schema id cannot be looked up; nothing is sent then.
   */
  async message<K extends EventName<T>>(name: K, event: InputOf<I, K>, options: PublishEventOptions = {}): Promise<OutgoingMessage> {
    const e = this.catalog.event(name);
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new InvalidEventError(`${name}: expected an event object, got ${describe(event)}; nothing was sent`, { event: name });
    }
    const topic = this.topicOf(name);
    const key = await this.#key(e, topic, event as Record<string, unknown>);
    let value: Buffer;
    let json: JsonWriter | undefined;
    if (this.serializationOf(name) === 'json') {
      json = this.#serde.jsonEncoder(name);
      value = json.encode(event);
    } else {
      value = (this.#serde.encoderSync(topic, name) ?? (await this.#serde.encoder(topic, name))).encode(event);
    }
    const msg = newMessage(topic, value).withKey(key).withHeader(HEADERS.EVENT_TYPE, e.eventType);
    if (json !== undefined) {
      // The Go services' headers, in their order: event_type, entity_type, entity_id, content_type.
      if (json.entityType !== undefined) {
        msg.withHeader(HEADERS.ENTITY_TYPE, json.entityType);
        const id = (event as Record<string, unknown>)[json.entityIdField ?? e.keyField ?? ''];
        if (typeof id === 'string' && id !== '') msg.withHeader(HEADERS.ENTITY_ID, id);
      }
      msg.withHeader(HEADERS.CONTENT_TYPE, JSON_CONTENT);
    }
    if (options.headers !== undefined) for (const [k, v] of Object.entries(options.headers)) msg.withHeader(k, v);
    if (options.correlationId !== undefined) msg.withCorrelationId(options.correlationId);
    if (options.metadata !== undefined) for (const [k, v] of Object.entries(options.metadata)) msg.withMetadata(k, v);
    if (options.id !== undefined) msg.withId(options.id);
    if (options.partition !== undefined) msg.withPartition(options.partition);
    if (options.timestamp !== undefined) msg.withTimestamp(options.timestamp);
    return msg;
  }

  /**
   * Publishes one event; resolves on the broker's acknowledgement. Events of one key (and topic)
   * reach the producer in the order of the publish() calls, whatever the encoders' cache state.
   * Typed errors before anything is sent: see {@link message}; after: what the producer rejects
   * with (DeliveryError, ...).
   */
  publish<K extends EventName<T>>(name: K, event: InputOf<I, K>, options?: PublishEventOptions): Promise<DeliveryResult> {
    // Encoding starts now (events are encoded concurrently), but messages reach the producer in
    // call order: an event whose encoder is cold (its schema id still being looked up in the
    // registry) is not overtaken by a later event of the same key whose encoder is warm.
    const encoded = this.message(name, event, options);
    const lane = this.#laneOf(name, event);
    const previous = this.#handoffs.get(lane);
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.#handoffs.set(lane, mine);
    const done = (): void => {
      release();
      if (this.#handoffs.get(lane) === mine) this.#handoffs.delete(lane);
    };
    return encoded.then(
      async (msg) => {
        if (previous !== undefined) await previous;
        try {
          return this.#producer().publish(msg); // called (synchronously) before the next message of its key is released
        } finally {
          done();
        }
      },
      async (err: unknown) => {
        if (previous !== undefined) await previous;
        done();
        throw err;
      },
    );
  }

  /**
   * The ordering lane of an event: its topic and key (events of other keys or topics are not held
   * up by a cold encoder). An event whose key cannot be read shares one lane per topic (message()
   * reports its error).
   */
  #laneOf(name: EventName<T>, event: unknown): string {
    try {
      const e = this.catalog.event(name);
      const topic = this.topicOf(name);
      if (e.keyOf === undefined || event === null || typeof event !== 'object') return topic;
      const k = e.keyOf(event as Record<string, unknown>);
      return `${topic}\u0000${typeof k === 'string' ? k : Buffer.isBuffer(k) ? k.toString('latin1') : JSON.stringify(k, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
    } catch {
      return String(name);
    }
  }

  async #key(e: ResolvedEvent, topic: string, event: Record<string, unknown>): Promise<string | Buffer | null> {
    if (e.keyOf === undefined) return null;
    const where = e.keyField !== undefined ? `${e.name}.${e.keyField}` : `${e.name} key`;
    let k: unknown;
    try {
      k = e.keyOf(event);
    } catch (err) {
      throw new InvalidEventError(`${where}: the key function threw: ${(err as Error)?.message ?? String(err)}; nothing was sent`, { event: e.name });
    }
    if (e.avroKey !== undefined) {
      const text = e.avroKey.text;
      return (this.#serde.keyEncoderSync(topic, text) ?? (await this.#serde.keyEncoder(topic, text, e.name))).encode(k);
    }
    return e.keySerde!.serialize(k, where);
  }
}
