import type { Span } from '@opentelemetry/api';
import type { NativeMessage } from '../native/types.js';
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

  get active(): boolean {
    return this.#t.metrics !== undefined || this.#t.tracing.enabled;
  }

  /** A batch was fetched: counts it and records the receive span (per topic). */
  fetched(msgs: readonly NativeMessage[]): void {
    const m = this.#t.metrics;
    const tracing = this.#t.tracing.enabled;
    if (m === undefined && !tracing) return;
    const byTopic = new Map<string, NativeMessage[]>();
    for (const x of msgs) {
      let l = byTopic.get(x.topic);
      if (l === undefined) byTopic.set(x.topic, (l = []));
      l.push(x);
    }
    for (const [topic, list] of byTopic) {
      if (m !== undefined) m.counters(topic, 'consume').total += list.length;
      if (tracing) this.#t.tracing.recordReceive(topic, this.#groupId, list);
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
    const now = performance.now();
    for (let i = 0; i < items.length; i++) {
      const p = items[i]!;
      const status = statuses[i];
      const span = p.span;
      p.span = undefined;
      if (status === ObservedStatus.Ok) {
        if (m !== undefined) {
          m.counters(p.msg.topic, 'consume').success++;
          m.observeConsume(p.msg.topic, (now - p.fetchedAt) / 1000);
        }
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
    const m = this.#t.metrics;
    if (m !== undefined) m.counters(topic, 'consume').retries++;
  }

  deadLettered(topic: string, errorType: string): void {
    const m = this.#t.metrics;
    if (m === undefined) return;
    const c = m.counters(topic, 'consume');
    c.deadLettered++;
    m.error(c, errorType);
  }
}
