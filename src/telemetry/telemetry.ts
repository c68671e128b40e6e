import type { TracerProvider } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { KafkaConfig } from '../config/types.js';
import { CHANNELS, TaskStatus, type FetchEvent, type LogEvent, type MessageFailureEvent, type SendEvent, type SettledEvent, type TaskEndEvent, type TaskStartEvent } from '../diagnostics/channels.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';
import { Subscriptions } from './subscriptions.js';
import { messageTraceFields, silentLogger, traceAwareChild, type Logger } from './logging.js';
import { KafkaMetrics } from './metrics.js';
import { TracingListener } from './tracing-listener.js';
import { sampleRatioProblem } from './trace-headers.js';
import { ConfigError } from '../config/errors.js';

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
  /**
   * Also write the Go services' `trace_id` / `span_id` headers beside `traceparent` on traced
   * (sampled) messages, so Go consumers continue the trace. Default true.
   */
  readonly goTraceHeaders?: boolean;
  /**
   * The library's own head sampling of traces, in (0, 1] (default: none, every message reaches the
   * tracer and its sampler decides alone). A message published outside any trace starts one (a
   * PRODUCER span, then the tracer's sampler) with this probability; the others carry no trace
   * header and cost a random number, not a span. A message published inside a trace sampled out
   * upstream carries that context (flags 00) and gets no span; inside a sampled one, a span as
   * always. On the consumer side the same holds for `process` spans (a message without trace
   * context starts one with this probability; one sampled out upstream runs its handler in that
   * context, unsampled) and for the per-batch `receive` spans. Use it with a sampler that follows
   * its parent (ParentBased(AlwaysOn), the SDK default) for sampling at high message rates: the
   * SDK's own ratio sampler decides only after a span (ids, attributes) was built for every
   * message.
   */
  readonly traceSampleRatio?: number;
}

/** The failure name of a handler run that hit handlerTimeoutMs (HandlerTimeoutError, src/pool/executor.ts). */
const HANDLER_TIMEOUT = 'HandlerTimeoutError';

/** Child loggers per component (cached), apart from Telemetry so channel listeners can use them without holding the client. */
class ComponentLoggers {
  readonly #cache = new Map<string, Logger>();
  constructor(readonly root: Logger) {}

  get(name: string): Logger {
    let l = this.#cache.get(name);
    if (l === undefined) this.#cache.set(name, (l = this.root.child({ component: name })));
    return l;
  }
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
 *   gauges of the client's sources, the publish / consume duration histograms, and the handler
 *   timeouts (task-end failures named HandlerTimeoutError);
 * - tracing (on unless `tracing: false`): PRODUCER `send` spans with their context injected into
 *   the headers, CONSUMER `receive` / `process` spans, handlers run under their message's span (also
 *   in pool workers). It listens only while a tracer provider is registered (checked every second).
 *
 * The channel listeners hold none of the client (see Subscriptions): their handlers take the
 * client's Diagnostics from the event's `source`. A client dropped without close() is collected,
 * and its listeners are unsubscribed then.
 */
export class Telemetry {
  readonly logger: Logger;
  readonly metrics: KafkaMetrics | undefined;
  readonly tracing: TracingListener | undefined;
  readonly #diag: Diagnostics;
  readonly #subs: Subscriptions;
  readonly #loggers: ComponentLoggers;

  constructor(config: KafkaConfig, diagnostics: Diagnostics, opts: TelemetryOptions = {}) {
    // Checked before anything subscribes or registers: a refused option leaves nothing behind.
    const ratioProblem = sampleRatioProblem(opts.traceSampleRatio);
    if (ratioProblem !== undefined) throw new ConfigError([{ path: 'telemetry.traceSampleRatio', message: ratioProblem }]);
    this.#diag = diagnostics;
    this.#subs = new Subscriptions(diagnostics);
    // Every library line gets trace_id / span_id while a span is active (children inherit it).
    this.logger = opts.logger === undefined ? silentLogger() : traceAwareChild(opts.logger, { lib: '@gocoffee/kafka', client_id: config.clientId });
    this.#loggers = new ComponentLoggers(this.logger);
    if (opts.logger !== undefined) attachLogs(this.#subs, this.#loggers);
    this.metrics = opts.metrics === undefined ? undefined : KafkaMetrics.for(opts.metrics);
    if (this.metrics !== undefined) {
      this.metrics.attach(diagnostics);
      attachMetrics(this.#subs, this.metrics);
    }
    this.tracing = opts.tracing === false ? undefined : new TracingListener(diagnostics, config, opts);
  }

  /** The client's diagnostics these listeners serve. */
  get diagnostics(): Diagnostics {
    return this.#diag;
  }

  /** A child logger for one component (cached). */
  component(name: string): Logger {
    return this.#loggers.get(name);
  }

  /** Stops listening; the metrics keep this client's final counts (Prometheus counters never go down). */
  close(): void {
    this.#subs.clear();
    this.tracing?.close();
    this.metrics?.detach(this.#diag);
  }
}

/** The log lines: every `log` event, and a warn / error line per retried / dead-lettered message. */
function attachLogs(subs: Subscriptions, loggers: ComponentLoggers): void {
  subs.on<LogEvent>(CHANNELS.LOG, (ev) => {
    const log = loggers.get(ev.component);
    if (log.isLevelEnabled(ev.level)) log[ev.level](ev.fields, ev.message);
  });
  subs.on<MessageFailureEvent>(CHANNELS.CONSUMER_FAILURE, (ev) => {
    const log = loggers.get('consumer');
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
      error_message: ev.source!.redact(ev.errorMessage),
    };
    if (ev.kind === 'retry') log.warn({ ...fields, attempt: ev.attempts }, 'handler failed; the message will be retried');
    else log.error({ ...fields, attempts: ev.attempts, ...(ev.late ? { after: 'stop or revoke' } : {}) }, 'message dead-lettered');
  });
}

/** The duration histograms and the handler-timeout counter (the counters and gauges are read at scrape time). */
function attachMetrics(subs: Subscriptions, m: KafkaMetrics): void {
  subs.on<SettledEvent>(CHANNELS.PRODUCER_SETTLED, (ev) => {
    if (ev.error === undefined) m.observePublish(ev.topic, (ev.source!.clock.now() - ev.startedAt) / 1000);
  });
  subs.on<TaskEndEvent>(CHANNELS.CONSUMER_TASK_END, (ev) => {
    const now = performance.now();
    let topic: string | undefined;
    let cells: ReturnType<KafkaMetrics['consumeDuration']['cells']> | undefined;
    for (let i = 0; i < ev.items.length; i++) {
      const status = ev.statuses[i];
      if (status !== TaskStatus.Ok) {
        // Failures only (off the success path): a handler run that hit handlerTimeoutMs.
        if (status === TaskStatus.Failed && ev.failure(i)?.name === HANDLER_TIMEOUT) m.handlerTimedOut(ev.items[i]!.msg.topic, ev.groupId);
        continue;
      }
      const p = ev.items[i]!;
      if (p.msg.topic !== topic) cells = m.consumeDuration.cells((topic = p.msg.topic));
      m.consumeDuration.observe(cells!, (now - p.fetchedAt) / 1000);
    }
  });
}

export type { SendEvent, FetchEvent, TaskStartEvent };
