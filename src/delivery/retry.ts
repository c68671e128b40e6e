import { backoffDelay } from '../errors/backoff.js';
import type { Outbound, InflightList } from './outbound.js';
import type { EngineOptions } from './options.js';

/** The longest backoff of a library-level retry. */
const RETRY_BACKOFF_MAX_MS = 30_000;

/**
 * Schedules a library-level retry of `d` after the library's backoff (errors/backoff.ts, at most
 * 30 s). Until it comes due the message sits in `retrying` (still ours: counted in the window
 * until it is finally reported); then `due(d)` sends it through the waiting FIFO, with the enqueue
 * timeout counted from the end of its backoff. A message close() took out of `retrying` meanwhile
 * has been failed already and is left alone.
 */
export function scheduleRetry(d: Outbound, retrying: InflightList, opts: EngineOptions, due: (d: Outbound) => void): void {
  const wait = backoffDelay(d.attempts, opts.retryBackoffMs, RETRY_BACKOFF_MAX_MS);
  d.deadline = Date.now() + wait + opts.enqueueTimeoutMs;
  retrying.add(d); // still ours: counted until it is finally reported
  const t = setTimeout(() => {
    if (retrying.delete(d)) due(d); // else already failed by close()
  }, wait);
  t.unref();
}
