// Twin of the Go package README's "Observability › Tracing" snippet
// (examples/seed/README.md lists every twin):
//
//   // Automatic span creation
//   ctx, span := tracing.StartKafkaSpan(ctx, "PUBLISH", topic)
//   defer span.End()
//
//   // Trace context propagation
//   message.WithHeader("trace_id", traceID)
//   message.WithHeader("span_id", spanID)
//   message.WithHeader("correlation_id", correlationID)
//
// With an OpenTelemetry SDK registered, publish() creates its own PRODUCER span (`send <topic>`)
// as a child of the active span, and writes the trace context itself: W3C `traceparent`, and
// Go's `trace_id` / `span_id` headers for Go consumers; the correlation id is withCorrelationId().
// A real service exports its spans (OTLP); this one keeps them in memory to print them.
// Run: node --conditions=gocoffee-source --import tsx examples/seed/tracing.ts
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { ConnectionManager, loadConfig, newMessage, topicName } from '@gocoffee/kafka';

// ---- Set-up the snippet assumes: an OpenTelemetry SDK (Go's tracing helper), a connection, the topic.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const kafkaConfig = loadConfig();
const connectionManager = new ConnectionManager(kafkaConfig, { telemetry: { logger: pino(), tracerProvider: provider } });
await connectionManager.initialize();
const topic = topicName(kafkaConfig, 'beverageCreated'); // "beverage.created" (+ topic_suffix)
await connectionManager.createTopicManager().ensureTopics([{ name: topic }]);
const beverageID = crypto.randomUUID();
const correlationID = crypto.randomUUID();
const tracer = trace.getTracer('beverage-inventor-agent');

// Automatic span creation (an application span; the library's `send <topic>` span is its child)
await tracer.startActiveSpan(`PUBLISH ${topic}`, async (span) => {
  try {
    // Trace context propagation: traceparent, trace_id and span_id are written by publish()
    const message = newMessage(topic, { beverage_id: beverageID, name: 'Cosmic Coffee' })
      .withKey(beverageID)
      .withCorrelationId(correlationID);
    await connectionManager.producer.publish(message);
  } finally {
    span.end();
  }
});

await connectionManager.close();
const spans = exporter.getFinishedSpans();
const send = spans.find((s) => s.name === `send ${topic}`);
if (send === undefined) throw new Error(`no "send ${topic}" span: ${spans.map((s) => s.name).join(', ')}`);
console.log(`trace ${send.spanContext().traceId}: ${spans.map((s) => `${s.name} (span ${s.spanContext().spanId})`).join(', ')}; correlation_id ${correlationID}; key ${beverageID}`);
await provider.shutdown();
