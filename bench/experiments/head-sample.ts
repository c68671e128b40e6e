// Cost of Tracing.startSend's head-sampling decision alone (no Kafka): ns per message at a
// traceSampleRatio (default 0.01; 1e-9 = the unsampled path only), over an SDK that records every root.
//   node --import tsx bench/experiments/head-sample.ts 1e-9
import { BasicTracerProvider, ParentBasedSampler, AlwaysOnSampler } from '@opentelemetry/sdk-trace-base';
import { Tracing, type HeaderCarrier } from '../../src/telemetry/tracing.js';

const provider = new BasicTracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }) });
const t = new Tracing({ clientId: 'c1', tracerProvider: provider, sampleRatio: Number(process.argv[2] ?? 0.01) });
const out: HeaderCarrier = { headers: undefined };
const N = 5e6;
for (let r = 0; r < 3; r++) {
  let spans = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    out.headers = undefined;
    const s = t.startSend('orders', 'k', undefined, out);
    if (s !== undefined) {
      spans++;
      s.end();
    }
  }
  console.log((Number(process.hrtime.bigint() - t0) / N).toFixed(1), 'ns/msg', spans, 'spans');
}
t.close();
