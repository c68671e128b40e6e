import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Span, TracerProvider } from '@opentelemetry/api';
import type { KafkaConfig } from '../config/types.js';
import { CHANNELS, TaskStatus, type FetchEvent, type SendEvent, type SettledEvent, type TaskEndEvent, type TaskStartEvent } from '../diagnostics/channels.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';
import { Subscriptions } from './subscriptions.js';
import type { NativeMessage } from '../native/types.js';
import { fromTraceparent, toTraceparent, Tracing, withSpanContext } from './tracing.js';

/** The module pool workers load to run a handler under its trace context (compiled, or from source). */
function workerTraceModule(): string {
  const js = new URL('./worker-trace.js', import.meta.url);
  return existsSync(fileURLToPath(js)) ? js.href : new URL('./worker-trace.ts', import.meta.url).href;
}

/** Runs `fn` with the span context of a W3C traceparent active (none: as it is). */
function runInTrace<T>(traceparent: string | undefined, fn: () => T): T {
  return withSpanContext(fromTraceparent(traceparent), fn);
}

/** What a TracingListener takes of the client's TelemetryOptions. */
export interface TracingListenerOptions {
  readonly tracerProvider?: TracerProvider | undefined;
  readonly goTraceHeaders?: boolean | undefined;
  readonly traceSampleRatio?: number | undefined;
}

/**
 * The tracing adapter of one client: PRODUCER `send` spans (context injected into the message
 * headers before librdkafka sees them), CONSUMER `receive` spans per fetched batch and topic,
 * `process` spans per handler run whose context the handler runs under (in-process, and in pool
 * workers through worker-trace.ts).
 *
 * It listens on the diagnostics channels only while a tracer provider is registered (checked now
 * and then once a second, by its Tracing's own recheck interval): without one, the channels have no
 * subscriber from it and publishing costs nothing.
 *
 * Nothing global holds it: its channel listeners hold only the Tracing (Subscriptions), the recheck
 * interval only a WeakRef, so a client dropped without close() is collected with its listener.
 */
export class TracingListener {
  readonly tracing: Tracing;
  readonly #diag: Diagnostics;
  readonly #subs: Subscriptions;

  constructor(diag: Diagnostics, config: KafkaConfig, opts: TracingListenerOptions = {}) {
    const { tracerProvider, goTraceHeaders, traceSampleRatio } = opts;
    this.#diag = diag;
    this.#subs = new Subscriptions(diag);
    // Without @opentelemetry/api installed nothing can ever be traced: the Tracing starts no recheck interval.
    const self = new WeakRef(this);
    this.tracing = new Tracing({
      clientId: config.clientId,
      ...(config.brokers[0] !== undefined ? { bootstrap: config.brokers[0] } : {}),
      ...(tracerProvider !== undefined ? { tracerProvider } : {}),
      ...(goTraceHeaders !== undefined ? { goTraceHeaders } : {}),
      ...(traceSampleRatio !== undefined ? { sampleRatio: traceSampleRatio } : {}),
      onRecheck: () => self.deref()?.refresh(),
    });
    this.refresh();
  }

  /** Whether it listens (a provider is registered). */
  get attached(): boolean {
    return this.#subs.size > 0;
  }

  /** Attaches when a provider is registered, detaches when none is any more. */
  refresh(): void {
    const on = this.tracing.enabled;
    if (on && !this.attached) this.#attach();
    else if (!on && this.attached) this.#detach();
  }

  close(): void {
    this.tracing.close();
    this.#detach();
  }

  #detach(): void {
    this.#subs.clear();
    this.#diag.traceRunner = undefined;
    this.#diag.traceModule = undefined;
  }

  #attach(): void {
    const t = this.tracing;
    this.#subs.on<SendEvent>(CHANNELS.PRODUCER_SEND, (ev) => {
      const span = t.startSend(ev.topic, ev.key, ev.messageId, ev);
      if (span !== undefined) ev.trace = span;
    });
    this.#subs.on<SettledEvent>(CHANNELS.PRODUCER_SETTLED, (ev) => {
      const span = ev.trace as Span | undefined;
      if (span === undefined) return;
      ev.trace = undefined;
      if (ev.error !== undefined) t.fail(span, ev.error);
      else t.endSend(span, ev.result!.partition, ev.result!.offset);
    });
    this.#subs.on<FetchEvent>(CHANNELS.CONSUMER_FETCH, (ev) => {
      if (!t.enabled) return;
      const byTopic = new Map<string, NativeMessage[]>();
      for (const x of ev.messages) {
        let l = byTopic.get(x.topic);
        if (l === undefined) byTopic.set(x.topic, (l = []));
        l.push(x);
      }
      for (const [topic, list] of byTopic) t.recordReceive(topic, ev.groupId, list);
    });
    this.#subs.on<TaskStartEvent>(CHANNELS.CONSUMER_TASK_START, (ev) => {
      if (!t.enabled) return;
      const out = new Array<string | undefined>(ev.items.length);
      for (let i = 0; i < ev.items.length; i++) {
        const p = ev.items[i]!;
        const span = t.startProcess(p.msg, ev.groupId, ev.items.length);
        p.trace = span;
        out[i] = span === undefined ? undefined : toTraceparent(span.spanContext());
      }
      ev.traces = out;
    });
    this.#subs.on<TaskEndEvent>(CHANNELS.CONSUMER_TASK_END, (ev) => {
      for (let i = 0; i < ev.items.length; i++) {
        const p = ev.items[i]!;
        const span = p.trace as Span | undefined;
        if (span === undefined) continue;
        p.trace = undefined;
        const status = ev.statuses[i];
        if (status === TaskStatus.Ok) span.end();
        else if (status === TaskStatus.Failed) {
          const f = ev.failure(i) ?? { name: 'Error', message: 'handler failed' };
          t.fail(span, Object.assign(new Error(f.message), { name: f.name }));
        } else {
          span.addEvent('not run: an earlier message of its key failed');
          span.end();
        }
      }
    });
    this.#diag.traceRunner = runInTrace;
    this.#diag.traceModule = workerTraceModule();
  }
}
