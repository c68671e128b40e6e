/**
 * The Manager's default handlers, like the ones the Go package's Manager registers in Initialize: a
 * beverage handler and a task handler, in this library's consumer groups `<group_id>-beverage` and
 * `<group_id>-task` (the Go package's README does not name the groups its handlers use: the
 * Manager option `defaultGroups` sets other names, e.g. the groups a Go service used, to continue
 * from its committed offsets). Each decodes its events and logs one info line per event (event
 * type, entity id, topic, partition, offset; built only when a logger listens), then acknowledges
 * it — what Go's BeverageEventHandler / TaskEventHandler do (log, return nil). Their topics are the
 * configured beverage_created / beverage_updated and task_created / task_updated topics (suffix
 * applied); a topic some registered handler already consumes is left to that handler.
 */
import { topicName } from '../config/index.js';
import type { TopicNames } from '../config/types.js';
import { Consumer } from '../consumer/consumer.js';
import type { MessageHandler } from '../consumer/types.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';
import type { ConsumedMessage } from '../message/consumed.js';
import { eventDescriptor, type EventName } from './catalog.js';
import { InvalidArgumentError } from '../errors/base.js';
import { TypedEventHandler, type EventContext } from './handlers.js';

type DefaultEvents = ReadonlyArray<readonly [keyof TopicNames, EventName]>;

/** The consumer groups of the default handlers (each default: `<group_id>-beverage` / `<group_id>-task`). */
export interface DefaultGroups {
  readonly beverage?: string | undefined;
  readonly task?: string | undefined;
}

/** The two default handlers: which group, its default suffix, and the events (topic key, event) each handles. */
const DEFAULTS: ReadonlyArray<{ readonly group: keyof DefaultGroups; readonly suffix: string; readonly events: DefaultEvents }> = Object.freeze([
  {
    group: 'beverage',
    suffix: '-beverage',
    events: [
      ['beverageCreated', 'BeverageCreated'],
      ['beverageUpdated', 'BeverageUpdated'],
    ],
  },
  {
    group: 'task',
    suffix: '-task',
    events: [
      ['taskCreated', 'TaskCreated'],
      ['taskUpdated', 'TaskUpdated'],
    ],
  },
]);

/** Per event: the log message and the entity id field (built once). */
const LINES: ReadonlyMap<string, { readonly message: string; readonly keyField: string; readonly eventType: string }> = new Map(
  DEFAULTS.flatMap((d) => d.events).map(([, name]) => {
    const e = eventDescriptor(name);
    return [name, { message: `Processing ${e.eventType.replace('.', ' ')} event`, keyField: e.keyField, eventType: e.eventType }] as const;
  }),
);

/** A default handler: logs each event at info and acknowledges it (see the module comment). */
export class DefaultEventHandler extends TypedEventHandler {
  readonly #diagnostics: Diagnostics;

  constructor(ctx: EventContext, groupId: string, events: DefaultEvents, diagnostics: Diagnostics) {
    super(ctx, groupId, events);
    this.#diagnostics = diagnostics;
  }

  protected dispatch(eventName: string, event: unknown, message: ConsumedMessage): void {
    const d = this.#diagnostics;
    if (!d.logging) return;
    const line = LINES.get(eventName);
    if (line === undefined) return this.unknown(eventName, message);
    const fields = {
      event_type: line.eventType,
      entity_id: (event as Record<string, unknown>)[line.keyField],
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      group_id: this.groupId,
    };
    d.log('info', 'default-handler', fields, line.message);
  }
}

/**
 * The default handlers for the beverage and task topics that none of `registered` consumes (in any
 * group): a user's handler for an event replaces the default one for it. Empty when every such
 * topic is taken. `groups`: other group names (see DefaultGroups).
 * @throws InvalidArgumentError for a group name that is not a non-empty string.
 */
export function defaultHandlers(ctx: EventContext, registered: readonly MessageHandler[], diagnostics: Diagnostics, groups: DefaultGroups = {}): DefaultEventHandler[] {
  const taken = new Set(registered.flatMap((h) => h.topics));
  const out: DefaultEventHandler[] = [];
  for (const d of DEFAULTS) {
    const events = d.events.filter(([key]) => !taken.has(topicName(ctx.config, key)));
    if (events.length > 0) out.push(new DefaultEventHandler(ctx, groupOf(groups, d.group, ctx.config.groupId + d.suffix), events, diagnostics));
  }
  return out;
}

/** A checked DefaultGroups entry, or the default. */
export function groupOf(groups: DefaultGroups, which: keyof DefaultGroups, fallback: string): string {
  const g = groups[which];
  if (g === undefined) return fallback;
  if (typeof g !== 'string' || g.trim().length === 0) throw new InvalidArgumentError(`defaultGroups.${which}`, `got ${JSON.stringify(g)}, expected a non-empty consumer group id (default ${JSON.stringify(fallback)})`);
  return g;
}

/**
 * The Manager's Consumer: a Consumer that remembers the handlers registered on it (through the
 * Manager or directly), so the Manager can tell which topics have a handler (default handlers) and
 * how many (topic, group) subscriptions run (statistics).
 */
export class ManagerConsumer extends Consumer {
  readonly #handlers: MessageHandler[] = [];
  readonly #defaults = new Set<MessageHandler>();

  override registerHandler(handler: MessageHandler): void {
    super.registerHandler(handler);
    this.#handlers.push(handler);
  }

  /** Registers default handlers (see defaultHandlers); they are not counted as the user's. */
  registerDefaults(handlers: readonly MessageHandler[]): void {
    for (const h of handlers) {
      this.registerHandler(h);
      this.#defaults.add(h);
    }
  }

  /** Every handler registered, defaults included, in registration order. */
  get handlers(): readonly MessageHandler[] {
    return this.#handlers;
  }

  /** The handlers registered other than the Manager's defaults. */
  get userHandlers(): MessageHandler[] {
    return this.#handlers.filter((h) => !this.#defaults.has(h));
  }

  /**
   * (topic, consumer group) subscriptions while the consumer runs (one per topic of each handler:
   * what Go's Consumer opens a reader for); 0 while it is stopped.
   */
  get subscriptionCount(): number {
    if (this.groups.length === 0) return 0;
    let n = 0;
    for (const h of this.#handlers) n += h.topics.length;
    return n;
  }
}
