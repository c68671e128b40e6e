import assert from 'node:assert/strict';
import { BroadcastChannel } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer, PermanentError } from '../../../src/consumer/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, readAll, testConfig, uniqueName } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';
import { installInMemoryTracing } from '../../helpers/otel.js';
import { metricValue } from '../../helpers/metrics.js';

const REPORTER = fileURLToPath(new URL('../../fixtures/handlers/trace-reporter.ts', import.meta.url));


describe('consumer telemetry (real broker, OTel in-memory exporter)', function () {
  this.timeout(120_000);
  let otel: ReturnType<typeof installInMemoryTracing>;
  before(() => {
    otel = installInMemoryTracing();
  });
  after(() => otel.uninstall());

  it('publish → consume through the worker pool: one trace, CONSUMER span child of the PRODUCER span, handler runs in the message context', async () => {
    const registry = new Registry();
    const cm = new ConnectionManager(testConfig({ clientId: 'trace-it', retryBackoffMs: 10 }), { telemetry: { metrics: registry } });
    await cm.initialize();
    const topic = uniqueName('tracepool');
    const group = uniqueName('g');
    await createTopic(topic, 2);
    const N = 20;
    const parent = trace.getTracer('test').startSpan('agent request');
    await context.with(trace.setSpan(context.active(), parent), () =>
      cm.producer.publishBatch(Array.from({ length: N }, (_, i) => newMessage(topic, i === 3 ? 'fail-3' : `m${i}`).withKey(`k${i % 4}`))),
    );
    parent.end();

    const seen: Array<{ offset: number; partition: number; traceId?: string; spanId?: string; attempt: number }> = [];
    const channel = new BroadcastChannel('gocoffee-trace-reporter');
    channel.onmessage = (e) => seen.push((e as MessageEvent).data as never);
    const consumer = new Consumer(cm, { workers: 2, retryMax: 1 });
    consumer.registerHandler({ topics: [topic], groupId: group, workerModule: REPORTER });
    try {
      await consumer.start();
      await waitUntil(() => consumer.stats()[0]!.processed >= N, 60_000, () => `processed ${consumer.stats()[0]?.processed}`);
      // live gauges while the consumer runs
      const live = await registry.metrics();
      assert.match(live, new RegExp(`kafka_consumer_lag\\{group="${group}",topic="${topic}",partition="[01]"\\} 0`));
      assert.match(live, /kafka_inflight_messages\{component="consumer"\} 0/);
      assert.match(live, new RegExp(`kafka_pool_utilization\\{group="${group}"\\} [0-9.e-]+`));
      assert.match(live, new RegExp(`kafka_pool_queue_depth\\{group="${group}"\\} 0`));
      assert.match(live, new RegExp(`kafka_paused_partitions\\{group="${group}"\\} 0`));
    } finally {
      await consumer.stop();
      channel.close();
    }
    const spans = otel.exporter.getFinishedSpans();
    const sends = spans.filter((s) => s.name === `send ${topic}`);
    // A message queued behind a failing one of its key in the same task did not run: its span is
    // ended with a "not run" event, and it runs again in a later task (with a new span).
    const allProcesses = spans.filter((s) => s.name === `process ${topic}`);
    const processes = allProcesses.filter((s) => !s.events.some((e) => e.name.startsWith('not run')));
    assert.ok(allProcesses.every((s) => s.kind === SpanKind.CONSUMER));
    assert.equal(sends.length, N);
    // N messages, message 3 ran twice (failed, retried once, then dead-lettered)
    assert.equal(processes.length, N + 1, `process spans: ${processes.length}`);
    for (const p of processes) {
      assert.equal(p.kind, SpanKind.CONSUMER);
      const send = sends.find((s) => s.spanContext().spanId === p.parentSpanContext?.spanId);
      assert.ok(send, 'the process span is a child of a send span');
      assert.equal(p.spanContext().traceId, parent.spanContext().traceId, 'one trace from the agent request to the handler');
      assert.equal(p.attributes['messaging.system'], 'kafka');
      assert.equal(p.attributes['messaging.operation.type'], 'process');
      assert.equal(p.attributes['messaging.destination.name'], topic);
      assert.equal(p.attributes['messaging.consumer.group.name'], group);
      assert.equal(typeof p.attributes['messaging.destination.partition.id'], 'string');
      assert.equal(typeof p.attributes['messaging.kafka.offset'], 'number');
      assert.match(String(p.attributes['messaging.kafka.message.key']), /^k\d$/);
      assert.ok(Number(p.attributes['messaging.batch.message_count']) >= 1);
    }
    const failed = processes.filter((p) => p.status.code === SpanStatusCode.ERROR);
    assert.equal(failed.length, 2, 'both runs of the failing message recorded the error');
    assert.ok(failed.every((f) => f.attributes['error.type'] === 'Error' && f.events.some((e) => e.name === 'exception')));
    // inside the worker, the active context was the message's process span
    assert.equal(seen.length, N + 1);
    for (const s of seen) {
      const span = processes.find((p) => p.spanContext().spanId === s.spanId);
      assert.ok(span, `handler context ${s.spanId} is a process span`);
      assert.equal(span.attributes['messaging.kafka.offset'], s.offset);
      assert.equal(s.traceId, parent.spanContext().traceId);
    }
    // batches link to each message's producer context
    const receives = spans.filter((s) => s.name === `receive ${topic}`);
    assert.ok(receives.length >= 1);
    const linked = new Set(receives.flatMap((r) => r.links.map((l) => l.context.spanId)));
    for (const s of sends) assert.ok(linked.has(s.spanContext().spanId), 'every message is linked from a receive span');

    const text = await registry.metrics();
    assert.equal(metricValue(text, 'kafka_messages_total', { topic, operation: 'consume' }), N);
    assert.equal(metricValue(text, 'kafka_messages_success_total', { topic, operation: 'consume' }), N - 1);
    assert.equal(metricValue(text, 'kafka_messages_error_total', { topic, operation: 'consume', error_type: 'Error' }), 1);
    assert.equal(metricValue(text, 'kafka_retries_total', { topic, operation: 'consume' }), 1);
    assert.equal(metricValue(text, 'kafka_dead_lettered_total', { topic }), 1);
    assert.equal(metricValue(text, 'kafka_consume_duration_seconds_count', { topic }), N - 1);
    await cm.close();
  });

  it('in process: the handler sees the message context, and what it publishes keeps the correlation_id', async () => {
    const cm = new ConnectionManager(testConfig());
    await cm.initialize();
    const inTopic = uniqueName('corr-in');
    const outTopic = uniqueName('corr-out');
    await createTopic(inTopic, 1);
    await createTopic(outTopic, 1);
    await cm.producer.publish(newMessage(inTopic, 'order').withCorrelationId('corr-42'));
    let handlerSpan: string | undefined;
    const consumer = new Consumer(cm);
    consumer.registerHandler({
      topics: [inTopic],
      groupId: uniqueName('g'),
      async handle(m) {
        handlerSpan = trace.getSpanContext(context.active())?.spanId;
        assert.equal(m.correlationId, 'corr-42');
        await cm.producer.publish(newMessage(outTopic, `reaction to ${m.text()}`));
      },
    });
    try {
      await consumer.start();
      const [out] = await readAll(outTopic, 1);
      const h = Object.fromEntries(out!.headers!.map((x) => Object.entries(x)[0]!).map(([k, v]) => [k, v.toString()]));
      assert.equal(h['correlation_id'], 'corr-42', 'correlation id propagated end to end');
      const proc = otel.exporter.getFinishedSpans().find((s) => s.name === `process ${inTopic}`);
      assert.ok(proc && proc.spanContext().spanId === handlerSpan, 'the handler ran inside its process span');
      const send = otel.exporter.getFinishedSpans().find((s) => s.name === `send ${outTopic}`);
      assert.equal(send?.parentSpanContext?.spanId, handlerSpan, 'a publish inside the handler is a child of the process span');
    } finally {
      await consumer.stop();
      await cm.close();
    }
  });
});
void PermanentError;
