/**
 * The one retry backoff of the library (handler retries, publish retries, registry requests).
 *
 * Exponential with "equal jitter": the n-th retry (n ≥ 1) waits a random time in [d/2, d), where
 * d = min(baseMs · 2^(n−1), maxMs). Half of the wait is fixed, so retries never come back at once
 * (unlike "full jitter", whose wait can be ~0), and the random half spreads many clients retrying
 * the same failure apart (unlike no jitter). `random` is injectable for tests.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const d = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
  return d / 2 + random() * (d / 2);
}
