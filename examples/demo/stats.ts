/**
 * Small measuring tools for the demo: a mergeable latency histogram with log buckets (worker
 * threads send theirs to the main thread as sparse bucket counts) and per-window rates.
 */

/** Smallest bucket bound (ms) and growth per bucket: ~2.5 % precision from 10 µs to ~17 min. */
const MIN_MS = 0.01;
const GROWTH = 1.025;
const BUCKETS = 1024;
const LOG_GROWTH = Math.log(GROWTH);

function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

/** Upper bound (ms) of a bucket: a percentile is reported as its bucket's bound. */
function boundOf(bucket: number): number {
  return MIN_MS * GROWTH ** bucket;
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #total = 0;

  get count(): number {
    return this.#total;
  }

  record(ms: number): void {
    this.#counts[bucketOf(ms)]!++;
    this.#total++;
  }

  /** `q` in 0..1; undefined when empty. */
  percentile(q: number): number | undefined {
    if (this.#total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return boundOf(i);
    }
    return boundOf(BUCKETS - 1);
  }

  /** Non-empty buckets as [bucket, count, bucket, count, ...] (cheap to post between threads). */
  toSparse(): number[] {
    const out: number[] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.#counts[i]! > 0) out.push(i, this.#counts[i]!);
    return out;
  }

  addSparse(sparse: readonly number[]): void {
    for (let i = 0; i + 1 < sparse.length; i += 2) {
      const b = sparse[i]!;
      const n = sparse[i + 1]!;
      if (!Number.isInteger(b) || b < 0 || b >= BUCKETS || !(n > 0)) continue;
      this.#counts[b]! += n;
      this.#total += n;
    }
  }

  reset(): void {
    this.#counts.fill(0);
    this.#total = 0;
  }
}

/** A latency histogram for the whole run plus one for the current display window. */
export class Latency {
  readonly total = new Histogram();
  readonly window = new Histogram();

  record(ms: number): void {
    this.total.record(ms);
    this.window.record(ms);
  }

  addSparse(sparse: readonly number[]): void {
    this.total.addSparse(sparse);
    this.window.addSparse(sparse);
  }

  /** p99 of the window since the last call (the whole run's when the window was empty); resets the window. */
  takeWindowP99(): number | undefined {
    const p = this.window.count > 0 ? this.window.percentile(0.99) : undefined;
    this.window.reset();
    return p;
  }
}

/** Messages per second between two reads of a growing counter. */
export class Rate {
  #last = 0;
  #at = performance.now();

  take(total: number): number {
    const now = performance.now();
    const dt = (now - this.#at) / 1000;
    const r = dt > 0 ? (total - this.#last) / dt : 0;
    this.#last = total;
    this.#at = now;
    return Math.max(0, r);
  }
}
