import assert from 'node:assert/strict';
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, ParentBasedSampler, AlwaysOnSampler, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { resolveConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/config/errors.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import type { NativeHeaders, NativeMessage } from '../../../src/native/types.js';
import { AlsContextManager } from '../../../src/telemetry/context-manager.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { fromTraceparent, toTraceparent, Tracing, type HeaderCarrier } from '../../../src/telemetry/tracing.js';

const PARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';

function header(headers: NativeHeaders, name: string): string | undefined {
  for (const h of headers) if (h[name] !== undefined) return String(h[name]);
  return undefined;
}

function consumed(headers?: NativeHeaders): NativeMessage {
  return { topic: 'orders', partition: 0, offset: 7, key: 'k', value: Buffer.from('v'), size: 1, ...(headers !== undefined ? { headers } : {}) };
}

/** A Tracing with the library's head sampling over an SDK that records every root (ParentBased(AlwaysOn)). */
function sampled(ratio: number): { tracing: Tracing; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { tracing: new Tracing({ clientId: 'c1', tracerProvider: provider, sampleRatio: ratio }), exporter };
}

/** Runs `fn` with Math.random returning `value` (the head-sampling draw made deterministic). */
function withRandom<T>(value: number, fn: () => T): T {
  const real = Math.random;
  Math.random = () => value;
  try {
    return fn();
  } finally {
    Math.random = real;
  }
}

/** Runs `fn` inside a remote parent context with the given sampled flag (an ALS context manager registered). */
function inParent<T>(sampledFlag: boolean, fn: () => T): T {
  const manager = new AlsContextManager();
  context.setGlobalContextManager(manager);
  try {
    const sc: SpanContext = { traceId: PARENT_TRACE, spanId: PARENT_SPAN, traceFlags: sampledFlag ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true };
    return context.with(trace.setSpanContext(ROOT_CONTEXT, sc), fn);
  } finally {
    context.disable();
  }
}

describe('Tracing: the library head sampling, traceSampleRatio (unit, in-memory SDK)', () => {
  afterEach(() => propagation.disable());

  for (const withPropagator of [false, true]) {
    it(`a message outside any trace: a span and headers when the draw is under the ratio, neither otherwise (${withPropagator ? 'W3C propagator' : 'no propagator'})`, () => {
      if (withPropagator) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      const { tracing, exporter } = sampled(0.25);
      try {
        const out: NativeHeaders = [{ message_id: 'm1' }];
        assert.equal(withRandom(0.25, () => tracing.startSend('orders', 'k', 'm1', { headers: out })), undefined);
        assert.deepEqual(out, [{ message_id: 'm1' }]);
        const traced: NativeHeaders = [{ message_id: 'm2' }];
        const span = withRandom(0.2499, () => tracing.startSend('orders', 'k', 'm2', { headers: traced }));
        assert.ok(span !== undefined && span.isRecording());
        tracing.endSend(span, 1, 5);
        assert.equal(header(traced, 'traceparent'), toTraceparent(span.spanContext()));
        assert.equal(header(traced, 'trace_id'), span.spanContext().traceId);
        assert.equal(exporter.getFinishedSpans().length, 1);
        // A message without headers: no list is made when it loses the draw, one when it wins.
        const none: HeaderCarrier = { headers: undefined };
        assert.equal(withRandom(0.5, () => tracing.startSend('orders', 'k', 'm3', none)), undefined);
        assert.equal(none.headers, undefined, 'no header list for a message left out');
        const made: HeaderCarrier = { headers: undefined };
        withRandom(0.1, () => tracing.startSend('orders', 'k', 'm4', made))!.end();
        assert.ok(header(made.headers!, 'traceparent'), 'a list with the traceparent for a traced one');
      } finally {
        tracing.close();
      }
    });
  }

  it('a message outside any trace that loses the draw still carries what other propagators write (baggage), never a traceparent', () => {
    propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
    const { tracing, exporter } = sampled(0.25);
    const manager = new AlsContextManager();
    context.setGlobalContextManager(manager);
    try {
      const headers: NativeHeaders = [];
      const withBaggage = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ tenant: { value: 'acme' } }));
      const span = withRandom(0.9, () => context.with(withBaggage, () => tracing.startSend('orders', 'k', 'm1', { headers })));
      assert.equal(span, undefined);
      assert.equal(header(headers, 'baggage'), 'tenant=acme');
      assert.equal(header(headers, 'traceparent'), undefined);
      assert.equal(exporter.getFinishedSpans().length, 0);
    } finally {
      context.disable();
      tracing.close();
    }
  });

  it('about `ratio` of the messages outside any trace get a span (4,000 draws of Math.random)', () => {
    const { tracing, exporter } = sampled(0.25);
    try {
      let withHeader = 0;
      for (let i = 0; i < 4000; i++) {
        const headers: NativeHeaders = [];
        const span = tracing.startSend('orders', 'k', undefined, { headers });
        if (span !== undefined) tracing.endSend(span, 0, i);
        if (header(headers, 'traceparent') !== undefined) withHeader++;
      }
      const spans = exporter.getFinishedSpans().length;
      assert.equal(withHeader, spans);
      // Binomial(4000, 0.25): mean 1000, sd ≈ 27; ±8 sd.
      assert.ok(spans > 780 && spans < 1220, `${spans} spans`);
    } finally {
      tracing.close();
    }
  });

  for (const withPropagator of [false, true]) {
    it(`inside a trace sampled out upstream: no span, the parent's context goes on with flags 00 (${withPropagator ? 'W3C propagator' : 'no propagator'})`, () => {
      if (withPropagator) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      const { tracing, exporter } = sampled(0.5);
      try {
        const headers: NativeHeaders = [];
        // A draw that would sample a root message: the parent's decision wins.
        const span = withRandom(0, () => inParent(false, () => tracing.startSend('orders', 'k', 'm1', { headers })));
        assert.equal(span, undefined);
        assert.equal(header(headers, 'traceparent'), `00-${PARENT_TRACE}-${PARENT_SPAN}-00`);
        assert.equal(header(headers, 'trace_id'), undefined);
        assert.equal(exporter.getFinishedSpans().length, 0);
      } finally {
        tracing.close();
      }
    });
  }

  it('inside a sampled trace: every message gets its span, whatever the draw', () => {
    const { tracing, exporter } = sampled(0.01);
    try {
      for (let i = 0; i < 20; i++) {
        const headers: NativeHeaders = [];
        const span = withRandom(0.99, () => inParent(true, () => tracing.startSend('orders', 'k', undefined, { headers })));
        assert.ok(span !== undefined && span.isRecording());
        tracing.endSend(span, 0, i);
        assert.equal(fromTraceparent(header(headers, 'traceparent'))?.traceId, PARENT_TRACE);
      }
      const spans = exporter.getFinishedSpans();
      assert.equal(spans.length, 20);
      for (const s of spans) assert.equal(s.parentSpanContext?.spanId, PARENT_SPAN);
    } finally {
      tracing.close();
    }
  });

  it('process spans: a message without context by the draw; one sampled out upstream runs in that context, unrecorded; a sampled one is recorded', () => {
    const { tracing, exporter } = sampled(0.1);
    try {
      assert.equal(withRandom(0.5, () => tracing.startProcess(consumed(), 'g', 1)), undefined);
      const root = withRandom(0.05, () => tracing.startProcess(consumed(), 'g', 1));
      assert.ok(root !== undefined && root.isRecording());
      root.end();
      const out = withRandom(0, () => tracing.startProcess(consumed([{ traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-00` }]), 'g', 1));
      assert.ok(out !== undefined && !out.isRecording());
      assert.equal(out.spanContext().traceId, PARENT_TRACE);
      assert.equal(out.spanContext().spanId, PARENT_SPAN);
      assert.equal(out.spanContext().traceFlags & TraceFlags.SAMPLED, 0);
      out.end();
      const child = withRandom(0.99, () => tracing.startProcess(consumed([{ traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` }]), 'g', 1));
      assert.ok(child !== undefined && child.isRecording());
      child.end();
      const spans = exporter.getFinishedSpans();
      assert.equal(spans.length, 2);
      assert.equal(spans[1]!.spanContext().traceId, PARENT_TRACE);
    } finally {
      tracing.close();
    }
  });

  it('receive spans: one per batch when the draw is under the ratio, none otherwise', () => {
    const { tracing, exporter } = sampled(0.1);
    try {
      withRandom(0.5, () => tracing.recordReceive('orders', 'g', [consumed()]));
      assert.equal(exporter.getFinishedSpans().length, 0);
      withRandom(0.01, () => tracing.recordReceive('orders', 'g', [consumed()]));
      assert.equal(exporter.getFinishedSpans().length, 1);
    } finally {
      tracing.close();
    }
  });

  it('ratio 1 is no head sampling: every message reaches the tracer', () => {
    const { tracing, exporter } = sampled(1);
    try {
      for (let i = 0; i < 10; i++) tracing.startSend('orders', 'k', undefined, { headers: [] })?.end();
      assert.equal(exporter.getFinishedSpans().length, 10);
    } finally {
      tracing.close();
    }
  });

  for (const bad of [0, -0.1, 1.5, Number.NaN, '0.1', null]) {
    it(`Telemetry refuses traceSampleRatio ${typeof bad === 'string' ? JSON.stringify(bad) : String(bad)} with a ConfigError naming the field`, () => {
      assert.throws(
        () => new Telemetry(resolveConfig({ brokers: ['fake:9092'] }), new Diagnostics({ clientId: 'c' }), { traceSampleRatio: bad as number }),
        (err: unknown) => err instanceof ConfigError && err.code === 'GCK_CONFIG' && err.issues[0]?.path === 'telemetry.traceSampleRatio' && /greater than 0 and at most 1/.test(err.message),
      );
    });
  }

  it('a refused traceSampleRatio leaves nothing registered (checked before the metrics attach)', () => {
    const registry = new Registry();
    assert.throws(() => new Telemetry(resolveConfig({ brokers: ['fake:9092'] }), new Diagnostics({ clientId: 'c' }), { metrics: registry, traceSampleRatio: 2 }), ConfigError);
    assert.equal(registry.getMetricsAsArray().length, 0);
  });

  it('Telemetry passes traceSampleRatio to its tracing', () => {
    const provider = new BasicTracerProvider();
    const t = new Telemetry(resolveConfig({ brokers: ['fake:9092'] }), new Diagnostics({ clientId: 'c' }), { tracerProvider: provider, traceSampleRatio: 0.5 });
    try {
      const headers: NativeHeaders = [];
      assert.equal(withRandom(0.7, () => t.tracing!.tracing.startSend('orders', null, undefined, { headers })), undefined);
      assert.deepEqual(headers, []);
      assert.ok(withRandom(0.3, () => t.tracing!.tracing.startSend('orders', null, undefined, { headers })) !== undefined);
    } finally {
      t.tracing?.close();
    }
  });
});
