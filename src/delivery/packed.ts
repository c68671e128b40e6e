import { DeliveryError } from '../errors/producer.js';
import type { DeliveryResult } from './types.js';
import { Outbound } from './outbound.js';
import { FLAG_STRING, HDR_STRIDE, MSG_STRIDE, M_FLAGS, M_HDR_COUNT, M_HDR_START, M_ID, M_KEY_LEN, M_KEY_OFF, M_PART, M_TOPIC, M_TS_HI, M_TS_LO, M_VAL_LEN, M_VAL_OFF, type BatchPacker } from '../native/batch-producer.js';
import type { NativeBatchProducer, NativeHeaders } from '../native/types.js';

/**
 * A packed message's id (librdkafka's opaque): PACKED_BASE + its chunk's slot × PACKED_SPAN + its
 * index in the chunk. Ids of single messages (the engine's slot table) stay below PACKED_BASE, so a
 * delivery report tells the two apart with one comparison.
 */
export const PACKED_BASE = 1 << 30;
/** The most messages a chunk holds (a power of two ≥ the engine's BATCH_MAX_MESSAGES). */
export const PACKED_SPAN = 1024;
export const PACKED_SHIFT = 10;
/** Chunk slots: PACKED_BASE + MAX_SLOTS × PACKED_SPAN = 2^31, the first id past int32. */
const MAX_SLOTS = (2 ** 31 - PACKED_BASE) / PACKED_SPAN;
/** M_FLAGS bit of a message whose first header is its id (the addon ignores M_FLAGS). */
export const FLAG_HAS_ID = 2;

/** What a packed message is, per message, in PackedChunk.state. */
export const PackedState = {
  /** Not handed to librdkafka yet (waits in the chunk). */
  Unsent: 0,
  /** In librdkafka's hands, its report not yet seen. */
  InFlight: 1,
  /** A library retry (PackedRetry, an ordinary in-flight message) owns it now. */
  Retrying: 2,
  /** Reported to the sink (delivered or failed). */
  Settled: 3,
} as const;

/** Who hears the outcome of each message of a chunk, exactly once each. */
export interface PackedSink {
  /** `possibleDuplicate`: undefined on a first attempt; after a library retry, whether an earlier attempt may have been written. */
  delivered(chunk: PackedChunk, index: number, possibleDuplicate: boolean | undefined, partition: number, offset: number, timestamp: number | undefined): void;
  failed(chunk: PackedChunk, index: number, error: Error): void;
  /** A library retry of the message is scheduled (idempotence off). */
  retrying(chunk: PackedChunk, index: number): void;
}

/**
 * Up to PACKED_SPAN messages already packed by the caller (producer/message-batch.ts), sent by the
 * engine with one produceBatch() call per hand-over and tracked by index: no object per message.
 * In the waiting FIFO a chunk stands for its messages not handed over yet (from `next` on), so they
 * keep their place behind earlier messages and ahead of later ones.
 *
 * A message's bytes stay in the packer until the whole chunk settled: a library retry (idempotence
 * off) builds a PackedRetry from them, close() names the undelivered ones from them.
 */
export class PackedChunk extends Outbound {
  readonly state: Uint8Array;
  /** The next index to hand over (messages before it are in flight or settled). */
  cursor = 0;
  /** Messages not settled yet. */
  pending: number;
  /** Called once every message settled (the engine frees the chunk's slot). */
  done: ((c: PackedChunk) => void) | undefined = undefined;
  constructor(
    readonly packer: BatchPacker,
    readonly sink: PackedSink,
  ) {
    super(packer.topics[0] ?? '', null, null, null, null, undefined, undefined);
    this.state = new Uint8Array(packer.count);
    this.pending = packer.count;
  }

  get count(): number {
    return this.packer.count;
  }

  /** Messages not handed over yet. */
  get unsent(): number {
    return this.packer.count - this.cursor;
  }

  /** Writes each message's id (librdkafka's opaque) for the chunk slot `slot`. */
  assignSlot(slot: number): void {
    this.slot = slot;
    const t = this.packer.table;
    const base = PACKED_BASE + slot * PACKED_SPAN;
    for (let i = 0; i < this.packer.count; i++) t[i * MSG_STRIDE + M_ID] = base + i;
  }

  settleDelivered(i: number, possibleDuplicate: boolean | undefined, partition: number, offset: number, timestamp: number | undefined): void {
    this.state[i] = PackedState.Settled;
    this.sink.delivered(this, i, possibleDuplicate, partition, offset, timestamp);
    if (--this.pending === 0) this.done?.(this);
  }

  settleFailed(i: number, error: Error): void {
    this.state[i] = PackedState.Settled;
    this.sink.failed(this, i, error);
    if (--this.pending === 0) this.done?.(this);
  }

  /** Fails every message not handed over yet (from `next` on), each with `errorFor(i)`. */
  failUnsent(errorFor: (i: number) => Error): void {
    for (let i = this.cursor; i < this.count; i++) if (this.state[i] === PackedState.Unsent) this.settleFailed(i, errorFor(i));
    this.cursor = this.count;
  }

  /** Fails every message not handed over yet with a DeliveryError of `code` (none of them was written). */
  failUnsentWith(code: number, message: string, attempts: number): void {
    this.failUnsent((k) => new DeliveryError(this.topicAt(k), this.partitionAt(k) ?? -1, { code, message }, this.idAt(k), attempts));
  }

  /** As a FIFO entry: the engine fails what waits (a state error, close): every unsent message. */
  failed(error: Error): void {
    this.failUnsent(() => error);
  }

  /** Never called: a chunk's messages are reported one by one. */
  delivered(): void {}

  /** A library retry of message `i` is scheduled. */
  retryingAt(i: number): void {
    this.sink.retrying(this, i);
  }

  // Reading a message back (failure paths only: a retry, close's list of undelivered messages).
  #row(i: number): number {
    return i * MSG_STRIDE;
  }

  topicAt(i: number): string {
    return this.packer.topics[this.packer.table[this.#row(i) + M_TOPIC]!]!;
  }

  partitionAt(i: number): number | null {
    const p = this.packer.table[this.#row(i) + M_PART]!;
    return p < 0 ? null : p;
  }

  #span(off: number, len: number): Buffer | null {
    return len < 0 ? null : this.packer.bytes.subarray(off, off + len);
  }

  keyAt(i: number): Buffer | string | null {
    const t = this.packer.table;
    const r = this.#row(i);
    const key = this.#span(t[r + M_KEY_OFF]!, t[r + M_KEY_LEN]!);
    if (key === null) return null;
    return (t[r + M_FLAGS]! & FLAG_STRING) !== 0 ? key.toString('utf8') : Buffer.from(key);
  }

  /** The value, copied (the packer is reused once the chunk settled). */
  valueAt(i: number): Buffer | null {
    const t = this.packer.table;
    const v = this.#span(t[this.#row(i) + M_VAL_OFF]!, t[this.#row(i) + M_VAL_LEN]!);
    return v === null ? null : Buffer.from(v);
  }

  timestampAt(i: number): number | null {
    const t = this.packer.table;
    const r = this.#row(i);
    const ts = (t[r + M_TS_HI]! >>> 0) * 4294967296 + (t[r + M_TS_LO]! >>> 0);
    return ts === 0 ? null : ts;
  }

  idAt(i: number): string | undefined {
    const t = this.packer.table;
    if ((t[this.#row(i) + M_FLAGS]! & FLAG_HAS_ID) === 0) return undefined;
    const h = t[this.#row(i) + M_HDR_START]!;
    return this.#span(t[h + 2]!, t[h + 3]!)?.toString('latin1');
  }

  /** The headers after the id header, copied, as the packer takes them. */
  headersAt(i: number): NativeHeaders | undefined {
    const t = this.packer.table;
    const r = this.#row(i);
    const first = (t[r + M_FLAGS]! & FLAG_HAS_ID) !== 0 ? 1 : 0;
    const n = t[r + M_HDR_COUNT]!;
    if (n <= first) return undefined;
    const out: NativeHeaders = [];
    for (let j = first; j < n; j++) {
      const h = t[r + M_HDR_START]! + j * HDR_STRIDE;
      const name = this.#span(t[h]!, t[h + 1]!)!.toString('utf8');
      const v = this.#span(t[h + 2]!, t[h + 3]!);
      // The API takes no null header value: a span is always there.
      out.push({ [name]: (t[h + 4]! & FLAG_STRING) !== 0 ? v!.toString('utf8') : Buffer.from(v!) });
    }
    return out;
  }

  /** What close() names for an undelivered message. */
  undelivered(i: number): { messageId: string | undefined; topic: string; key: string | undefined } {
    const key = this.keyAt(i);
    return { messageId: this.idAt(i), topic: this.topicAt(i), key: typeof key === 'string' ? key : key?.toString('hex') };
  }
}

/**
 * A library retry (idempotence off) of one packed message: an ordinary in-flight message built
 * from the chunk's bytes when its first attempt failed, reporting back to the chunk by index.
 */
export class PackedRetry extends Outbound {
  constructor(
    readonly chunk: PackedChunk,
    readonly index: number,
  ) {
    super(chunk.topicAt(index), chunk.partitionAt(index), chunk.valueAt(index), chunk.keyAt(index), chunk.timestampAt(index), chunk.headersAt(index), chunk.idAt(index));
    this.wantsResult = false;
    this.attempts = 1;
    chunk.state[index] = PackedState.Retrying;
  }
  override deliveredAt(partition: number, offset: number, timestamp: number | undefined): void {
    // retryError is set: this is a library retry (DeliveryOutcomes.#onFailure).
    this.chunk.settleDelivered(this.index, this.retryError?.possiblyPersisted === true, partition, offset, timestamp);
  }
  override retrying(): void {
    this.chunk.retryingAt(this.index);
  }
  /** Not called by the engine (wantsResult is false). */
  delivered(result: DeliveryResult): void {
    this.deliveredAt(result.partition, result.offset, result.timestamp);
  }
  failed(error: Error): void {
    this.chunk.settleFailed(this.index, error);
  }
}

/**
 * The engine's packed chunks with messages in flight, by slot (a message's id names its chunk's
 * slot, packed.ts PACKED_BASE), and how many of their messages are in librdkafka's hands.
 */
export class PackedChunks {
  #slots: Array<PackedChunk | undefined> = [];
  #free: number[] = [];
  /** Packed messages in librdkafka's hands, their reports not yet seen. */
  inflight = 0;
  readonly #done = (c: PackedChunk): void => {
    if (c.slot >= 0 && this.#slots[c.slot] === c) {
      this.#slots[c.slot] = undefined;
      this.#free.push(c.slot);
    }
    c.slot = -1;
  };

  /**
   * Hands the chunk's unsent messages to librdkafka (one produceBatch() from `cursor` on) and
   * returns how many it took (fewer: its local queue is full). Throws what the addon throws.
   */
  handOver(c: PackedChunk, native: NativeBatchProducer | undefined): number {
    if (native === undefined) throw new Error('producer closed');
    if (c.slot < 0) {
      // Ids stay within int32 below MAX_SLOTS chunks holding a slot; past that a chunk waits (as if the queue were full).
      if (this.#free.length === 0 && this.#slots.length >= MAX_SLOTS) return 0;
      const slot = this.#free.length > 0 ? this.#free.pop()! : this.#slots.length;
      this.#slots[slot] = c;
      c.assignSlot(slot);
      c.done = this.#done;
    }
    const p = c.packer;
    const from = c.cursor;
    const n = native.produceBatch(p.topics, p.bytes, p.table, p.count, from);
    c.state.fill(PackedState.InFlight, from, from + n);
    c.cursor = from + n;
    this.inflight += n;
    return n;
  }

  /** The chunk of a packed message's id while that message is in flight (else undefined: a stale report); counts it out. */
  reported(id: number): PackedChunk | undefined {
    const c = this.#slots[(id - PACKED_BASE) >>> PACKED_SHIFT];
    if (c === undefined || c.state[id & (PACKED_SPAN - 1)] !== PackedState.InFlight) return undefined;
    this.inflight--;
    return c;
  }

  /** Takes every chunk out (close): they come back in slot order. */
  detach(): PackedChunk[] {
    const chunks = this.#slots.filter((c): c is PackedChunk => c !== undefined);
    this.#slots = [];
    this.#free = [];
    this.inflight = 0;
    return chunks;
  }
}
