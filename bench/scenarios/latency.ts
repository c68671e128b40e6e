/**
 * `latency`: end-to-end publish → handler latency at a fixed rate (default 10,000 msgs/s for 10 s;
 * --quick 1.5 s, warm-up ≤ 0.5 s), 100 B values carrying their send time (performance.now(), same
 * process). Producer and consumer in the same process, fresh topic per run; the consumer has
 * joined (partitions assigned) before the first send. Every message is a latency sample.
 *   gocoffee      producer.publish() + Consumer/registerHandler({ handle }) (library defaults).
 *   node-rdkafka  raw Producer (same properties, dr_cb) + raw KafkaConsumer consume(1000) loop
 *                 (timeout 0 while data is buffered, 100 ms when empty) with offsetsStore.
 */
import { ConnectionManager } from '../../src/client.js';
import { Consumer } from '../../src/consumer/index.js';
import { toLibrdkafkaConfig } from '../../src/config/index.js';
import { newMessage } from '../../src/producer/index.js';
import { producerProperties, rdkafka, uniqueName, waitForLeaders } from '../lib/kafka.js';
import type { NativeMetadata } from '../../src/native/index.js';
import type { BenchContext, BenchOptions, ClientRunner, RunInput, RunMeasurement, Scenario, ScenarioGroup } from '../lib/types.js';
import { deferred } from './producer.js';

const RATE = Number(process.env.BENCH_LATENCY_RATE ?? 10_000);
const BYTES = 100;
/** Seconds of paced sending per run (full / --quick) and the --quick warm-up's. */
const SECONDS = 10;
export const QUICK_SECONDS = 1.5;
const QUICK_WARMUP_SECONDS = 0.5;

/** Sends `messages` at RATE msgs/s (1 ms ticks, catching up on late ticks); send(i, value). */
async function paced(messages: number, send: (i: number, v: Buffer) => void): Promise<number> {
  const t0 = performance.now();
  let i = 0;
  while (i < messages) {
    const due = Math.min(messages, Math.floor(((performance.now() - t0) * RATE) / 1000) + 1);
    for (; i < due; i++) {
      const v = Buffer.alloc(BYTES);
      v.writeDoubleLE(performance.now(), 0);
      send(i, v);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return performance.now() - t0;
}

class Receiver {
  readonly lat: Float64Array;
  n = 0;
  t1 = 0;
  readonly done = deferred();
  constructor(readonly messages: number) {
    this.lat = new Float64Array(messages);
  }
  got(value: Buffer | null | undefined): void {
    if (value == null || this.n >= this.messages) return;
    this.lat[this.n++] = performance.now() - value.readDoubleLE(0);
    if (this.n === this.messages) {
      this.t1 = performance.now();
      this.done.resolve();
    }
  }
  async wait(ms: number): Promise<void> {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.done.promise, new Promise((_, rej) => (t = setTimeout(() => rej(new Error(`latency: ${this.n}/${this.messages} received after ${ms} ms`)), ms)))]);
    clearTimeout(t);
  }
}

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('latency: consumer got no assignment');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function gocoffee(ctx: BenchContext): ClientRunner {
  return {
    client: 'gocoffee',
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const cm = new ConnectionManager(ctx.config, { pollIntervalMs: ctx.options.pollIntervalMs });
      await cm.initialize();
      const consumer = new Consumer(cm);
      const rx = new Receiver(messages);
      consumer.registerHandler({ topics: [topic], groupId: uniqueName('bench-lat'), handle: (m) => rx.got(m.value) });
      try {
        await waitForLeaders((t) => cm.metadata(t, 5000), topic, ctx.options.partitions);
        await consumer.start();
        await until(() => (consumer.stats()[0]?.assigned ?? 0) > 0);
        await new Promise((r) => setTimeout(r, 500));
        let errors = 0;
        const sendMs = await paced(messages, (_i, v) => void cm.producer.publish(newMessage(topic, v)).catch(() => errors++));
        await rx.wait(60_000);
        return { messages, bytes: messages * BYTES, elapsedMs: sendMs, latenciesMs: rx.lat.subarray(0, rx.n), errors };
      } finally {
        await consumer.stop();
        await cm.close();
      }
    },
  };
}

function raw(ctx: BenchContext): ClientRunner {
  const Kafka = rdkafka();
  return {
    client: 'node-rdkafka',
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const pp = producerProperties(ctx.config);
      const producer = new Kafka.Producer({ ...pp.global } as never, { ...pp.topic } as never);
      const cp = toLibrdkafkaConfig(ctx.config, 'consumer');
      const consumer = new Kafka.KafkaConsumer({ ...cp.global, 'group.id': uniqueName('bench-lat-raw') } as never, { ...cp.topic } as never);
      const connect = (c: { connect(o: never, cb: (e: unknown) => void): unknown }) =>
        new Promise<void>((res, rej) => c.connect({ timeout: ctx.config.connectTimeoutMs } as never, (e) => (e ? rej(e) : res())));
      await connect(producer as never);
      await connect(consumer as never);
      const rx = new Receiver(messages);
      let running = true;
      let errors = 0;
      producer.on('delivery-report', (err) => {
        if (err) errors++;
      });
      producer.setPollInterval(5);
      try {
        await waitForLeaders(
          (t) => new Promise<NativeMetadata>((res, rej) => producer.getMetadata({ topic: t, timeout: 5000 }, (e, md) => (e ? rej(e) : res(md as unknown as NativeMetadata)))),
          topic,
          ctx.options.partitions,
        );
        consumer.subscribe([topic]);
        const last = new Map<number, number>();
        const loop = (wait: boolean): void => {
          if (!running) return;
          consumer.setDefaultConsumeTimeout(wait ? 100 : 0);
          consumer.consume(wait ? 1 : 1000, (err, msgs) => {
            if (!running) return;
            if (err) return void setTimeout(() => loop(true), 100);
            if (msgs.length === 0) return loop(true);
            last.clear();
            for (const m of msgs) {
              rx.got(m.value);
              last.set(m.partition, m.offset);
            }
            consumer.offsetsStore([...last].map(([partition, offset]) => ({ topic, partition, offset: offset + 1 })));
            loop(false);
          });
        };
        loop(true);
        await until(() => consumer.assignments().length > 0);
        await new Promise((r) => setTimeout(r, 500));
        const sendMs = await paced(messages, (i, v) => producer.produce(topic, null, v, null, null, i));
        await rx.wait(60_000);
        return { messages, bytes: messages * BYTES, elapsedMs: sendMs, latenciesMs: rx.lat.subarray(0, rx.n), errors };
      } finally {
        running = false;
        producer.setPollInterval(0);
        await new Promise<void>((r) => consumer.disconnect(() => r()));
        await new Promise<void>((r) => producer.disconnect(10_000, () => r()));
      }
    },
  };
}

const latencyScenario: Scenario = {
  name: 'latency',
  description: `end-to-end publish → handler latency at ${RATE.toLocaleString('en-US')} msgs/s, ${BYTES} B`,
  messageBytes: BYTES,
  messages: (o: BenchOptions) => RATE * (o.quick ? QUICK_SECONDS : SECONDS),
  warmupMessages: (o: BenchOptions) => (o.quick ? Math.round(RATE * QUICK_WARMUP_SECONDS) : Number.POSITIVE_INFINITY),
  topic: (o: BenchOptions) => ({ partitions: o.partitions }),
  baseline: 'node-rdkafka',
  settings: (ctx) => ({
    rate: `${RATE} msgs/s (BENCH_LATENCY_RATE), 1 ms ticks`,
    duration: `${ctx.options.quick ? QUICK_SECONDS : SECONDS} s${ctx.options.quick ? `, warm-up ≤ ${QUICK_WARMUP_SECONDS} s` : ''}`,
    latency: 'every message: handler time − send time (value carries performance.now()); p50/p95/p99 ms',
    msgsPerSec: 'the achieved send rate (should equal the target rate)',
    keyless: true,
    librdkafka: { producer: producerProperties(ctx.config), consumer: toLibrdkafkaConfig(ctx.config, 'consumer') },
  }),
  clients: (ctx) => [gocoffee(ctx), raw(ctx)],
};

export const latencyGroup: ScenarioGroup = { group: 'latency', scenarios: [latencyScenario] };
