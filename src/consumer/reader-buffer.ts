import { ConsumedMessage } from '../message/consumed.js';
import type { NativeMessage, NativeTopicPartition } from '../native/types.js';
import { tpKey } from './group/backpressure.js';

/** A run of fetched messages (one slab, or what a revoke left of it); `at` is the next to hand out. */
interface Chunk {
  msgs: NativeMessage[];
  at: number;
}

/**
 * The Reader's fetch buffer: fetched slabs and consume errors, in fetch order (an error is thrown by
 * the read() that meets it first), the count and value bytes of the messages it holds, and its
 * bounds. Pausing and resuming the partitions at those bounds is the Reader's.
 */
export class ReaderBuffer {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  #queue: Array<Chunk | Error> = [];
  #count = 0;
  #bytes = 0;

  constructor(maxMessages: number, maxBytes: number) {
    this.#maxMessages = maxMessages;
    this.#maxBytes = maxBytes;
  }

  /** Messages buffered (never more than the message bound). */
  get count(): number {
    return this.#count;
  }

  /** How many messages the next slab may bring: the room left, at least 1 (a full buffer has paused every partition). */
  room(slab: number): number {
    return Math.max(1, Math.min(slab, this.#maxMessages - this.#count));
  }

  /** Adds a fetched slab (not empty); returns whether the buffer reached one of its bounds. */
  push(msgs: NativeMessage[]): boolean {
    let bytes = 0;
    for (let i = 0; i < msgs.length; i++) bytes += msgs[i]!.size;
    this.#queue.push({ msgs, at: 0 });
    this.#count += msgs.length;
    this.#bytes += bytes;
    return this.#count >= this.#maxMessages || this.#bytes >= this.#maxBytes;
  }

  /** A consume error, after the messages fetched before it; a repeat of the last one is not queued twice (false). */
  pushError(err: Error & { code?: unknown }): boolean {
    const last = this.#queue[this.#queue.length - 1];
    if (last instanceof Error && (last as { code?: unknown }).code === err.code && last.message === err.message) return false;
    this.#queue.push(err);
    return true;
  }

  /** Down to half of both bounds (fetching may resume). */
  drained(): boolean {
    return this.#count <= this.#maxMessages / 2 && this.#bytes <= this.#maxBytes / 2;
  }

  /** The oldest entry: messages, an error to throw, or undefined when empty. */
  peek(): Chunk | Error | undefined {
    return this.#queue[0];
  }

  /** Removes the oldest entry (an error peek() returned). */
  shift(): void {
    this.#queue.shift();
  }

  /** Up to `max` buffered messages, stopping at a queued error. */
  take(max: number): ConsumedMessage[] {
    const out: ConsumedMessage[] = [];
    const queue = this.#queue;
    let bytes = 0;
    while (out.length < max && queue.length > 0) {
      const chunk = queue[0]!;
      if (chunk instanceof Error) break;
      const msgs = chunk.msgs;
      const end = Math.min(msgs.length, chunk.at + max - out.length);
      let i = chunk.at;
      for (; i < end; i++) {
        const m = msgs[i]!;
        bytes += m.size;
        out.push(new ConsumedMessage(m));
      }
      if (i >= msgs.length) queue.shift();
      else chunk.at = i;
    }
    this.#count -= out.length;
    this.#bytes -= bytes;
    return out;
  }

  /** Drops buffered messages of these partitions (all when undefined): they were never returned. */
  drop(tps: NativeTopicPartition[] | undefined): void {
    if (this.#count === 0) return;
    const gone = tps === undefined ? undefined : new Set(tps.map((tp) => tpKey(tp.topic, tp.partition)));
    const kept: Array<Chunk | Error> = [];
    let count = 0;
    let bytes = 0;
    for (const c of this.#queue) {
      if (c instanceof Error) {
        kept.push(c);
        continue;
      }
      if (gone === undefined) continue;
      const msgs: NativeMessage[] = [];
      for (let i = c.at; i < c.msgs.length; i++) {
        const m = c.msgs[i]!;
        if (gone.has(tpKey(m.topic, m.partition))) continue;
        msgs.push(m);
        bytes += m.size;
      }
      if (msgs.length > 0) kept.push({ msgs, at: 0 });
      count += msgs.length;
    }
    this.#queue = kept;
    this.#count = count;
    this.#bytes = bytes;
  }

  /** Empties it (the reader closed). */
  clear(): void {
    this.#queue = [];
    this.#count = 0;
    this.#bytes = 0;
  }
}
