import { topicName } from '../config/index.js';
import type { KafkaConfig, TopicNames } from '../config/types.js';
import type { ConsumedMessage } from '../message/consumed.js';
import type { MessageHandler } from '../consumer/types.js';
import { DecodeError } from '../schema/errors.js';
import { TypedDispatch } from '../typed/handler.js';
import type { EventSerde } from './serde.js';
import { goCoffeeEvents, type EventName } from './catalog.js';
import type { AIRequestCompleted, BeverageCreated, BeverageUpdated, NotificationSent, SystemEvent, TaskCreated, TaskUpdated } from './generated.js';

/** What a typed handler needs: topic names (from the configuration) and the serde. */
export interface EventContext {
  readonly config: KafkaConfig;
  readonly serde: EventSerde;
}

/**
 * Base of the typed handlers, on the generic typed dispatch (src/typed/handler.ts): decodes each
 * message (Avro in wire format, or a Go service's JSON event) and calls the method for its event
 * type. A message of an event type the handler does not know is a DecodeError, which the consumer
 * dead-letters at once. Topics come from the configuration (suffix included), never from
 * constants in the handler.
 */
export abstract class TypedEventHandler implements MessageHandler {
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly #dispatch: TypedDispatch;

  protected constructor(ctx: EventContext, groupId: string, events: ReadonlyArray<readonly [keyof TopicNames, string]>) {
    this.groupId = groupId;
    this.topics = Object.freeze(events.map(([key]) => topicName(ctx.config, key)));
    const dispatch = new TypedDispatch(goCoffeeEvents() as never, ctx.serde, new.target.name);
    for (const [key, name] of events) {
      dispatch.on(name as EventName, (event, c) => this.dispatch(name, event, c.message));
      dispatch.expect(topicName(ctx.config, key), name);
    }
    this.#dispatch = dispatch;
  }

  handle(message: ConsumedMessage): Promise<void> {
    return this.#dispatch.handle(message);
  }

  protected abstract dispatch(eventName: string, event: unknown, message: ConsumedMessage): void | Promise<void>;

  protected unknown(eventName: string, message: ConsumedMessage): never {
    throw new DecodeError(`${this.constructor.name} does not handle ${eventName} events`, { topic: message.topic, partition: message.partition, offset: message.offset });
  }
}

/** Beverage events: override onBeverageCreated / onBeverageUpdated. */
export class BeverageEventHandler extends TypedEventHandler {
  constructor(ctx: EventContext, groupId: string = ctx.config.groupId) {
    super(ctx, groupId, [
      ['beverageCreated', 'BeverageCreated'],
      ['beverageUpdated', 'BeverageUpdated'],
    ]);
  }
  onBeverageCreated(_event: BeverageCreated, _message: ConsumedMessage): void | Promise<void> {}
  onBeverageUpdated(_event: BeverageUpdated, _message: ConsumedMessage): void | Promise<void> {}
  protected dispatch(name: string, event: unknown, message: ConsumedMessage): void | Promise<void> {
    if (name === 'BeverageCreated') return this.onBeverageCreated(event as BeverageCreated, message);
    if (name === 'BeverageUpdated') return this.onBeverageUpdated(event as BeverageUpdated, message);
    return this.unknown(name, message);
  }
}

/** Task events: override onTaskCreated / onTaskUpdated. */
export class TaskEventHandler extends TypedEventHandler {
  constructor(ctx: EventContext, groupId: string = ctx.config.groupId) {
    super(ctx, groupId, [
      ['taskCreated', 'TaskCreated'],
      ['taskUpdated', 'TaskUpdated'],
    ]);
  }
  onTaskCreated(_event: TaskCreated, _message: ConsumedMessage): void | Promise<void> {}
  onTaskUpdated(_event: TaskUpdated, _message: ConsumedMessage): void | Promise<void> {}
  protected dispatch(name: string, event: unknown, message: ConsumedMessage): void | Promise<void> {
    if (name === 'TaskCreated') return this.onTaskCreated(event as TaskCreated, message);
    if (name === 'TaskUpdated') return this.onTaskUpdated(event as TaskUpdated, message);
    return this.unknown(name, message);
  }
}

/** Notification events: override onNotificationSent. */
export class NotificationEventHandler extends TypedEventHandler {
  constructor(ctx: EventContext, groupId: string = ctx.config.groupId) {
    super(ctx, groupId, [['notificationSent', 'NotificationSent']]);
  }
  onNotificationSent(_event: NotificationSent, _message: ConsumedMessage): void | Promise<void> {}
  protected dispatch(name: string, event: unknown, message: ConsumedMessage): void | Promise<void> {
    if (name === 'NotificationSent') return this.onNotificationSent(event as NotificationSent, message);
    return this.unknown(name, message);
  }
}

/** AI gateway events: override onAIRequestCompleted. */
export class AIEventHandler extends TypedEventHandler {
  constructor(ctx: EventContext, groupId: string = ctx.config.groupId) {
    super(ctx, groupId, [['aiRequestCompleted', 'AIRequestCompleted']]);
  }
  onAIRequestCompleted(_event: AIRequestCompleted, _message: ConsumedMessage): void | Promise<void> {}
  protected dispatch(name: string, event: unknown, message: ConsumedMessage): void | Promise<void> {
    if (name === 'AIRequestCompleted') return this.onAIRequestCompleted(event as AIRequestCompleted, message);
    return this.unknown(name, message);
  }
}

/** System events: override onSystemEvent. */
export class SystemEventHandler extends TypedEventHandler {
  constructor(ctx: EventContext, groupId: string = ctx.config.groupId) {
    super(ctx, groupId, [['systemEvent', 'SystemEvent']]);
  }
  onSystemEvent(_event: SystemEvent, _message: ConsumedMessage): void | Promise<void> {}
  protected dispatch(name: string, event: unknown, message: ConsumedMessage): void | Promise<void> {
    if (name === 'SystemEvent') return this.onSystemEvent(event as SystemEvent, message);
    return this.unknown(name, message);
  }
}
