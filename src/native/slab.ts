import type { NativeBatchSink, NativeError, NativeHeaders, NativeMessage } from './types.js';

/**
 * The slabs of the batch engine's consumer (src/native/addon/consumer.cc, binding-notes/engine-consumer.md):
 * the addon drains librdkafka's consumer queue on the JS thread into slabs, one JS call per slab
 * (batch-consumer.ts); this module reads a slab's layout and wraps its messages as lazy views.
 *
 * A slab: `bytes` holds every key, value, header name and header value back to back; `meta` has
 * META_STRIDE ints per message, `pos` 2 doubles per message (offset, timestamp), `hdrs` 4 ints per
 * header (name off/len, value off/len; -1 = null). Offsets and lengths are into `bytes`.
 */
export const META_STRIDE = 10;
const M_TOPIC = 0;
const M_PARTITION = 1;
const M_KEY_OFF = 2; // key length at M_KEY_OFF + 1
const M_VAL_OFF = 4;
const M_VAL_LEN = 5;
const M_HDR_START = 6;
const M_HDR_COUNT = 7;
const M_ERR = 8;
const M_TS_TYPE = 9;
const POS_STRIDE = 2;
const HDR_STRIDE = 4;
const ERR_PARTITION_EOF = -191;

/** One fetched batch: the addon's tables plus the byte area as a Buffer (a view, no copy). */
export class Slab {
  readonly buf: Buffer;
  constructor(
    readonly count: number,
    bytes: ArrayBuffer,
    readonly meta: Int32Array,
    readonly pos: Float64Array,
    readonly hdrs: Int32Array,
    readonly topics: readonly string[],
  ) {
    this.buf = Buffer.from(bytes);
  }

  bytes(off: number, len: number): Buffer | null {
    return len < 0 ? null : this.buf.subarray(off, off + len);
  }

  /** Message i's key (field M_KEY_OFF) or value (M_VAL_OFF): its offset and length stand side by side in `meta`. */
  span(i: number, field: number): Buffer | null {
    const m = i * META_STRIDE + field;
    return this.bytes(this.meta[m]!, this.meta[m + 1]!);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * A message of a slab, read on demand: `topic`, `partition`, `offset` come from the tables; `key`,
 * `value` are subarrays of the slab (no copy) made on first use; headers are decoded on first use
 * (binary-safe: every value is a Buffer of the exact bytes). The slab lives as long as a view of
 * it does (GC).
 */
export class SlabMessage implements NativeMessage {
  readonly #slab: Slab;
  readonly #i: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  #value: Buffer | null | undefined = undefined;
  #key: Buffer | null | undefined = undefined;
  #headers: NativeHeaders | null | undefined = undefined;

  constructor(slab: Slab, i: number) {
    this.#slab = slab;
    this.#i = i;
    const m = i * META_STRIDE;
    this.topic = slab.topics[slab.meta[m + M_TOPIC]!] ?? '';
    this.partition = slab.meta[m + M_PARTITION]!;
    this.offset = slab.pos[i * POS_STRIDE]!;
  }

  get value(): Buffer | null {
    if (this.#value === undefined) this.#value = this.#slab.span(this.#i, M_VAL_OFF);
    return this.#value;
  }

  get size(): number {
    const len = this.#slab.meta[this.#i * META_STRIDE + M_VAL_LEN]!;
    return len < 0 ? 0 : len;
  }

  get key(): Buffer | null {
    if (this.#key === undefined) this.#key = this.#slab.span(this.#i, M_KEY_OFF);
    return this.#key;
  }

  /** Milliseconds since the epoch; -1 when the message has none (as node-rdkafka reports it). */
  get timestamp(): number {
    return this.#slab.meta[this.#i * META_STRIDE + M_TS_TYPE] === 0 ? -1 : this.#slab.pos[this.#i * POS_STRIDE + 1]!;
  }

  /** undefined when the message has no headers (callers test that to skip header work). */
  get headers(): NativeHeaders | undefined {
    if (this.#headers === undefined) {
      const slab = this.#slab;
      const m = this.#i * META_STRIDE;
      const n = slab.meta[m + M_HDR_COUNT]!;
      if (n === 0) {
        this.#headers = null;
      } else {
        const out: NativeHeaders = [];
        const first = slab.meta[m + M_HDR_START]!;
        for (let j = 0; j < n; j++) {
          const h = (first + j) * HDR_STRIDE;
          const name = slab.buf.toString('utf8', slab.hdrs[h]!, slab.hdrs[h]! + slab.hdrs[h + 1]!);
          out.push({ [name]: slab.bytes(slab.hdrs[h + 2]!, slab.hdrs[h + 3]!) ?? EMPTY });
        }
        this.#headers = out;
      }
    }
    return this.#headers ?? undefined;
  }
}

/**
 * Hands one slab to the sink: its messages as lazy views (one sink.batch call), then the consumer
 * errors some entries carry instead of a message; partition EOF entries are dropped. Returns the
 * sink's room, which tells the addon how many messages the next slab may hold.
 */
export function deliverSlab(sink: NativeBatchSink, count: number, bytes: ArrayBuffer, meta: Int32Array, pos: Float64Array, hdrs: Int32Array, topics: string[]): number | undefined {
  const slab = new Slab(count, bytes, meta, pos, hdrs, topics);
  const msgs: NativeMessage[] = new Array<NativeMessage>(count);
  let n = 0;
  let errors: NativeError[] | undefined;
  for (let i = 0; i < count; i++) {
    const code = meta[i * META_STRIDE + M_ERR]!;
    if (code === 0) {
      msgs[n++] = new SlabMessage(slab, i);
    } else if (code !== ERR_PARTITION_EOF) {
      // A consumer error carried in a message (e.g. unknown topic): its payload is the text.
      const text = slab.span(i, M_VAL_OFF)?.toString('utf8') ?? `librdkafka error ${code}`;
      (errors ??= []).push(Object.assign(new Error(text), { code }));
    }
  }
  msgs.length = n;
  if (n > 0) sink.batch(msgs);
  if (errors !== undefined) for (const e of errors) sink.error(e);
  return sink.room();
}
