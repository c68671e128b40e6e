import type { Lane } from './lane.js';

/** Keys up to this many bytes are found by a hash of their bytes; longer ones by their string. */
const SHORT_KEY_BYTES = 32;
/** Idle lanes are forgotten when the lanes reach this many (or twice what the last sweep kept). */
const SWEEP_MIN = 1024;

/**
 * Where a key's lane is filed. Short keys (the usual ids) are hashed in JS (FNV-1a over the bytes):
 * a third of the cost of turning each fetched key into a string for a Map (a native call, a string
 * allocation, then hashing it). Long keys take the string, which costs about the same as hashing
 * them here.
 */
export function slotOf(key: Buffer): number | string {
  const len = key.length;
  if (len > SHORT_KEY_BYTES) return key.toString('latin1');
  let h = 0x811c9dc5 ^ len;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  return h;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  const len = a.length;
  if (b.length !== len) return false;
  for (let i = 0; i < len; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The key lanes of one partition, by the key's bytes. Equal bytes are one key, whether the client
 * handed the key over as a Buffer or a string (a string is taken as its UTF-8 bytes).
 */
export class KeyLanes {
  readonly #short = new Map<number, Lane>();
  readonly #long = new Map<string, Lane>();
  #size = 0;
  #sweepAt = SWEEP_MIN;

  get size(): number {
    return this.#size;
  }

  /** The lane of `key` (whose slot is `slot`, from slotOf), if there is one. */
  find(key: Buffer, slot: number | string): Lane | undefined {
    if (typeof slot === 'string') return this.#long.get(slot);
    let lane = this.#short.get(slot);
    while (lane !== undefined && !sameBytes(lane.key!, key)) lane = lane.chain;
    return lane;
  }

  /**
   * Files a key lane (lane.key, lane.slot) whose key has none yet. A lane stays filed when it runs
   * empty (keys recur: re-creating lanes per task is a third of the dispatcher's cost); idle ones
   * (empty, not busy, not listed) are forgotten in a sweep once the lanes reach twice what the last
   * sweep kept, so they do not grow with every key ever seen and the sweeps cost O(1) per lane.
   */
  add(lane: Lane): void {
    if (this.#size >= this.#sweepAt) this.#sweep();
    const slot = lane.slot;
    if (typeof slot === 'string') this.#long.set(slot, lane);
    else {
      lane.chain = this.#short.get(slot);
      this.#short.set(slot, lane);
    }
    this.#size++;
  }

  /** Removes a lane; false if it is not (or no longer) filed here. */
  delete(lane: Lane): boolean {
    const slot = lane.slot;
    if (typeof slot === 'string') {
      if (this.#long.get(slot) !== lane) return false;
      this.#long.delete(slot);
    } else {
      const head = this.#short.get(slot);
      if (head === lane) {
        if (lane.chain === undefined) this.#short.delete(slot);
        else this.#short.set(slot, lane.chain);
      } else {
        let prev = head;
        while (prev !== undefined && prev.chain !== lane) prev = prev.chain;
        if (prev === undefined) return false;
        prev.chain = lane.chain;
      }
      lane.chain = undefined;
    }
    this.#size--;
    return true;
  }

  #sweep(): void {
    for (const lane of [...this.values()]) if (lane.size === 0 && !lane.busy && !lane.listed) this.delete(lane);
    this.#sweepAt = Math.max(SWEEP_MIN, 2 * this.#size);
  }

  *values(): IterableIterator<Lane> {
    for (const head of this.#short.values()) for (let lane: Lane | undefined = head; lane !== undefined; lane = lane.chain) yield lane;
    yield* this.#long.values();
  }
}
