/**
 * The raw node-rdkafka producer baseline of the producer scenarios (client `node-rdkafka`, and
 * `node-rdkafka-nocap` without its bound); also used by the consumer scenarios to fill topics.
 * Split out of producer.ts (which re-exports it) to keep modules under 400 lines.
 */
import type { KafkaConfig } from '../../src/config/index.js';
import type { NativeMetadata } from '../../src/native/index.js';
import { cpuWindow } from '../lib/cpu.js';
import { LatencySampler } from '../lib/latency.js';
import { producerProperties, rdkafka, waitForLeaders } from '../lib/kafka.js';
import type { BenchContext, ClientRunner, RunInput, RunMeasurement } from '../lib/types.js';
import { deferred, keySet, LATENCY_EVERY } from './producer-common.js';

const ERR_QUEUE_FULL = -184;

/**
 * The raw node-rdkafka baseline, written the way node-rdkafka's maintainers and librdkafka's
 * documentation advise for a high-throughput producer, plus one measured refinement:
 *   - one Producer, `dr_cb: true` (not dr_msg_cb, which copies every payload back to JS), the
 *     opaque is a number (never null or '': node-rdkafka leaks / mis-reports those);
 *   - produce() in a tight synchronous loop; librdkafka batches (linger.ms) on its own threads;
 *   - on GCK_KAFKA__QUEUE_FULL: poll() at once (it serves the delivery-report queue, which frees queue
 *     slots), then yield to the event loop (setImmediate) so the dispatched reports reach JS, and
 *     retry; if the queue is still full after that, wait 1 ms (setTimeout) instead of spinning —
 *     the broker shares the CPU (node-rdkafka issue #138: "poll on an interval + call poll
 *     manually when you get queue full"; librdkafka FAQ/INTRODUCTION: serve rd_kafka_poll()
 *     regularly, and on queue full poll and retry);
 *   - setPollInterval(RAW_POLL_MS) serves reports while the loop is not running (the tail);
 *   - at most `maxOutstanding` messages awaiting their delivery report in JS (the loop pauses and
 *     the report handler resumes it at 3/4 of the bound). poll() frees librdkafka's queue slots as
 *     soon as it moves reports into node-rdkafka's dispatcher, which then hands JS at most 100
 *     reports per event-loop wake-up (src/callbacks.cc, DeliveryReportDispatcher::Flush), so with
 *     QUEUE_FULL as the only backpressure the loop runs ~the whole run ahead of its reports:
 *     seconds of latency and lower throughput (client `node-rdkafka-nocap` shows it);
 *   - finished when every delivery report arrived.
 * It does no per-message bookkeeping beyond a counter: it is the floor for any wrapper.
 */
export function rawRunner(
  ctx: BenchContext,
  value: Buffer,
  pollMs: number,
  client = 'node-rdkafka',
  config?: KafkaConfig,
  /** Also stop producing while this many messages await their delivery report in JS. */
  maxOutstanding = Number.POSITIVE_INFINITY,
): ClientRunner {
  const keys = keySet(ctx.options.keys);
  const Kafka = rdkafka();
  return {
    client,
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const props = producerProperties(config ?? ctx.config);
      const producer = new Kafka.Producer({ ...props.global } as never, { ...props.topic } as never);
      const metadata = (t: string) =>
        new Promise<NativeMetadata>((resolve, reject) =>
          producer.getMetadata({ topic: t, timeout: 5000 }, (err, md) => (err ? reject(err) : resolve(md as unknown as NativeMetadata))),
        );
      await new Promise<void>((resolve, reject) =>
        producer.connect({ timeout: ctx.config.connectTimeoutMs } as never, (err) => (err ? reject(err) : resolve())),
      );
      producer.on('event.error', (err) => ctx.log(`  node-rdkafka event.error: ${err.message}`));
      try {
        await waitForLeaders(metadata, topic, ctx.options.partitions);
        const sampler = new LatencySampler(messages, LATENCY_EVERY);
        const done = deferred();
        let delivered = 0;
        let errors = 0;
        let queueFull = 0;
        let t1 = 0;
        let i = 0; // next message to produce
        let peak = 0;
        let polledOnFull = false;
        let capped = false;
        const resumeAt = maxOutstanding - Math.ceil(maxOutstanding / 4);
        producer.on('delivery-report', (err, report) => {
          if (err) errors++;
          const idx = report.opaque as number;
          if (sampler.sampled(idx)) sampler.acked(idx);
          if (++delivered === messages) {
            t1 = performance.now();
            done.resolve();
          }
          if (capped && i - delivered <= resumeAt) {
            capped = false;
            pump();
          }
        });
        producer.setPollInterval(pollMs);

        const pump = (): void => {
          while (i < messages) {
            if (i - delivered >= maxOutstanding) {
              capped = true;
              if (i - delivered > peak) peak = i - delivered;
              return;
            }
            if (sampler.sampled(i)) sampler.sent(i);
            try {
              producer.produce(topic, null, value, keys === null ? null : keys[i % keys.length]!, null, i);
            } catch (e) {
              if ((e as { code?: number }).code !== ERR_QUEUE_FULL) throw e;
              queueFull++;
              if (i - delivered > peak) peak = i - delivered;
              if (!polledOnFull) {
                polledOnFull = true;
                producer.poll();
                setImmediate(pump);
              } else {
                polledOnFull = false;
                setTimeout(pump, 1);
              }
              return;
            }
            polledOnFull = false;
            i++;
          }
        };
        const cpu = cpuWindow();
        const t0 = performance.now();
        pump();
        await done.promise;
        const cpuUse = cpu.stop(messages);
        return {
          messages,
          bytes: messages * value.length,
          elapsedMs: t1 - t0,
          latenciesMs: sampler.samples(),
          errors,
          extra: { ...cpuUse, queueFull, peakOutstanding: peak },
        };
      } finally {
        producer.setPollInterval(0);
        await new Promise<void>((resolve) => producer.disconnect(10_000, () => resolve()));
        producer.removeAllListeners();
      }
    },
  };
}

/** Raw baseline poll interval (ms). Same as the library's default so only code paths differ. */
export const RAW_POLL_MS = 5;
/**
 * Raw baseline bound on messages awaiting their delivery report in JS. Measured (1M × 100 B,
 * 6 partitions, this machine kind): uncapped ~159k msgs/s with p50 3.2 s; 5k/10k/20k caps
 * ~220-230k msgs/s with p50 18/37/79 ms. 10k is in the flat part of that curve.
 */
export const RAW_MAX_OUTSTANDING = 10_000;
