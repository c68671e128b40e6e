import { ProducerEngine } from '../../src/delivery/index.js';
import { Producer } from '../../src/producer/producer.js';
import type { Diagnostics } from '../../src/diagnostics/diagnostics.js';
import { FakeBinding, type FakeProducer } from './fake-binding.js';

/** A ProducerEngine on the fake binding with fast timers, and a Producer over it (unit tests). */
export function setupEngine(opts: Partial<{ retryMax: number; retryBackoffMs: number; enqueueTimeoutMs: number; queueLimit: number; retryDelivered: boolean; maxInFlight: number; diagnostics: Diagnostics }> = {}) {
  const binding = new FakeBinding();
  binding.configure = (p) => {
    p.queueLimit = opts.queueLimit ?? Infinity;
  };
  const engine = new ProducerEngine(binding, { 'bootstrap.servers': 'fake:9092' }, {}, {
    clientId: 'test',
    connectTimeoutMs: 1000,
    retryMax: opts.retryMax ?? 0,
    retryDelivered: opts.retryDelivered ?? true,
    retryBackoffMs: opts.retryBackoffMs ?? 5,
    enqueueTimeoutMs: opts.enqueueTimeoutMs ?? 2000,
    pollIntervalMs: 1,
    ...(opts.maxInFlight !== undefined ? { maxInFlight: opts.maxInFlight } : {}),
  });
  const producer = new Producer(engine, opts.diagnostics !== undefined ? { diagnostics: opts.diagnostics } : {});
  return { binding, engine, producer, native: () => binding.producers[0] as FakeProducer };
}

/**
 * Lets the engine hand its micro-batch to the (fake) addon: publish()/send() pack messages and one
 * produceBatch() call takes them at the end of the tick.
 */
export function handedOver(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A fake delivery outcome for library-retry tests: the first attempt of the message valued
 * `maybe-twice` times out in flight (possibly persisted), of `not-leader` fails as not written
 * (not leader); every other attempt succeeds.
 */
export function firstAttemptFails(): (r: { value: Buffer | null }) => { message: string; code: number } | null {
  const attempts = new Map<string, number>();
  return (r) => {
    const v = r.value!.toString();
    const n = (attempts.get(v) ?? 0) + 1;
    attempts.set(v, n);
    if (n > 1) return null;
    return v === 'maybe-twice' ? { message: 'Local: Message timed out', code: -1 } : v === 'not-leader' ? { message: 'Broker: Not leader for partition', code: 6 } : null;
  };
}
