/**
 * `producer-telemetry-on`: the library's publish loop (publish() per message, await drain() when
 * needsDrain, 100 B, same payload/keys as producer-100b) with telemetry OFF (client `gocoffee`,
 * the library defaults: no metrics registry, global no-op tracer) vs ON (client
 * `gocoffee-telemetry`: a prom-client Registry plus an OpenTelemetry SDK BasicTracerProvider at
 * 100 % sampling with a BatchSpanProcessor and a discarding exporter, i.e. spans are really
 * created and ended, and the W3C propagator registered), metrics only (`gocoffee-metrics`) and
 * tracing sampled at 1 % by the SDK's ratio sampler (`gocoffee-sampled-1pct`: every message still
 * gets a span, recording or not) and by the library's head sampling (`gocoffee-headsampled-1pct`:
 * telemetry.traceSampleRatio 0.01, so 99 % of the messages never reach the tracer), and telemetry off with a fixed `traceparent`
 * header added by the caller (`gocoffee-traceparent-only`: the floor of propagating a trace
 * context per message — the header's native cost and bytes — without any OpenTelemetry code). Same run, interleaved; ratioVsRaw here =
 * client ÷ off. All clients share this module's loop, so only the telemetry differs.
 */
import { createRequire } from 'node:module';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ConnectionManager } from '../../src/client.js';
import { newMessage } from '../../src/producer/index.js';
import type { TelemetryOptions } from '../../src/telemetry/index.js';
import { cpuWindow } from '../lib/cpu.js';
import { waitForLeaders } from '../lib/kafka.js';
import { packageVersion } from '../lib/versions.js';
import type { BenchContext, BenchOptions, ClientRunner, RunInput, RunMeasurement, Scenario, ScenarioGroup } from '../lib/types.js';
import { deferred, keySet, payload } from './producer.js';

const require = createRequire(import.meta.url);
const BYTES = 100;

type Mode = 'off' | 'on' | 'metrics' | 'sampled' | 'headsampled' | 'header';

/** A fixed W3C traceparent (55 B): what client `gocoffee-traceparent-only` adds to every message. */
const FIXED_TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/**
 * Telemetry as a service would run it: a prom-client Registry, and for tracing an OpenTelemetry SDK
 * provider with a BatchSpanProcessor and a discarding exporter (spans are really created, sampled
 * and ended) plus the W3C propagator registered globally (what NodeSDK registers by default).
 */
function telemetryFor(ctx: BenchContext, mode: Exclude<Mode, 'off' | 'header'>): TelemetryOptions {
  const prom = require('prom-client') as typeof import('prom-client');
  ctx.notePeerVersion('prom-client', packageVersion('prom-client'));
  if (mode === 'metrics') return { metrics: new prom.Registry(), tracing: false };
  const otel = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  ctx.notePeerVersion('@opentelemetry/sdk-trace-base', packageVersion('@opentelemetry/sdk-trace-base'));
  const exporter = { export: (_s: unknown, cb: (r: { code: number }) => void) => cb({ code: 0 }), shutdown: () => Promise.resolve() };
  const sampler =
    mode === 'sampled' ? new otel.ParentBasedSampler({ root: new otel.TraceIdRatioBasedSampler(0.01) })
    : mode === 'headsampled' ? new otel.ParentBasedSampler({ root: new otel.AlwaysOnSampler() })
    : new otel.AlwaysOnSampler();
  const provider = new otel.BasicTracerProvider({ sampler, spanProcessors: [new otel.BatchSpanProcessor(exporter as never)] });
  return { metrics: new prom.Registry(), tracing: true, tracerProvider: provider as never, ...(mode === 'headsampled' ? { traceSampleRatio: 0.01 } : {}) };
}

function runner(ctx: BenchContext, client: string, mode: Mode): ClientRunner {
  const keys = keySet(ctx.options.keys);
  const value = payload(BYTES);
  return {
    client,
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const cm = new ConnectionManager(ctx.config, { pollIntervalMs: ctx.options.pollIntervalMs, ...(mode !== 'off' && mode !== 'header' ? { telemetry: telemetryFor(ctx, mode) } : {}) });
      if (mode === 'on' || mode === 'sampled' || mode === 'headsampled') propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      await cm.initialize();
      try {
        await waitForLeaders((t) => cm.metadata(t, 5000), topic, ctx.options.partitions);
        const producer = cm.producer;
        const header = mode === 'header';
        const done = deferred();
        let settled = 0;
        let errors = 0;
        let t1 = 0;
        const ok = () => {
          if (++settled === messages) {
            t1 = performance.now();
            done.resolve();
          }
        };
        const bad = () => {
          errors++;
          ok();
        };
        const cpu = cpuWindow();
        const t0 = performance.now();
        for (let i = 0; i < messages; i++) {
          if (producer.needsDrain) await producer.drain();
          const m = newMessage(topic, value);
          if (keys !== null) m.withKey(keys[i % keys.length]!);
          if (header) m.withHeader('traceparent', FIXED_TRACEPARENT);
          producer.publish(m).then(ok, bad);
        }
        await done.promise;
        return { messages, bytes: messages * BYTES, elapsedMs: t1 - t0, errors, extra: { ...cpu.stop(messages) } };
      } finally {
        await cm.close();
        propagation.disable();
      }
    },
  };
}

const scenario: Scenario = {
  name: 'producer-telemetry-on',
  description: 'library publish, 100 B: telemetry off (gocoffee) vs metrics + tracing at 100 % sampling (gocoffee-telemetry), metrics only, metrics + tracing sampled at 1 % (SDK ratio sampler; library head sampling), a fixed traceparent header without telemetry',
  messageBytes: BYTES,
  messages: (o: BenchOptions) => (o.quick ? 100_000 : 1_000_000),
  topic: (o: BenchOptions) => ({ partitions: o.partitions }),
  baseline: 'gocoffee',
  settings: (ctx) => ({
    gocoffee: 'telemetry off (library defaults)',
    'gocoffee-telemetry': 'telemetry: { metrics: new prom.Registry(), tracing: true, tracerProvider: BasicTracerProvider(AlwaysOnSampler) + BatchSpanProcessor(discarding exporter) }, W3CTraceContextPropagator registered globally',
    'gocoffee-metrics': 'telemetry: { metrics: new prom.Registry(), tracing: false }',
    'gocoffee-sampled-1pct': 'as gocoffee-telemetry with ParentBased(TraceIdRatioBased(0.01)): every message still gets a span (non-recording when sampled out) and a traceparent',
    'gocoffee-headsampled-1pct': 'as gocoffee-telemetry with the library head sampling telemetry.traceSampleRatio: 0.01 and ParentBased(AlwaysOn): 1 % of the messages get a span and a traceparent, the others neither (no tracer call)',
    'gocoffee-traceparent-only': 'telemetry off; every message carries a fixed 55 B traceparent header set with withHeader() (the cost of the header alone, no OpenTelemetry code)',
    loop: 'publish() per message, not awaited; await drain() when needsDrain (no latency sampling)',
    keys: ctx.options.keys,
    ratioVsRaw: 'here = telemetry on ÷ off',
  }),
  clients: (ctx) => [runner(ctx, 'gocoffee', 'off'), runner(ctx, 'gocoffee-telemetry', 'on'), runner(ctx, 'gocoffee-metrics', 'metrics'), runner(ctx, 'gocoffee-sampled-1pct', 'sampled'), runner(ctx, 'gocoffee-headsampled-1pct', 'headsampled'), runner(ctx, 'gocoffee-traceparent-only', 'header')],
};

export const telemetryGroup: ScenarioGroup = { group: 'telemetry', scenarios: [scenario] };
