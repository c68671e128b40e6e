import type { SpanContext, TextMapGetter } from '@opentelemetry/api';
import type { NativeHeaders } from '../native/types.js';
import { HEADER } from './semconv.js';

/**
 * Trace context in message headers: W3C `traceparent` and the Go services' `trace_id` / `span_id`
 * (read and written by Tracing, src/telemetry/tracing.ts), and the check of the library's trace
 * sample ratio.
 */

/** TraceFlags' sampled bit (a stable number of the OTel spec). */
export const SAMPLED = 1;

/** Reads headers of a node-rdkafka message as a propagation carrier. */
export const headerGetter: TextMapGetter<NativeHeaders | undefined> = {
  keys(carrier) {
    const out: string[] = [];
    if (carrier) for (const h of carrier) for (const k in h) out.push(k);
    return out;
  },
  get(carrier, key) {
    if (!carrier) return undefined;
    for (let i = carrier.length - 1; i >= 0; i--) {
      const v = carrier[i]![key];
      if (v !== undefined) return typeof v === 'string' ? v : v.toString('utf8');
    }
    return undefined;
  },
};

/** W3C traceparent of a span context: `00-<trace-id>-<span-id>-<flags>`. */
export function toTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & SAMPLED) === SAMPLED ? '01' : '00'}`;
}

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parses a W3C traceparent; undefined when absent or malformed. */
export function fromTraceparent(tp: string | undefined): SpanContext | undefined {
  if (tp === undefined) return undefined;
  const m = TRACEPARENT_RE.exec(tp);
  if (m === null) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
}

/**
 * Checks a trace sample ratio (TelemetryOptions.traceSampleRatio): a number in (0, 1]. Returns the
 * problem, or undefined when it is fine (or absent).
 */
export function sampleRatioProblem(ratio: unknown): string | undefined {
  if (ratio === undefined) return undefined;
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) return `must be a number greater than 0 and at most 1 (got ${typeof ratio === 'number' ? ratio : typeof ratio})`;
  return undefined;
}

const ZERO_TRACE_ID = '00000000000000000000000000000000';
const ZERO_SPAN_ID = '0000000000000000';
const HEX_RE = /^[0-9a-fA-F]+$/;

/** A header value as a lower-case hex id of `length` digits; undefined when it is not one, or all zeros. */
function hexId(v: string | undefined, length: number, zero: string): string | undefined {
  if (v === undefined || v.length !== length || !HEX_RE.test(v)) return undefined;
  const id = v.toLowerCase();
  return id === zero ? undefined : id;
}

/**
 * The span context the Go services' headers carry (seed: `message.WithHeader("trace_id", traceID)`,
 * `("span_id", spanID)`): 32 and 16 hex digits, the last header of each name. Undefined when either
 * is missing or invalid (wrong length, not hex, all zeros): the message then starts a new trace.
 * The headers carry no sampling decision; the Go package writes them from the span it records, so
 * the context counts as sampled (a ParentBasedSampler's `remoteParentSampled` decides).
 */
export function fromGoTraceHeaders(headers: NativeHeaders | undefined): SpanContext | undefined {
  if (headers === undefined) return undefined;
  const traceId = hexId(headerGetter.get(headers, HEADER.TRACE_ID) as string | undefined, 32, ZERO_TRACE_ID);
  if (traceId === undefined) return undefined;
  const spanId = hexId(headerGetter.get(headers, HEADER.SPAN_ID) as string | undefined, 16, ZERO_SPAN_ID);
  if (spanId === undefined) return undefined;
  return { traceId, spanId, traceFlags: SAMPLED, isRemote: true };
}

/**
 * Removes the `trace_id` / `span_id` headers a message already has (e.g. code that follows the
 * Go package's `WithHeader("trace_id", traceID)`), in place, so the ones written for the PRODUCER
 * span replace them instead of appearing twice (a Go consumer reading the first of each name would
 * otherwise continue from the caller's span, not from the PRODUCER span). One pass over the few
 * headers of a message, only for a recorded span.
 */
export function withoutGoTraceHeaders(headers: NativeHeaders): void {
  let w = 0;
  for (let r = 0; r < headers.length; r++) {
    const h = headers[r]!;
    if (h[HEADER.TRACE_ID] !== undefined || h[HEADER.SPAN_ID] !== undefined) continue;
    headers[w++] = h;
  }
  headers.length = w;
}
