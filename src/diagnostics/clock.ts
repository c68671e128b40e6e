import { performance } from 'node:perf_hooks';

/**
 * A monotonic millisecond clock for per-message durations (the publish-duration histogram) that
 * reads the real clock at most once per 256 calls and once per turn of the event loop: every
 * message published in one synchronous run, and every delivery report of one hand-off, shares a
 * reading. Reading `performance.now()` per message (through the lazy `performance` global, plus a
 * clock_gettime) measured ~5 % of the producer's CPU with metrics on (perf,
 * bench/experiments/tel-profile.ts metrics); the shared reading is at most 256 messages stale
 * (well under a millisecond at full speed), far below the histogram's smallest bucket.
 *
 * One per client (Diagnostics.clock): no module-level state.
 */
export class CoarseClock {
  #reading = -1;
  #uses = 0;
  readonly #expire = (): void => {
    this.#reading = -1;
  };

  now(): number {
    if (this.#reading < 0 || ++this.#uses > 256) {
      if (this.#reading < 0) queueMicrotask(this.#expire);
      this.#reading = performance.now();
      this.#uses = 0;
    }
    return this.#reading;
  }
}
