import { channel } from 'node:diagnostics_channel';
import type { NativeHeaders, NativeMessage } from '../native/types.js';
import type { Diagnostics } from './diagnostics.js';

/**
 * The node:diagnostics_channel channels the core publishes on. Telemetry (src/telemetry/: OTel
 * spans, Prometheus histograms, pino lines) and anyone else subscribe with
 * `diagnostics_channel.subscribe(name, fn)`; a channel nobody subscribes to costs one boolean read
 * (`hasSubscribers`) where the event would be published, and no event object is built.
 *
 * Every event carries `source`: the Diagnostics of the client (ConnectionManager) that raised it, so
 * a subscriber serving one client ignores the others' events.
 *
 * Message events are the core's own per-message objects (the in-flight producer message, the
 * dispatcher's pending message), typed by the interfaces below: publishing one allocates nothing.
 * Subscribers may keep per-message state in their `trace` slot (e.g. a span) and, for `send`,
 * append headers (e.g. W3C trace context): the event is published before librdkafka sees the message.
 */
export const CHANNELS = Object.freeze({
  /** A message is handed to the producer: {@link SendEvent}. */
  PRODUCER_SEND: 'gocoffee-kafka:producer:send',
  /** Its delivery is settled (acknowledged or failed for good): {@link SettledEvent}. */
  PRODUCER_SETTLED: 'gocoffee-kafka:producer:settled',
  /** A consumer group fetched a batch: {@link FetchEvent}. */
  CONSUMER_FETCH: 'gocoffee-kafka:consumer:fetch',
  /** A handler task starts (a run of messages): {@link TaskStartEvent}. */
  CONSUMER_TASK_START: 'gocoffee-kafka:consumer:task-start',
  /** A handler task finished: {@link TaskEndEvent}. */
  CONSUMER_TASK_END: 'gocoffee-kafka:consumer:task-end',
  /** A failed message will run again, or was dead-lettered: {@link MessageFailureEvent}. */
  CONSUMER_FAILURE: 'gocoffee-kafka:consumer:failure',
  /** A log line of the library: {@link LogEvent}. */
  LOG: 'gocoffee-kafka:log',
});

export const producerSend = channel(CHANNELS.PRODUCER_SEND);
export const producerSettled = channel(CHANNELS.PRODUCER_SETTLED);
export const consumerFetch = channel(CHANNELS.CONSUMER_FETCH);
export const consumerTaskStart = channel(CHANNELS.CONSUMER_TASK_START);
export const consumerTaskEnd = channel(CHANNELS.CONSUMER_TASK_END);
export const consumerFailure = channel(CHANNELS.CONSUMER_FAILURE);
export const logChannel = channel(CHANNELS.LOG);

/** One published message (the producer's in-flight object itself). */
export interface SendEvent {
  readonly source: Diagnostics | undefined;
  readonly topic: string;
  readonly key: string | Buffer | null;
  readonly messageId: string | undefined;
  /** The message's headers; a `send` subscriber may append to them (create the list if undefined). */
  headers: NativeHeaders | undefined;
  /** When it was handed over (coarse monotonic ms; 0 unless a `settled` subscriber was listening). */
  startedAt: number;
  /** Free for subscribers (e.g. the PRODUCER span), carried from `send` to `settled`. */
  trace: unknown;
}

/** The same object on settlement: `result` when acknowledged, `error` when it failed. */
export interface SettledEvent extends SendEvent {
  readonly error: Error | undefined;
  readonly result: { readonly partition: number; readonly offset: number } | undefined;
}

/** A fetched batch of one consumer group. */
export interface FetchEvent {
  readonly source: Diagnostics | undefined;
  readonly groupId: string;
  readonly messages: readonly NativeMessage[];
}

/** A message of a handler task (the dispatcher's pending message). */
export interface TaskMessage {
  readonly msg: NativeMessage;
  /** When it was fetched (performance.now() ms; 0 unless someone listened at fetch time). */
  fetchedAt: number;
  /** Free for subscribers (e.g. the CONSUMER process span), from task start to task end. */
  trace: unknown;
}

/** A handler task starts. A subscriber may set `traces` (per message, the traceparent the handler runs under). */
export interface TaskStartEvent {
  readonly source: Diagnostics | undefined;
  readonly groupId: string;
  readonly items: readonly TaskMessage[];
  traces: (string | undefined)[] | undefined;
}

/** Per message of a task: 0 ok, 1 failed, 2 not run (an earlier message of its key failed). */
export const enum TaskStatus {
  Ok = 0,
  Failed = 1,
  Skipped = 2,
}

/** A handler task finished. */
export interface TaskEndEvent {
  readonly source: Diagnostics | undefined;
  readonly groupId: string;
  readonly items: readonly TaskMessage[];
  readonly statuses: ArrayLike<number>;
  /** The failure of message `i` (status Failed). */
  failure(i: number): { readonly name: string; readonly message: string } | undefined;
}

/** A failed message: it runs again (`retry`) or was written to the dead-letter topic. */
export interface MessageFailureEvent {
  readonly source: Diagnostics | undefined;
  readonly groupId: string;
  readonly kind: 'retry' | 'dead-letter';
  readonly msg: NativeMessage;
  readonly attempts: number;
  readonly errorType: string;
  readonly errorMessage: string;
  /** A dead-letter write that completed after stop() or a revoke. */
  readonly late: boolean;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug';

/** A log line: `component` is connection, producer, consumer or librdkafka. */
export interface LogEvent {
  readonly source: Diagnostics | undefined;
  readonly level: LogLevel;
  readonly component: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string;
}
