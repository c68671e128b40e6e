/** What the producer scenarios share (producer.ts re-exports it for the other scenarios and experiments). */
import { randomBytes } from 'node:crypto';

/** Every LATENCY_EVERY-th message's publish→ack latency is sampled. */
export const LATENCY_EVERY = 100;

/**
 * The payload: half random letters A–Z, half a repeated ASCII pattern, so lz4 does real work
 * (roughly 2:1 within a message, like JSON events) instead of skipping incompressible data or
 * collapsing a constant one. Random letters are as incompressible for lz4 as random bytes (it only
 * finds repeats of ≥ 4 bytes) and keep the payload printable ASCII, so Kafka's Java perf tool can
 * send exactly the same bytes (its --payload-file is text). The same Buffer is sent by every
 * client, so only client overhead differs.
 */
export function payload(size: number): Buffer {
  const b = Buffer.alloc(size);
  const half = Math.floor(size / 2);
  const rnd = randomBytes(half);
  for (let i = 0; i < half; i++) b[i] = 65 + (rnd[i]! % 26);
  const pattern = Buffer.from('{"beverage":"flat white","size":"M","shop":"gocoffee-42"}');
  for (let i = Math.floor(size / 2); i < size; i++) b[i] = pattern[i % pattern.length]!;
  return b;
}

/** `keys` distinct string keys, used round-robin (null when keyless). */
export function keySet(keys: number): string[] | null {
  if (keys <= 0) return null;
  return Array.from({ length: keys }, (_, i) => `customer-${String(i).padStart(5, '0')}`);
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
