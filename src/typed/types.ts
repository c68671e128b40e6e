/**
 * The types of the generic typed-events facility. An application describes its events once
 * (defineEvents, src/typed/catalog.ts), parameterized by the types `gocoffee-kafka schemas codegen`
 * generated from its schemas folder: `EventTypes` (event name → what a handler receives) and
 * `EventInputTypes` (event name → what a publisher passes).
 */
import type { ConsumedMessage } from '../message/consumed.js';
import type { KeySerdeOption } from './keys.js';

/** The names of the events of a types map. */
export type EventName<T> = keyof T & string;

/** What a publisher passes for event `K` (the input types map, else the decoded type). */
export type InputOf<I, K extends PropertyKey> = K extends keyof I ? I[K] : never;

/** How an event's value is written: Avro in Confluent wire format (registry), or plain JSON (no registry). */
export type Serialization = 'avro' | 'json';

/** How one event is published. */
export interface EventSpec<E = object> {
  /** The Kafka topic, used exactly as given. Give this or `topicKey`. */
  readonly topic?: string | undefined;
  /**
   * A key of the configuration's `topics:` (e.g. `orderPlaced` for `topics.order_placed`): the
   * topic is taken from the configuration, `topic_suffix` appended.
   */
  readonly topicKey?: string | undefined;
  /**
   * The message key: the name of a field of the event (checked against the schema), or a function
   * of the event. Omitted: messages have no key (spread over partitions, no per-key order).
   */
  readonly key?: (keyof E & string) | ((event: E) => unknown) | undefined;
  /** How the key is written: `string` (default), `bytes`, `int32`, `int64`, `uuid`, `json`, `{ avro: schema }` or your own KeySerde. */
  readonly keySerde?: KeySerdeOption | undefined;
  /** Default: the catalog's `serialization` (itself `avro` by default). */
  readonly serialization?: Serialization | undefined;
  /** Write with this schema version (`v<N>.avsc`) instead of the latest, e.g. during a rollout. */
  readonly version?: number | undefined;
  /** The `event_type` header value written with every message (default: the event name); reading accepts it. */
  readonly eventType?: string | undefined;
}

/** One spec per event of the input types map. */
export type EventSpecs<I> = { readonly [K in keyof I & string]: EventSpec<I[K]> };

/** What a typed handler gets beside the event. */
export interface HandlerContext<K extends string = string> {
  /** The event's name (its schema record's name). */
  readonly eventName: K;
  /** The consumed message (topic, partition, offset, headers, raw key and value, ...). */
  readonly message: ConsumedMessage;
  /** The message key read with the event's key serde (null for a message without a key), on first use: a key that cannot be read throws a DecodeError there (non-retriable). */
  readonly key: unknown;
  /** How the value was written. */
  readonly format: Serialization;
  /** The writer schema's registry id (Avro only). */
  readonly schemaId: number | undefined;
}

/** A typed handler of event `K`. */
export type TypedHandlerFn<T, K extends EventName<T>> = (event: T[K], ctx: HandlerContext<K>) => void | Promise<void>;

/** Typed handlers by event name (any subset of the catalog's events). */
export type TypedHandlers<T> = { readonly [K in EventName<T>]?: TypedHandlerFn<T, K> };

/** What happens to a message of an event the handler has no function for. */
export type UnhandledPolicy = 'error' | 'ignore';
