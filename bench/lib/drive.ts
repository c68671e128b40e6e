/**
 * The send loop of the batch-API peers (kafkajs, platformatic, ck-js): `messages` in sends of
 * `batch` messages with `concurrency` sends in flight, each send awaited by its own worker. Shared
 * by scenarios/producer-peers.ts and the ck-js child process (scenarios/workers/ckjs-peer.ts), so
 * it imports nothing that loads a librdkafka.
 */
import { LatencySampler } from './latency.js';

/** Publish→ack latency is sampled for every LATENCY_EVERY-th message (as for the other clients). */
export const LATENCY_EVERY = 100;

/**
 * Sends `messages` in batches of `batch` with `concurrency` sends in flight. Returns the timed
 * window (first send .. last resolution), the failed-message count and the latency samples.
 */
export async function driveBatches(
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
