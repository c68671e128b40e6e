export { EVENTS, AVRO_NAMESPACE, eventDescriptor } from './catalog.js';
export type { EventDescriptor, EventName } from './catalog.js';
export { EventPublisher } from './publisher.js';
export type { PublishEventOptions } from './publisher.js';
export { InvalidEventError } from './errors.js';
export { TypedEventHandler, BeverageEventHandler, TaskEventHandler, NotificationEventHandler, AIEventHandler, SystemEventHandler } from './handlers.js';
export type { EventContext } from './handlers.js';
export type * from './generated.js';
