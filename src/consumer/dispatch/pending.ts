import type { NativeMessage } from '../../native/types.js';
import type { Lane } from './lane.js';

/** Failures of one message (a Pending without any has none: most messages never fail). */
interface Failures {
  first: number;
  last: number;
  type: string;
  message: string;
}

/** A fetched message on its way through the dispatcher. */
export class Pending {
  /** Diagnostics subscribers' slot for the running attempt (e.g. its process span). */
  trace: unknown = undefined;
  /** performance.now() when fetched (consume-duration metric; 0 unless someone listens). */
  fetchedAt = 0;
  /** Failed attempts so far. */
  attempts = 0;
  /** Infrastructure failures in a row (not charged as attempts; they grow its backoff); 0 after a failure of its own. */
  infraFailures = 0;
  #failures: Failures | undefined = undefined;
  constructor(
    readonly msg: NativeMessage,
    readonly seq: number,
    readonly lane: Lane,
  ) {}

  /**
   * Counts a failed attempt at `now` (epoch ms) with the error's type (class or code) and message.
   * It ran to a failure of its own: a streak of infrastructure failures is over.
   */
  failed(now: number, type: string, message: string): void {
    this.attempts++;
    this.infraFailures = 0;
    const f = this.#failures;
    if (f === undefined) this.#failures = { first: now, last: now, type, message };
    else {
      f.last = now;
      f.type = type;
      f.message = message;
    }
  }

  /** Epoch ms of the first failure (0: none). */
  get firstFailure(): number {
    return this.#failures?.first ?? 0;
  }

  /** Epoch ms of the last failure (0: none). */
  get lastFailure(): number {
    return this.#failures?.last ?? 0;
  }

  /** The last error's class or code ('' before a failure). */
  get errorType(): string {
    return this.#failures?.type ?? '';
  }

  /** The last error's message ('' before a failure). */
  get errorMessage(): string {
    return this.#failures?.message ?? '';
  }
}
