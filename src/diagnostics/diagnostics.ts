import { CoarseClock } from './clock.js';
import { CounterStore } from './counters.js';
import { logChannel, type LogLevel } from './channels.js';
import type { LibrdkafkaSummary } from './statistics.js';

/** A gauge the metrics adapter exposes (prom-client's Gauge has this shape). */
export interface GaugeLike {
  set(labels: Record<string, string>, value: number): void;
  remove(labels: Record<string, string>): void;
}

/** What a component refreshes at scrape time (implemented by the metrics adapter). */
export interface GaugeSink {
  readonly inflight: GaugeLike;
  readonly lag: GaugeLike;
  readonly pausedPartitions: GaugeLike;
  readonly poolUtilization: GaugeLike;
  readonly poolQueueDepth: GaugeLike;
  setLibrdkafka(client: string, s: LibrdkafkaSummary): void;
  removeLibrdkafka(client: string, s: LibrdkafkaSummary): void;
}

/** A component with live state (in flight, lag, ...) read at scrape time. */
export interface GaugeSource {
  collect(sink: GaugeSink): void;
  /** Removes its series when it goes away (a stopped consumer's gauges are not frozen). */
  retire?(sink: GaugeSink): void;
}

/**
 * Runs a handler under the trace context a `task-start` subscriber chose (the tracing adapter sets
 * it on the Diagnostics of its client): in-process tasks call it directly; pool workers load
 * `traceModule` (a module exporting `runInTrace`) because functions do not cross threads.
 */
export type TraceRunner = <T>(traceparent: string | undefined, fn: () => T) => T;

export interface DiagnosticsOptions {
  readonly clientId: string;
  /** Removes secrets from texts that may echo them (error messages, librdkafka lines). */
  readonly redact?: (text: string) => string;
  /** librdkafka statistics interval (statistics.interval.ms); 0 = off. */
  readonly statisticsIntervalMs?: number;
}

/**
 * The core's side of observability for one client (ConnectionManager): the message counters (always
 * on: a field increment per message; getStatistics() and health read them), the gauge sources read
 * at scrape time, and log lines published on the `gocoffee-kafka:log` channel. It knows nothing of
 * OpenTelemetry, prom-client or pino: the adapters in src/telemetry/ subscribe to the channels
 * (src/diagnostics/channels.ts) and attach themselves here.
 */
export class Diagnostics {
  readonly clientId: string;
  readonly counters = new CounterStore();
  /** The shared coarse clock of per-message durations (see clock.ts). */
  readonly clock = new CoarseClock();
  readonly redact: (text: string) => string;
  readonly statisticsIntervalMs: number;
  /** Set by the tracing adapter while it is attached (undefined: handlers run as they are). */
  traceRunner: TraceRunner | undefined = undefined;
  /** The module pool workers load for `runInTrace` (file URL), set with traceRunner. */
  traceModule: string | undefined = undefined;
  readonly #sources = new Set<GaugeSource>();
  readonly #sinks = new Set<GaugeSink>();

  constructor(opts: DiagnosticsOptions) {
    this.clientId = opts.clientId;
    this.redact = opts.redact ?? ((t) => t);
    this.statisticsIntervalMs = opts.statisticsIntervalMs ?? 0;
  }

  /** Whether a log subscriber listens (build expensive fields only then). */
  get logging(): boolean {
    return logChannel.hasSubscribers;
  }

  /** Publishes a log line (nothing is built when nobody listens). */
  log(level: LogLevel, component: string, fields: Record<string, unknown>, message: string): void {
    if (logChannel.hasSubscribers) logChannel.publish({ source: this, level, component, fields, message });
  }

  addSource(s: GaugeSource): void {
    this.#sources.add(s);
  }

  /** Forgets a source and lets every attached sink remove its series. */
  removeSource(s: GaugeSource): void {
    if (!this.#sources.delete(s)) return;
    for (const sink of this.#sinks) s.retire?.(sink);
  }

  /** The metrics adapter: refreshes every source into `sink` at scrape time. */
  collect(sink: GaugeSink): void {
    for (const s of this.#sources) s.collect(sink);
  }

  attachSink(sink: GaugeSink): void {
    this.#sinks.add(sink);
  }

  detachSink(sink: GaugeSink): void {
    this.#sinks.delete(sink);
  }
}

/** librdkafka log severities are syslog levels (0 emerg … 7 debug). */
export function levelOfSeverity(severity: number): LogLevel {
  if (severity <= 2) return 'fatal';
  if (severity === 3) return 'error';
  if (severity === 4) return 'warn';
  if (severity <= 6) return 'info';
  return 'debug';
}

/** Publishes librdkafka's own log lines (severity mapped, text redacted) as `librdkafka` log events. */
export function librdkafkaLogForwarder(diag: Diagnostics, extra: Record<string, unknown> = {}): (log: { severity: number; fac: string; message: string }) => void {
  return (line) => {
    if (!diag.logging) return;
    diag.log(levelOfSeverity(line.severity), 'librdkafka', { ...extra, librdkafka_facility: line.fac, librdkafka_severity: line.severity }, diag.redact(line.message));
  };
}

/**
 * Removes every configured secret from a text (defence in depth: librdkafka and the registry
 * client never print secrets on purpose, but an error message may echo a URL or a config line).
 */
export function makeRedactor(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 3).sort((a, b) => b.length - a.length);
  if (list.length === 0) return (t) => t;
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
    return out;
  };
}
