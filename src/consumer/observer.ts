import { consumerFailure, consumerFetch, consumerTaskEnd, consumerTaskStart, TaskStatus, type TaskMessage } from '../diagnostics/channels.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';
import type { TopicCounters } from '../diagnostics/counters.js';
import type { NativeMessage } from '../native/types.js';

/** A message that failed (the dispatcher's Pending): for the retry and dead-letter events. */
export interface FailedMessage {
  readonly msg: NativeMessage;
  readonly attempts: number;
  readonly errorType: string;
  readonly errorMessage: string;
}

/**
 * The consumer's side of diagnostics for one group, called by the dispatcher per task and by the
 * group consumer per event: the consume counters (always on) and the consumer channel events
 * (src/diagnostics/channels.ts) when someone subscribes — the telemetry adapters turn them into
 * process/receive spans, the consume-duration histogram and the retry/dead-letter log lines.
 */
export class ConsumerObserver {
  readonly #d: Diagnostics;
  readonly #groupId: string;

  constructor(diagnostics: Diagnostics, groupId: string) {
    this.#d = diagnostics;
    this.#groupId = groupId;
  }

  /** The topic's consume counters, for a partition to keep (counted per message without a lookup). */
  countersOf(topic: string): TopicCounters {
    return this.#d.counters.counters(topic, 'consume');
  }

  /** Whether task-end subscribers want each message's fetch time (performance.now()). */
  get timing(): boolean {
    return consumerTaskEnd.hasSubscribers;
  }

  /** A batch was fetched (the group consumer counts what its partitions take in). */
  fetched(msgs: readonly NativeMessage[]): void {
    if (consumerFetch.hasSubscribers) consumerFetch.publish({ source: this.#d, groupId: this.#groupId, messages: msgs });
  }

  /** A task starts; returns the traceparents a subscriber chose for its messages (or undefined). */
  started(items: readonly TaskMessage[]): (string | undefined)[] | undefined {
    if (!consumerTaskStart.hasSubscribers) return undefined;
    const ev = { source: this.#d, groupId: this.#groupId, items, traces: undefined as (string | undefined)[] | undefined };
    consumerTaskStart.publish(ev);
    return ev.traces;
  }

  /** A task finished: counts the successes, tells task-end subscribers. */
  finished(items: readonly TaskMessage[], statuses: ArrayLike<number>, failure: (i: number) => { name: string; message: string } | undefined): void {
    const store = this.#d.counters;
    let topic: string | undefined;
    let counters: TopicCounters | undefined;
    for (let i = 0; i < items.length; i++) {
      if (statuses[i] !== TaskStatus.Ok) continue;
      const t = items[i]!.msg.topic;
      if (t !== topic) counters = store.counters((topic = t), 'consume');
      counters!.success++;
    }
    if (consumerTaskEnd.hasSubscribers) consumerTaskEnd.publish({ source: this.#d, groupId: this.#groupId, items, statuses, failure });
  }

  /** A failed message will run again: counted, and told (the logging adapter writes a warn line). */
  retried(p: FailedMessage): void {
    this.#d.counters.counters(p.msg.topic, 'consume').retries++;
    if (consumerFailure.hasSubscribers) consumerFailure.publish(this.#failure('retry', p, false));
  }

  /**
   * A message was written to the dead-letter topic: counted, and told (an error line). Also for a
   * write that completed after stop() or a revoke (`late`): the message is parked all the same.
   */
  deadLettered(p: FailedMessage, late = false): void {
    const store = this.#d.counters;
    const c = store.counters(p.msg.topic, 'consume');
    c.deadLettered++;
    store.error(c, p.errorType);
    if (consumerFailure.hasSubscribers) consumerFailure.publish(this.#failure('dead-letter', p, late));
  }

  #failure(kind: 'retry' | 'dead-letter', p: FailedMessage, late: boolean) {
    return { source: this.#d, groupId: this.#groupId, kind, msg: p.msg, attempts: p.attempts, errorType: p.errorType, errorMessage: p.errorMessage, late };
  }
}
