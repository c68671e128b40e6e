import type {
  Attributes,
  Context,
  Link,
  Span,
  SpanOptions,
  SpanContext,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import { otelApi } from './peers.js';
import type { NativeHeaders, NativeMessage } from '../native/types.js';
import { ATTR, HEADER, SPAN, SYSTEM_KAFKA } from './semconv.js';
import { fromGoTraceHeaders, fromTraceparent, headerGetter, SAMPLED, toTraceparent, withoutGoTraceHeaders } from './trace-headers.js';

export { fromGoTraceHeaders, fromTraceparent, sampleRatioProblem, toTraceparent } from './trace-headers.js';

/** SpanKind / SpanStatusCode values of the OTel API (stable numbers of its spec). */
const PRODUCER = 3;
const CONSUMER = 4;
const STATUS_ERROR = 2;

/** The interval of the provider recheck (`Tracing.enabled`). */
const RECHECK_MS = 1000;

/**
 * Where startSend writes trace headers: the message's header list, created only when a header is
 * written (a message head sampling left out gets no list: nothing more to keep per message in flight).
 */
export interface HeaderCarrier {
  headers: NativeHeaders | undefined;
}

/** Head sampling's answers besides an unsampled parent context (see Tracing.#headSample). */
const HEAD_TRACE = 0;
const HEAD_DROP = 1;

export interface TracingOptions {
  /** Default: the globally registered provider (@opentelemetry/api). */
  readonly tracerProvider?: TracerProvider;
  /** false turns tracing off even when a provider is registered. Default true. */
  readonly enabled?: boolean;
  readonly clientId: string;
  /** First bootstrap broker, for server.address / server.port. */
  readonly bootstrap?: string;
  /**
   * Also write the Go services' `trace_id` / `span_id` headers on each recorded (sampled) PRODUCER
   * span, so a Go consumer continues the trace. Default true.
   */
  readonly goTraceHeaders?: boolean;
  /**
   * The library's own head sampling (see TelemetryOptions.traceSampleRatio): in (0, 1]; undefined
   * = every message goes to the tracer (its sampler decides alone).
   */
  readonly sampleRatio?: number;
  /**
   * Called after each periodic provider recheck (once a second), e.g. to attach or detach listeners.
   * Kept as long as the Tracing: it must not hold its owner strongly (TracingListener passes a
   * function over a WeakRef).
   */
  readonly onRecheck?: () => void;
}

const TRACER_NAME = '@gocoffee/kafka';

/** Partition ids as strings (the semantic conventions' type), without a new string per message. */
const PARTITION_IDS: string[] = [];
function partitionId(p: number): string {
  if (p >= 0 && p < 4096) return (PARTITION_IDS[p] ??= String(p));
  return String(p);
}


/**
 * Producer and consumer spans following the messaging semantic conventions. When no tracer
 * provider is registered (or tracing is disabled) every method returns at once without allocating:
 * the check is one cached boolean, refreshed at most once a second.
 *
 * The recheck is this instance's own: an unref'd interval marks the cached answer stale once a
 * second (the next `enabled` read checks the provider again; reading it costs a field load, where
 * performance.now() on every published message measured ~1.5 % of the producer's CPU,
 * bench/experiments/tel-profile.ts). The interval holds the Tracing only through a WeakRef and
 * stops by itself once the Tracing is collected; close() stops it at once.
 */
export class Tracing {
  /** @opentelemetry/api (an optional peer dependency): without it nothing is traced. */
  readonly #api = otelApi();
  readonly #opts: TracingOptions;
  readonly #base: Attributes;
  #tracer: Tracer | undefined;
  #enabled = false;
  /** The provider check is due (set by the recheck interval, and at first). */
  #stale = true;
  #timer: NodeJS.Timeout | undefined;
  /**
   * Whether the registered global propagator is needed to inject a context: false when none is
   * registered or when it only writes the W3C `traceparent` / `tracestate` fields (the
   * W3CTraceContextPropagator, alone or in a composite of only it), whose output is fixed by the
   * span context — then the library writes those headers itself (see startSend).
   */
  #propagator = false;
  /** Per destination topic: the span name and start options, built once (no per-message strings). */
  readonly #send = new Map<string, { readonly name: string; readonly options: SpanOptions }>();
  /** The library's head sampling ratio (undefined: every message reaches the tracer). */
  readonly #ratio: number | undefined;
  /**
   * The API's ContextAPI (a singleton of the installed @opentelemetry/api), kept to skip the module's
   * export getter per message; its active() still looks up the registered manager every time, so a
   * manager registered or replaced at any moment applies at once.
   */
  readonly #context = this.#api?.context;
  readonly #root: Context | undefined = this.#api?.ROOT_CONTEXT;

  constructor(opts: TracingOptions) {
    this.#opts = opts;
    this.#ratio = opts.sampleRatio === undefined || opts.sampleRatio >= 1 ? undefined : opts.sampleRatio;
    const [host, port] = (opts.bootstrap ?? '').split(':');
    this.#base = {
      [ATTR.MESSAGING_SYSTEM]: SYSTEM_KAFKA,
      [ATTR.MESSAGING_CLIENT_ID]: opts.clientId,
      ...(host ? { [ATTR.SERVER_ADDRESS]: host } : {}),
      ...(port ? { [ATTR.SERVER_PORT]: Number(port) } : {}),
    };
    // Off for good (disabled, or no @opentelemetry/api installed): nothing to recheck, no timer.
    if (opts.enabled === false || this.#api === undefined) return;
    const self = new WeakRef(this);
    const timer = setInterval(() => {
      const t = self.deref();
      if (t === undefined) clearInterval(timer);
      else t.#recheckDue();
    }, RECHECK_MS);
    timer.unref();
    this.#timer = timer;
  }

  /** Whether spans are being recorded (a real provider is registered and tracing is on). */
  get enabled(): boolean {
    if (this.#stale) this.#check();
    return this.#enabled;
  }

  /** Stops the recheck interval; `enabled` keeps its last answer. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #recheckDue(): void {
    this.#stale = true;
    this.#opts.onRecheck?.();
  }

  #check(): void {
    this.#stale = false;
    const api = this.#api;
    if (this.#opts.enabled === false || api === undefined) return;
    const { trace, propagation } = api;
    const provider = this.#opts.tracerProvider ?? trace.getTracerProvider();
    const delegate = (provider as { getDelegate?: () => TracerProvider }).getDelegate?.() ?? provider;
    this.#enabled = delegate.constructor.name !== 'NoopTracerProvider';
    if (this.#enabled) this.#tracer ??= provider.getTracer(TRACER_NAME);
    this.#propagator = propagation.fields().some((f) => f !== HEADER.TRACEPARENT && f !== HEADER.TRACESTATE);
  }

  /**
   * Starts a PRODUCER span `send <topic>` and injects its context into `out.headers` (created when a header is written). Returns the span
   * to end on the delivery report, or undefined when there is nothing to end (tracing off, or the
   * span is not recording).
   *
   * Hot path (once per published message while tracing is on): the span name, the constant
   * attributes and the options object are built once per topic; the per-message attributes (key,
   * message id) are set only on a recording span, so a sampled-out message pays for the sampler
   * and the header only. With `sampleRatio` (traceSampleRatio) the library decides first: a
   * message sent outside any trace reaches the tracer with that probability (the others carry no
   * trace header and cost one random number), one sent inside a trace sampled out upstream gets that
   * context's traceparent (flags 00) and no span. When no global propagator is registered, or the registered one writes
   * only the W3C fields (what NodeSDK registers by default without baggage), `traceparent` (and
   * `tracestate`) are written directly — the same header values the W3CTraceContextPropagator
   * writes, without the new Context, carrier object and for-in loop of `propagation.inject`
   * (~0.5 µs per message, measured by bench/experiments/trace-cost.ts). Any other propagator
   * (baggage, B3, Jaeger, custom) goes through `propagation.inject`.
   *
   * A recording span also gets the Go services' `trace_id` / `span_id` headers (unless
   * `goTraceHeaders: false`), so a Go consumer continues the trace; a sampled-out one does not (the
   * Go headers carry no sampling decision, and the Go side would point at a span nobody recorded),
   * so their cost is paid only by the messages that are traced anyway. They replace any
   * `trace_id` / `span_id` the message already carries (a sampled-out message keeps its own).
   */
  startSend(topic: string, key: string | Buffer | null, messageId: string | undefined, out: HeaderCarrier): Span | undefined {
    if (!this.enabled) return undefined;
    const parent = this.#context!.active();
    const drawn = this.#headSample(parent);
    if (drawn !== HEAD_TRACE) {
      // Head sampling (traceSampleRatio) said no span: what the context carries still goes on —
      // an unsampled trace's traceparent (flags 00), or (a root message that lost the draw) only
      // what other propagators write, e.g. baggage; never a traceparent of its own.
      if (drawn !== HEAD_DROP || this.#propagator) this.#inject(parent, undefined, drawn === HEAD_DROP ? undefined : drawn, out);
      return undefined;
    }
    let send = this.#send.get(topic);
    if (send === undefined) {
      const attributes: Attributes = {
        ...this.#base,
        [ATTR.MESSAGING_OPERATION_NAME]: 'send',
        [ATTR.MESSAGING_OPERATION_TYPE]: 'send',
        [ATTR.MESSAGING_DESTINATION_NAME]: topic,
      };
      send = { name: SPAN.send(topic), options: { kind: PRODUCER, attributes: Object.freeze(attributes) } };
      if (this.#send.size < 10_000) this.#send.set(topic, send);
    }
    const span = this.#tracer!.startSpan(send.name, send.options, parent);
    const recording = span.isRecording();
    if (recording) {
      if (typeof key === 'string') span.setAttribute(ATTR.MESSAGING_KAFKA_MESSAGE_KEY, key);
      if (messageId !== undefined) span.setAttribute(ATTR.MESSAGING_MESSAGE_ID, messageId);
    }
    this.#inject(parent, span, span.spanContext(), out);
    if (!recording) {
      // A non-recording (sampled-out) span has nothing left to do: its end() is a no-op. Not
      // returning it lets it die young instead of staying referenced by the in-flight message until
      // the delivery report (measured: fewer objects surviving scavenges, less GC per message).
      return undefined;
    }
    if (this.#opts.goTraceHeaders !== false) {
      const sc = span.spanContext();
      const headers = (out.headers ??= []);
      withoutGoTraceHeaders(headers);
      headers.push({ [HEADER.TRACE_ID]: sc.traceId }, { [HEADER.SPAN_ID]: sc.spanId });
    }
    return span;
  }

  /**
   * The library's head sampling (traceSampleRatio) of a message whose parent context is `parent`:
   * HEAD_TRACE — go to the tracer (no ratio set, a sampled parent, or a root message that won the
   * draw); HEAD_DROP — a root message that lost the draw; else the parent's span context, sampled
   * out upstream (no span: that context goes on, unsampled).
   */
  #headSample(parent: Context): typeof HEAD_TRACE | typeof HEAD_DROP | SpanContext {
    if (this.#ratio === undefined) return HEAD_TRACE;
    // The root context (no context manager, or no context active: a plain producing loop) has no span to look up.
    if (parent !== this.#root) {
      const { trace, isSpanContextValid } = this.#api!;
      const psc = trace.getSpanContext(parent);
      if (psc !== undefined && isSpanContextValid(psc)) return (psc.traceFlags & SAMPLED) === 0 ? psc : HEAD_TRACE;
    }
    return Math.random() < this.#ratio ? HEAD_TRACE : HEAD_DROP;
  }

  /**
   * Writes the trace context `sc` (of `span` under `parent`, or of `parent` itself when no span)
   * into the headers: through the registered propagator when one is needed, else `traceparent` /
   * `tracestate` directly. An invalid context (e.g. tracing suppressed) gets no header.
   */
  #inject(parent: Context, span: Span | undefined, sc: SpanContext | undefined, out: HeaderCarrier): void {
    const { propagation, trace, isSpanContextValid } = this.#api!;
    if (this.#propagator) {
      const carrier: Record<string, string> = {};
      propagation.inject(span === undefined ? parent : trace.setSpan(parent, span), carrier);
      // A propagator without the W3C one: still a traceparent, but never an invalid one (suppressed).
      if (carrier[HEADER.TRACEPARENT] === undefined && sc !== undefined && isSpanContextValid(sc)) carrier[HEADER.TRACEPARENT] = toTraceparent(sc);
      for (const k in carrier) (out.headers ??= []).push({ [k]: carrier[k]! });
    } else if (sc !== undefined && isSpanContextValid(sc)) {
      const headers = (out.headers ??= []);
      headers.push({ [HEADER.TRACEPARENT]: toTraceparent(sc) });
      const ts = sc.traceState?.serialize();
      if (ts) headers.push({ [HEADER.TRACESTATE]: ts });
    }
  }

  endSend(span: Span, partition: number, offset: number): void {
    if (span.isRecording()) {
      span.setAttribute(ATTR.MESSAGING_DESTINATION_PARTITION_ID, partitionId(partition));
      span.setAttribute(ATTR.MESSAGING_KAFKA_OFFSET, offset);
    }
    span.end();
  }

  fail(span: Span, err: Error): void {
    const type = (err as { code?: unknown }).code;
    span.setAttribute(ATTR.ERROR_TYPE, typeof type === 'string' ? type : err.name);
    span.recordException(err);
    span.setStatus({ code: STATUS_ERROR, message: err.message });
    span.end();
  }

  /**
   * The producer's context carried in a message's headers (ROOT when none): what the registered
   * propagator extracts (W3C `traceparent` with the usual one), else a valid `traceparent` read
   * directly (no propagator registered), else the Go services' `trace_id` / `span_id` headers
   * (fromGoTraceHeaders). A valid traceparent wins over the Go headers when a message has both.
   */
  extract(headers: NativeHeaders | undefined): Context {
    const { propagation, trace, isSpanContextValid, ROOT_CONTEXT } = this.#api!;
    const ctx = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
    if (trace.getSpanContext(ctx) !== undefined) return ctx;
    // No propagator registered (or it found nothing): read the W3C header ourselves.
    let sc = fromTraceparent(headerGetter.get(headers, HEADER.TRACEPARENT) as string | undefined);
    if (sc === undefined || !isSpanContextValid(sc)) sc = fromGoTraceHeaders(headers);
    // On the extracted context: whatever else the propagator found (e.g. baggage) is kept.
    return sc === undefined ? ctx : trace.setSpanContext(ctx, sc);
  }

  /** Starts a CONSUMER span `process <topic>` whose parent is the producer's context. */
  startProcess(m: NativeMessage, groupId: string, batchSize: number): Span | undefined {
    if (!this.enabled) return undefined;
    const parent = this.extract(m.headers);
    const drawn = this.#headSample(parent);
    if (drawn === HEAD_DROP) return undefined;
    // Sampled out upstream: a non-recording span of that context, so the handler (and what it
    // publishes) stays in the trace, not sampled.
    if (drawn !== HEAD_TRACE) return this.#api!.trace.wrapSpanContext(drawn);
    const attrs: Attributes = {
      ...this.#base,
      [ATTR.MESSAGING_OPERATION_NAME]: 'process',
      [ATTR.MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR.MESSAGING_DESTINATION_NAME]: m.topic,
      [ATTR.MESSAGING_DESTINATION_PARTITION_ID]: String(m.partition),
      [ATTR.MESSAGING_CONSUMER_GROUP_NAME]: groupId,
      [ATTR.MESSAGING_KAFKA_OFFSET]: m.offset,
      [ATTR.MESSAGING_BATCH_MESSAGE_COUNT]: batchSize,
    };
    if (m.key !== undefined && m.key !== null) attrs[ATTR.MESSAGING_KAFKA_MESSAGE_KEY] = typeof m.key === 'string' ? m.key : m.key.toString('utf8');
    return this.#tracer!.startSpan(SPAN.process(m.topic), { kind: CONSUMER, attributes: attrs }, parent);
  }

  /** A `receive <topic>` span for one fetched batch, linked to every message's producer context. */
  recordReceive(topic: string, groupId: string, messages: readonly NativeMessage[]): void {
    if (!this.enabled || messages.length === 0) return;
    // A root span: with the library's head sampling, `ratio` of the batches get one.
    if (this.#ratio !== undefined && Math.random() >= this.#ratio) return;
    const { trace, ROOT_CONTEXT } = this.#api!;
    const links: Link[] = [];
    for (const m of messages) {
      const sc = trace.getSpanContext(this.extract(m.headers));
      if (sc !== undefined) links.push({ context: sc });
    }
    const span = this.#tracer!.startSpan(SPAN.receive(topic), {
      kind: CONSUMER,
      links,
      attributes: {
        ...this.#base,
        [ATTR.MESSAGING_OPERATION_NAME]: 'receive',
        [ATTR.MESSAGING_OPERATION_TYPE]: 'receive',
        [ATTR.MESSAGING_DESTINATION_NAME]: topic,
        [ATTR.MESSAGING_CONSUMER_GROUP_NAME]: groupId,
        [ATTR.MESSAGING_BATCH_MESSAGE_COUNT]: messages.length,
      },
    }, ROOT_CONTEXT);
    span.end();
  }
}

/** Runs `fn` with the given span context active (used in worker threads). */
export function withSpanContext<T>(sc: SpanContext | undefined, fn: () => T): T {
  const api = otelApi();
  if (sc === undefined || api === undefined) return fn();
  return api.context.with(api.trace.setSpanContext(api.context.active(), sc), fn);
}
