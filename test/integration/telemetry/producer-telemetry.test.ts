import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { SpanKind, SpanStatusCode, trace, context } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { ConnectionManager } from '../../../src/client.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, readAll, testConfig, uniqueName } from '../helpers.js';
import { installInMemoryTracing } from '../../helpers/otel.js';
import { metricValue } from '../../helpers/metrics.js';


describe('producer telemetry (OTel SDK in-memory exporter, prom-client)', function () {
  this.timeout(60_000);
  let otel: ReturnType<typeof installInMemoryTracing>;
  before(() => {
    otel = installInMemoryTracing();
  });
  after(() => otel.uninstall());

  it('publish creates a PRODUCER span "send <topic>" ended on the delivery report, and injects traceparent', async () => {
    const cm = new ConnectionManager(testConfig({ clientId: 'telemetry-it' }));
    await cm.initialize();
    const topic = uniqueName('trace');
    await createTopic(topic, 2);
    const parent = trace.getTracer('test').startSpan('request');
    const r = await context.with(trace.setSpan(context.active(), parent), () => cm.producer.publish(newMessage(topic, 'x').withKey('beverage-123').withCorrelationId('corr-1')));
    parent.end();
    await cm.close();
    const spans = otel.exporter.getFinishedSpans();
    const send = spans.find((s) => s.name === `send ${topic}`);
    assert.ok(send, `spans: ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(send.kind, SpanKind.PRODUCER);
    assert.equal(send.parentSpanContext?.spanId, parent.spanContext().spanId, 'parent is the active span');
    assert.equal(send.attributes['messaging.system'], 'kafka');
    assert.equal(send.attributes['messaging.operation.name'], 'send');
    assert.equal(send.attributes['messaging.operation.type'], 'send');
    assert.equal(send.attributes['messaging.destination.name'], topic);
    assert.equal(send.attributes['messaging.destination.partition.id'], String(r.partition));
    assert.equal(send.attributes['messaging.kafka.offset'], r.offset);
    assert.equal(send.attributes['messaging.kafka.message.key'], 'beverage-123');
    assert.equal(send.attributes['messaging.client.id'], 'telemetry-it');
    assert.equal(send.attributes['server.address'], '127.0.0.1');
    assert.equal(typeof send.attributes['server.port'], 'number');
    const [m] = await readAll(topic, 1);
    const h = Object.fromEntries(m!.headers!.map((x) => Object.entries(x)[0]!).map(([k, v]) => [k, v.toString()]));
    assert.equal(h['traceparent'], `00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);
    assert.equal(h['correlation_id'], 'corr-1');
  });

  it('a failed publish records the error on its span (error.type, status ERROR)', async () => {
    const cm = new ConnectionManager(testConfig());
    await cm.initialize();
    const topic = uniqueName('traceerr');
    await createTopic(topic, 1);
    await assert.rejects(cm.producer.publish(newMessage(topic, Buffer.alloc(2_000_000))));
    await cm.close();
    const span = otel.exporter.getFinishedSpans().find((s) => s.name === `send ${topic}`);
    assert.ok(span);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'GCK_KAFKA_MSG_SIZE_TOO_LARGE');
    assert.ok(span.events.some((e) => e.name === 'exception'));
  });

  it('metrics match a known run: N published, M failed (exact names and labels)', async () => {
    const registry = new Registry();
    const cm = new ConnectionManager(testConfig(), { telemetry: { metrics: registry } });
    await cm.initialize();
    const topic = uniqueName('metrics');
    await createTopic(topic, 3);
    const N = 250;
    const M = 3;
    const msgs = [...Array.from({ length: N }, (_, i) => newMessage(topic, `ok-${i}`)), ...Array.from({ length: M }, () => newMessage(topic, Buffer.alloc(2_000_000)))];
    const out = await cm.producer.publishBatch(msgs);
    assert.equal(out.filter((o) => o.ok).length, N);
    const text = await registry.metrics();
    assert.equal(metricValue(text, 'kafka_messages_total', { topic, operation: 'publish' }), N + M);
    assert.equal(metricValue(text, 'kafka_messages_success_total', { topic, operation: 'publish' }), N);
    assert.equal(metricValue(text, 'kafka_messages_error_total', { topic, operation: 'publish', error_type: 'GCK_KAFKA_MSG_SIZE_TOO_LARGE' }), M);
    assert.equal(metricValue(text, 'kafka_publish_duration_seconds_count', { topic }), N);
    assert.match(text, /kafka_inflight_messages\{component="producer"\} 0/);
    for (const name of ['kafka_messages_total', 'kafka_messages_success_total', 'kafka_messages_error_total', 'kafka_publish_duration_seconds', 'kafka_consume_duration_seconds']) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    await cm.close();
    await delay(1);
  });
});
