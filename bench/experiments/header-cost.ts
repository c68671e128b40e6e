// node-rdkafka produce() main-thread cost with 0, 1 and 2 headers (real broker), µs/msg of CPU.
//   GOCOFFEE_KAFKA_BROKERS=127.0.0.1:9092 node --import tsx bench/experiments/header-cost.ts
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const Kafka = require('node-rdkafka');
const brokers = process.env.GOCOFFEE_KAFKA_BROKERS ?? '127.0.0.1:9092';
const p = new Kafka.Producer({ 'metadata.broker.list': brokers, dr_cb: true, 'linger.ms': 5, 'compression.type': 'lz4', 'enable.idempotence': true, 'queue.buffering.max.messages': 2_000_000 });
await new Promise<void>((res, rej) => p.connect({}, (e: Error | null) => (e ? rej(e) : res())));
let reports = 0;
p.on('delivery-report', () => reports++);
p.setPollInterval(10);
const value = Buffer.alloc(100, 1);
const N = 200_000;
const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
async function run(name: string, mk: (i: number) => unknown) {
  const results: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = reports;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) p.produce('hdr-cost', null, value, 'k' + (i % 100), null, null, mk(i));
    const c1 = process.cpuUsage(c0);
    const wall = performance.now() - t0;
    while (reports - start < N) await new Promise((r2) => setTimeout(r2, 5));
    results.push((1000 * wall) / N);
    void c1;
  }
  results.sort((a, b) => a - b);
  console.log(`${name.padEnd(36)} produce loop wall ${results[2]!.toFixed(2)} µs/msg (median of 5)`);
}
const modes = process.argv.slice(2);
const all: [string, (i: number) => unknown][] = [
  ['no headers', () => undefined],
  ['1 header (id string)', () => [{ message_id: 'abcdefabcdefabcdefabcd' }]],
  ['2 headers (id + traceparent)', () => [{ message_id: 'abcdefabcdefabcdefabcd' }, { traceparent: tp }]],
  ['2 headers, traceparent cons string', (i) => [{ message_id: 'abcdefabcdefabcdefabcd' }, { traceparent: `00-${'0af7651916cd43dd8448eb211c80319c'}-${(i + 1e15).toString(16)}-01` }]],
  ['1 header cons only', (i) => [{ message_id: `x-${(i + 1e15).toString(16)}` }]],
];
for (let k = 0; k < 2; k++) for (const [n, f] of all) if (modes.length === 0 || modes.some((m) => n.includes(m))) await run(n, f);
p.disconnect();
