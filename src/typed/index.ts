/**
 * Typed events for any application: its own schemas folder, generated types
 * (`gocoffee-kafka schemas codegen`), a typed publisher, typed handlers in-process and in pool
 * workers, key serdes, Avro through a Schema Registry or plain JSON without one.
 */
export { defineEvents, readOnlyCatalog, EventCatalog, DEFAULT_EVENT_TYPE_SUFFIXES } from './catalog.js';
export type { DefineEventsOptions, ResolvedEvent, AvroKeySchema, TopicsConfig } from './catalog.js';
export { SchemaSerde } from './serde.js';
export type { SchemaSerdeOptions, DecodedEvent, SerializedMessageView, EventTypeResolver, JsonReader, JsonWriter, JsonWriterFactory } from './serde.js';
export { TypedPublisher } from './publisher.js';
export type { EventProducer, PublishEventOptions, TypedPublisherOptions } from './publisher.js';
export { TypedHandler, TypedDispatch } from './handler.js';
export type { TypedHandlerOptions } from './handler.js';
export { typedWorker, workerHandler } from './worker.js';
export type { TypedWorkerOptions, TypedWorkerModule, WorkerHandlerOptions } from './worker.js';
export { TypedEvents } from './events.js';
export type { TypedEventsOptions, EventClient } from './events.js';
export { registerEventSchemas } from './register.js';
export type { RegisterEventSchemasOptions, RegistrationConfig } from './register.js';
export { keySerde, isAvroKey, KEY_SERDES } from './keys.js';
export type { KeySerde, KeySerdeName, KeySerdeOption, AvroKeyOption } from './keys.js';
export { InvalidEventError } from './errors.js';
export type { EventName, InputOf, Serialization, EventSpec, EventSpecs, HandlerContext, TypedHandlerFn, TypedHandlers, UnhandledPolicy } from './types.js';
