import type { HandlerEntry } from './handler-entry.js';
import type { Pending } from './pending.js';

/** Held messages are forgotten once no longer held, in a sweep when they reach this many (or twice what the last sweep kept). */
const SWEEP_MIN = 1024;

/**
 * Dispatch held by infrastructure failures (issue 17 item 9), for `consumer.stats()` and health:
 * such failures charge no attempt, so retries and dead letters do not show them.
 */
export interface HeldDispatch {
  /**
   * Handlers whose whole dispatch is held: their last task never started (the pool refused it, a
   * replacement worker could not load the handler module) and they wait out a growing backoff.
   */
  readonly handlers: number;
  /**
   * Messages waiting to run again after an infrastructure failure of their own (e.g. the registry
   * unreachable while decoding). In 'key' and 'partition' ordering each one holds its lane: later
   * messages of its key (partition) wait behind it.
   */
  readonly lanes: number;
  /** Epoch ms when the oldest of them was first held in its current streak (0: none held). */
  readonly since: number;
  /** The last infrastructure failure while any is held (`<name>: <message>`; '' when none is held). */
  readonly reason: string;
}

/**
 * Which messages and handlers are held by infrastructure failures right now. Recorded when a hold
 * begins (a rare event: nothing on the per-message path); whether it still holds is read from the
 * message and handler themselves when asked (a message that later ran, failed for real (an attempt
 * charged), or whose partition was revoked is no longer held; a handler whose next task ran is not),
 * so nothing has to be told when a hold ends.
 */
export class InfraHolds {
  readonly #messages = new Map<Pending, number>();
  readonly #handlers = new Map<HandlerEntry, number>();
  #reason = '';
  #sweepAt = SWEEP_MIN;

  /** `p` failed because of the infrastructure (p.infraFailures already counts it). */
  message(p: Pending, reason: string): void {
    this.#reason = reason;
    if (p.infraFailures === 1 || !this.#messages.has(p)) this.#messages.set(p, Date.now());
    if (this.#messages.size >= this.#sweepAt) {
      this.#sweep();
      this.#sweepAt = Math.max(SWEEP_MIN, 2 * this.#messages.size);
    }
  }

  /** A task of `entry` never started (entry.infraFailures already counts it): its dispatch is held. */
  handler(entry: HandlerEntry, reason: string): void {
    this.#reason = reason;
    if (entry.infraFailures === 1 || !this.#handlers.has(entry)) this.#handlers.set(entry, Date.now());
  }

  /** What is held now (forgets what no longer is). */
  snapshot(): HeldDispatch {
    this.#sweep();
    let since = 0;
    for (const t of this.#messages.values()) if (since === 0 || t < since) since = t;
    for (const t of this.#handlers.values()) if (since === 0 || t < since) since = t;
    const held = this.#messages.size + this.#handlers.size > 0;
    return { handlers: this.#handlers.size, lanes: this.#messages.size, since, reason: held ? this.#reason : '' };
  }

  /** The dispatcher stopped: nothing is held any more (what was is delivered again later). */
  clear(): void {
    this.#messages.clear();
    this.#handlers.clear();
    this.#reason = '';
  }

  #sweep(): void {
    for (const p of this.#messages.keys()) if (!stillHeld(p)) this.#messages.delete(p);
    for (const e of this.#handlers.keys()) if (e.infraFailures === 0) this.#handlers.delete(e);
  }
}

/** Still waiting after an infrastructure failure: not run to an outcome since, not charged, not revoked. */
function stillHeld(p: Pending): boolean {
  const ps = p.lane.ps;
  return p.infraFailures > 0 && !ps.revoked && !ps.tracker.isDone(p.seq);
}
