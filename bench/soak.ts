/**
 * Soak test (not part of `npm test`): N messages (default 3,000,000: RSS reaches its plateau only after ~25 s) publish → consume → worker
 * pool, with metrics and tracing on, sampling RSS, heap and handle counts. Passes when, after
 * warm-up, RSS and heap grow by at most 5 % (median of the last samples vs the first after warm-up),
 * no delivery-tracking state is left, and the handle count does not grow.
 *
 *   npm run soak                           # local stack started (and stopped) by with-stack
 *   node scripts/with-stack.mjs node --expose-gc --import tsx bench/soak.ts --messages 200000
 *
 * Writes bench/soak-results.json (the curve) and prints a table.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { resolveConfig } from '../src/config/index.js';
import { ConnectionManager } from '../src/client.js';
import { Consumer } from '../src/consumer/index.js';
import { newMessage } from '../src/producer/index.js';
import { TopicManager } from '../src/admin/index.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '3000000' }, out: { type: 'string', default: 'bench/soak-results.json' } } });
const N = Number(values.messages);
const brokers = process.env.GOCOFFEE_KAFKA_BROKERS;
if (!brokers) throw new Error('GOCOFFEE_KAFKA_BROKERS is not set: run through scripts/with-stack.mjs (npm run soak)');

// Tracing on, with an exporter that drops spans (a real SDK records them; nothing accumulates).
let exported = 0;
const dropExporter: SpanExporter = {
  export(spans, done) {
    exported += spans.length;
    done({ code: 0 });
  },
  shutdown: async () => undefined,
};
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropExporter, { maxQueueSize: 8192, maxExportBatchSize: 1024, scheduledDelayMillis: 200 })] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const registry = new Registry();
const cm = new ConnectionManager(resolveConfig({ brokers, clientId: 'soak' }), { telemetry: { metrics: registry, statisticsIntervalMs: 5000 } });
await cm.initialize();
const topic = `soak-${Date.now().toString(36)}`;
await new TopicManager(cm).ensureTopics([{ name: topic, partitions: 6 }], { replicationFactor: 1 });

let handled = 0;
const consumer = new Consumer(cm, { workers: 2 }, {});
consumer.registerHandler({ topics: [topic], groupId: `${topic}-g`, workerModule: fileURLToPath(new URL('../test/fixtures/handlers/soak-worker.ts', import.meta.url)) });
await consumer.start();

interface Sample { t: number; published: number; handled: number; rssMB: number; heapMB: number; handles: number; producerInflight: number }
const samples: Sample[] = [];
const t0 = performance.now();
const handles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
let published = 0;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc (npm run soak does): the heap is measured after a full GC');
const sample = () => {
  gc(); // retained heap, not the garbage of the last 2 s
  const mu = process.memoryUsage();
  handled = consumer.stats()[0]?.processed ?? handled;
  samples.push({ t: Math.round((performance.now() - t0) / 1000), published, handled, rssMB: +(mu.rss / 2 ** 20).toFixed(1), heapMB: +(mu.heapUsed / 2 ** 20).toFixed(1), handles: handles(), producerInflight: cm.producerEngine().inflightCount });
};
const timer = setInterval(sample, 2000);

const payload = 'x'.repeat(100);
const producer = cm.producer;
let failed = 0;
const pending = new Set<Promise<unknown>>();
for (let i = 0; i < N; i++) {
  const p = producer.publish(newMessage(topic, payload).withKey(`k${i % 1000}`)).then(
    () => undefined,
    () => void failed++,
  );
  pending.add(p);
  p.finally(() => pending.delete(p));
  published++;
  if (producer.needsDrain || pending.size > 10_000) {
    await producer.drain();
    while (pending.size > 5_000) await delay(1);
  }
}
await Promise.all(pending);
while ((consumer.stats()[0]?.processed ?? 0) < N - failed) await delay(200);
sample();
clearInterval(timer);
await consumer.stop();
const metricsText = await registry.metrics();
await cm.close();

// Warm-up: the first 20 % of the run (or the first 3 samples).
const warm = samples.slice(Math.max(3, Math.floor(samples.length * 0.2)));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const head = warm.slice(0, 5);
const tail = warm.slice(-5);
const growth = (k: 'rssMB' | 'heapMB') => (median(tail.map((s) => s[k])) - median(head.map((s) => s[k]))) / median(head.map((s) => s[k]));
const result = {
  messages: N,
  failed,
  seconds: Math.round((performance.now() - t0) / 1000),
  spansExported: exported,
  rssGrowth: +growth('rssMB').toFixed(4),
  heapGrowth: +growth('heapMB').toFixed(4),
  handlesFirst: head[0]?.handles,
  handlesLast: tail[tail.length - 1]?.handles,
  producerInflightAtEnd: samples[samples.length - 1]?.producerInflight,
  metricsSample: metricsText.split('\n').filter((l) => l.startsWith('kafka_messages_total') || l.startsWith('kafka_messages_success_total')),
  samples,
};
writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
console.log('t(s)  published   handled  rss(MB)  heap(MB)  handles  inflight');
for (const s of samples) console.log(`${String(s.t).padStart(4)}  ${String(s.published).padStart(9)}  ${String(s.handled).padStart(8)}  ${String(s.rssMB).padStart(7)}  ${String(s.heapMB).padStart(8)}  ${String(s.handles).padStart(7)}  ${String(s.producerInflight).padStart(8)}`);
console.log(JSON.stringify({ ...result, samples: undefined }, null, 2));
const ok = failed === 0 && result.rssGrowth <= 0.05 && result.heapGrowth <= 0.05 && result.producerInflightAtEnd === 0 && (result.handlesLast ?? 0) <= (result.handlesFirst ?? 0) + 2;
console.log(ok ? 'SOAK PASSED' : 'SOAK FAILED');
process.exit(ok ? 0 : 1);
