import { trace, context, isSpanContextValid } from '@opentelemetry/api';
import { pino, type Bindings, type Logger } from 'pino';
import type { NativeHeaders } from '../native/types.js';
import { HEADER, LOG } from './semconv.js';
import { fromTraceparent } from './tracing.js';

export type { Logger };

/** The default logger: silent. Inject a pino logger to see the library's logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** `trace_id` and `span_id` of the active span, for log lines (empty when none). */
export function traceFields(): Record<string, string> {
  const sc = trace.getSpanContext(context.active());
  if (sc === undefined || sc.traceId === '00000000000000000000000000000000') return {};
  return { [LOG.TRACE_ID]: sc.traceId, [LOG.SPAN_ID]: sc.spanId };
}

/**
 * `trace_id` and `span_id` of the producer context a consumed message carries in its W3C
 * `traceparent` header (empty when none): for the log lines about one message (retry,
 * dead-letter), which are written after its handler ran, outside its span.
 */
export function messageTraceFields(headers: NativeHeaders | undefined): Record<string, string> {
  if (headers === undefined) return {};
  // The last traceparent wins, as in Tracing.extract (a relayed message may carry an older one first).
  for (let i = headers.length - 1; i >= 0; i--) {
    const v = headers[i]![HEADER.TRACEPARENT];
    if (v === undefined) continue;
    const sc = fromTraceparent(typeof v === 'string' ? v : v.toString('latin1'));
    return sc === undefined || !isSpanContextValid(sc) ? {} : { [LOG.TRACE_ID]: sc.traceId, [LOG.SPAN_ID]: sc.spanId };
  }
  return {};
}

type LogFormatter = (o: object) => object;

/**
 * A child logger whose lines carry `trace_id` / `span_id` of the span active when the line is
 * written. pino's per-line hook for a child is `formatters.log`; the parent's own formatter (the
 * user's, if the injected logger has one) runs first, and fields already in the line (e.g. a
 * message's own trace ids) win. Costs nothing for lines below the level (pino skips formatting).
 */
export function traceAwareChild(parent: Logger, bindings: Bindings): Logger {
  const inherited = (parent as unknown as Record<symbol, { log?: LogFormatter } | undefined>)[pino.symbols.formattersSym]?.log;
  const log: LogFormatter = (o) => {
    const out = inherited !== undefined ? inherited(o) : o;
    const sc = trace.getSpanContext(context.active());
    if (sc === undefined || !isSpanContextValid(sc)) return out;
    return { [LOG.TRACE_ID]: sc.traceId, [LOG.SPAN_ID]: sc.spanId, ...out };
  };
  return parent.child(bindings, { formatters: { log } });
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

/** librdkafka log severities are syslog levels (0 emerg … 7 debug). */
export function pinoLevelOf(severity: number): 'fatal' | 'error' | 'warn' | 'info' | 'debug' {
  if (severity <= 2) return 'fatal';
  if (severity === 3) return 'error';
  if (severity === 4) return 'warn';
  if (severity <= 6) return 'info';
  return 'debug';
}

/** Forwards librdkafka's own log events to pino with the severity mapped. */
export function librdkafkaLogForwarder(logger: Logger, redact: (t: string) => string): (log: { severity: number; fac: string; message: string }) => void {
  return (log) => {
    const level = pinoLevelOf(log.severity);
    if (!logger.isLevelEnabled(level)) return;
    logger[level]({ librdkafka_facility: log.fac, librdkafka_severity: log.severity }, redact(log.message));
  };
}
