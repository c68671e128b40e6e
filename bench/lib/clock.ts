/**
 * The consumer scenarios' clock (scenarios/consumer.ts and the ck-js child process): counts handled
 * messages; t0 when the first batch arrives, t1 at the `target`-th message. The first batch itself
 * is not counted in the rate (it arrived "at" t0: a client whose first fetch brings 80,000 messages
 * would otherwise look infinitely fast), so rate = (N - first) / (t1 - t0). Imports nothing that
 * loads a librdkafka.
 */
import type { RunMeasurement } from './types.js';

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class Clock {
  count = 0;
  first = 0;
  t0 = 0;
  t1 = 0;
  readonly done = deferred();
  constructor(
    readonly target: number,
    /** Value bytes per message (for RunMeasurement.bytes). */
    readonly messageBytes: number,
  ) {}
  add(n: number): void {
    if (this.count === 0 && this.t0 === 0) {
      this.t0 = performance.now();
      this.first = n;
    }
    this.count += n;
    if (this.count >= this.target && this.t1 === 0) {
      this.t1 = performance.now();
      this.done.resolve();
    }
  }
  async wait(timeoutMs: number, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: ${this.count}/${this.target} messages after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.done.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
  measurement(extra: Record<string, number> = {}): RunMeasurement {
    const n = this.target - this.first;
    return { messages: n, bytes: n * this.messageBytes, elapsedMs: this.t1 - this.t0, errors: 0, extra: { ...extra, firstBatch: this.first } };
  }
}
