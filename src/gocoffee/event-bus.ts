import type { DeliveryResult } from '../delivery/engine.js';
import { InvalidEventError } from '../typed/errors.js';
import type { EventName } from './catalog.js';
import type { PublishEventOptions } from './publisher.js';
import type { PublishInput } from './zero.js';

/** What the EventBus publishes through (the Manager: it fills Go's zero values, src/gocoffee/zero.ts). */
export interface EventSink {
  publishEvent(name: EventName, event: object, options?: PublishEventOptions): Promise<DeliveryResult>;
}

// Maps without a prototype: an action like "toString" or "constructor" is unknown, not inherited.
const BEVERAGE_ACTIONS: Readonly<Record<string, EventName>> = Object.assign(Object.create(null) as Record<string, EventName>, { created: 'BeverageCreated', updated: 'BeverageUpdated' });
const TASK_ACTIONS: Readonly<Record<string, EventName>> = Object.assign(Object.create(null) as Record<string, EventName>, { created: 'TaskCreated', updated: 'TaskUpdated' });

function checkObject(method: string, event: unknown): asserts event is Record<string, unknown> {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidEventError(`${method}: expected an event object, got ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}`, { method });
  }
}

function checkId(method: string, event: Record<string, unknown>, field: string, id: string, eventName: string): void {
  if (typeof id !== 'string' || id === '') throw new InvalidEventError(`${method}: expected a non-empty id, got ${JSON.stringify(id)}`, { method });
  const inEvent = event[field];
  if (inEvent === undefined) {
    throw new InvalidEventError(`${method}: the event has no ${field}; expected a ${eventName} event (got an object with fields ${Object.keys(event).slice(0, 8).join(', ') || 'none'})`, { method, field });
  }
  if (inEvent !== id) throw new InvalidEventError(`${method}: id ${JSON.stringify(id)} does not match event.${field} ${JSON.stringify(inEvent)}`, { method, field });
}

/**
 * The high-level publishing API the agents call (the seed's EventBus). Every call either publishes
 * (resolving on the broker's acknowledgement) or rejects with a typed error: an unknown action, a
 * value that is not an event of the expected type, an id that does not match the event, or a field
 * that does not match the schema. Nothing is ever silently skipped. A field left out other than the
 * entity id and the timestamp is sent as Go's zero value (see PublishInput).
 */
export class EventBus {
  readonly #sink: EventSink;

  constructor(sink: EventSink) {
    this.#sink = sink;
  }

  async publishBeverageEvent(action: 'created', beverageId: string, event: PublishInput<'BeverageCreated'>, options?: PublishEventOptions): Promise<DeliveryResult>;
  async publishBeverageEvent(action: 'updated', beverageId: string, event: PublishInput<'BeverageUpdated'>, options?: PublishEventOptions): Promise<DeliveryResult>;
  async publishBeverageEvent(action: string, beverageId: string, event: object, options?: PublishEventOptions): Promise<DeliveryResult> {
    const name = BEVERAGE_ACTIONS[action];
    if (name === undefined) throw new InvalidEventError(`publishBeverageEvent: unknown action ${JSON.stringify(action)}; expected one of ${Object.keys(BEVERAGE_ACTIONS).join(', ')}`, { action });
    checkObject('publishBeverageEvent', event);
    checkId('publishBeverageEvent', event, 'beverage_id', beverageId, name);
    return this.#sink.publishEvent(name, event, options);
  }

  async publishTaskEvent(action: 'created', taskId: string, event: PublishInput<'TaskCreated'>, options?: PublishEventOptions): Promise<DeliveryResult>;
  async publishTaskEvent(action: 'updated', taskId: string, event: PublishInput<'TaskUpdated'>, options?: PublishEventOptions): Promise<DeliveryResult>;
  async publishTaskEvent(action: string, taskId: string, event: object, options?: PublishEventOptions): Promise<DeliveryResult> {
    const name = TASK_ACTIONS[action];
    if (name === undefined) throw new InvalidEventError(`publishTaskEvent: unknown action ${JSON.stringify(action)}; expected one of ${Object.keys(TASK_ACTIONS).join(', ')}`, { action });
    checkObject('publishTaskEvent', event);
    checkId('publishTaskEvent', event, 'task_id', taskId, name);
    return this.#sink.publishEvent(name, event, options);
  }

  async publishNotificationEvent(event: PublishInput<'NotificationSent'>, options?: PublishEventOptions): Promise<DeliveryResult> {
    checkObject('publishNotificationEvent', event);
    if (!('notification_id' in event)) throw new InvalidEventError('publishNotificationEvent: the event has no notification_id; expected a NotificationSent event', { field: 'notification_id' });
    return this.#sink.publishEvent('NotificationSent', event, options);
  }

  async publishAIEvent(event: PublishInput<'AIRequestCompleted'>, options?: PublishEventOptions): Promise<DeliveryResult> {
    checkObject('publishAIEvent', event);
    if (!('request_id' in event)) throw new InvalidEventError('publishAIEvent: the event has no request_id; expected an AIRequestCompleted event', { field: 'request_id' });
    return this.#sink.publishEvent('AIRequestCompleted', event, options);
  }

  async publishSystemEvent(event: PublishInput<'SystemEvent'>, options?: PublishEventOptions): Promise<DeliveryResult> {
    checkObject('publishSystemEvent', event);
    if (!('event_id' in event)) throw new InvalidEventError('publishSystemEvent: the event has no event_id; expected a SystemEvent event', { field: 'event_id' });
    return this.#sink.publishEvent('SystemEvent', event, options);
  }
}
