/**
 * `producer-telemetry-on`: the library's publish loop (publish() per message, await drain() when
 * needsDrain, 100 B, same payload/keys as producer-100b) with telemetry OFF (client `gocoffee`,
 * the library defaults: no metrics registry, global no-op tracer) vs ON (client
 * `gocoffee-telemetry`: a prom-client Registry plus an OpenTelemetry SDK BasicTracerProvider with a
 * BatchSpanProcessor and a discarding exporter, i.e. spans are really created and ended). Same run,
 * interleaved; ratioVsRaw here = on ÷ off. Both clients share this module's loop, so only the
 * telemetry differs.
 */
import { createRequire } from 'node:module';
import { ConnectionManager } from '../../src/connection/index.js';
import { newMessage } from '../../src/producer/index.js';
import type { TelemetryOptions } from '../../src/telemetry/index.js';
import { cpuWindow } from '../lib/cpu.js';
import { waitForLeaders } from '../lib/kafka.js';
import { packageVersion } from '../lib/versions.js';
import type { BenchContext, BenchOptions, ClientRunner, RunInput, RunMeasurement, Scenario, ScenarioGroup } from '../lib/types.js';
import { deferred, keySet, payload } from './producer.js';

const require = createRequire(import.meta.url);
const BYTES = 100;

function telemetryOn(ctx: BenchContext): TelemetryOptions {
  const prom = require('prom-client') as typeof import('prom-client');
  const otel = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  ctx.notePeerVersion('prom-client', packageVersion('prom-client'));
  ctx.notePeerVersion('@opentelemetry/sdk-trace-base', packageVersion('@opentelemetry/sdk-trace-base'));
  const exporter = { export: (_s: unknown, cb: (r: { code: number }) => void) => cb({ code: 0 }), shutdown: () => Promise.resolve() };
  const provider = new otel.BasicTracerProvider({ spanProcessors: [new otel.BatchSpanProcessor(exporter as never)] });
  return { metrics: new prom.Registry(), tracing: true, tracerProvider: provider as never };
}

function runner(ctx: BenchContext, client: string, on: boolean): ClientRunner {
  const keys = keySet(ctx.options.keys);
  const value = payload(BYTES);
  return {
    client,
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const cm = new ConnectionManager(ctx.config, { pollIntervalMs: ctx.options.pollIntervalMs, ...(on ? { telemetry: telemetryOn(ctx) } : {}) });
      await cm.initialize();
      try {
        await waitForLeaders((t) => cm.metadata(t, 5000), topic, ctx.options.partitions);
        const producer = cm.producer;
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
          producer.publish(m).then(ok, bad);
        }
        await done.promise;
        return { messages, bytes: messages * BYTES, elapsedMs: t1 - t0, errors, extra: { ...cpu.stop(messages) } };
      } finally {
        await cm.close();
      }
    },
  };
}

const scenario: Scenario = {
  name: 'producer-telemetry-on',
  description: 'library publish, 100 B: telemetry off (gocoffee) vs prom-client Registry + OTel SDK tracer on (gocoffee-telemetry)',
  messageBytes: BYTES,
  messages: (o: BenchOptions) => (o.quick ? 200_000 : 1_000_000),
  topic: (o: BenchOptions) => ({ partitions: o.partitions }),
  baseline: 'gocoffee',
  settings: (ctx) => ({
    gocoffee: 'telemetry off (library defaults)',
    'gocoffee-telemetry': 'telemetry: { metrics: new prom.Registry(), tracing: true, tracerProvider: BasicTracerProvider + BatchSpanProcessor(discarding exporter) }',
    loop: 'publish() per message, not awaited; await drain() when needsDrain (no latency sampling)',
    keys: ctx.options.keys,
    ratioVsRaw: 'here = telemetry on ÷ off',
  }),
  clients: (ctx) => [runner(ctx, 'gocoffee', false), runner(ctx, 'gocoffee-telemetry', true)],
};

export const telemetryGroup: ScenarioGroup = { group: 'telemetry', scenarios: [scenario] };
