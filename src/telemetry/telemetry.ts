import type { TracerProvider } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { KafkaConfig } from '../config/types.js';
import { CHANNELS, type FetchEvent, type LogEvent, type MessageFailureEvent, type SendEvent, type SettledEvent, type TaskEndEvent, type TaskStartEvent } from '../diagnostics/channels.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';
import { Subscriptions } from './subscriptions.js';
import { messageTraceFields, silentLogger, traceAwareChild, type Logger } from './logging.js';
import { KafkaMetrics } from './metrics.js';
import { TracingListener } from './tracing-listener.js';

export interface TelemetryOptions {
  /** pino logger; the library logs through child loggers (`component` field). Default: silent. */
  readonly logger?: Logger;
  /** prom-client registry to register the library's metrics in. Default: no metrics. */
  readonly metrics?: Registry;
  /** Tracing through @opentelemetry/api (the global provider unless one is given). Default on. */
  readonly tracing?: boolean;
  readonly tracerProvider?: TracerProvider;
  /** librdkafka statistics interval (statistics.interval.ms); 0 = off. Default 0 (15000 with metrics). */
  readonly statisticsIntervalMs?: number;
}

/** The statistics interval the options ask for (15 s by default when metrics are on). */
export function statisticsIntervalOf(opts: TelemetryOptions): number {
  return opts.statisticsIntervalMs ?? (opts.metrics !== undefined ? 15_000 : 0);
}

/**
 * The telemetry of one client: listeners on the core's diagnostics channels
 * (src/diagnostics/channels.ts), each attached only when configured, so what is not configured costs
 * nothing on the hot path.
 *
 * - logs (a pino logger given): every `log` event of this client, and a warn / error line per
 *   retried / dead-lettered message, through child loggers (`component` field) whose lines carry
 *   the active span's trace_id / span_id;
 * - metrics (a prom-client registry given): the message counters (read at scrape time), the
 *   gauges of the client's sources, and the publish / consume duration histograms;
 * - tracing (on unless `tracing: false`): PRODUCER `send` spans with their context injected into
 *   the headers, CONSUMER `receive` / `process` spans, handlers run under their message's span (also
 *   in pool workers). It listens only while a tracer provider is registered (checked every second).
 */
export class Telemetry {
  readonly logger: Logger;
  readonly metrics: KafkaMetrics | undefined;
  readonly tracing: TracingListener | undefined;
  readonly #diag: Diagnostics;
  readonly #subs: Subscriptions;
  readonly #loggers = new Map<string, Logger>();

  constructor(config: KafkaConfig, diagnostics: Diagnostics, opts: TelemetryOptions = {}) {
    this.#diag = diagnostics;
    this.#subs = new Subscriptions(diagnostics);
    // Every library line gets trace_id / span_id while a span is active (children inherit it).
    this.logger = opts.logger === undefined ? silentLogger() : traceAwareChild(opts.logger, { lib: '@gocoffee/kafka', client_id: config.clientId });
    if (opts.logger !== undefined) this.#attachLogs();
    this.metrics = opts.metrics === undefined ? undefined : KafkaMetrics.for(opts.metrics);
    if (this.metrics !== undefined) this.#attachMetrics(this.metrics);
    this.tracing = opts.tracing === false ? undefined : new TracingListener(diagnostics, config, opts.tracerProvider);
  }

  /** The client's diagnostics these listeners serve. */
  get diagnostics(): Diagnostics {
    return this.#diag;
  }

  /** A child logger for one component (cached). */
  component(name: string): Logger {
    let l = this.#loggers.get(name);
    if (l === undefined) this.#loggers.set(name, (l = this.logger.child({ component: name })));
    return l;
  }

  /** Stops listening; the metrics keep this client's final counts (Prometheus counters never go down). */
  close(): void {
    this.#subs.clear();
    this.tracing?.close();
    const m = this.metrics;
    if (m !== undefined) {
      m.removeSource(this.#diag);
      this.#diag.detachSink(m);
      m.retireCounters(this.#diag.counters);
    }
  }



  #attachLogs(): void {
    this.#subs.on<LogEvent>(CHANNELS.LOG, (ev) => {
      const log = this.component(ev.component);
      if (log.isLevelEnabled(ev.level)) log[ev.level](ev.fields, ev.message);
    });
    this.#subs.on<MessageFailureEvent>(CHANNELS.CONSUMER_FAILURE, (ev) => {
      const log = this.component('consumer');
      const level = ev.kind === 'retry' ? 'warn' : 'error';
      if (!log.isLevelEnabled(level)) return;
      const m = ev.msg;
      const fields = {
        ...messageTraceFields(m.headers),
        group: ev.groupId,
        topic: m.topic,
        partition: m.partition,
        offset: m.offset,
        error_type: ev.errorType,
        error_message: this.#diag.redact(ev.errorMessage),
      };
      if (ev.kind === 'retry') log.warn({ ...fields, attempt: ev.attempts }, 'handler failed; the message will be retried');
      else log.error({ ...fields, attempts: ev.attempts, ...(ev.late ? { after: 'stop or revoke' } : {}) }, 'message dead-lettered');
    });
  }

  #attachMetrics(m: KafkaMetrics): void {
    const diag = this.#diag;
    m.addCounters(diag.counters);
    m.addSource(diag);
    diag.attachSink(m);
    this.#subs.on<SettledEvent>(CHANNELS.PRODUCER_SETTLED, (ev) => {
      if (ev.error === undefined) m.observePublish(ev.topic, (diag.clock.now() - ev.startedAt) / 1000);
    });
    this.#subs.on<TaskEndEvent>(CHANNELS.CONSUMER_TASK_END, (ev) => {
      const now = performance.now();
      let topic: string | undefined;
      let cells: ReturnType<KafkaMetrics['consumeDuration']['cells']> | undefined;
      for (let i = 0; i < ev.items.length; i++) {
        if (ev.statuses[i] !== 0) continue;
        const p = ev.items[i]!;
        if (p.msg.topic !== topic) cells = m.consumeDuration.cells((topic = p.msg.topic));
        m.consumeDuration.observe(cells!, (now - p.fetchedAt) / 1000);
      }
    });
  }
}

export type { SendEvent, FetchEvent, TaskStartEvent };
