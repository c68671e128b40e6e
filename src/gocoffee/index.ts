/**
 * The Go Coffee domain on top of the generic client and its typed events (src/typed/): the event
 * catalog and its generated types, the EventSerde and registerSchemas bindings, typed handler
 * classes (also as a pool worker module), the Manager, the EventBus and the global manager.
 * Published as `@gocoffee/kafka/gocoffee`; the package root re-exports it.
 */
export { EVENTS, AVRO_NAMESPACE, eventDescriptor, goCoffeeEvents, goJsonWriter, goJsonLayout, GO_STRUCTS } from './catalog.js';
export type { EventDescriptor, EventName, GoCoffeeCatalog } from './catalog.js';
export { EventSerde, registerSchemas, packageEventSchemas } from './serde.js';
export type { EventSerdeOptions, DecodedEvent, SerializedMessageView, EventTypeResolver, RegisterSchemasOptions, RegistrationConfig } from './serde.js';
export { EventPublisher } from './publisher.js';
export type { PublishEventOptions } from './publisher.js';
export { InvalidEventError } from '../typed/errors.js';
export { TypedEventHandler, BeverageEventHandler, TaskEventHandler, NotificationEventHandler, AIEventHandler, SystemEventHandler } from './handlers.js';
export type { EventContext } from './handlers.js';
export { goCoffeeWorker } from './worker.js';
export type { GoCoffeeWorkerOptions } from './worker.js';
export { Manager } from './manager.js';
export type { ManagerOptions } from './manager.js';
export { EventBus } from './event-bus.js';
export type { EventSink } from './event-bus.js';
export { initGlobalManager, getGlobalManager, getGlobalEventBus, closeGlobalManager } from './global.js';
export type { GlobalLookupOptions } from './global.js';
export { requiredOnPublish, zeroFilledFields } from './zero.js';
export type { PublishInput, RequiredOnPublish } from './zero.js';
export { DefaultEventHandler, ManagerConsumer } from './defaults.js';
export type { DefaultGroups } from './defaults.js';
export type { HealthStatus, Statistics, PartitionHealth } from './health.js';
export { LATEST_VERSIONS } from './generated.js';
export type * from './generated.js';
