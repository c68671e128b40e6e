/**
 * Sampled publish→ack latency: one message in `every` has its send time recorded, and its
 * delivery time when the acknowledgement arrives. Costs one modulo test per message and two
 * `performance.now()` calls per sampled message, so it does not disturb throughput figures.
 */
export class LatencySampler {
  readonly every: number;
  readonly #start: Float64Array;
  readonly #latency: Float64Array;
  #count = 0;

  constructor(messages: number, every = 100) {
    this.every = every;
    const slots = Math.ceil(messages / every);
    this.#start = new Float64Array(slots);
    this.#latency = new Float64Array(slots);
  }

  /** True for the message indexes that are sampled. */
  sampled(index: number): boolean {
    return index % this.every === 0;
  }

  sent(index: number): void {
    this.#start[index / this.every] = performance.now();
  }

  acked(index: number): void {
    this.#latency[this.#count++] = performance.now() - this.#start[index / this.every]!;
  }

  /** The latencies recorded so far, in milliseconds. */
  samples(): Float64Array {
    return this.#latency.subarray(0, this.#count);
  }
}
