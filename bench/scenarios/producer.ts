/**
 * Producer throughput: `producer-100b` and `producer-1kib`.
 *
 * Every client gets the same librdkafka properties (the library's own `toLibrdkafkaConfig(config,
 * 'producer')`: acks=all, idempotence, linger.ms=5, batch.num.messages, lz4, murmur2_random,
 * dr_cb), the same payload Buffer, the same key sequence and a fresh topic with the same partition
 * count. Throughput = messages / (time from the first send to the last delivery report).
 *
 * Clients:
 *   gocoffee         `producer.publish(msg)` for every message, not awaited one by one; awaits
 *                    `producer.drain()` whenever `producer.needsDrain`; counts resolutions.
 *   gocoffee-batch   `producer.publishBatch()` in chunks of BATCH_CHUNK messages, same backpressure.
 *   gocoffee-batch-failures   the same with `{ results: 'failures' }` (a count and the failures).
 *   gocoffee-batch-packed   `createBatch()` / `sendBatch()`: packed as added, one summary per batch.
 *   node-rdkafka     the raw baseline: see rawRunner (producer-raw.ts) for why it is "best practice".
 *   kafkajs, platformatic, java, librdkafka-perf, ck-js   peers (producer-peers.ts), with their
 *                    own settings as close to these as each allows.
 * After every run the topic's high watermarks are summed: messages that a client reported as sent
 * but that did not land count as errors (extra.landedDiff = landed − expected).
 */
import type { KafkaConfig } from '../../src/config/index.js';
import { ConnectionManager } from '../../src/client.js';
import { newMessage, type OutgoingMessage } from '../../src/producer/index.js';
import { cpuWindow } from '../lib/cpu.js';
import { OutstandingGate } from '../lib/gate.js';
import { LatencySampler } from '../lib/latency.js';
import { landedMessages, producerProperties, waitForLeaders } from '../lib/kafka.js';
import type { BenchContext, BenchOptions, ClientRunner, RunInput, RunMeasurement, Scenario, ScenarioGroup } from '../lib/types.js';
import { ckjsProducer, javaProducer, kafkajsProducer, librdkafkaPerfProducer, peerSettings, platformaticProducer } from './producer-peers.js';
import { deferred, keySet, LATENCY_EVERY, payload } from './producer-common.js';
import { RAW_MAX_OUTSTANDING, RAW_POLL_MS, rawRunner } from './producer-raw.js';

export { deferred, keySet, payload, RAW_MAX_OUTSTANDING, RAW_POLL_MS, rawRunner };

const BATCH_CHUNK = 10_000;

interface ProducerScenarioSpec {
  readonly name: string;
  readonly messageBytes: number;
}

/** The library, used the way a user publishes for throughput. */
export function gocoffeeRunner(
  ctx: BenchContext,
  value: Buffer,
  mode: 'publish' | 'send' | 'batch' | 'batch-failures' | 'packed',
  variant: {
    client?: string;
    pollIntervalMs?: number;
    config?: KafkaConfig;
    /** Experiment: also wait while more than this many publishes are unsettled (a library-level in-flight cap). */
    maxOutstanding?: number;
    /** Experiment: the engine's in-flight window (ConnectionManager `maxInFlight`). */
    maxInFlight?: number;
  } = {},
): ClientRunner {
  const keys = keySet(ctx.options.keys);
  return {
    client: variant.client ?? (mode === 'publish' ? 'gocoffee' : mode === 'send' ? 'gocoffee-send' : mode === 'batch' ? 'gocoffee-batch' : mode === 'packed' ? 'gocoffee-batch-packed' : 'gocoffee-batch-failures'),
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const cm = new ConnectionManager(variant.config ?? ctx.config, {
        pollIntervalMs: variant.pollIntervalMs ?? ctx.options.pollIntervalMs,
        ...(variant.maxInFlight !== undefined ? { maxInFlight: variant.maxInFlight } : {}),
      });
      await cm.initialize();
      try {
        await waitForLeaders((t) => cm.metadata(t, 5000), topic, ctx.options.partitions);
        const producer = cm.producer;
        const sampler = new LatencySampler(messages, LATENCY_EVERY);
        const done = deferred();
        let settled = 0;
        let errors = 0;
        let drains = 0;
        let t1 = 0;
        const gate = new OutstandingGate(variant.maxOutstanding ?? Number.POSITIVE_INFINITY);
        const onOk = (): void => {
          gate.settled();
          if (++settled === messages) {
            t1 = performance.now();
            done.resolve();
          }
        };
        const onErr = (): void => {
          errors++;
          onOk();
        };
        const build = (i: number): OutgoingMessage => {
          const m = newMessage(topic, value);
          if (keys !== null) m.withKey(keys[i % keys.length]!);
          return m;
        };
        const cpu = cpuWindow();
        const t0 = performance.now();
        if (mode === 'publish' || mode === 'send') {
          // publish(): a promise per message, `.then` as a user would; send(): one shared callback
          // for every message (no closure per message), like a throughput user would.
          const onReport = (err: Error | null): void => {
            if (err !== null) errors++;
            onOk();
          };
          const one =
            mode === 'publish'
              ? (m: OutgoingMessage): void => void producer.publish(m).then(onOk, onErr)
              : (m: OutgoingMessage): void => producer.send(m, onReport);
          const sampledOne =
            mode === 'publish'
              ? (m: OutgoingMessage, i: number): void =>
                  void producer.publish(m).then(() => {
                    sampler.acked(i);
                    onOk();
                  }, onErr)
              : (m: OutgoingMessage, i: number): void =>
                  producer.send(m, (err) => {
                    sampler.acked(i);
                    onReport(err);
                  });
          for (let i = 0; i < messages; i++) {
            if (producer.needsDrain) {
              drains++;
              await producer.drain();
            }
            if (gate.full) await gate.wait();
            gate.sent();
            if (sampler.sampled(i)) {
              sampler.sent(i);
              sampledOne(build(i), i);
            } else {
              one(build(i));
            }
          }
        } else {
          for (let start = 0; start < messages; start += BATCH_CHUNK) {
            if (producer.needsDrain) {
              drains++;
              await producer.drain();
            }
            const n = Math.min(BATCH_CHUNK, messages - start);
            const settle = (failed: number): void => {
              errors += failed;
              settled += n;
              if (settled === messages) {
                t1 = performance.now();
                done.resolve();
              }
            };
            if (mode === 'packed') {
              // createBatch() / sendBatch(): each message packed as it is added (no message object).
              const packed = producer.createBatch();
              for (let j = 0; j < n; j++) packed.add(topic, keys === null ? null : keys[(start + j) % keys.length]!, value);
              void producer.sendBatch(packed).then((s) => settle(s.failed.length));
              continue;
            }
            const batch = new Array<OutgoingMessage>(n);
            for (let j = 0; j < n; j++) batch[j] = build(start + j);
            if (mode === 'batch') {
              void producer.publishBatch(batch).then((outcomes) => {
                let failed = 0;
                for (const o of outcomes) if (!o.ok) failed++;
                settle(failed);
              });
            } else {
              void producer.publishBatch(batch, { results: 'failures' }).then((s) => settle(s.failed.length));
            }
          }
        }
        await done.promise;
        const cpuUse = cpu.stop(messages);
        return {
          messages,
          bytes: messages * value.length,
          elapsedMs: t1 - t0,
          ...(mode !== 'batch' ? { latenciesMs: sampler.samples() } : {}),
          errors,
          extra: { ...cpuUse, drainWaits: drains, ...(mode !== 'batch' ? { peakOutstanding: gate.peak } : {}) },
        };
      } finally {
        await cm.close();
      }
    },
  };
}

/** Messages per run in --quick mode (full: 1,000,000). */
export const QUICK_MESSAGES = 50_000;
/** Diagnostic clients left out of --quick runs unless named in --clients (they explain, not measure, a target). */
const FULL_ONLY = new Set(['node-rdkafka-nocap']);

/**
 * Wraps a client so that after each run the topic's landed messages (high watermarks) are compared
 * with what the client sent: expected = messages + extra.inJvmWarmupRecords (the Java tool's
 * untimed warm-up records go to the same topic) + extra.inProcessWarmupRecords (librdkafka-perf's,
 * likewise). Missing messages are errors even when the client reported success; errors =
 * max(reported, missing), as a reported failure is also missing.
 */
export function withLandedCheck(ctx: BenchContext, client: ClientRunner): ClientRunner {
  return {
    ...client,
    async run(input: RunInput): Promise<RunMeasurement> {
      const m = await client.run(input);
      const expected = input.messages + (m.extra?.inJvmWarmupRecords ?? 0) + (m.extra?.inProcessWarmupRecords ?? 0);
      const landed = await landedMessages(ctx.config, input.topic, ctx.options.partitions);
      const diff = landed - expected;
      if (diff !== 0) ctx.log(`  ${client.client}: ${landed.toLocaleString('en-US')} messages landed in ${input.topic}, expected ${expected.toLocaleString('en-US')}`);
      return { ...m, errors: Math.max(m.errors, -diff), extra: { ...m.extra, landedDiff: diff } };
    },
  };
}

function producerScenario(spec: ProducerScenarioSpec): Scenario {
  let value: Buffer | undefined;
  const getValue = () => (value ??= payload(spec.messageBytes));
  return {
    name: spec.name,
    description: `producer throughput, ${spec.messageBytes} B values, acks=all, idempotent`,
    messageBytes: spec.messageBytes,
    messages: (o: BenchOptions) => (o.quick ? QUICK_MESSAGES : 1_000_000),
    topic: (o: BenchOptions) => ({ partitions: o.partitions }),
    baseline: 'node-rdkafka',
    settings(ctx) {
      const props = producerProperties(ctx.config);
      const peers = peerSettings(ctx);
      return {
        messageBytes: spec.messageBytes,
        payload: 'one Buffer shared by all messages and clients: half random letters A-Z, half repeated JSON-like text (printable ASCII)',
        keys: ctx.options.keys > 0 ? `${ctx.options.keys} distinct string keys (customer-00000..), round-robin` : 'none (keyless)',
        topic: { partitions: ctx.options.partitions, replicationFactor: ctx.replicationFactor, freshPerClientPerRun: true },
        throughput: 'messages / (first send .. last delivery report / acknowledgement)',
        latency: `publish→ack of every ${LATENCY_EVERY}th message (gocoffee, node-rdkafka, kafkajs, platformatic, ck-js); every record (java); none (librdkafka-perf)`,
        landedCheck: 'after every run the sum of the topic\'s high watermarks is compared with the messages sent; missing ones count as errors (extra.landedDiff)',
        gocoffee: `publish() per message, not awaited; await drain() when needsDrain; pollIntervalMs=${ctx.options.pollIntervalMs}`,
        'gocoffee-send': `send(message, callback) per message (no promise; one shared callback); await drain() when needsDrain; pollIntervalMs=${ctx.options.pollIntervalMs}`,
        'gocoffee-send-noids': 'as gocoffee-send with config message_ids: false (no message_id header: the messages carry no header at all, like the raw loop)',
        'gocoffee-batch': `publishBatch() in chunks of ${BATCH_CHUNK}; await drain() when needsDrain`,
        'gocoffee-batch-failures': `publishBatch(chunk, { results: 'failures' }) in chunks of ${BATCH_CHUNK} (a count and the failed messages instead of one outcome per message); await drain() when needsDrain`,
        'gocoffee-batch-packed': `createBatch() + add(topic, key, value) per message (packed as added: no message object), sendBatch() per ${BATCH_CHUNK} (one summary per batch, message ids on); await drain() when needsDrain`,
        'node-rdkafka': `produce() tight loop, number opaque, dr_cb; QUEUE_FULL → poll() + setImmediate, then 1 ms; setPollInterval(${RAW_POLL_MS}); at most ${RAW_MAX_OUTSTANDING} messages awaiting their report in JS`,
        'node-rdkafka-nocap': `the same loop without the bound on unreported messages (QUEUE_FULL is its only backpressure)${ctx.options.quick ? '; not in --quick runs unless named in --clients' : ''}`,
        librdkafka: props,
        ...peers,
      };
    },
    clients(ctx) {
      const v = getValue();
      const keys = keySet(ctx.options.keys);
      return [
        gocoffeeRunner(ctx, v, 'publish'),
        gocoffeeRunner(ctx, v, 'send'),
        gocoffeeRunner(ctx, v, 'send', { client: 'gocoffee-send-noids', config: { ...ctx.config, messageIds: false } }),
        rawRunner(ctx, v, RAW_POLL_MS, 'node-rdkafka', undefined, RAW_MAX_OUTSTANDING),
        gocoffeeRunner(ctx, v, 'batch'),
        gocoffeeRunner(ctx, v, 'batch-failures'),
        gocoffeeRunner(ctx, v, 'packed'),
        rawRunner(ctx, v, RAW_POLL_MS, 'node-rdkafka-nocap'),
        kafkajsProducer(ctx, v, keys),
        platformaticProducer(ctx, v, keys),
        javaProducer(ctx, v, ctx.options.keys),
        librdkafkaPerfProducer(ctx, v, ctx.options.keys),
        ckjsProducer(ctx, v, keys),
      ]
        .filter((c) => !ctx.options.quick || !FULL_ONLY.has(c.client) || ctx.options.clients?.has(c.client) === true)
        .map((c) => withLandedCheck(ctx, c));
    },
  };
}

export const producerGroup: ScenarioGroup = {
  group: 'producer',
  scenarios: [producerScenario({ name: 'producer-100b', messageBytes: 100 }), producerScenario({ name: 'producer-1kib', messageBytes: 1024 })],
};
