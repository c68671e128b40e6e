import type { PartitionState } from '../group/partition-state.js';
import type { Pending } from './pending.js';

/**
 * An ordering lane: messages in one lane run strictly one after another (a key of a partition in
 * 'key' mode, the whole partition in 'partition' mode). In 'unordered' mode a partition has one
 * non-exclusive lane whose messages may run in parallel.
 */
export class Lane {
  /** Queued messages in [head, tail); the array is kept (not re-made) when the lane runs empty. */
  #queue: Array<Pending | undefined> = [];
  #head = 0;
  #tail = 0;
  /** A task or a retry/DLQ of this lane is under way (exclusive lanes only). */
  busy = false;
  /** Listed in the handler's ready list. */
  listed = false;
  /** The next key lane filed under the same hash (KeyLanes). */
  chain: Lane | undefined = undefined;
  constructor(
    readonly ps: PartitionState,
    readonly exclusive: boolean,
    /** The key of a key lane (kept in its partition's lanes while the key recurs). */
    readonly key?: Buffer,
    /** Where the key lane is filed (slotOf(key)). */
    readonly slot: number | string = 0,
  ) {}

  get size(): number {
    return this.#tail - this.#head;
  }

  /** The first queued message. */
  peek(): Pending | undefined {
    return this.#head < this.#tail ? this.#queue[this.#head] : undefined;
  }

  push(p: Pending): void {
    const q = this.#queue;
    if (this.#tail === q.length) q.push(p);
    else q[this.#tail] = p;
    this.#tail++;
  }

  /** Puts messages back in front (a failed message and the ones skipped after it). */
  unshift(ps: readonly Pending[]): void {
    const q = [...ps, ...this.#queue.slice(this.#head, this.#tail)];
    this.#queue = q;
    this.#head = 0;
    this.#tail = q.length;
  }

  take(max: number): Pending[] {
    const out: Pending[] = [];
    this.takeInto(out, 0, max);
    return out;
  }

  /**
   * Moves up to `max` queued messages into `out` from index `at` on; returns how many. Their slots
   * are cleared, so that an idle lane keeps no message alive.
   */
  takeInto(out: Pending[], at: number, max: number): number {
    const q = this.#queue;
    const start = this.#head;
    const end = Math.min(this.#tail, start + max);
    for (let i = start; i < end; i++) {
      out[at++] = q[i]!;
      q[i] = undefined;
    }
    if (end === this.#tail) {
      this.#head = 0;
      this.#tail = 0;
    } else this.#head = end;
    return end - start;
  }
}
