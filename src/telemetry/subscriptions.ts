import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Diagnostics } from '../diagnostics/diagnostics.js';

type Listener = (message: unknown, name: string | symbol) => void;

/**
 * The diagnostics-channel subscriptions of one adapter serving one client: each listener sees only
 * the events whose `source` is that client's Diagnostics; `clear()` unsubscribes them all.
 */
export class Subscriptions {
  readonly #diag: Diagnostics;
  readonly #list: Array<[string, Listener]> = [];

  constructor(diag: Diagnostics) {
    this.#diag = diag;
  }

  get size(): number {
    return this.#list.length;
  }

  on<T>(name: string, fn: (event: T) => void): void {
    const diag = this.#diag;
    const listener: Listener = (ev) => {
      if ((ev as { source?: unknown }).source === diag) fn(ev as T);
    };
    subscribe(name, listener);
    this.#list.push([name, listener]);
  }

  clear(): void {
    for (const [name, fn] of this.#list) unsubscribe(name, fn);
    this.#list.length = 0;
  }
}
