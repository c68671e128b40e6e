import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace, TraceFlags, type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, suppressTracing, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlsContextManager } from '../../../src/telemetry/context-manager.js';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, type ReadableSpan, type Sampler } from '@opentelemetry/sdk-trace-base';
import type { NativeHeaders, NativeMessage } from '../../../src/native/types.js';
import { fromGoTraceHeaders, fromTraceparent, Tracing } from '../../../src/telemetry/tracing.js';

function header(headers: NativeHeaders, name: string): string | undefined {
  for (const h of headers) if (h[name] !== undefined) return String(h[name]);
  return undefined;
}

describe('Tracing.startSend (unit, in-memory SDK)', () => {
  afterEach(() => propagation.disable());

  for (const withPropagator of [false, true]) {
    it(`writes a traceparent of the PRODUCER span ${withPropagator ? 'with the W3C propagator registered' : 'with no propagator registered'}`, () => {
      if (withPropagator) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      const tracing = new Tracing({ clientId: 'c1', bootstrap: 'broker:9092', tracerProvider: provider });
      const headers: NativeHeaders = [{ message_id: 'm1' }];
      const span = tracing.startSend('orders', 'k1', 'm1', { headers })!;
      tracing.endSend(span, 3, 42);
      const [done] = exporter.getFinishedSpans();
      assert.ok(done);
      assert.equal(done.name, 'send orders');
      assert.equal(done.kind, SpanKind.PRODUCER);
      const sc = fromTraceparent(header(headers, 'traceparent'));
      assert.equal(sc?.traceId, done.spanContext().traceId);
      assert.equal(sc?.spanId, done.spanContext().spanId);
      assert.equal(sc?.traceFlags, TraceFlags.SAMPLED);
      assert.deepEqual(
        { ...done.attributes },
        {
          'messaging.system': 'kafka',
          'messaging.client.id': 'c1',
          'server.address': 'broker',
          'server.port': 9092,
          'messaging.operation.name': 'send',
          'messaging.operation.type': 'send',
          'messaging.destination.name': 'orders',
          'messaging.kafka.message.key': 'k1',
          'messaging.message.id': 'm1',
          'messaging.destination.partition.id': '3',
          'messaging.kafka.offset': 42,
        },
      );
      // a second message of the topic gets its own attributes (the shared per-topic part is not mutated)
      const h2: NativeHeaders = [];
      tracing.endSend(tracing.startSend('orders', 'k2', 'm2', { headers: h2 })!, 0, 1);
      const second = exporter.getFinishedSpans()[1]!;
      assert.equal(second.attributes['messaging.kafka.message.key'], 'k2');
      assert.equal(done.attributes['messaging.kafka.message.key'], 'k1');
    });
  }

  it('a sampled-out message still carries a traceparent (flags 00), so the consumer honours the decision', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracing = new Tracing({ clientId: 'c1', tracerProvider: provider });
    const headers: NativeHeaders = [];
    // nothing to end later: a non-recording span is not handed back (it is not kept per message)
    assert.equal(tracing.startSend('orders', 'k1', 'm1', { headers }), undefined);
    assert.equal(exporter.getFinishedSpans().length, 0);
    const sc = fromTraceparent(header(headers, 'traceparent'));
    assert.ok(sc);
    assert.equal(sc.traceFlags & TraceFlags.SAMPLED, 0);
  });

  it('a propagator that writes more than the W3C fields is used for injection (its headers appear too)', () => {
    // A custom propagator beside W3C: the library must not take its direct W3C path then.
    const custom: TextMapPropagator = {
      inject: (_ctx, carrier: Record<string, string>) => void (carrier['x-custom'] = 'yes'),
      extract: (ctx) => ctx,
      fields: () => ['x-custom'],
    };
    propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), custom] }));
    const provider = new BasicTracerProvider();
    const tracing = new Tracing({ clientId: 'c1', tracerProvider: provider });
    const headers: NativeHeaders = [];
    const span = tracing.startSend('orders', null, undefined, { headers })!;
    assert.equal(header(headers, 'x-custom'), 'yes');
    assert.equal(fromTraceparent(header(headers, 'traceparent'))?.spanId, span.spanContext().spanId);
  });

  for (const withPropagator of ['none', 'W3C', 'W3C + baggage'] as const) {
    it(`no traceparent when tracing is suppressed (invalid span context), propagator: ${withPropagator}`, () => {
      if (withPropagator === 'W3C') propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      if (withPropagator === 'W3C + baggage') propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
      const manager = new AlsContextManager();
      context.setGlobalContextManager(manager);
      try {
        const tracing = new Tracing({ clientId: 'c1', tracerProvider: new BasicTracerProvider() });
        const headers: NativeHeaders = [{ message_id: 'm1' }];
        context.with(suppressTracing(ROOT_CONTEXT), () => tracing.startSend('orders', null, 'm1', { headers }));
        assert.deepEqual(headers, [{ message_id: 'm1' }]);
      } finally {
        context.disable();
      }
    });
  }
});

describe("Tracing: the Go services' trace_id / span_id headers (issue 16 item 4, unit, in-memory SDK)", () => {
  const GO_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const GO_SPAN = '00f067aa0ba902b7';
  const W3C_TRACE = 'a'.repeat(32);
  const W3C_SPAN = 'b'.repeat(16);

  function consumed(headers: NativeHeaders | undefined): NativeMessage {
    return { topic: 'orders', partition: 0, offset: 7, key: 'k', value: Buffer.from('v'), size: 1, ...(headers !== undefined ? { headers } : {}) };
  }

  /** The finished `process` span of one consumed message (sampler: ParentBased, root AlwaysOn unless given). */
  function processSpan(headers: NativeHeaders | undefined, sampler?: Sampler): ReadableSpan | undefined {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ ...(sampler !== undefined ? { sampler } : {}), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracing = new Tracing({ clientId: 'c1', tracerProvider: provider });
    try {
      tracing.startProcess(consumed(headers), 'g', 1)?.end();
      return exporter.getFinishedSpans()[0];
    } finally {
      tracing.close();
    }
  }

  afterEach(() => propagation.disable());

  for (const withPropagator of [false, true]) {
    it(`a message with only trace_id / span_id continues the Go trace: the process span's parent is the Go span (${withPropagator ? 'W3C propagator registered' : 'no propagator'})`, () => {
      if (withPropagator) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      const span = processSpan([{ event_type: 'beverage.created' }, { trace_id: GO_TRACE }, { span_id: Buffer.from(GO_SPAN) }]);
      assert.ok(span);
      assert.equal(span.spanContext().traceId, GO_TRACE);
      assert.equal(span.parentSpanContext?.spanId, GO_SPAN);
      assert.equal(span.parentSpanContext?.isRemote, true);
    });
  }

  it('the Go context counts as sampled: a ParentBased sampler whose root sampler says no still records it', () => {
    const span = processSpan([{ trace_id: GO_TRACE }, { span_id: GO_SPAN }], new ParentBasedSampler({ root: new AlwaysOffSampler() }));
    assert.ok(span, 'recorded under the remote sampled parent');
    assert.equal(span.spanContext().traceId, GO_TRACE);
    // …and the configured sampler still decides (remoteParentSampled), e.g. to drop them
    assert.equal(processSpan([{ trace_id: GO_TRACE }, { span_id: GO_SPAN }], new ParentBasedSampler({ root: new AlwaysOnSampler(), remoteParentSampled: new AlwaysOffSampler() })), undefined);
  });

  it('upper-case hex is accepted (read as lower case)', () => {
    const span = processSpan([{ trace_id: GO_TRACE.toUpperCase() }, { span_id: GO_SPAN.toUpperCase() }]);
    assert.equal(span?.spanContext().traceId, GO_TRACE);
    assert.equal(span?.parentSpanContext?.spanId, GO_SPAN);
  });

  for (const withPropagator of [false, true]) {
    it(`traceparent wins when a message has both (${withPropagator ? 'W3C propagator registered' : 'no propagator'}); a malformed traceparent falls back to the Go headers`, () => {
      if (withPropagator) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      const both = processSpan([{ trace_id: GO_TRACE }, { span_id: GO_SPAN }, { traceparent: `00-${W3C_TRACE}-${W3C_SPAN}-01` }]);
      assert.equal(both?.spanContext().traceId, W3C_TRACE);
      assert.equal(both?.parentSpanContext?.spanId, W3C_SPAN);
      for (const bad of ['garbage', `00-${'0'.repeat(32)}-${W3C_SPAN}-01`]) {
        const fallback = processSpan([{ traceparent: bad }, { trace_id: GO_TRACE }, { span_id: GO_SPAN }]);
        assert.equal(fallback?.spanContext().traceId, GO_TRACE, bad);
        assert.equal(fallback?.parentSpanContext?.spanId, GO_SPAN, bad);
      }
    });
  }

  const invalid: Array<[string, NativeHeaders]> = [
    ['trace_id too short', [{ trace_id: GO_TRACE.slice(1) }, { span_id: GO_SPAN }]],
    ['trace_id too long', [{ trace_id: `${GO_TRACE}0` }, { span_id: GO_SPAN }]],
    ['span_id wrong length', [{ trace_id: GO_TRACE }, { span_id: `${GO_SPAN}00` }]],
    ['trace_id not hex', [{ trace_id: `${GO_TRACE.slice(0, 31)}g` }, { span_id: GO_SPAN }]],
    ['span_id not hex', [{ trace_id: GO_TRACE }, { span_id: '00f067aa-0ba902b' }]],
    ['trace_id all zeros', [{ trace_id: '0'.repeat(32) }, { span_id: GO_SPAN }]],
    ['span_id all zeros', [{ trace_id: GO_TRACE }, { span_id: '0'.repeat(16) }]],
    ['span_id missing', [{ trace_id: GO_TRACE }]],
    ['trace_id missing', [{ span_id: GO_SPAN }]],
    ['empty values', [{ trace_id: '' }, { span_id: '' }]],
    ['binary garbage', [{ trace_id: Buffer.from([0xff, 0, 0xfe]) }, { span_id: Buffer.alloc(16) }]],
  ];
  for (const [what, headers] of invalid) {
    it(`invalid Go ids are ignored, never thrown: ${what} → a new root span`, () => {
      assert.equal(fromGoTraceHeaders(headers), undefined);
      const span = processSpan(headers);
      assert.ok(span);
      assert.equal(span.parentSpanContext, undefined, 'no parent');
      assert.notEqual(span.spanContext().traceId, GO_TRACE);
    });
  }

  it('fromGoTraceHeaders: the last header of each name wins (as for traceparent); no headers → undefined', () => {
    assert.deepEqual(fromGoTraceHeaders([{ trace_id: W3C_TRACE }, { span_id: W3C_SPAN }, { trace_id: GO_TRACE }, { span_id: GO_SPAN }]), { traceId: GO_TRACE, spanId: GO_SPAN, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    assert.equal(fromGoTraceHeaders(undefined), undefined);
    assert.equal(fromGoTraceHeaders([]), undefined);
  });

  it('the receive span links a Go-only message to its Go context', () => {
    const exporter = new InMemorySpanExporter();
    const tracing = new Tracing({ clientId: 'c1', tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) });
    tracing.recordReceive('orders', 'g', [consumed([{ trace_id: GO_TRACE }, { span_id: GO_SPAN }]), consumed(undefined)]);
    tracing.close();
    const [receive] = exporter.getFinishedSpans();
    assert.deepEqual(receive?.links.map((l) => [l.context.traceId, l.context.spanId]), [[GO_TRACE, GO_SPAN]]);
  });

  describe('publishing: trace_id / span_id beside traceparent, so a Go consumer continues a TypeScript trace', () => {
    for (const withPropagator of ['none', 'W3C', 'W3C + baggage'] as const) {
      it(`a recorded PRODUCER span writes them (its own ids, as the traceparent); propagator: ${withPropagator}`, () => {
        if (withPropagator === 'W3C') propagation.setGlobalPropagator(new W3CTraceContextPropagator());
        if (withPropagator === 'W3C + baggage') propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
        const tracing = new Tracing({ clientId: 'c1', tracerProvider: new BasicTracerProvider() });
        const headers: NativeHeaders = [];
        const span = tracing.startSend('orders', null, undefined, { headers })!;
        tracing.close();
        const sc = span.spanContext();
        assert.equal(header(headers, 'trace_id'), sc.traceId);
        assert.equal(header(headers, 'span_id'), sc.spanId);
        assert.equal(header(headers, 'traceparent'), `00-${sc.traceId}-${sc.spanId}-01`);
        // what a TypeScript consumer reads from the Go headers alone is the same context
        assert.deepEqual(fromGoTraceHeaders(headers.filter((h) => !('traceparent' in h))), { traceId: sc.traceId, spanId: sc.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
      });
    }

    it('a sampled-out span writes only the traceparent (the Go headers carry no sampling decision)', () => {
      const tracing = new Tracing({ clientId: 'c1', tracerProvider: new BasicTracerProvider({ sampler: new AlwaysOffSampler() }) });
      const headers: NativeHeaders = [];
      tracing.startSend('orders', null, undefined, { headers });
      tracing.close();
      assert.deepEqual(headers.map((h) => Object.keys(h)[0]), ['traceparent']);
    });

    it("replaces trace_id / span_id the message already has (the Go package's WithHeader(\"trace_id\", …)) instead of writing them twice; other headers keep their order", () => {
      const tracing = new Tracing({ clientId: 'c1', tracerProvider: new BasicTracerProvider() });
      const headers: NativeHeaders = [{ event_type: 'beverage.created' }, { trace_id: GO_TRACE }, { span_id: GO_SPAN }, { correlation_id: 'c-1' }, { span_id: Buffer.from(GO_SPAN) }];
      const span = tracing.startSend('orders', null, undefined, { headers })!;
      tracing.close();
      const sc = span.spanContext();
      assert.deepEqual(headers.map((h) => Object.keys(h)[0]), ['event_type', 'correlation_id', 'traceparent', 'trace_id', 'span_id']);
      assert.equal(header(headers, 'trace_id'), sc.traceId);
      assert.equal(header(headers, 'span_id'), sc.spanId);
      assert.equal(header(headers, 'correlation_id'), 'c-1');
    });

    it('a sampled-out span leaves the trace_id / span_id the message has as they are', () => {
      const tracing = new Tracing({ clientId: 'c1', tracerProvider: new BasicTracerProvider({ sampler: new AlwaysOffSampler() }) });
      const headers: NativeHeaders = [{ trace_id: GO_TRACE }, { span_id: GO_SPAN }];
      tracing.startSend('orders', null, undefined, { headers });
      tracing.close();
      assert.deepEqual(headers.map((h) => Object.entries(h)[0]![0]), ['trace_id', 'span_id', 'traceparent']);
      assert.equal(header(headers, 'trace_id'), GO_TRACE);
    });

    it('goTraceHeaders: false writes only the W3C header', () => {
      const tracing = new Tracing({ clientId: 'c1', tracerProvider: new BasicTracerProvider(), goTraceHeaders: false });
      const headers: NativeHeaders = [];
      assert.ok(tracing.startSend('orders', null, undefined, { headers }));
      tracing.close();
      assert.deepEqual(headers.map((h) => Object.keys(h)[0]), ['traceparent']);
    });
  });
});

describe('Tracing: the provider recheck is per instance (issue 19)', () => {
  afterEach(() => trace.disable());

  async function until(cond: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await delay(20);
  }

  it('a Tracing made before a global provider is registered traces within its recheck interval; a closed one keeps its last answer; onRecheck runs', async function () {
    this.timeout(5000);
    trace.disable();
    let rechecks = 0;
    const open = new Tracing({ clientId: 'a', onRecheck: () => rechecks++ });
    const closed = new Tracing({ clientId: 'b' });
    assert.equal(open.enabled, false);
    assert.equal(closed.enabled, false);
    closed.close();
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    assert.equal(open.enabled, false, 'cached until the next recheck (no check per message)');
    await until(() => open.enabled, 2500);
    assert.equal(open.enabled, true, 'rechecked by its own interval');
    assert.ok(rechecks >= 1);
    assert.equal(closed.enabled, false, 'close() stopped its recheck');
    open.close();
    const after = rechecks;
    await delay(1100);
    assert.equal(rechecks, after, 'no recheck after close()');
  });

  it('its recheck interval does not keep a dropped Tracing alive', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    let ref: WeakRef<Tracing> | undefined;
    (() => {
      const t = new Tracing({ clientId: 'dropped', tracerProvider: new BasicTracerProvider() });
      assert.equal(t.enabled, true);
      ref = new WeakRef(t);
    })();
    for (let i = 0; i < 50 && ref!.deref() !== undefined; i++) {
      await delay(1); // a WeakRef's target is kept until the end of the job that dereferenced it
      gc();
    }
    assert.equal(ref!.deref(), undefined);
  });
});
