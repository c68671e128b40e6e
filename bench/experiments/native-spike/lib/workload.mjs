// The workload shared by every client of the spike bench.
import { randomBytes } from 'node:crypto';
import { BROKERS } from './admin.mjs';

// Same librdkafka properties for every client (the library's defaults, src/config).
export const PRODUCER = {
  'bootstrap.servers': BROKERS,
  'acks': 'all',
  'enable.idempotence': 'true',
  'compression.type': 'lz4',
  'linger.ms': '5',
  'batch.num.messages': '10000',
  'queue.buffering.max.messages': '100000',
  'partitioner': 'murmur2_random',
};
export const CONSUMER = {
  'bootstrap.servers': BROKERS,
  'enable.auto.commit': 'true',
  'enable.auto.offset.store': 'false',
  'auto.commit.interval.ms': '1000',
  'partition.assignment.strategy': 'cooperative-sticky',
  'fetch.wait.max.ms': '100',
  'auto.offset.reset': 'earliest',
  // rdkafka_performance's own default (librdkafka's is 100000). With 100000, a consumer whose local
  // queue briefly holds more than that gets its fetches postponed by fetch.queue.backoff.ms (1000 ms
  // by default): measured 0.42M msgs/s instead of 1.9M on 1M messages. See NOTES.md.
  'queued.min.messages': '1000000',
};

/** bench/scenarios/producer.ts payload(): half random A–Z, half a JSON-ish pattern (lz4 ~2:1). */
export function payload(size) {
  const b = Buffer.alloc(size);
  const half = Math.floor(size / 2);
  const rnd = randomBytes(half);
  for (let i = 0; i < half; i++) b[i] = 65 + (rnd[i] % 26);
  const pattern = Buffer.from('{"beverage":"flat white","size":"M","shop":"gocoffee-42"}');
  for (let i = half; i < size; i++) b[i] = pattern[i % pattern.length];
  return b;
}
export const KEYS = Array.from({ length: 1000 }, (_, i) => `k${i}`);

