/**
 * The handler-timeout watchdog of an executor: a set of watched items and one unref'd interval
 * (a few checks per timeout, not a timer per message) that runs while anything is watched and
 * stops by itself when the set is empty. `check(item, now)` returns true when the item is done
 * with (timed out): it is then no longer watched.
 */
export class Watchdog<T> {
  readonly #items = new Set<T>();
  readonly #periodMs: number;
  readonly #check: (item: T, now: number) => boolean;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, check: (item: T, now: number) => boolean, minPeriodMs = 5) {
    this.#periodMs = Math.max(minPeriodMs, Math.min(1000, Math.floor(timeoutMs / 4)));
    this.#check = check;
  }

  watch(item: T): void {
    this.#items.add(item);
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.#periodMs);
    this.#timer.unref();
  }

  /** Stops watching `item`; false when it was not watched (e.g. it already timed out). */
  forget(item: T): boolean {
    return this.#items.delete(item);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    if (this.#items.size === 0) return this.stop();
    const now = performance.now();
    for (const item of this.#items) if (this.#check(item, now)) this.#items.delete(item);
  }
}
