import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Diagnostics } from '../diagnostics/diagnostics.js';

type Listener = (message: unknown, name: string | symbol) => void;
type Entry = [name: string, listener: Listener];

/**
 * Unsubscribes the listeners of a Subscriptions that was collected without clear() (its client was
 * dropped without close()), so they stop running and `hasSubscribers` drops back for the others.
 */
const orphans = new FinalizationRegistry<Entry[]>((list) => {
  for (const [name, fn] of list) unsubscribe(name, fn);
  list.length = 0;
});

/**
 * The diagnostics-channel subscriptions of one adapter serving one client: each listener sees only
 * the events whose `source` is that client's Diagnostics; `clear()` unsubscribes them all.
 *
 * A channel is process-wide, so whatever a listener holds lives as long as the subscription. To let
 * a client that is dropped without close() be collected, a listener holds neither the client nor
 * its Diagnostics: it recognises the client's events by the Diagnostics' CounterStore (one per
 * Diagnostics, holding only counts) — a field load and a compare per event, what comparing the
 * Diagnostics itself costs (a WeakRef deref per event measured ~45 ns) — and the handlers given to
 * on() must not hold the client either (take it from the event's `source`). Once this object is
 * collected, a FinalizationRegistry unsubscribes its listeners.
 */
export class Subscriptions {
  readonly #id: object;
  readonly #list: Entry[] = [];

  constructor(diag: Diagnostics) {
    this.#id = diag.counters;
    orphans.register(this, this.#list);
  }

  get size(): number {
    return this.#list.length;
  }

  /** Subscribes `fn` to this client's events on channel `name`; `fn` must not hold the client (see above). */
  on<T>(name: string, fn: (event: T) => void): void {
    const id = this.#id;
    const listener: Listener = (ev) => {
      const source = (ev as { source?: Diagnostics }).source;
      if (source !== undefined && source.counters === id) fn(ev as T);
    };
    subscribe(name, listener);
    this.#list.push([name, listener]);
  }

  clear(): void {
    for (const [name, fn] of this.#list) unsubscribe(name, fn);
    this.#list.length = 0;
  }
}
