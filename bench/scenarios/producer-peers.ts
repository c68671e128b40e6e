/**
 * Producer peers of `producer-100b` / `producer-1kib`: KafkaJS, @platformatic/kafka 1.x, Apache
 * Kafka's own Java ProducerPerformance tool, librdkafka's own rdkafka_performance tool
 * (`librdkafka-perf`, compiled on demand: lib/librdkafka-perf.ts) and @confluentinc/kafka-javascript
 * (`ck-js`, installed on demand into bench/peers/ and run in a child process: lib/ckjs.ts). Each gets the scenario's fresh topic, message size,
 * payload bytes and key sequence where its API allows, acks=all and idempotence, and is driven the
 * way its documentation recommends for throughput. Throughput = messages / (first send .. last
 * acknowledgement), as for the librdkafka clients. What cannot be made equal is in PEER_SETTINGS
 * (printed and stored under `settings.scenarios.<name>`).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LibrdkafkaValue } from '../../src/config/index.js';
import type { NativeMetadata } from '../../src/native/index.js';
import { CKJS_PACKAGE, ckjsChild, type WireMeasurement } from '../lib/ckjs.js';
import { childCpuWindow, cpuWindow } from '../lib/cpu.js';
import { producerProperties, waitForLeaders } from '../lib/kafka.js';
import { LATENCY_EVERY, driveBatches } from '../lib/drive.js';
import { ensureRdkafkaPerformance, parseProducerSummary, patchSummary, propertiesFile, runRdkafkaPerformance } from '../lib/librdkafka-perf.js';
import { brokerList, kafkajs, platformatic, runKafkaToolOutput } from '../lib/peers.js';
import type { BenchContext, ClientRunner, RunInput, RunMeasurement } from '../lib/types.js';

/** KafkaJS: messages per send() and concurrent sends (10 × 1,000 = the raw loop's 10,000 unacknowledged). */
export const KAFKAJS_BATCH = 1_000;
export const KAFKAJS_CONCURRENCY = 10;
/**
 * @platformatic/kafka: messages per send() and sends in flight. One at a time: with `idempotent`,
 * 1.x stamps a batch's first sequence number when it builds the request but advances it only when
 * the response arrives, so concurrent sends to a partition repeat sequence numbers and the broker
 * drops the repeats as duplicates while every send() resolves (platformatic/kafka issue #326;
 * reproduced with 1.35.0: 4 concurrent sends of 1,000 → 97,000 of 100,000 messages landed, no error).
 */
export const PLATFORMATIC_BATCH = 10_000;
export const PLATFORMATIC_CONCURRENCY = 1;
/** Java producer batch.size (bytes): librdkafka's batch.size default, the bytes bound of its batches. */
export const JAVA_BATCH_BYTES = 1_000_000;
/**
 * ck-js: messages per send() and sends in flight (≤ 10,000 unacknowledged, as the raw loop; inside
 * queue.buffering.max.messages, so no QUEUE_FULL). Its MIGRATION.md: send many messages without
 * awaiting each, librdkafka batches them (linger.ms); its own performance example sends 100 per
 * send() and awaits every 10,000. Measured on this machine at 100 B and 1 KiB (see bench/README.md).
 */
export const CKJS_BATCH = 1_000;
export const CKJS_CONCURRENCY = 10;

/** Plain librdkafka properties (no node-rdkafka-only keys, no callbacks) for a peer that takes them as text. */
export function plainProperties(props: Record<string, LibrdkafkaValue>, drop: readonly string[] = []): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(props)) {
    if (drop.includes(k)) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

/**
 * The librdkafka clients' producer properties (toLibrdkafkaConfig(config, 'producer'): acks=all,
 * idempotence, linger.ms, batch.num.messages, lz4, murmur2_random, ...), global and topic level in
 * one map, without node-rdkafka's `dr_cb`, with the peer's own client.id.
 */
export function peerProducerProperties(ctx: BenchContext, clientId: string): Record<string, string | number | boolean> {
  const { global, topic } = producerProperties(ctx.config);
  return { ...plainProperties(global, ['dr_cb']), ...plainProperties(topic), 'client.id': clientId };
}

/** rdkafka_performance lowers message.send.max.retries to 3 (and retry.backoff.ms to 500): put librdkafka's default back. */
function perfProducerProperties(ctx: BenchContext): Record<string, string | number | boolean> {
  return { ...peerProducerProperties(ctx, 'gocoffee-bench-librdkafka-perf'), 'message.send.max.retries': 2147483647 };
}

/** How each peer is driven and configured, for `settings()` (all are also in bench/README.md). */
export function peerSettings(ctx: BenchContext): Record<string, Record<string, unknown>> {
  const keys = ctx.options.keys;
  const warm = ctx.options.warmupMessages;
  return {
    kafkajs: {
      driven: `producer.send({ topic, messages, acks: -1 }) with ${KAFKAJS_BATCH.toLocaleString('en-US')} messages per send, ${KAFKAJS_CONCURRENCY} sends in flight (≤ ${(KAFKAJS_BATCH * KAFKAJS_CONCURRENCY).toLocaleString('en-US')} unacknowledged, as the raw loop)`,
      acks: -1,
      idempotent: true,
      maxInFlightRequests: '1 (KafkaJS requires 1 for its idempotent producer; concurrent sends queue per connection)',
      linger: 'none: KafkaJS has no linger.ms; one send() = one ProduceRequest per broker',
      batch: `${KAFKAJS_BATCH} messages per send() (no batch.size)`,
      compression: 'none: KafkaJS has no built-in lz4 codec (lz4 needs the kafkajs-lz4 package, not installed); gzip, its only built-in codec, costs far more CPU than lz4',
      partitioner: 'DefaultPartitioner (murmur2, Java-compatible: the same keys land on the same partitions as librdkafka murmur2_random)',
      keys: keys > 0 ? `the same ${keys} string keys, round-robin` : 'none',
      payload: 'the same Buffer',
      timing: 'the first send() fetches the fresh topic\'s metadata inside the timed window (KafkaJS has no public way to prime it); connect() obtains the producer id before',
      latency: `send()→resolve of every ${LATENCY_EVERY}th message (its batch)`,
    },
    platformatic: {
      driven: `producer.send({ messages }) with ${PLATFORMATIC_BATCH.toLocaleString('en-US')} messages per send, ${PLATFORMATIC_CONCURRENCY} send in flight`,
      acks: -1,
      idempotent: true,
      maxInFlight: '1 request per connection (forced by idempotent: true in 1.x)',
      concurrency: 'one send at a time: concurrent idempotent sends silently lose messages in 1.x (sequence numbers advanced on response; platformatic/kafka#326; reproduced here with 1.35.0)',
      linger: 'none: no linger.ms; one send() = one ProduceRequest per broker',
      batch: `${PLATFORMATIC_BATCH} messages per send() (no batch.size)`,
      compression: 'lz4 (its WASM codec)',
      partitioner: 'compatibilityPartitioner (Java/librdkafka murmur2: same key → same partition)',
      keys: keys > 0 ? `the same ${keys} keys as Buffers (no serializers: Buffer key and value), round-robin` : 'none',
      payload: 'the same Buffer',
      timing: 'leaders (metadata), producer id and leader connections are obtained before the clock starts',
      latency: `send()→resolve of every ${LATENCY_EVERY}th message (its batch)`,
    },
    java: {
      driven: `org.apache.kafka.tools.ProducerPerformance --num-records N+W --warmup-records W --throughput -1 (W = --warmup = ${warm.toLocaleString('en-US')}); one fresh JVM per run`,
      props: javaProps(),
      batch: `batch.size=${JAVA_BATCH_BYTES} bytes (librdkafka's batch.size; librdkafka also stops a batch at batch.num.messages)`,
      maxInFlight: 'max.in.flight.requests.per.connection=5 (librdkafka caps idempotent producers at 5 too)',
      partitioner: 'the Java default (murmur2 of the key)',
      keys: keys > 0 ? `--key-distribution range --record-key-range ${keys}: keys "0".."${keys - 1}" round-robin (the tool cannot use our key strings)` : 'none',
      payload: '--payload-file with exactly the same bytes (the payload is ASCII), one payload for every record',
      timing: 'throughput and latency of the tool\'s "steady state" summary line: the N records after the W warm-up records of the same JVM (metadata, producer id and JIT warm-up excluded, as the other clients\' warm-up run and leader wait do); elapsed = N / its records/sec',
      warmup: 'no separate warm-up run (a fresh JVM per run cannot be warmed by another); in-JVM --warmup-records instead',
      latency: 'send()→callback of every record, the tool\'s integer-ms percentiles',
      security: 'plaintext bootstrap.servers only: the tool gets no GOCOFFEE_KAFKA_* SASL/TLS settings',
    },
    'librdkafka-perf': {
      driven: `librdkafka's examples/rdkafka_performance (node-rdkafka's librdkafka source, compiled on demand against node-rdkafka's librdkafka.so.1 into bench/.peers/bin): -P -t <topic> -s <size> -m <the payload> -c N -z <codec> -X file=<properties> -i 600000; one process per run`,
      props: "the librdkafka clients' properties (settings.librdkafka, global and topic level) without dr_cb, client.id gocoffee-bench-librdkafka-perf, message.send.max.retries=2147483647 (librdkafka's default; the tool lowers it to 3), in a 0600 temporary file for -X file=",
      patch: patchSummary(),
      keys: keys > 0 ? `the same ${keys} string keys round-robin (GOCOFFEE_PERF_KEYS=${keys}; the stock tool can only send one fixed -k key)` : 'none',
      payload: '-m <the payload> -s <its size>: the tool sends exactly the same bytes for every message (no copy: the buffer is passed to librdkafka as is)',
      timing: `its own clock: first produce() .. last delivery report, after GOCOFFEE_PERF_WARMUP=${warm.toLocaleString('en-US')} warm-up messages were produced and delivered in the same process (connection, metadata, producer id); msgs/s from its summary line ("N messages produced ... delivered ... in T ms: R msgs/s"), elapsed = delivered / R`,
      warmup: 'no separate warm-up run (a fresh process per run cannot be warmed by another); in-process warm-up messages instead (they land in the run\'s topic: extra.inProcessWarmupRecords)',
      latency: 'none (its -l latency mode rewrites the payload with timestamps)',
      cpu: 'none (another process)',
      produce: 'rd_kafka_produce() in a tight loop, rd_kafka_poll(0) every 1,000 messages; on QUEUE_FULL poll(10) and retry (extra.queueFull)',
    },
    'ck-js': {
      driven: `${CKJS_PACKAGE} (bench/peers, built from source with CKJS_LINKING=dynamic), its KafkaJS-compatible API in a child process (lib/ckjs.ts: its librdkafka.so.1 would otherwise be node-rdkafka's): producer.send({ topic, messages }) with ${CKJS_BATCH.toLocaleString('en-US')} messages per send, ${CKJS_CONCURRENCY} sends in flight (≤ ${(CKJS_BATCH * CKJS_CONCURRENCY).toLocaleString('en-US')} unacknowledged, as the raw loop)`,
      config: "kafka.producer(<the librdkafka clients' properties (settings.librdkafka) without dr_cb, client.id gocoffee-bench-ck-js>): acks=all, idempotence, linger.ms, batch.num.messages, lz4, murmur2_random as the librdkafka clients; its KafkaJS layer sets dr_cb, polls in a background thread and resolves a promise per message; retries 5 (its KafkaJS default)",
      keys: keys > 0 ? `the same ${keys} string keys, round-robin` : 'none',
      payload: 'the same bytes (one Buffer in the child, shared by all its messages)',
      timing: 'connect() and the producer\'s own metadata showing a leader for every partition before the clock, as the librdkafka clients; warm-up run in the same child process',
      latency: `send()→resolve of every ${LATENCY_EVERY}th message (its batch)`,
      cpu: 'main-thread / process CPU and GC of the child process',
    },
  };
}

function javaProps(): string[] {
  return ['acks=all', 'enable.idempotence=true', 'linger.ms=5', `batch.size=${JAVA_BATCH_BYTES}`, 'compression.type=lz4', 'max.in.flight.requests.per.connection=5', 'client.id=gocoffee-bench-java'];
}

/** KafkaJS 2.x, its documented way for many messages: send() with a messages array, several in flight. */
export function kafkajsProducer(ctx: BenchContext, value: Buffer, keys: readonly string[] | null): ClientRunner {
  return {
    client: 'kafkajs',
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const { Kafka, logLevel, CompressionTypes } = kafkajs(ctx);
      const kafka = new Kafka({ clientId: 'gocoffee-bench-kafkajs', brokers: brokerList(), logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      try {
        const cpu = cpuWindow();
        const r = await driveBatches(messages, KAFKAJS_BATCH, KAFKAJS_CONCURRENCY, (start, n) => {
          const batch = new Array<{ key?: string; value: Buffer }>(n);
          for (let j = 0; j < n; j++) batch[j] = keys === null ? { value } : { key: keys[(start + j) % keys.length]!, value };
          return producer.send({ topic, messages: batch, acks: -1, compression: CompressionTypes.None });
        });
        const cpuUse = cpu.stop(messages);
        if (r.firstError !== undefined) ctx.log(`  kafkajs: ${r.errors} messages failed, first error: ${String(r.firstError)}`);
        return { messages, bytes: messages * value.length, elapsedMs: r.t1 - r.t0, latenciesMs: r.latencies, errors: r.errors, extra: { ...cpuUse } };
      } finally {
        await producer.disconnect();
      }
    },
  };
}

/** @platformatic/kafka 1.x, its README's way: producer.send({ messages: [...] }) with acks -1, idempotent. */
export function platformaticProducer(ctx: BenchContext, value: Buffer, keys: readonly string[] | null): ClientRunner {
  const keyBuffers = keys?.map((k) => Buffer.from(k)) ?? null;
  return {
    client: 'platformatic',
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const { Producer, compatibilityPartitioner } = await platformatic(ctx);
      const producer = new Producer({
        clientId: 'gocoffee-bench-platformatic',
        bootstrapBrokers: brokerList(),
        idempotent: true,
        acks: -1,
        compression: 'lz4',
        partitioner: compatibilityPartitioner,
        autocreateTopics: false,
      });
      try {
        await waitForLeaders(
          async (t) => {
            const md = await producer.metadata({ topics: [t], forceUpdate: true });
            return { topics: [...md.topics].map(([name, tm]) => ({ name, partitions: tm.partitions.map((p) => ({ leader: p.leader })) })) } as unknown as NativeMetadata;
          },
          topic,
          ctx.options.partitions,
        );
        await producer.initIdempotentProducer({});
        await producer.getSendConnections({ messages: Array.from({ length: ctx.options.partitions }, (_, partition) => ({ topic, partition, value })) });
        const cpu = cpuWindow();
        const r = await driveBatches(messages, PLATFORMATIC_BATCH, PLATFORMATIC_CONCURRENCY, (start, n) => {
          const batch = new Array<{ topic: string; key?: Buffer; value: Buffer }>(n);
          for (let j = 0; j < n; j++) batch[j] = keyBuffers === null ? { topic, value } : { topic, key: keyBuffers[(start + j) % keyBuffers.length]!, value };
          return producer.send({ messages: batch });
        });
        const cpuUse = cpu.stop(messages);
        if (r.firstError !== undefined) ctx.log(`  platformatic: ${r.errors} messages failed, first error: ${String(r.firstError)}`);
        return { messages, bytes: messages * value.length, elapsedMs: r.t1 - r.t0, latenciesMs: r.latencies, errors: r.errors, extra: { ...cpuUse } };
      } finally {
        await (producer.close() as Promise<void>).catch(() => undefined);
      }
    },
  };
}

/** One summary line of ProducerPerformance (the final ones carry percentiles; progress lines do not). */
const SUMMARY =
  /^(\d+) (steady state )?records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/;

export function parseProducerPerformance(stdout: string, steadyState: boolean): { records: number; recordsPerSec: number; p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number } {
  for (const line of stdout.split('\n').reverse()) {
    const m = SUMMARY.exec(line.trim());
    if (m === null || (m[2] !== undefined) !== steadyState) continue;
    return { records: Number(m[1]), recordsPerSec: Number(m[3]), maxMs: Number(m[6]), p50Ms: Number(m[7]), p95Ms: Number(m[8]), p99Ms: Number(m[9]) };
  }
  throw new Error(`ProducerPerformance: no ${steadyState ? 'steady-state ' : ''}summary line in its output:\n${stdout.slice(-2000)}`);
}

/** Apache Kafka's ProducerPerformance (the Java client's ceiling on this machine). */
export function javaProducer(ctx: BenchContext, value: Buffer, keys: number): ClientRunner {
  let payloadFile: string | undefined;
  const file = (): string => {
    if (payloadFile !== undefined) return payloadFile;
    const text = value.toString('latin1');
    if (!/^[\x20-\x7e]*$/.test(text)) throw new Error('java producer peer: the payload must be printable ASCII to go through --payload-file');
    const f = path.join(tmpdir(), `gocoffee-bench-payload-${process.pid}-${value.length}.txt`);
    writeFileSync(f, text);
    process.once('exit', () => rmSync(f, { force: true }));
    return (payloadFile = f);
  };
  return {
    client: 'java',
    skipWarmup: 'a fresh JVM per run; it warms up in-JVM with --warmup-records',
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const warmup = Math.min(ctx.options.warmupMessages, messages);
      const args = [
        '--bootstrap-server', brokerList().join(','),
        '--topic', topic,
        '--num-records', String(messages + warmup),
        ...(warmup > 0 ? ['--warmup-records', String(warmup)] : []),
        '--throughput', '-1',
        '--payload-file', file(),
        ...(keys > 0 ? ['--key-distribution', 'range', '--record-key-range', String(keys)] : []),
        '--reporting-interval', '600000',
        '--command-property', ...javaProps(),
      ];
      const { stdout, stderr } = await runKafkaToolOutput(ctx, 'org.apache.kafka.tools.ProducerPerformance', args);
      const s = parseProducerPerformance(stdout, warmup > 0);
      const failures = (stderr.match(/^\S*(Exception|Error)\b/gm) ?? []).length;
      if (failures > 0) ctx.log(`  java: ${failures} exception(s) on stderr: ${stderr.slice(0, 500)}`);
      return {
        messages: s.records,
        bytes: s.records * value.length,
        elapsedMs: (s.records / s.recordsPerSec) * 1000,
        latencySummary: { p50Ms: s.p50Ms, p95Ms: s.p95Ms, p99Ms: s.p99Ms },
        errors: failures,
        extra: { inJvmWarmupRecords: warmup, maxLatencyMs: s.maxMs },
      };
    },
  };
}

/**
 * librdkafka's own rdkafka_performance: the same librdkafka, the same properties, no JS at all —
 * the ceiling of any client of this librdkafka on this machine and broker.
 */
export function librdkafkaPerfProducer(ctx: BenchContext, value: Buffer, keys: number): ClientRunner {
  let bin: string | undefined;
  const text = value.toString('latin1');
  return {
    client: 'librdkafka-perf',
    optional: true,
    skipWarmup: 'a fresh process per run; it warms up in-process (GOCOFFEE_PERF_WARMUP = --warmup messages, delivered before its clock starts)',
    async prepare() {
      if (!/^[\x20-\x7e]*$/.test(text)) throw new Error('librdkafka-perf: the payload must be printable ASCII to go through -m');
      const b = await ensureRdkafkaPerformance(ctx.log);
      bin = b.bin;
      ctx.notePeerVersion('rdkafka_performance (librdkafka-perf)', `librdkafka ${b.librdkafka} (node-rdkafka's librdkafka.so.1; examples/rdkafka_performance.c compiled by the bench, patched: bench/lib/librdkafka-perf.ts)`);
    },
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const warmup = Math.min(ctx.options.warmupMessages, messages);
      const props = perfProducerProperties(ctx);
      const codec = String(props['compression.type'] ?? props['compression.codec'] ?? 'none');
      const conf = propertiesFile(props);
      try {
        const args = ['-P', '-t', topic, '-s', String(value.length), '-m', text, '-c', String(messages), '-z', codec, '-X', `file=${conf.file}`, '-i', '600000'];
        const cpu = childCpuWindow();
        const { stdout } = await runRdkafkaPerformance(bin!, args, { GOCOFFEE_PERF_KEYS: String(keys), GOCOFFEE_PERF_WARMUP: String(warmup) });
        const s = parseProducerSummary(stdout);
        const cpuUse = cpu.stop(s.produced + warmup);
        if (s.msgsPerSec <= 0) throw new Error(`rdkafka_performance: no throughput in its summary (${s.delivered} delivered in ${s.ms} ms)`);
        return {
          messages: s.delivered,
          bytes: s.delivered * value.length,
          elapsedMs: (s.delivered / s.msgsPerSec) * 1000,
          errors: s.failed + Math.max(0, messages - s.delivered),
          extra: { inProcessWarmupRecords: warmup, queueFull: s.queueFull, toolMs: s.ms, ...cpuUse },
        };
      } finally {
        conf.remove();
      }
    },
  };
}

/** @confluentinc/kafka-javascript, its KafkaJS-compatible API, in its child process (lib/ckjs.ts). */
export function ckjsProducer(ctx: BenchContext, value: Buffer, keys: readonly string[] | null): ClientRunner {
  let child: Awaited<ReturnType<typeof ckjsChild>>['child'] | undefined;
  const encoded = value.toString('base64');
  return {
    client: 'ck-js',
    optional: true,
    async prepare() {
      const c = await ckjsChild(ctx.log);
      child = c.child;
      ctx.notePeerVersion(CKJS_PACKAGE, `${c.hello.version} (librdkafka ${c.hello.librdkafka}; built from source, bench/peers)`);
    },
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      return child!.request<WireMeasurement>({
        op: 'produce',
        topic,
        messages,
        partitions: ctx.options.partitions,
        value: encoded,
        keys: keys === null ? null : [...keys],
        batch: CKJS_BATCH,
        concurrency: CKJS_CONCURRENCY,
        config: peerProducerProperties(ctx, 'gocoffee-bench-ck-js'),
        kafkaJS: {},
      });
    },
  };
}
