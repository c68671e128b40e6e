import { trace, context } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import { LOG } from './semconv.js';

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
