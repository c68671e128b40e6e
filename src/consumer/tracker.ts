/**
 * Offsets of one partition between "fetched" and "committable".
 *
 * Messages arrive in offset order and complete in any order. The committable position is the
 * offset after the longest completed prefix (the contiguous watermark): a message counts as done
 * for commit only when it and every earlier fetched message of its partition are done. Offsets are
 * kept in arrival order, so gaps in the log (compaction, transaction markers) need no special case.
 * Each fetched message gets a sequence number; `done(seq)` is O(1) amortised.
 */
export class PartitionTracker {
  readonly topic: string;
  readonly partition: number;
  #offsets: number[] = [];
  #flags: number[] = [];
  /** Sequence number of #offsets[0]. */
  #base = 0;
  /** First sequence number not done. */
  #head = 0;
  #next = 0;
  #watermark = -1;
  /** Watermark last handed to offsetsStore() (owned by the caller). */
  stored = -1;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /** Fetched and not yet done (including done ones waiting behind an unfinished one). */
  get pending(): number {
    return this.#next - this.#head;
  }

  /** Offset to commit (after the completed prefix), or -1 before the first completion. */
  get watermark(): number {
    return this.#watermark;
  }

  /** Records a fetched message; returns its sequence number. */
  add(offset: number): number {
    this.#offsets.push(offset);
    this.#flags.push(0);
    return this.#next++;
  }

  /** Marks a message done; returns true when the watermark moved. Repeats are ignored. */
  done(seq: number): boolean {
    if (seq < this.#head || seq >= this.#next) return false;
    const i = seq - this.#base;
    if (this.#flags[i] === 1) return false;
    this.#flags[i] = 1;
    if (seq !== this.#head) return false;
    let h = this.#head;
    while (h < this.#next && this.#flags[h - this.#base] === 1) h++;
    this.#watermark = this.#offsets[h - 1 - this.#base]! + 1;
    this.#head = h;
    const drop = h - this.#base;
    if (drop >= 1024 || h === this.#next) {
      this.#offsets.splice(0, drop);
      this.#flags.splice(0, drop);
      this.#base = h;
    }
    return true;
  }
}
