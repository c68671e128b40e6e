/**
 * Where this run's acknowledged events are, from Kafka's point of view: the offsets the broker
 * acknowledged (per partition, kept as ranges: delivery reports of a partition come in offset
 * order, so a run's events form a few long runs of offsets) and the consumer group's committed
 * offsets (from the consumer's onOffsetsStored hook: every store, and the final commit at stop()).
 *
 * At the end, "left in Kafka" = acknowledged events at or above the group's committed offset of
 * their partition: what a consumer of that group would be given next. It is computed from offsets
 * only, independently of the handlers' own counts, so `handled + left = acknowledged` is a real
 * check (a lost message, or one committed without being handled, breaks it).
 */
export class OffsetLedger {
  /** Per partition: [start, end) ranges of acknowledged offsets, ascending. */
  readonly #ranges = new Map<number, number[]>();
  /** Acknowledged out of order (not expected; kept exact anyway). */
  readonly #stragglers = new Map<number, number[]>();
  /** Per partition: the highest offset stored/committed for the group. */
  readonly #committed = new Map<number, number>();
  #acked = 0;

  get acked(): number {
    return this.#acked;
  }

  ack(partition: number, offset: number): void {
    this.#acked++;
    let r = this.#ranges.get(partition);
    if (r === undefined) this.#ranges.set(partition, (r = []));
    const n = r.length;
    if (n > 0 && r[n - 1] === offset) r[n - 1] = offset + 1;
    else if (n === 0 || offset > r[n - 1]!) r.push(offset, offset + 1);
    else {
      let s = this.#stragglers.get(partition);
      if (s === undefined) this.#stragglers.set(partition, (s = []));
      s.push(offset);
    }
  }

  /** An offset the group stored or committed: the next offset it will read on that partition. */
  committed(partition: number, offset: number): void {
    if (offset > (this.#committed.get(partition) ?? -1)) this.#committed.set(partition, offset);
  }

  /** Acknowledged events at or above the committed offset of their partition. */
  leftInKafka(): number {
    let left = 0;
    for (const [p, r] of this.#ranges) {
      const c = this.#committed.get(p) ?? -1;
      for (let i = 0; i < r.length; i += 2) left += Math.max(0, r[i + 1]! - Math.max(r[i]!, c));
    }
    for (const [p, s] of this.#stragglers) {
      const c = this.#committed.get(p) ?? -1;
      for (const o of s) if (o >= c) left++;
    }
    return left;
  }

  /** Committed offsets per partition (for the summary). */
  committedOffsets(): Record<string, number> {
    return Object.fromEntries([...this.#committed].sort((a, b) => a[0] - b[0]).map(([p, o]) => [String(p), o]));
  }
}
