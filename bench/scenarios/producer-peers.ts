/**
 * Producer peers of `producer-100b` / `producer-1kib`: KafkaJS, @platformatic/kafka 1.x and Apache
 * Kafka's own Java ProducerPerformance tool. Each gets the scenario's fresh topic, message size,
 * payload bytes and key sequence where its API allows, acks=all and idempotence, and is driven the
 * way its documentation recommends for throughput. Throughput = messages / (first send .. last
 * acknowledgement), as for the librdkafka clients. What cannot be made equal is in PEER_SETTINGS
 * (printed and stored under `settings.scenarios.<name>`).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NativeMetadata } from '../../src/native/index.js';
import { cpuWindow } from '../lib/cpu.js';
import { waitForLeaders } from '../lib/kafka.js';
import { LatencySampler } from '../lib/latency.js';
import { brokerList, kafkajs, platformatic, runKafkaToolOutput } from '../lib/peers.js';
import type { BenchContext, ClientRunner, RunInput, RunMeasurement } from '../lib/types.js';

const LATENCY_EVERY = 100;

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
  };
}

function javaProps(): string[] {
  return ['acks=all', 'enable.idempotence=true', 'linger.ms=5', `batch.size=${JAVA_BATCH_BYTES}`, 'compression.type=lz4', 'max.in.flight.requests.per.connection=5', 'client.id=gocoffee-bench-java'];
}

/**
 * Sends `messages` in batches of `batch` with `concurrency` sends in flight. Returns the timed
 * window (first send .. last resolution), the failed-message count and the latency samples.
 */
async function driveBatches(
  messages: number,
  batch: number,
  concurrency: number,
  send: (start: number, n: number) => Promise<unknown>,
): Promise<{ t0: number; t1: number; errors: number; latencies: Float64Array; firstError: unknown }> {
  const sampler = new LatencySampler(messages, LATENCY_EVERY);
  let next = 0;
  let errors = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < messages) {
      const start = next;
      const n = Math.min(batch, messages - start);
      next += n;
      const firstSampled = Math.ceil(start / LATENCY_EVERY) * LATENCY_EVERY;
      for (let i = firstSampled; i < start + n; i += LATENCY_EVERY) sampler.sent(i);
      try {
        await send(start, n);
        for (let i = firstSampled; i < start + n; i += LATENCY_EVERY) sampler.acked(i);
      } catch (err) {
        errors += n;
        firstError ??= err;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { t0, t1: performance.now(), errors, latencies: sampler.samples(), firstError };
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
