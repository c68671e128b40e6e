/**
 * Consumer throughput: `consumer-trivial` (every client reads a pre-filled topic to its end with a
 * trivial handler) and `consumer-cpu` (a ~200 µs CPU-bound handler through the library's worker
 * pool with 2 workers vs the same handler in-process).
 *
 * The topic is filled once per scenario (raw node-rdkafka producer, 6 partitions, 100 keys, the
 * producer scenarios' 100 B payload, compression none: KafkaJS cannot read lz4 without a codec); every run then reads it with a FRESH consumer group from the
 * earliest offset. Throughput = messages / (first message seen by the handler .. the N-th message
 * handled): group join / rebalance time is excluded for every client (Java: fetch.nMsg.sec, which
 * excludes rebalance time the same way; librdkafka-perf: its own clock from the first message). The
 * warm-up run reads only the first --warmup messages. Peers built or installed on demand
 * (librdkafka-perf, ck-js) that fail are reported as failed; Scenario.finish drops the pre-filled
 * topic in any case.
 */
import { ConnectionManager } from '../../src/client.js';
import { Consumer } from '../../src/consumer/index.js';
import { toLibrdkafkaConfig } from '../../src/config/index.js';
import { cpuWindow } from '../lib/cpu.js';
import { rdkafka, uniqueName } from '../lib/kafka.js';
import { CKJS_PACKAGE, ckjsChild, type WireMeasurement } from '../lib/ckjs.js';
import { ensureRdkafkaPerformance, parseConsumerSummary, propertiesFile, runRdkafkaPerformance } from '../lib/librdkafka-perf.js';
import { brokerList, kafkajs, platformatic, runKafkaTool } from '../lib/peers.js';
import { plainProperties } from './producer-peers.js';
import type { BenchContext, BenchOptions, ClientRunner, RunInput, RunMeasurement, Scenario, ScenarioGroup } from '../lib/types.js';
import { RAW_MAX_OUTSTANDING, RAW_POLL_MS, payload, rawRunner } from './producer.js';
import { Clock } from '../lib/clock.js';

const MESSAGE_BYTES = 100;
const CPU_TARGET_US = 200;
const CPU_WORKERS = 2;
const CPU_WORKER_URL = new URL('./workers/cpu-work.mjs', import.meta.url);

/** The pre-filled topic of a scenario: created and filled on first use, shared by every run. */
class Prefill {
  #topic: Promise<string> | undefined;
  #name: string | undefined;
  #uses = 0;
  constructor(readonly scenario: string) {}

  get(ctx: BenchContext, messages: number): Promise<string> {
    return (this.#topic ??= (async () => {
      const topic = uniqueName(`bench-${this.scenario}-prefill`);
      this.#name = topic;
      await ctx.admin.create(topic, { partitions: ctx.options.partitions, replicationFactor: ctx.replicationFactor });
      const t0 = performance.now();
      const m = await rawRunner(ctx, payload(MESSAGE_BYTES), RAW_POLL_MS, 'prefill', { ...ctx.config, compression: 'none' }, RAW_MAX_OUTSTANDING).run({ topic, messages, run: 0, warmup: true });
      if (m.errors > 0) throw new Error(`prefill of ${topic}: ${m.errors} delivery errors`);
      ctx.log(`  prefilled ${topic}: ${messages.toLocaleString('en-US')} × ${MESSAGE_BYTES} B in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return topic;
    })());
  }

  /** Deletes the topic if it still exists (Scenario.finish: a failed client never used up its runs). */
  async drop(ctx: BenchContext): Promise<void> {
    const name = this.#name;
    this.#topic = undefined;
    this.#name = undefined;
    this.#uses = 0;
    if (name !== undefined && ctx.options.deleteTopics) await ctx.admin.delete(name);
  }

  /** Deletes the topic after the scenario's last run (runs counted: warm-up + timed, per client). */
  async done(ctx: BenchContext, totalRuns: number): Promise<void> {
    if (++this.#uses < totalRuns || this.#name === undefined || !ctx.options.deleteTopics) return;
    await ctx.admin.delete(this.#name);
    this.#topic = undefined;
    this.#name = undefined;
    this.#uses = 0;
  }
}

/** Clients without a warm-up run (ClientRunner.skipWarmup): the Java tool and rdkafka_performance start a fresh process per run. */
const NO_WARMUP = new Set(['java', 'librdkafka-perf']);

function totalRuns(ctx: BenchContext, clients: string[]): number {
  const selected = clients.filter((c) => ctx.options.clients === undefined || ctx.options.clients.has(c));
  const warm = ctx.options.warmupMessages > 0 ? selected.filter((c) => !NO_WARMUP.has(c)).length : 0;
  return selected.length * ctx.options.runs + warm;
}

const RUN_TIMEOUT_MS = 300_000;

/** --quick sizes (full: 1,000,000 and 50,000 with the --warmup default). */
export const QUICK_TRIVIAL_MESSAGES = 200_000;
export const QUICK_CPU_MESSAGES = 5_000;
export const QUICK_CPU_WARMUP = 1_000;

/** The library: Consumer + registerHandler, in-process handler or a worker module. */
function gocoffeeConsumer(ctx: BenchContext, prefill: Prefill, clients: string[], spec: { client: string; workerModule?: URL; handle?: (m: { value: Buffer | null }) => void; workers?: number; countFirstBatch?: boolean }): ClientRunner {
  return {
    client: spec.client,
    async run({ messages }: RunInput): Promise<RunMeasurement> {
      const topic = await prefill.get(ctx, scenarioMessages(ctx, prefill));
      const cm = new ConnectionManager(ctx.config, { pollIntervalMs: ctx.options.pollIntervalMs });
      await cm.initialize();
      const clock = new Clock(messages, MESSAGE_BYTES);
      const groupId = uniqueName(`bench-${spec.client}`);
      // N = messages the library has made committable: the sum of the watermarks it stores (every
      // message before a watermark is done; the topic is fresh, so its partitions start at offset
      // 0), counted when stored (GroupHooks.onOffsetsStored, once per store, not per message), as
      // the raw client counts each batch when it stores its offsets. (This used to poll
      // consumer.stats() every millisecond: a 1 ms interval wakes the otherwise idle main thread
      // ~1,000 times a second, ~30 µs each on this machine — CPU charged to the library that the
      // raw client, counting in its consume callback, never pays.)
      // t0 = the first message: seen by an in-process handler's first call, or (worker-module
      // handlers) by a 1 ms poll of consumer.stats() that stops at t0. (An in-process CPU-bound
      // handler can keep the main thread, and so the poll, busy for a whole fetched chunk: t0 from
      // the poll alone would leave that work out of the window.)
      const watermarks = new Map<number, number>();
      let committable = 0;
      const consumer = new Consumer(cm, spec.workers !== undefined ? { workers: spec.workers } : {}, {
        onOffsetsStored: (_group, offsets) => {
          for (const o of offsets) {
            const before = watermarks.get(o.partition) ?? 0;
            if (o.offset <= before) continue;
            committable += o.offset - before;
            watermarks.set(o.partition, o.offset);
          }
          if (clock.t0 !== 0 && committable > clock.count) clock.add(committable - clock.count);
        },
      });
      let poll: NodeJS.Timeout | undefined;
      let cpu: ReturnType<typeof cpuWindow> | undefined;
      const begin = (consumed: number): void => {
        // the first fetched batch is "at" t0, as for the other clients
        clock.t0 = performance.now();
        clock.first = spec.countFirstBatch === true ? 0 : consumed;
        cpu ??= cpuWindow();
        clearInterval(poll);
      };
      const userHandle = spec.handle;
      if (spec.workerModule !== undefined) consumer.registerHandler({ topics: [topic], groupId, workerModule: spec.workerModule });
      else
        consumer.registerHandler({
          topics: [topic],
          groupId,
          handle: (m) => {
            if (clock.t0 === 0) begin(consumer.stats()[0]?.consumed ?? 0);
            userHandle?.(m);
          },
        });
      try {
        await consumer.start();
        poll = setInterval(() => {
          const s = consumer.stats()[0];
          if (clock.t0 === 0 && s !== undefined && s.consumed > 0) begin(s.consumed);
        }, 1);
        await clock.wait(RUN_TIMEOUT_MS, spec.client);
        const use = cpu?.stop(messages);
        return clock.measurement({ ...(use ?? {}) });
      } finally {
        clearInterval(poll);
        await consumer.stop();
        await cm.close();
        await prefill.done(ctx, totalRuns(ctx, clients));
      }
    },
  };
}

/**
 * Raw node-rdkafka, best practice for throughput with the library's own at-least-once work: one
 * KafkaConsumer with exactly `toLibrdkafkaConfig(config, 'consumer')` (enable.auto.offset.store
 * false, auto-commit of stored offsets), a consume(1000) loop (timeout 0 while data is buffered,
 * fetchWaitMs=100 when empty — the library's loop), and per batch offsetsStore() of the last
 * offset + 1 of every partition in it.
 */
function rawConsumer(ctx: BenchContext, prefill: Prefill, clients: string[], client = 'node-rdkafka'): ClientRunner {
  const Kafka = rdkafka();
  return {
    client,
    async run({ messages }: RunInput): Promise<RunMeasurement> {
      const topic = await prefill.get(ctx, scenarioMessages(ctx, prefill));
      const props = toLibrdkafkaConfig(ctx.config, 'consumer');
      const consumer = new Kafka.KafkaConsumer({ ...props.global, 'group.id': uniqueName('bench-raw') } as never, { ...props.topic } as never);
      await new Promise<void>((resolve, reject) => consumer.connect({ timeout: ctx.config.connectTimeoutMs } as never, (err) => (err ? reject(err) : resolve())));
      const clock = new Clock(messages, MESSAGE_BYTES);
      let running = true;
      let cpu: ReturnType<typeof cpuWindow> | undefined;
      try {
        consumer.subscribe([topic]);
        const last = new Map<number, number>();
        const loop = (wait: boolean): void => {
          if (!running) return;
          consumer.setDefaultConsumeTimeout(wait ? 100 : 0);
          consumer.consume(wait ? 1 : 1000, (err, msgs) => {
            if (err || !running) {
              if (running) setTimeout(() => loop(true), 100);
              return;
            }
            if (msgs.length === 0) return loop(true);
            cpu ??= cpuWindow();
            last.clear();
            for (const m of msgs) last.set(m.partition, m.offset);
            consumer.offsetsStore([...last].map(([partition, offset]) => ({ topic, partition, offset: offset + 1 })));
            clock.add(msgs.length);
            loop(false);
          });
        };
        loop(true);
        await clock.wait(RUN_TIMEOUT_MS, client);
        const use = cpu?.stop(messages);
        return clock.measurement({ ...(use ?? {}) });
      } finally {
        running = false;
        await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
        consumer.removeAllListeners();
        await prefill.done(ctx, totalRuns(ctx, clients));
      }
    },
  };
}

/**
 * KafkaJS 2.2.4, per its docs for throughput: eachBatch (eachBatchAutoResolve, offsets committed
 * by the auto-commit of resolved offsets), partitionsConsumedConcurrently = partitions,
 * fromBeginning, logLevel NOTHING.
 */
function kafkajsConsumer(ctx: BenchContext, prefill: Prefill, clients: string[]): ClientRunner {
  return {
    client: 'kafkajs',
    async run({ messages }: RunInput): Promise<RunMeasurement> {
      const topic = await prefill.get(ctx, scenarioMessages(ctx, prefill));
      const { Kafka, logLevel } = kafkajs(ctx);
      const kafka = new Kafka({ clientId: 'gocoffee-bench-kafkajs', brokers: brokerList(), logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: uniqueName('bench-kafkajs') });
      const clock = new Clock(messages, MESSAGE_BYTES);
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          partitionsConsumedConcurrently: ctx.options.partitions,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            clock.add(batch.messages.length);
          },
        });
        await clock.wait(RUN_TIMEOUT_MS, 'kafkajs');
        return clock.measurement();
      } finally {
        await consumer.disconnect();
        await prefill.done(ctx, totalRuns(ctx, clients));
      }
    },
  };
}

/** @platformatic/kafka 1.x, its README's way: consumer.consume({ topics, mode: earliest, autocommit }), stream 'data' events. */
function platformaticConsumer(ctx: BenchContext, prefill: Prefill, clients: string[]): ClientRunner {
  return {
    client: 'platformatic',
    async run({ messages }: RunInput): Promise<RunMeasurement> {
      const topic = await prefill.get(ctx, scenarioMessages(ctx, prefill));
      const { Consumer: PConsumer, MessagesStreamModes } = await platformatic(ctx);
      const consumer = new PConsumer({ groupId: uniqueName('bench-platformatic'), clientId: 'gocoffee-bench-platformatic', bootstrapBrokers: brokerList() });
      const clock = new Clock(messages, MESSAGE_BYTES);
      let stream: Awaited<ReturnType<typeof consumer.consume>> | undefined;
      try {
        stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: true });
        stream.on('data', () => clock.add(1));
        await clock.wait(RUN_TIMEOUT_MS, 'platformatic');
        return clock.measurement();
      } finally {
        if (stream !== undefined) await (stream.close() as Promise<void>).catch(() => undefined);
        await (consumer.close(true) as unknown as Promise<void>).catch(() => undefined);
        await prefill.done(ctx, totalRuns(ctx, clients));
      }
    },
  };
}

/** Kafka's own ConsumerPerformance (the Java client's ceiling); fetch.nMsg.sec excludes the group join. */
function javaConsumer(ctx: BenchContext, prefill: Prefill, clients: string[]): ClientRunner {
  return {
    client: 'java',
    skipWarmup: 'a fresh JVM per run: a warm-up run cannot warm the measured one',
    async run({ messages }: RunInput): Promise<RunMeasurement> {
      const topic = await prefill.get(ctx, scenarioMessages(ctx, prefill));
      try {
        const out = await runKafkaTool(ctx, 'org.apache.kafka.tools.ConsumerPerformance', [
          '--bootstrap-server', brokerList().join(','),
          '--topic', topic,
          '--messages', String(messages),
          '--group', uniqueName('bench-java'),
          '--timeout', '60000',
        ]);
        // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
        const line = out.trim().split('\n').filter((l) => /^\d{4}-/.test(l.trim())).pop();
        if (line === undefined) throw new Error(`ConsumerPerformance: unexpected output ${out}`);
        const f = line.split(',').map((s) => s.trim());
        const consumed = Number(f[4]);
        const fetchMs = Number(f[7]);
        return { messages: consumed, bytes: consumed * MESSAGE_BYTES, elapsedMs: fetchMs, errors: consumed < messages ? messages - consumed : 0, extra: { rebalanceMs: Number(f[6]) } };
      } finally {
        await prefill.done(ctx, totalRuns(ctx, clients));
      }
    },
  };
}

/**
 * The connection and security properties of the library's consumer configuration (bootstrap
 * servers, SASL/TLS from GOCOFFEE_KAFKA_*, socket timeouts), without its consumer behaviour (group,
 * commit, offset store, assignor, fetch wait), for peers that keep their own consumer defaults.
 */
const CONSUMER_BEHAVIOUR = ['group.id', 'enable.auto.commit', 'enable.auto.offset.store', 'auto.commit.interval.ms', 'partition.assignment.strategy', 'session.timeout.ms', 'fetch.wait.max.ms', 'auto.offset.reset'];
function connectionProperties(ctx: BenchContext, clientId: string): Record<string, string | number | boolean> {
  return { ...plainProperties(toLibrdkafkaConfig(ctx.config, 'consumer').global, CONSUMER_BEHAVIOUR), 'client.id': clientId };
}

/**
 * librdkafka's own rdkafka_performance, high-level consumer: -G <fresh group> -t <topic> -c N, its
 * default rd_kafka_consumer_poll() loop (its -B batch mode, rd_kafka_consume_batch_queue(rkqu, 1000
 * ms, batch), waits up to a second for the LAST batch to fill when N is the topic's size — measured:
 * 200,000 of 200,000 in 1,053 ms with -B 1000, 94 ms without — and overshoots N by up to a batch),
 * auto commit and offset store at librdkafka's defaults, the tool's own consumer defaults
 * (queued.min.messages=1000000, auto.offset.reset=earliest). Its clock runs from the first message
 * received to the N-th (group join excluded; the first message counted).
 */
function librdkafkaPerfConsumer(ctx: BenchContext, prefill: Prefill, clients: string[]): ClientRunner {
  let bin: string | undefined;
  return {
    client: 'librdkafka-perf',
    optional: true,
    skipWarmup: 'a fresh process per run: a warm-up run cannot warm the measured one (and there is no JIT to warm)',
    async prepare() {
      const b = await ensureRdkafkaPerformance(ctx.log);
      bin = b.bin;
      ctx.notePeerVersion('rdkafka_performance (librdkafka-perf)', `librdkafka ${b.librdkafka} (node-rdkafka's librdkafka.so.1; examples/rdkafka_performance.c compiled by the bench, patched: bench/lib/librdkafka-perf.ts)`);
    },
    async run({ messages }: RunInput): Promise<RunMeasurement> {
      try {
        const topic = await prefill.get(ctx, scenarioMessages(ctx, prefill));
        const conf = propertiesFile(connectionProperties(ctx, 'gocoffee-bench-librdkafka-perf'));
        try {
          const args = ['-G', uniqueName('bench-librdkafka-perf'), '-t', topic, '-c', String(messages), '-X', `file=${conf.file}`, '-i', '600000'];
          const { stdout } = await runRdkafkaPerformance(bin!, args, {}, RUN_TIMEOUT_MS);
          const s = parseConsumerSummary(stdout);
          if (s.msgsPerSec <= 0) throw new Error(`rdkafka_performance: no throughput in its summary (${s.messages} messages in ${s.ms} ms)`);
          return { messages: s.messages, bytes: s.bytes, elapsedMs: (s.messages / s.msgsPerSec) * 1000, errors: Math.max(0, messages - s.messages), extra: { toolMs: s.ms } };
        } finally {
          conf.remove();
        }
      } finally {
        await prefill.done(ctx, totalRuns(ctx, clients));
      }
    },
  };
}

/**
 * ck-js consumer: js.consumer.max.batch.size, the most messages per eachBatch call (its default is 32).
 * 32, 1,000 and unlimited, with partitionsConsumedConcurrently 1 or 6, measured alike here (100k-145k
 * msgs/s, ~6 µs of main-thread CPU per message: its cost is per message, not per batch).
 */
export const CKJS_CONSUMER_MAX_BATCH = 1000;

/**
 * @confluentinc/kafka-javascript, its KafkaJS-compatible consumer in its child process (lib/ckjs.ts):
 * eachBatch (eachBatchAutoResolve, auto commit at its defaults), partitionsConsumedConcurrently =
 * partitions, fromBeginning, js.consumer.max.batch.size CKJS_CONSUMER_MAX_BATCH.
 */
function ckjsConsumer(ctx: BenchContext, prefill: Prefill, clients: string[]): ClientRunner {
  let child: Awaited<ReturnType<typeof ckjsChild>>['child'] | undefined;
  return {
    client: 'ck-js',
    optional: true,
    async prepare() {
      const c = await ckjsChild(ctx.log);
      child = c.child;
      ctx.notePeerVersion(CKJS_PACKAGE, `${c.hello.version} (librdkafka ${c.hello.librdkafka}; built from source, bench/peers)`);
    },
    async run({ messages }: RunInput): Promise<RunMeasurement> {
      try {
        const topic = await prefill.get(ctx, scenarioMessages(ctx, prefill));
        const m = await child!.request<WireMeasurement>({
          op: 'consume',
          topic,
          messages,
          messageBytes: MESSAGE_BYTES,
          groupId: uniqueName('bench-ck-js'),
          partitionsConsumedConcurrently: ctx.options.partitions,
          config: { ...connectionProperties(ctx, 'gocoffee-bench-ck-js'), 'js.consumer.max.batch.size': CKJS_CONSUMER_MAX_BATCH },
          kafkaJS: { fromBeginning: true },
          timeoutMs: RUN_TIMEOUT_MS,
        });
        return m;
      } finally {
        await prefill.done(ctx, totalRuns(ctx, clients));
      }
    },
  };
}

const prefillSize = new Map<Prefill, number>();
function scenarioMessages(ctx: BenchContext, prefill: Prefill): number {
  return ctx.options.messages ?? prefillSize.get(prefill)!;
}

function consumerTrivial(): Scenario {
  const prefill = new Prefill('consumer-trivial');
  const clients = ['gocoffee', 'node-rdkafka', 'kafkajs', 'platformatic', 'java', 'librdkafka-perf', 'ck-js'];
  const messages = (o: BenchOptions) => (o.quick ? QUICK_TRIVIAL_MESSAGES : 1_000_000);
  return {
    name: 'consumer-trivial',
    description: `consumer throughput, trivial handler, ${MESSAGE_BYTES} B values, fresh group reads a pre-filled topic to its end`,
    messageBytes: MESSAGE_BYTES,
    messages,
    baseline: 'node-rdkafka',
    settings(ctx) {
      prefillSize.set(prefill, messages(ctx.options));
      return {
        messageBytes: MESSAGE_BYTES,
        topic: { partitions: ctx.options.partitions, replicationFactor: ctx.replicationFactor, prefilledOnce: 'raw node-rdkafka producer, compression none (KafkaJS has no built-in lz4 codec), 100 keys', freshGroupPerRun: true },
        throughput: '(N - first fetched batch) / (first batch arrives .. N-th message handled); group join excluded for every client; firstBatch in extra',
        gocoffee: 'new Consumer(cm) + registerHandler({ handle }) in-process, default options (ordering key, fetchBatchSize 1000, taskBatchSize 500); N = committable messages: sum of the watermarks stored (GroupHooks.onOffsetsStored), t0 = first handler call',
        'node-rdkafka': 'KafkaConsumer with the same librdkafka properties, consume(1000) loop (timeout 0, 100 ms when empty), offsetsStore of last offset+1 per partition per batch, auto-commit',
        kafkajs: `eachBatch, eachBatchAutoResolve, partitionsConsumedConcurrently=${ctx.options.partitions}, fromBeginning`,
        platformatic: "consumer.consume({ mode: 'earliest', autocommit: true }), stream 'data' events",
        java: 'org.apache.kafka.tools.ConsumerPerformance --messages N (defaults; fetch.nMsg.sec = excluding rebalance time); no warm-up run (a fresh JVM per run)',
        'librdkafka-perf': `librdkafka's rdkafka_performance (compiled on demand, node-rdkafka's librdkafka.so.1): -G <fresh group> -t <topic> -c N -i 600000 (its rd_kafka_consumer_poll loop; its -B batch mode waits up to 1 s for the last batch to fill), -X file= with the connection/security properties only (client.id gocoffee-bench-librdkafka-perf); the tool's consumer defaults (queued.min.messages=1000000, auto.offset.reset=earliest, session.timeout.ms=6000) and librdkafka's auto commit / offset store; throughput from its summary line: N / (first message received .. N-th), first batch counted; no warm-up run (a fresh process per run)`,
        'ck-js': `${CKJS_PACKAGE} KafkaJS API in a child process (lib/ckjs.ts): kafka.consumer({ kafkaJS: { groupId, fromBeginning: true }, 'js.consumer.max.batch.size': ${CKJS_CONSUMER_MAX_BATCH}, <connection properties> }), run({ eachBatch, eachBatchAutoResolve: true, partitionsConsumedConcurrently: ${ctx.options.partitions} }), auto commit at its defaults; CPU figures of the child process`,
        librdkafka: toLibrdkafkaConfig(ctx.config, 'consumer'),
      };
    },
    clients(ctx) {
      prefillSize.set(prefill, messages(ctx.options));
      return [
        rawConsumer(ctx, prefill, clients),
        gocoffeeConsumer(ctx, prefill, clients, { client: 'gocoffee' }),
        kafkajsConsumer(ctx, prefill, clients),
        platformaticConsumer(ctx, prefill, clients),
        javaConsumer(ctx, prefill, clients),
        librdkafkaPerfConsumer(ctx, prefill, clients),
        ckjsConsumer(ctx, prefill, clients),
      ];
    },
    finish: (ctx) => prefill.drop(ctx),
  };
}

/** Iterations of the hash loop that take ~CPU_TARGET_US on this machine (median of 5 timings). */
async function calibrate(): Promise<number> {
  const { spin } = (await import(CPU_WORKER_URL.href)) as { spin(v: Buffer, iters: number): number };
  const v = payload(MESSAGE_BYTES);
  spin(v, 2_000_000); // JIT
  const probe = 1_000_000;
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    spin(v, probe);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const usPerIter = (times[2]! * 1000) / probe;
  return Math.max(1, Math.round(CPU_TARGET_US / usPerIter));
}

function consumerCpu(): Scenario {
  const prefill = new Prefill('consumer-cpu');
  const clients = ['gocoffee', 'in-process'];
  const messages = (o: BenchOptions) => (o.quick ? QUICK_CPU_MESSAGES : 50_000);
  let iters: number | undefined;
  let spin: ((v: Buffer, iters: number) => number) | undefined;
  let sink = 0;
  const ensure = async (ctx: BenchContext) => {
    if (iters !== undefined) return;
    iters = await calibrate();
    // Worker threads copy process.env when the pool creates them (after this line).
    process.env.BENCH_CPU_ITERS = String(iters);
    spin = ((await import(CPU_WORKER_URL.href)) as { spin(v: Buffer, iters: number): number }).spin;
    ctx.log(`  consumer-cpu: ${iters.toLocaleString('en-US')} hash rounds ≈ ${CPU_TARGET_US} µs per message`);
  };
  return {
    name: 'consumer-cpu',
    description: `consumer with a CPU-bound handler (~${CPU_TARGET_US} µs/message): worker pool (${CPU_WORKERS} workers) vs in-process`,
    messageBytes: MESSAGE_BYTES,
    messages,
    // quick: a short warm-up (JIT, pool threads up); at ~2,000 msgs/s in-process a full one is seconds
    warmupMessages: (o: BenchOptions) => (o.quick ? QUICK_CPU_WARMUP : Number.POSITIVE_INFINITY),
    baseline: 'in-process',
    settings(ctx) {
      prefillSize.set(prefill, messages(ctx.options));
      return {
        handler: `FNV-1a-style hash over the value, rounds calibrated at start-up to ~${CPU_TARGET_US} µs (bench/scenarios/workers/cpu-work.mjs)`,
        calibratedRounds: iters ?? 'at first run',
        gocoffee: `registerHandler({ workerModule }) with workers=${CPU_WORKERS} (piscina), default taskBatchSize 500`,
        'in-process': 'registerHandler({ handle }) with the same function on the main thread',
        ratioVsRaw: 'here = speed-up of the pool over in-process',
        throughput: 'N / (first fetched batch .. N-th message processed): every message counted, its CPU work is after t0',
        topic: { partitions: ctx.options.partitions, replicationFactor: ctx.replicationFactor },
      };
    },
    clients(ctx) {
      prefillSize.set(prefill, messages(ctx.options));
      const pool = gocoffeeConsumer(ctx, prefill, clients, { client: 'gocoffee', workerModule: CPU_WORKER_URL, workers: CPU_WORKERS, countFirstBatch: true });
      const local = gocoffeeConsumer(ctx, prefill, clients, {
        client: 'in-process',
        countFirstBatch: true,
        handle: (m) => {
          sink ^= spin!(m.value!, iters!);
        },
      });
      return [
        { client: pool.client, run: async (input) => (await ensure(ctx), pool.run(input)) },
        { client: local.client, run: async (input) => (await ensure(ctx), local.run(input)) },
        ...(sink === -1 ? [] : []),
      ];
    },
  };
}

export const consumerGroup: ScenarioGroup = {
  group: 'consumer',
  scenarios: [consumerTrivial(), consumerCpu()],
};
