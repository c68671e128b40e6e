// Same-run comparison: the spike addon (each wake mode) vs librdkafka's rdkafka_performance vs raw
// node-rdkafka. 300k × 100 B keyed, 6 partitions, acks=all, idempotent, lz4, linger.ms=5.
//   node bench.mjs [--runs 3] [--n 300000] [--modes pipe,async,thread] [--perf /tmp/rkperf/rdkafka_performance]
//                  [--out results/<file>.json] [--only produce|consume]
// Every measurement runs in its own process (run-client.mjs); clients are interleaved per round.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { BROKERS, createTopic, deleteTopic, rdkafka, uniqueName } from './lib/admin.mjs';
import { payload } from './lib/workload.mjs';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    n: { type: 'string', default: '300000' },
    modes: { type: 'string', default: 'pipe,async,thread' },
    perf: { type: 'string', default: '/tmp/rkperf/rdkafka_performance' },
    out: { type: 'string' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opt.runs);
const N = Number(opt.n);
const MODES = opt.modes.split(',').filter(Boolean);
const here = new URL('.', import.meta.url).pathname;

function run(cmd, args, env = {}, okCodes = [0]) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: here, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (okCodes.includes(code) ? resolve({ out, err, code }) : reject(new Error(`${cmd} ${args.join(' ')} → ${code}\n${err.slice(-2000)}`))));
  });
}

async function nodeClient(spec) {
  const { out } = await run(process.execPath, ['run-client.mjs', JSON.stringify({ n: N, ...spec })]);
  return JSON.parse(out.trim().split('\n').pop());
}

// rdkafka_performance with the same properties; the payload is the same 100 bytes (-m pattern).
const PERF_PRODUCE = ['-X', 'retry.backoff.ms=100', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=100000', '-X', 'partitioner=murmur2_random'];
/** CPU of the whole tool process (start-up and connection included, unlike the Node clients' window). */
function rusage(stderr) {
  const m = /RUSAGE ([\d.]+) ([\d.]+)/.exec(stderr);
  return m ? { cpuUserMs: Number(m[1]) * 1000, cpuSysMs: Number(m[2]) * 1000, cpuWholeProcess: true } : {};
}

async function perfProduce(topic) {
  const pattern = payload(100).toString('latin1');
  // Exit code 1 means "msgs != delivered"; with -u its msgs column can read N-1 while all N were
  // delivered (seen in 2 of 4 tries), so success is judged on the dr / dr_err columns instead.
  const { out, err, code } = await run('/usr/bin/time', ['-f', 'RUSAGE %U %S', opt.perf, '-P', '-t', topic, '-b', BROKERS, '-s', '100', '-c', String(N), '-a', '-1', '-z', 'lz4', ...PERF_PRODUCE, '-m', pattern, '-u', '-i', '5'], {}, [0, 1]);
  // Tabular rows: | elapsed ms | msgs | bytes | rtt | dr | dr_m/s | ...
  const rows = out.split('\n').filter((l) => /^\|\s+\d/.test(l)).map((l) => l.split('|').slice(1).map((x) => Number(x.trim())));
  const last = rows[rows.length - 1];
  const first = rows.find((r) => r[4] > 0);
  if (last[4] !== N || last[7] !== 0) throw new Error(`rdkafka_performance: ${last[4]} delivered, ${last[7]} failed (exit ${code})`);
  return {
    client: 'rdkafka_performance', op: 'produce', topic,
    elapsedMs: last[0], messages: last[4], msgsPerSec: last[5],
    steady: Math.round(((last[4] - first[4]) / (last[0] - first[0])) * 1000),
    ...rusage(err),
    extra: { firstReportMs: first[0], note: 'keyless (random partition): the tool has no per-message keys' },
  };
}

async function perfConsume(topic, group) {
  const { out, err } = await run('/usr/bin/time', ['-f', 'RUSAGE %U %S', opt.perf, '-G', group, '-t', topic, '-b', BROKERS, '-c', String(N), '-X', 'auto.offset.reset=earliest', '-X', 'partition.assignment.strategy=cooperative-sticky', '-X', 'fetch.wait.max.ms=100', '-X', 'queued.min.messages=1000000']);
  const m = /(\d+) messages \((\d+) bytes\) consumed in (\d+)ms: (\d+) msgs\/s/.exec(out);
  if (!m) throw new Error(`rdkafka_performance consume: no summary\n${out.slice(-1000)}`);
  return { client: 'rdkafka_performance', op: 'consume', topic, group, messages: Number(m[1]), elapsedMs: Number(m[3]), msgsPerSec: Number(m[4]), ...rusage(err) };
}

let wm;
async function landed(topic) {
  if (!wm) {
    const Kafka = rdkafka();
    wm = new Kafka.Producer({ 'bootstrap.servers': BROKERS });
    await new Promise((resolve, reject) => wm.connect({ timeout: 10000 }, (e) => (e ? reject(e) : resolve())));
  }
  let total = 0;
  for (let p = 0; p < 6; p++) {
    total += await new Promise((resolve, reject) => wm.queryWatermarkOffsets(topic, p, 10000, (e, o) => (e ? reject(e) : resolve(Number(o.highOffset)))));
  }
  return total;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const label = (r) => `${r.client === 'addon' ? `addon-${r.mode}${r.handler === 'view' ? '-view' : ''}` : r.client}${r.op === 'produce' ? (r.warmup ? ' warm' : ' cold') : ''}`;

const results = [];
const topics = [];
function record(r) {
  r.loadavg1 = os.loadavg()[0];
  results.push(r);
  const cpu = r.cpuUserMs === undefined ? '' : ` cpu ${Math.round(r.cpuUserMs + r.cpuSysMs)} ms`;
  console.log(`  ${r.op} ${label(r).padEnd(22)} ${String(r.msgsPerSec).padStart(9)} msgs/s${r.steady ? `  steady ${r.steady}` : ''}${cpu}  load ${r.loadavg1.toFixed(1)}`);
}

// cold: timed from the first produce call, like rdkafka_performance (includes connection set-up and
// the idempotent producer's PID acquisition); warm: after one delivered message (Node clients only).
const nodeProducers = [...MODES.map((mode) => ({ client: 'addon', mode })), { client: 'node-rdkafka' }];
const producers = [
  { client: 'rdkafka_performance' },
  ...nodeProducers.map((p) => ({ ...p, warmup: false })),
  ...nodeProducers.map((p) => ({ ...p, warmup: true })),
];
let consumeTopic;
if (opt.only !== 'consume') {
  for (let round = 1; round <= RUNS; round++) {
    console.log(`produce round ${round}`);
    for (const spec of producers) {
      const topic = uniqueName(`spike-p-${spec.mode ?? spec.client}`);
      topics.push(topic);
      await createTopic(topic, 6);
      const r = spec.client === 'rdkafka_performance' ? await perfProduce(topic) : await nodeClient({ ...spec, op: 'produce', topic });
      r.round = round;
      r.landed = (await landed(topic)) - (spec.warmup ? 1 : 0); // minus the warm-up message
      record(r);
      if (!consumeTopic && spec.client === 'addon') consumeTopic = topic; // N keyed messages, lz4
      if (r.landed !== N) console.log(`  !! ${topic}: ${r.landed} messages landed, expected ${N}`);
    }
  }
}
if (opt.only !== 'produce') {
  if (!consumeTopic) {
    consumeTopic = uniqueName('spike-c');
    topics.push(consumeTopic);
    await createTopic(consumeTopic, 6);
    await nodeClient({ client: 'addon', mode: MODES[0], op: 'produce', topic: consumeTopic });
  }
  const consumers = [{ client: 'rdkafka_performance' }, ...MODES.map((mode) => ({ client: 'addon', mode })), { client: 'addon', mode: MODES[0], handler: 'view' }, { client: 'node-rdkafka' }];
  for (let round = 1; round <= RUNS; round++) {
    console.log(`consume round ${round} (${consumeTopic})`);
    for (const spec of consumers) {
      const group = uniqueName('spike-g');
      const r = spec.client === 'rdkafka_performance' ? await perfConsume(consumeTopic, group) : await nodeClient({ ...spec, op: 'consume', topic: consumeTopic, group });
      r.round = round;
      record(r);
    }
  }
}
if (wm) await new Promise((resolve) => wm.disconnect(5000, () => resolve()));

const summary = {};
for (const r of results) {
  const k = `${r.op}:${label(r)}`;
  (summary[k] ??= { op: r.op, client: label(r), runs: [], steady: [], cpuMsPer100k: [] }).runs.push(r.msgsPerSec);
  if (r.steady) summary[k].steady.push(r.steady);
  if (r.cpuUserMs !== undefined) summary[k].cpuMsPer100k.push(((r.cpuUserMs + r.cpuSysMs) / r.messages) * 100_000);
}
console.log('\nmedians (msgs/s)');
for (const s of Object.values(summary)) {
  s.median = median(s.runs);
  s.steadyMedian = s.steady.length ? median(s.steady) : null;
  s.cpuMedian = s.cpuMsPer100k.length ? Math.round(median(s.cpuMsPer100k)) : null;
  s.best = Math.max(...s.runs);
  console.log(`  ${s.op.padEnd(8)} ${s.client.padEnd(26)} median ${String(Math.round(s.median)).padStart(8)}  best ${String(s.best).padStart(8)}${s.steadyMedian ? `  steady ${s.steadyMedian}` : ''}${s.cpuMedian ? `  cpu ${s.cpuMedian} ms/100k` : ''}  runs ${s.runs.join(', ')}`);
}
const doc = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg() },
  versions: { node: process.version, librdkafka: rdkafka().librdkafkaVersion },
  settings: { messages: N, bytes: 100, keys: 1000, partitions: 6, runs: RUNS, modes: MODES },
  summary: Object.values(summary),
  results,
};
const out = opt.out ?? `results/bench-${doc.date.replace(/[:.]/g, '-')}.json`;
mkdirSync(`${here}results`, { recursive: true });
writeFileSync(out.startsWith('/') ? out : `${here}${out}`, JSON.stringify(doc, null, 2));
console.log(`\nwritten ${out}`);
if (!opt.keep) for (const t of topics) await deleteTopic(t);
process.exit(0);
