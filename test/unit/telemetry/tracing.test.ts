import assert from 'node:assert/strict';
import { context, propagation, ROOT_CONTEXT, SpanKind, TraceFlags, type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, suppressTracing, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlsContextManager } from '../../../src/telemetry/context-manager.js';
import { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { NativeHeaders } from '../../../src/native/types.js';
import { fromTraceparent, Tracing } from '../../../src/telemetry/tracing.js';

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
      const span = tracing.startSend('orders', 'k1', 'm1', headers)!;
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
      tracing.endSend(tracing.startSend('orders', 'k2', 'm2', h2)!, 0, 1);
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
    assert.equal(tracing.startSend('orders', 'k1', 'm1', headers), undefined);
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
    const span = tracing.startSend('orders', null, undefined, headers)!;
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
        context.with(suppressTracing(ROOT_CONTEXT), () => tracing.startSend('orders', null, 'm1', headers));
        assert.deepEqual(headers, [{ message_id: 'm1' }]);
      } finally {
        context.disable();
      }
    });
  }
});
