import type { Span } from '@opentelemetry/api';
import type { NativeMessage } from '../native/types.js';
import type { TopicCounters } from './counters.js';
import { messageTraceFields, type Logger } from './logging.js';
import type { Telemetry } from './telemetry.js';
import { toTraceparent } from './tracing.js';

/** What the observer needs of a dispatched message (the dispatcher's Pending). */
export interface ObservedMessage {
  readonly msg: NativeMessage;
  span: Span | undefined;
  fetchedAt: number;
}

/** A message that failed (the dispatcher's Pending): for the retry and dead-letter lines. */
export interface FailedMessage {
  readonly msg: NativeMessage;
  readonly attempts: number;
  readonly errorType: string;
  readonly errorMessage: string;
}

export const enum ObservedStatus {
  Ok = 0,
  Failed = 1,
  Skipped = 2,
}

/**
 * The consumer side of tracing, metrics, counters and the per-message failure log lines (retry,
 * dead letter), called by the dispatcher per task and by the group consumer per event.
 *
 * Each run of a message gets a CONSUMER span `process <topic>` whose parent is the producer's
 * context from the message headers; its traceparent travels with the task so that inside the
 * handler — also in a worker thread — the active context is the message's. Each fetched batch gets
 * a `receive <topic>` span linked to every message's producer context.
 */
export class ConsumerObserver {
  readonly #t: Telemetry;
  readonly #groupId: string;
  readonly #log: Logger;

  /** `log`: the consumer's logger (component consumer); default the telemetry's own. */
  constructor(telemetry: Telemetry, groupId: string, log: Logger = telemetry.component('consumer')) {
    this.#t = telemetry;
    this.#groupId = groupId;
    this.#log = log;
  }

  /** The topic's consume counters, for a partition to keep (counted per message without a lookup). */
  countersOf(topic: string): TopicCounters {
    return this.#t.counters.counters(topic, 'consume');
  }

  /**
   * A batch was fetched: records the receive span (per topic) when tracing is on. (The messages
   * are counted as consumed by the group consumer, once it knows which belong to its partitions.)
   */
  fetched(msgs: readonly NativeMessage[]): void {
    if (!this.#t.tracing.enabled) return;
    const byTopic = new Map<string, NativeMessage[]>();
    for (const x of msgs) {
      let l = byTopic.get(x.topic);
      if (l === undefined) byTopic.set(x.topic, (l = []));
      l.push(x);
    }
    for (const [topic, list] of byTopic) this.#t.tracing.recordReceive(topic, this.#groupId, list);
  }

  /** A task starts: one process span per message; returns their traceparents (or undefined). */
  started(items: readonly ObservedMessage[]): (string | undefined)[] | undefined {
    if (!this.#t.tracing.enabled) return undefined;
    const out = new Array<string | undefined>(items.length);
    for (let i = 0; i < items.length; i++) {
      const p = items[i]!;
      const span = this.#t.tracing.startProcess(p.msg, this.#groupId, items.length);
      p.span = span;
      out[i] = span === undefined ? undefined : toTraceparent(span.spanContext());
    }
    return out;
  }

  /** A task finished: ends spans (errors recorded), counts successes and consume durations. */
  finished(items: readonly ObservedMessage[], statuses: ArrayLike<number>, failure: (i: number) => { name: string; message: string } | undefined): void {
    const m = this.#t.metrics;
    const store = this.#t.counters;
    const now = m !== undefined ? performance.now() : 0;
    let topic: string | undefined;
    let counters: TopicCounters | undefined;
    for (let i = 0; i < items.length; i++) {
      const p = items[i]!;
      const status = statuses[i];
      const span = p.span;
      p.span = undefined;
      if (status === ObservedStatus.Ok) {
        if (p.msg.topic !== topic) counters = store.counters((topic = p.msg.topic), 'consume');
        counters!.success++;
        if (m !== undefined) m.observeConsume(topic, (now - p.fetchedAt) / 1000);
        span?.end();
      } else if (span !== undefined) {
        if (status === ObservedStatus.Failed) {
          const f = failure(i) ?? { name: 'Error', message: 'handler failed' };
          const err = Object.assign(new Error(f.message), { name: f.name });
          this.#t.tracing.fail(span, err);
        } else {
          span.addEvent('not run: an earlier message of its key failed');
          span.end();
        }
      }
    }
  }

  /** A failed message will run again: counted, and logged (warn) with its own trace ids. */
  retried(p: FailedMessage): void {
    this.#t.counters.counters(p.msg.topic, 'consume').retries++;
    if (this.#log.isLevelEnabled('warn')) this.#log.warn({ ...this.#fields(p), attempt: p.attempts }, 'handler failed; the message will be retried');
  }

  /**
   * A message was written to the dead-letter topic: counted, and logged (error). Also for a write
   * that completed after stop() or a revoke (`late`): the message is parked all the same.
   */
  deadLettered(p: FailedMessage, late = false): void {
    const store = this.#t.counters;
    const c = store.counters(p.msg.topic, 'consume');
    c.deadLettered++;
    store.error(c, p.errorType);
    if (this.#log.isLevelEnabled('error')) {
      this.#log.error({ ...this.#fields(p), attempts: p.attempts, ...(late ? { after: 'stop or revoke' } : {}) }, 'message dead-lettered');
    }
  }

  /** The fields of a log line about one failed message: where it is, why it failed, its trace. */
  #fields(p: FailedMessage): Record<string, unknown> {
    const m = p.msg;
    return { ...messageTraceFields(m.headers), group: this.#groupId, topic: m.topic, partition: m.partition, offset: m.offset, error_type: p.errorType, error_message: this.#t.redact(p.errorMessage) };
  }
}
