/** Small, allocation-light statistics helpers for benchmark figures. */

/** The q-quantile (0..1) of `values` by linear interpolation between closest ranks. NaN if empty. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  if (n === 1) return sorted[0]!;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: ArrayLike<number>): number => quantile(values, 0.5);

export interface Spread {
  readonly min: number;
  readonly max: number;
}

export function spread(values: ArrayLike<number>): Spread {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return values.length === 0 ? { min: Number.NaN, max: Number.NaN } : { min, max };
}

export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function summarizeLatency(samplesMs: ArrayLike<number>): LatencySummary | undefined {
  if (samplesMs.length === 0) return undefined;
  return {
    samples: samplesMs.length,
    p50Ms: quantile(samplesMs, 0.5),
    p95Ms: quantile(samplesMs, 0.95),
    p99Ms: quantile(samplesMs, 0.99),
    maxMs: spread(samplesMs).max,
  };
}

/** Rounds for JSON output: 3 significant decimals for small numbers, integers for big ones. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 1000) return Math.round(value);
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
