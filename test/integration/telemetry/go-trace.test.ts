import assert from 'node:assert/strict';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer } from '../../../src/consumer/index.js';
import { newMessage } from '../../../src/producer/index.js';
import type { NativeMessage } from '../../../src/native/types.js';
import { createTopic, readAll, testConfig, uniqueName } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';
import { installInMemoryTracing } from '../../helpers/otel.js';

/** What the Go package writes (seed: message.WithHeader("trace_id", traceID), ("span_id", spanID)). */
const GO_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const GO_SPAN = '00f067aa0ba902b7';
const W3C_TRACE = '0af7651916cd43dd8448eb211c80319c';
const W3C_SPAN = 'b7ad6b7169203331';

function headersOf(m: NativeMessage): Record<string, string> {
  return Object.fromEntries((m.headers ?? []).map((x) => Object.entries(x)[0]!).map(([k, v]) => [k, v.toString()]));
}

describe("trace continuity with the Go services' trace_id / span_id headers (issue 16 item 4, real broker, OTel in-memory exporter)", function () {
  this.timeout(120_000);
  let otel: ReturnType<typeof installInMemoryTracing>;
  before(() => {
    otel = installInMemoryTracing();
  });
  after(() => otel.uninstall());

  it('a Go-written message (trace_id / span_id, no traceparent) continues the Go trace; traceparent wins when both exist; invalid ids start a new trace', async () => {
    const topic = uniqueName('gotrace');
    await createTopic(topic, 1);
    // The "Go service": no tracing of its own here, so nothing but the headers it sets.
    const goSide = new ConnectionManager(testConfig({ clientId: 'go-service' }), { telemetry: { tracing: false } });
    await goSide.initialize();
    await goSide.producer.publishBatch([
      newMessage(topic, 'go-only').withKey('a').withHeader('event_type', 'beverage.created').withHeader('trace_id', GO_TRACE).withHeader('span_id', GO_SPAN),
      newMessage(topic, 'both').withKey('b').withHeader('trace_id', GO_TRACE).withHeader('span_id', GO_SPAN).withHeader('traceparent', `00-${W3C_TRACE}-${W3C_SPAN}-01`),
      newMessage(topic, 'invalid').withKey('c').withHeader('trace_id', 'zz'.repeat(16)).withHeader('span_id', GO_SPAN),
    ]);
    await goSide.close();
    const raw = await readAll(topic, 3);
    assert.equal(headersOf(raw[0]!)['traceparent'], undefined, 'the Go-style message has no traceparent on the broker');

    const cm = new ConnectionManager(testConfig({ clientId: 'ts-service' }));
    await cm.initialize();
    const active = new Map<string, { traceId: string; spanId: string }>();
    const consumer = new Consumer(cm);
    consumer.registerHandler({
      topics: [topic],
      groupId: uniqueName('g'),
      handle(m) {
        const sc = trace.getSpanContext(context.active());
        if (sc !== undefined) active.set(m.text() ?? '', { traceId: sc.traceId, spanId: sc.spanId });
      },
    });
    try {
      await consumer.start();
      await waitUntil(() => consumer.stats()[0]!.processed >= 3, 60_000, () => `processed ${consumer.stats()[0]?.processed}`);
    } finally {
      await consumer.stop();
      await cm.close();
    }
    const spans = otel.exporter.getFinishedSpans().filter((s) => s.name === `process ${topic}`);
    const byValue = (v: string) => {
      const id = active.get(v)?.spanId;
      const span = spans.find((s) => s.spanContext().spanId === id);
      assert.ok(span, `the handler of ${v} ran inside a process span`);
      assert.equal(span.kind, SpanKind.CONSUMER);
      return span;
    };
    const goOnly = byValue('go-only');
    assert.equal(goOnly.spanContext().traceId, GO_TRACE, 'the trace id is the Go trace id');
    assert.equal(goOnly.parentSpanContext?.spanId, GO_SPAN, 'the parent is the Go span');
    assert.equal(goOnly.parentSpanContext?.isRemote, true);
    const both = byValue('both');
    assert.equal(both.spanContext().traceId, W3C_TRACE, 'traceparent wins');
    assert.equal(both.parentSpanContext?.spanId, W3C_SPAN);
    const invalid = byValue('invalid');
    assert.notEqual(invalid.spanContext().traceId, GO_TRACE);
    assert.equal(invalid.parentSpanContext, undefined, 'invalid Go ids: a new root span');
  });

  it('a traced publish also writes trace_id / span_id of its PRODUCER span, so a Go consumer continues the trace', async () => {
    const topic = uniqueName('gotrace-out');
    await createTopic(topic, 1);
    const cm = new ConnectionManager(testConfig({ clientId: 'ts-service' }));
    await cm.initialize();
    await cm.producer.publish(newMessage(topic, 'x').withKey('k'));
    await cm.close();
    const send = otel.exporter.getFinishedSpans().find((s) => s.name === `send ${topic}`);
    assert.ok(send);
    const [m] = await readAll(topic, 1);
    const h = headersOf(m!);
    assert.equal(h['trace_id'], send.spanContext().traceId);
    assert.equal(h['span_id'], send.spanContext().spanId);
    assert.equal(h['traceparent'], `00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);
  });
});
