// Micro-benchmark of the producer tracing path without a broker: ns per startSend+endSend.
//   node --import tsx bench/experiments/trace-cost.ts
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import * as otel from '@opentelemetry/sdk-trace-base';
import { Tracing } from '../../src/telemetry/tracing.js';

const N = 400_000;
const exporter = { export: (_s: unknown, cb: (r: { code: number }) => void) => cb({ code: 0 }), shutdown: () => Promise.resolve() };
function provider(ratio: number | null) {
  const sampler = ratio === null ? new otel.AlwaysOnSampler() : ratio < 0 ? new otel.ParentBasedSampler({ root: new otel.AlwaysOnSampler() }) : new otel.ParentBasedSampler({ root: new otel.TraceIdRatioBasedSampler(ratio) });
  return new otel.BasicTracerProvider({ sampler, spanProcessors: [new otel.BatchSpanProcessor(exporter as never)] });
}
function bench(name: string, t: Tracing, w3c: boolean) {
  if (w3c) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  else propagation.disable();
  t.enabled; // refresh
  const keep: unknown[] = new Array(3000);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const headers: { [k: string]: string | Buffer }[] = [{ message_id: 'abc' }];
      const span = t.startSend('topic-a', 'key-1', 'id-1', { headers });
      keep[i % 3000] = span;
      const old = keep[(i + 1) % 3000] as typeof span | undefined;
      if (old !== undefined) t.endSend(old, 1, i);
    }
    const ns = Number(process.hrtime.bigint() - t0) / N;
    best = Math.min(best, ns);
  }
  console.log(`${name.padEnd(40)} ${best.toFixed(0)} ns/msg`);
}
const mode = process.argv[2] ?? 'all';
for (const [name, ratio, w3c] of [
  ['AlwaysOn, no propagator', null, false],
  ['AlwaysOn, W3C propagator', null, true],
  ['ratio 1%, no propagator', 0.01, false],
  ['ratio 1%, W3C propagator', 0.01, true],
  // ratio < 0: the library's head sampling (traceSampleRatio 0.01) over ParentBased(AlwaysOn)
  ['head 1%, W3C propagator', -0.01, true],
] as const) {
  if (mode !== 'all' && !name.includes(mode)) continue;
  const t = new Tracing({ clientId: 'c', bootstrap: '127.0.0.1:9092', tracerProvider: provider(ratio) as never, ...(ratio !== null && ratio < 0 ? { sampleRatio: -ratio } : {}) });
  bench(name, t, w3c);
}
void trace;
