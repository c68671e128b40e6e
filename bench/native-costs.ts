/**
 * Per-call costs of node-rdkafka on this machine, measured against librdkafka's built-in mock
 * cluster (`test.mock.num.brokers`). The mock runs inside this process (one extra thread per mock
 * broker) and exists ONLY to micro-measure call costs: never use it for tests of the library.
 *
 *   node --import tsx bench/native-costs.ts [--quick] [--out <file.json>]
 *
 * Env knobs (defaults in brackets):
 *   NATIVE_COSTS_CALLS        calls per timed run of each enqueue scenario        [200000]
 *   NATIVE_COSTS_RUNS         timed runs per scenario (median, min–max reported)  [7]
 *   NATIVE_COSTS_DR_MESSAGES  messages per produce + delivery-report run          [200000]
 * `--quick` divides calls and messages by 10 and uses 3 runs.
 *
 * Enqueue-only scenarios use a producer whose batches never fill and whose linger never expires
 * while a run is timed (batch.size 2 GiB, batch.num.messages 1M, linger.ms 60 s), so the broker
 * thread does not compete with the timed loop; between runs the queue is flushed and every
 * delivery report is drained, so the queue starts empty (and opaque handles are released).
 * The delivery-report scenarios use library-like settings (idempotence, acks=all, linger.ms 5,
 * lz4) and measure from the first produce() until the last delivery report reached JS.
 *
 * See binding-notes/costs.md for results and their interpretation.
 */
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

type Conf = Record<string, string | number | boolean>;
type Headers = Array<Record<string, string | Buffer>>;

interface RawProducer {
  connect(opts: { timeout?: number }, cb: (err: unknown, md: { brokers: Array<{ port: number }> }) => void): unknown;
  disconnect(timeout: number, cb: () => void): unknown;
  produce(
    topic: string,
    partition: number | null,
    value: Buffer | null,
    key?: Buffer | string | null,
    timestamp?: number | null,
    opaque?: unknown,
    headers?: Headers,
  ): unknown;
  poll(): unknown;
  setPollInterval(ms: number): unknown;
  flush(timeout: number, cb: (err: unknown) => void): unknown;
  on(event: 'delivery-report', cb: (err: { message: string } | null, report: { opaque?: unknown }) => void): unknown;
  on(event: 'event.error', cb: (err: { message: string }) => void): unknown;
}

interface RdkafkaModule {
  librdkafkaVersion: string;
  features: string[];
  Producer: new (global: Conf, topic: Conf) => RawProducer;
}

const require = createRequire(import.meta.url);
const Kafka = require('node-rdkafka') as RdkafkaModule;
const rdkafkaPkg = require('node-rdkafka/package.json') as { version: string };

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outIndex = args.indexOf('--out');
const outFile = outIndex >= 0 ? args[outIndex + 1] : undefined;

function envInt(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

const CALLS = Math.floor(envInt('NATIVE_COSTS_CALLS', 200_000) / (quick ? 10 : 1));
const RUNS = quick ? 3 : envInt('NATIVE_COSTS_RUNS', 7);
const DR_MESSAGES = Math.floor(envInt('NATIVE_COSTS_DR_MESSAGES', 200_000) / (quick ? 10 : 1));
const TOPIC = 'native-costs';

// ---------------------------------------------------------------------------------------------
// helpers

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function connect(conf: Conf, topicConf: Conf): Promise<RawProducer> {
  const p = new Kafka.Producer(conf, topicConf);
  p.on('event.error', (e) => console.error(`  (event.error: ${e.message})`));
  return new Promise((resolve, reject) => {
    p.connect({ timeout: 10_000 }, (err) => (err ? reject(err as Error) : resolve(p)));
  });
}

function disconnect(p: RawProducer): Promise<void> {
  return new Promise((resolve) => p.disconnect(5_000, () => resolve()));
}

/** Counts delivery reports of one producer; `waitFor(n)` resolves once n arrived in total. */
class ReportCounter {
  count = 0;
  errors = 0;
  #target = Infinity;
  #done: (() => void) | undefined;
  constructor(p: RawProducer) {
    p.on('delivery-report', (err) => {
      this.count++;
      if (err) this.errors++;
      if (this.count >= this.#target && this.#done) {
        const done = this.#done;
        this.#done = undefined;
        done();
      }
    });
  }
  waitFor(total: number): Promise<void> {
    if (this.count >= total) return Promise.resolve();
    this.#target = total;
    return new Promise((resolve) => (this.#done = resolve));
  }
}

/** Flushes librdkafka's queue and waits until every report reached JS (100 per uv_async wake-up). */
async function drain(p: RawProducer, counter: ReportCounter, expected: number): Promise<void> {
  await new Promise<void>((resolve) => p.flush(60_000, () => resolve()));
  const deadline = Date.now() + 60_000;
  const waiting = counter.waitFor(expected);
  while (counter.count < expected && Date.now() < deadline) {
    p.poll();
    await Promise.race([waiting, delay(5)]);
  }
  if (counter.count < expected) throw new Error(`only ${counter.count} of ${expected} delivery reports arrived`);
}

interface Row {
  name: string;
  unit: 'us/call' | 'msgs/s';
  median: number;
  min: number;
  max: number;
  runs: number;
  note?: string;
}

const rows: Row[] = [];

function record(name: string, unit: Row['unit'], samples: number[], note?: string): void {
  const row: Row = { name, unit, median: median(samples), min: Math.min(...samples), max: Math.max(...samples), runs: samples.length };
  if (note !== undefined) row.note = note;
  rows.push(row);
  const fmt = unit === 'us/call' ? (x: number) => x.toFixed(3) : (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(`  ${name.padEnd(66)} ${fmt(row.median).padStart(10)} ${unit}  (${fmt(row.min)}–${fmt(row.max)})`);
}

/** µs per call of `fn` over `n` calls. */
function timeLoop(n: number, fn: (i: number) => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

// ---------------------------------------------------------------------------------------------
// inputs

const value100 = Buffer.alloc(100, 0x61);
const value1k = Buffer.alloc(1024, 0x61);
const stringKey = 'order-1234567890';
const bufferKey = Buffer.from(stringKey);
const uuid = randomUUID();
const h1: Headers = [{ message_id: uuid }];
const h2: Headers = [{ message_id: uuid }, { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` }];
const h4: Headers = [...h2, { tracestate: 'vendor=value' }, { metadata: '{"source":"agent-x","v":"1"}' }];
const h1buf: Headers = [{ message_id: Buffer.from(uuid) }];
const text100 = 'x'.repeat(100);
const meta = { source: 'beverage-inventor-agent', correlation_id: 'c0ffee-42', version: '1' };

const LIBRARY_LIKE: Conf = {
  'test.mock.num.brokers': 1,
  'bootstrap.servers': 'mock-is-used:9092',
  dr_cb: true,
  'queue.buffering.max.messages': 2_000_000,
  'enable.idempotence': true,
  'linger.ms': 5,
  'compression.type': 'lz4',
};

type Scenario = [name: string, call: (p: RawProducer, i: number) => void];

const ENQUEUE: Scenario[] = [
  ['produce 100 B, fixed partition', (p) => p.produce(TOPIC, 0, value100)],
  ['produce 100 B, partitioner chooses (partition null)', (p) => p.produce(TOPIC, null, value100)],
  ['produce 100 B, string key, fixed partition', (p) => p.produce(TOPIC, 0, value100, stringKey)],
  ['produce 100 B, string key, partitioner chooses (murmur2)', (p) => p.produce(TOPIC, null, value100, stringKey)],
  ['produce 100 B, Buffer key, fixed partition', (p) => p.produce(TOPIC, 0, value100, bufferKey)],
  ['produce 100 B, object opaque, fixed partition', (p, i) => p.produce(TOPIC, 0, value100, null, null, { i })],
  ['produce 100 B, 1 header (string), fixed partition', (p) => p.produce(TOPIC, 0, value100, null, null, undefined, h1)],
  ['produce 100 B, 1 header (Buffer value), fixed partition', (p) => p.produce(TOPIC, 0, value100, null, null, undefined, h1buf)],
  ['produce 100 B, 2 headers, fixed partition', (p) => p.produce(TOPIC, 0, value100, null, null, undefined, h2)],
  ['produce 100 B, 4 headers, fixed partition', (p) => p.produce(TOPIC, 0, value100, null, null, undefined, h4)],
  ['produce 1 KiB, fixed partition', (p) => p.produce(TOPIC, 0, value1k)],
  [
    'library-shaped: 100 B, string key, partitioner, opaque, 1 header',
    (p, i) => p.produce(TOPIC, null, value100, stringKey, null, { i }, [{ message_id: uuid }]),
  ],
];

let sink: unknown;
const JS_ONLY: Array<[string, (i: number) => void]> = [
  ['crypto.randomUUID()', () => (sink = randomUUID())],
  ['JSON.stringify(3-field metadata object)', () => (sink = JSON.stringify(meta))],
  ['Buffer.from(100-char string)', () => (sink = Buffer.from(text100, 'utf8'))],
];

// ---------------------------------------------------------------------------------------------
// scenarios

/**
 * Runs the scenarios round-robin (run 1 of every scenario, then run 2, ...) so that a burst of
 * background load on the machine spreads over all scenarios instead of skewing one of them.
 * Drains the queue after every timed run. Returns the new total of produced messages.
 */
async function interleaved(p: RawProducer, counter: ReportCounter, produced: number, scenarios: Scenario[], suffix: string): Promise<number> {
  const samples = scenarios.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) {
    for (let s = 0; s < scenarios.length; s++) {
      const call = scenarios[s]![1];
      samples[s]!.push(timeLoop(CALLS, (i) => call(p, i)));
      produced += CALLS;
      await drain(p, counter, produced);
    }
  }
  scenarios.forEach(([name], s) => record(`${name}${suffix}`, 'us/call', samples[s]!));
  return produced;
}

async function enqueueCosts(): Promise<void> {
  console.log(`\nenqueue only (${CALLS.toLocaleString('en-US')} calls per run, ${RUNS} runs, queue drained between runs)`);
  const p = await connect(
    {
      'test.mock.num.brokers': 1,
      'bootstrap.servers': 'mock-is-used:9092', // replaced by the mock cluster's address
      dr_cb: true,
      'queue.buffering.max.messages': 2_000_000,
      'queue.buffering.max.kbytes': 2_097_151,
      'batch.num.messages': 1_000_000,
      'batch.size': 2_147_483_647,
      'linger.ms': 60_000,
      'enable.idempotence': false,
      'compression.type': 'none',
    },
    { partitioner: 'murmur2_random' },
  );
  const counter = new ReportCounter(p);
  let produced = 0;
  // Creates the topic in the mock (4 partitions) and warms up every code path once.
  for (const [, call] of ENQUEUE) {
    for (let i = 0; i < 2_000; i++) call(p, i);
    produced += 2_000;
  }
  await drain(p, counter, produced);
  produced = await interleaved(p, counter, produced, ENQUEUE, '');
  if (counter.errors > 0) console.log(`  (${counter.errors} delivery errors)`);
  await disconnect(p);
}

/**
 * The same calls while librdkafka is really sending (library-like settings: linger.ms 5): the
 * broker thread, the mock broker thread and lz4 compete with the JS thread for the 2 vCPUs.
 */
async function enqueueWhileSending(): Promise<void> {
  console.log('\nenqueue while the broker thread sends (library-like settings, queue drained between runs)');
  const p = await connect(LIBRARY_LIKE, { partitioner: 'murmur2_random', acks: 'all' });
  const counter = new ReportCounter(p);
  let produced = 0;
  const picks = ENQUEUE.filter(([name]) => name === 'produce 100 B, fixed partition' || name.startsWith('library-shaped'));
  for (const [, call] of picks) {
    for (let i = 0; i < 2_000; i++) call(p, i);
    produced += 2_000;
  }
  await drain(p, counter, produced);
  await interleaved(p, counter, produced, picks, ' [sending]');
  await disconnect(p);
}

function jsCosts(): void {
  console.log(`\nJavaScript-only costs on the publish path (${CALLS.toLocaleString('en-US')} calls per run)`);
  for (const [, fn] of JS_ONLY) timeLoop(CALLS, fn); // warm-up
  const samples = JS_ONLY.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) JS_ONLY.forEach(([, fn], k) => samples[k]!.push(timeLoop(CALLS, fn)));
  JS_ONLY.forEach(([name], k) => record(name, 'us/call', samples[k]!));
  void sink;
}


/** Produces `total` messages in slices of `slice` per macrotask; resolves when all are reported. */
async function pumpRaw(p: RawProducer, counter: ReportCounter, total: number, slice: number): Promise<number> {
  const target = counter.count + total;
  const t0 = process.hrtime.bigint();
  const done = counter.waitFor(target);
  for (let sent = 0; sent < total; ) {
    const n = Math.min(slice, total - sent);
    for (let i = 0; i < n; i++) p.produce(TOPIC, null, value100, null, null, { i });
    sent += n;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await done;
  return total / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function deliveryThroughput(): Promise<void> {
  console.log(
    `\nproduce + delivery reports against the mock (${DR_MESSAGES.toLocaleString('en-US')} × 100 B per run, ` +
      'idempotent, linger.ms 5, lz4, dr_cb with an object opaque, 5,000 produce() per macrotask)',
  );
  const p = await connect(LIBRARY_LIKE, { partitioner: 'murmur2_random', acks: 'all' });
  const counter = new ReportCounter(p);
  p.setPollInterval(5);
  await pumpRaw(p, counter, Math.min(20_000, DR_MESSAGES), 5_000); // warm-up
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) samples.push(await pumpRaw(p, counter, DR_MESSAGES, 5_000));
  record('node-rdkafka: produce + delivery report (setPollInterval 5 ms)', 'msgs/s', samples);

  p.setPollInterval(1);
  const fast: number[] = [];
  for (let r = 0; r < RUNS; r++) fast.push(await pumpRaw(p, counter, DR_MESSAGES, 5_000));
  record('node-rdkafka: produce + delivery report (setPollInterval 1 ms)', 'msgs/s', fast);
  p.setPollInterval(0);
  if (counter.errors > 0) console.log(`  (${counter.errors} delivery errors)`);
  await disconnect(p);
}

/**
 * The library's own publish path over the same mock: ProducerEngine.send (delivery tracking,
 * backpressure) and Producer.publish (message envelope with a UUID header + one promise per
 * message). Loaded dynamically so that the micro-benchmark above still runs while src/ changes.
 */
async function libraryThroughput(): Promise<void> {
  interface Sink {
    delivered(result: unknown, index: number): void;
    failed(error: Error, index: number): void;
  }
  interface Engine {
    connect(): Promise<unknown>;
    send(msg: unknown, sink: Sink, index: number): void;
    close(timeoutMs: number): Promise<void>;
  }
  interface EngineModule {
    ProducerEngine: new (binding: unknown, global: Conf, topic: Conf, opts: Record<string, unknown>) => Engine;
  }
  interface ProducerModule {
    Producer: new (engine: Engine) => { publish(m: unknown): Promise<unknown> };
  }
  interface MessageModule {
    newMessage(topic: string, value: Buffer): unknown;
  }
  interface BindingModule {
    loadNativeBinding(): unknown;
  }
  const load = async <T>(spec: string): Promise<T> => (await import(spec)) as T;
  let engine: Engine;
  let mods: { producer: ProducerModule; message: MessageModule };
  try {
    const [eng, bind, producer, message] = await Promise.all([
      load<EngineModule>('../src/delivery/index.js'),
      load<BindingModule>('../src/native/binding.js'),
      load<ProducerModule>('../src/producer/producer.js'),
      load<MessageModule>('../src/message/outgoing.js'),
    ]);
    mods = { producer, message };
    engine = new eng.ProducerEngine(bind.loadNativeBinding(), LIBRARY_LIKE, { partitioner: 'murmur2_random', acks: 'all' }, {
      clientId: 'native-costs',
      connectTimeoutMs: 10_000,
      retryMax: 0,
      retryBackoffMs: 100,
      enqueueTimeoutMs: 30_000,
      pollIntervalMs: 5,
    });
    await engine.connect();
  } catch (e) {
    console.log(`\n(library throughput skipped: ${(e as Error).message})`);
    return;
  }
  console.log('\nthe library over the same mock (same settings; engine polls every 5 ms while messages are in flight)');

  let ok = 0;
  let failed = 0;
  let target = 0;
  let done: (() => void) | undefined;
  const check = () => {
    if (ok + failed >= target && done) {
      const d = done;
      done = undefined;
      d();
    }
  };
  const sink: Sink = {
    delivered: () => {
      ok++;
      check();
    },
    failed: () => {
      failed++;
      check();
    },
  };
  const prepared = { topic: TOPIC, partition: null, value: value100, key: null, timestamp: null, headers: [{ message_id: uuid }], messageId: uuid };
  const runEngine = async (total: number): Promise<number> => {
    target = ok + failed + total;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const t0 = process.hrtime.bigint();
    for (let sent = 0; sent < total; ) {
      const n = Math.min(5_000, total - sent);
      for (let i = 0; i < n; i++) engine.send(prepared, sink, i);
      sent += n;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await finished;
    return total / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  await runEngine(Math.min(20_000, DR_MESSAGES));
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) samples.push(await runEngine(DR_MESSAGES));
  record('library: ProducerEngine.send + delivery (1 header, opaque)', 'msgs/s', samples);

  const producer = new mods.producer.Producer(engine);
  const runPublish = async (total: number): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const pending: Array<Promise<unknown>> = [];
    for (let sent = 0; sent < total; ) {
      const n = Math.min(5_000, total - sent);
      for (let i = 0; i < n; i++) pending.push(producer.publish(mods.message.newMessage(TOPIC, value100)));
      sent += n;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const results = await Promise.allSettled(pending);
    failed += results.filter((r) => r.status === 'rejected').length;
    return total / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  await runPublish(Math.min(20_000, DR_MESSAGES));
  const pub: number[] = [];
  for (let r = 0; r < RUNS; r++) pub.push(await runPublish(DR_MESSAGES));
  record('library: Producer.publish (UUID + header + promise) + delivery', 'msgs/s', pub);
  if (failed > 0) console.log(`  (${failed} failed deliveries)`);
  await engine.close(10_000).catch((e: unknown) => console.log(`  (close: ${(e as Error).message})`));
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const cpus = os.cpus();
  const machine = {
    date: new Date().toISOString(),
    node: process.version,
    nodeRdkafka: rdkafkaPkg.version,
    librdkafka: Kafka.librdkafkaVersion,
    cpu: cpus[0]?.model ?? 'unknown',
    vcpus: cpus.length,
    uvThreadpoolSize: process.env['UV_THREADPOOL_SIZE'] ?? '4 (default)',
    // Other processes compete for the same vCPUs: the 1-minute load average before and after.
    loadAvgStart: Number(os.loadavg()[0]!.toFixed(2)),
    loadAvgEnd: 0,
  };
  console.log('native-costs', JSON.stringify(machine));
  await enqueueCosts();
  await enqueueWhileSending();
  jsCosts();
  await deliveryThroughput();
  await libraryThroughput();
  machine.loadAvgEnd = Number(os.loadavg()[0]!.toFixed(2));
  console.log(`\nload average (1 min): ${machine.loadAvgStart} at start, ${machine.loadAvgEnd} at end, on ${machine.vcpus} vCPUs`);
  if (outFile !== undefined) {
    writeFileSync(outFile, JSON.stringify({ machine, settings: { calls: CALLS, runs: RUNS, drMessages: DR_MESSAGES }, results: rows }, null, 2));
    console.log(`\nwrote ${outFile}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
