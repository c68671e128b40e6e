import type { Bindings, Logger } from 'pino';
import { otelApi, pinoLib } from './peers.js';
import type { NativeHeaders } from '../native/types.js';
import { HEADER, LOG } from './semconv.js';
import { fromGoTraceHeaders, fromTraceparent } from './tracing.js';

export type { Logger };

/**
 * The default logger: silent, without loading pino (an optional peer dependency). Inject a pino
 * logger to see the library's logs.
 */
export function silentLogger(): Logger {
  const noop = (): void => undefined;
  const logger: Record<string, unknown> = {
    level: 'silent',
    isLevelEnabled: () => false,
    child: () => logger,
    fatal: noop,
    error: noop,
    warn: noop,
    info: noop,
    debug: noop,
    trace: noop,
    silent: noop,
  };
  return logger as unknown as Logger;
}

/** `trace_id` and `span_id` of the active span, for log lines (empty when none). */
export function traceFields(): Record<string, string> {
  const api = otelApi();
  if (api === undefined) return {};
  const sc = api.trace.getSpanContext(api.context.active());
  if (sc === undefined || sc.traceId === '00000000000000000000000000000000') return {};
  return { [LOG.TRACE_ID]: sc.traceId, [LOG.SPAN_ID]: sc.spanId };
}

/**
 * `trace_id` and `span_id` of the producer context a consumed message carries in its W3C
 * `traceparent` header, else in the Go services' `trace_id` / `span_id` headers (empty when
 * none): for the log lines about one message (retry, dead-letter), which are written after its
 * handler ran, outside its span. The same precedence as Tracing.extract.
 */
export function messageTraceFields(headers: NativeHeaders | undefined): Record<string, string> {
  if (headers === undefined) return {};
  // The last traceparent wins, as in Tracing.extract (a relayed message may carry an older one first).
  for (let i = headers.length - 1; i >= 0; i--) {
    const v = headers[i]![HEADER.TRACEPARENT];
    if (v === undefined) continue;
    const sc = fromTraceparent(typeof v === 'string' ? v : v.toString('latin1'));
    if (sc !== undefined && validIds(sc.traceId, sc.spanId)) return { [LOG.TRACE_ID]: sc.traceId, [LOG.SPAN_ID]: sc.spanId };
    break;
  }
  const go = fromGoTraceHeaders(headers);
  return go === undefined ? {} : { [LOG.TRACE_ID]: go.traceId, [LOG.SPAN_ID]: go.spanId };
}

/** W3C: an all-zero trace id or span id is invalid (what isSpanContextValid checks, without the API). */
function validIds(traceId: string, spanId: string): boolean {
  return !/^0+$/.test(traceId) && !/^0+$/.test(spanId);
}

type LogFormatter = (o: object) => object;

/**
 * A child logger whose lines carry `trace_id` / `span_id` of the span active when the line is
 * written. pino's per-line hook for a child is `formatters.log`; the parent's own formatter (the
 * user's, if the injected logger has one) runs first, and fields already in the line (e.g. a
 * message's own trace ids) win. Costs nothing for lines below the level (pino skips formatting).
 */
export function traceAwareChild(parent: Logger, bindings: Bindings): Logger {
  const api = otelApi();
  const sym = pinoLib()?.symbols.formattersSym;
  if (api === undefined || sym === undefined) return parent.child(bindings); // nothing to add, or not a pino we can read
  const { trace, context, isSpanContextValid } = api;
  const inherited = (parent as unknown as Record<symbol, { log?: LogFormatter } | undefined>)[sym]?.log;
  const log: LogFormatter = (o) => {
    const out = inherited !== undefined ? inherited(o) : o;
    const sc = trace.getSpanContext(context.active());
    if (sc === undefined || !isSpanContextValid(sc)) return out;
    return { [LOG.TRACE_ID]: sc.traceId, [LOG.SPAN_ID]: sc.spanId, ...out };
  };
  return parent.child(bindings, { formatters: { log } });
}
