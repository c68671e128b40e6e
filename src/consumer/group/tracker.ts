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
  /**
   * Per fetched message from #base on: its offset while pending, -offset - 1 once done. The first
   * #length slots are in use; the array is kept (not re-made) when everything is done.
   */
  #entries: number[] = [];
  #length = 0;
  /** Sequence number of #entries[0]. */
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

  /** Messages recorded since this tracker was made (position() asks whether any came after a seek). */
  get fetched(): number {
    return this.#next;
  }

  /**
   * Where a commit would restart the partition: the watermark, or before the first completion the
   * offset of the first fetched message (-1: nothing fetched, nothing done). Lag counts from here.
   */
  get commitPoint(): number {
    if (this.#watermark >= 0 || this.#head === this.#next) return this.#watermark;
    return this.#entries[this.#head - this.#base]!;
  }

  /**
   * A tracker made for a seek starts at the seek target: its watermark is the target before any
   * message of the new position is fetched, so the next commit (and a revoke's, and stop()'s)
   * restarts the partition there. Only before the first add().
   */
  restartAt(offset: number): void {
    if (this.#next !== 0) throw new Error('PartitionTracker.restartAt(): messages were recorded already');
    this.#watermark = offset;
  }

  /** Whether the message with this sequence number is done (off the per-message path: stats only). */
  isDone(seq: number): boolean {
    if (seq < this.#head) return true;
    if (seq >= this.#next) return false;
    return this.#entries[seq - this.#base]! < 0;
  }

  /** Records a fetched message; returns its sequence number. */
  add(offset: number): number {
    const entries = this.#entries;
    if (this.#length === entries.length) entries.push(offset);
    else entries[this.#length] = offset;
    this.#length++;
    return this.#next++;
  }

  /** Marks a message done; returns true when the watermark moved. Repeats are ignored. */
  done(seq: number): boolean {
    if (seq < this.#head || seq >= this.#next) return false;
    const entries = this.#entries;
    const base = this.#base;
    const offset = entries[seq - base]!;
    if (offset < 0) return false;
    entries[seq - base] = -offset - 1;
    if (seq !== this.#head) return false;
    const next = this.#next;
    let h = seq + 1;
    while (h < next && entries[h - base]! < 0) h++;
    this.#watermark = -entries[h - 1 - base]!; // (-offset - 1) → offset + 1
    this.#head = h;
    if (h === next) {
      this.#length = 0;
      this.#base = h;
    } else if (h - base >= 1024) {
      entries.copyWithin(0, h - base, this.#length);
      this.#length -= h - base;
      this.#base = h;
    }
    return true;
  }
}
