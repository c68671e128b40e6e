// CPU profile of the library's publish loop with tracing (mode: off | metrics | sampled | headsampled | on | header).
//   GOCOFFEE_KAFKA_BROKERS=127.0.0.1:9092 node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/experiments/tel-profile.ts sampled
//   TRACE_SAMPLE_RATIO=1e-9 … headsampled: the per-message cost of tracing without the sampled spans
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import * as otel from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { ConnectionManager } from '../../src/client.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { newMessage } from '../../src/producer/index.js';

const mode = process.argv[2] ?? 'sampled';
const N = Number(process.argv[3] ?? 300_000);
const exporter = { export: (_s: unknown, cb: (r: { code: number }) => void) => cb({ code: 0 }), shutdown: () => Promise.resolve() };
const sampler = mode === 'sampled' ? new otel.ParentBasedSampler({ root: new otel.TraceIdRatioBasedSampler(0.01) }) : mode === 'headsampled' ? new otel.ParentBasedSampler({ root: new otel.AlwaysOnSampler() }) : new otel.AlwaysOnSampler();
const provider = new otel.BasicTracerProvider({ sampler, spanProcessors: [new otel.BatchSpanProcessor(exporter as never)] });
const traced = mode === 'sampled' || mode === 'headsampled' || mode === 'on';
const tel = traced ? { telemetry: { metrics: new Registry(), tracing: true, tracerProvider: provider as never, ...(mode === 'headsampled' ? { traceSampleRatio: Number(process.env.TRACE_SAMPLE_RATIO ?? 0.01) } : {}) } } : mode === 'metrics' ? { telemetry: { metrics: new Registry(), tracing: false } } : {};
if (traced) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const cm = new ConnectionManager(resolveConfig({ brokers: process.env.GOCOFFEE_KAFKA_BROKERS ?? '127.0.0.1:9092' }), tel);
await cm.initialize();
const p = cm.producer;
const value = Buffer.alloc(100, 7);
const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`);
for (let round = 0; round < 2; round++) {
  let settled = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const ok = () => { if (++settled === N) resolve(); };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    if (p.needsDrain) await p.drain();
    const m = newMessage('tel-profile', value).withKey(keys[i % 100]!);
    if (mode === 'header') m.withHeader('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    p.publish(m).then(ok, ok);
  }
  await done;
  const cpu = process.cpuUsage(c0);
  console.log(mode, Math.round(N / ((performance.now() - t0) / 1000)), 'msg/s', ((cpu.user + cpu.system) / N).toFixed(2), 'µs cpu/msg');
}
await cm.close();
