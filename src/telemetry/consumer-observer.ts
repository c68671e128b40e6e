import type { Span } from '@opentelemetry/api';
import type { NativeMessage } from '../native/types.js';
import type { TopicCounters } from './counters.js';
import type { Telemetry } from './telemetry.js';
import { toTraceparent } from './tracing.js';

/** What the observer needs of a dispatched message (the dispatcher's Pending). */
export interface ObservedMessage {
  readonly msg: NativeMessage;
  span: Span | undefined;
  fetchedAt: number;
}

export const enum ObservedStatus {
  Ok = 0,
  Failed = 1,
  Skipped = 2,
}

/**
 * The consumer side of tracing and metrics, called by the dispatcher per task (never per message
 * when both are off: `active` is checked once per task).
 *
 * Each run of a message gets a CONSUMER span `process <topic>` whose parent is the producer's
 * context from the message headers; its traceparent travels with the task so that inside the
 * handler — also in a worker thread — the active context is the message's. Each fetched batch gets
 * a `receive <topic>` span linked to every message's producer context.
 */
export class ConsumerObserver {
  readonly #t: Telemetry;
  readonly #groupId: string;

  constructor(telemetry: Telemetry, groupId: string) {
    this.#t = telemetry;
    this.#groupId = groupId;
  }

  /** Always: the per-topic message counters are always kept (getStatistics()). */
  get active(): boolean {
    return true;
  }

  /** A batch was fetched: counts it and records the receive span (per topic). */
  fetched(msgs: readonly NativeMessage[]): void {
    const counters = this.#t.counters;
    if (!this.#t.tracing.enabled) {
      // Count runs of one topic (a fetch is mostly one topic): no list per topic.
      let i = 0;
      while (i < msgs.length) {
        const topic = msgs[i]!.topic;
        let j = i + 1;
        while (j < msgs.length && msgs[j]!.topic === topic) j++;
        counters.counters(topic, 'consume').total += j - i;
        i = j;
      }
      return;
    }
    const byTopic = new Map<string, NativeMessage[]>();
    for (const x of msgs) {
      let l = byTopic.get(x.topic);
      if (l === undefined) byTopic.set(x.topic, (l = []));
      l.push(x);
    }
    for (const [topic, list] of byTopic) {
      counters.counters(topic, 'consume').total += list.length;
      this.#t.tracing.recordReceive(topic, this.#groupId, list);
    }
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

  retried(topic: string): void {
    this.#t.counters.counters(topic, 'consume').retries++;
  }

  deadLettered(topic: string, errorType: string): void {
    const store = this.#t.counters;
    const c = store.counters(topic, 'consume');
    c.deadLettered++;
    store.error(c, errorType);
  }
}
