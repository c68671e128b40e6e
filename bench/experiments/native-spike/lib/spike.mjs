// JS side of the spike addon: loader, the produce packer and the consumed-slab view.
// Layouts are defined in ../src/producer.cc (produce table) and ../src/slab.h (slab).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The addon; SPIKE_ADDON selects another build (e.g. the ASan one). */
export function loadAddon() {
  const path = process.env.SPIKE_ADDON ?? fileURLToPath(new URL('../build/Release/spike.node', import.meta.url));
  return require(path);
}

export const MSG_STRIDE = 10; // keyOff, keyLen, valOff, valLen, partition, hdrStart, hdrCount, tsHi, tsLo, reserved
export const HDR_STRIDE = 4; // nameOff, nameLen, valOff, valLen
export const META_STRIDE = 10; // topic, partition, keyOff, keyLen, valOff, valLen, hdrStart, hdrCount, err, tsType
export const POS_STRIDE = 2; // offset, timestamp
const TWO32 = 4294967296;

/** Short keys are usually ASCII: a JS loop beats Buffer#write's native call. -1 = not ASCII. */
function asciiWrite(buf, s, at) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    buf[at + i] = c;
  }
  return s.length;
}

/**
 * Packs outgoing messages into one byte buffer and one Int32Array table: one produceBatch() call
 * enqueues them all. Reusable: reset() after the batch has been enqueued (the addon copies, so the
 * buffer can be refilled as soon as produceBatch returned).
 */
export class BatchPacker {
  constructor(maxMessages = 1000, maxBytes = 1 << 20, maxHeaders = 4 * maxMessages) {
    this.maxMessages = maxMessages;
    this.bytes = Buffer.allocUnsafeSlow(maxBytes);
    this.hdrBase = maxMessages * MSG_STRIDE;
    this.table = new Int32Array(this.hdrBase + maxHeaders * HDR_STRIDE);
    this.reset();
  }

  reset() {
    this.count = 0;
    this.off = 0;
    this.hdrNext = this.hdrBase;
  }

  /** Writes a key/value/header span; returns [off, len] packed as off (and sets this.len), -1 len = null. */
  #span(v) {
    if (v === null || v === undefined) {
      this.len = -1;
      return 0;
    }
    const at = this.off;
    if (typeof v === 'string') {
      // Worst case 3 bytes per UTF-16 unit; Buffer#write never writes a partial character.
      if (at + v.length * 3 > this.bytes.length) throw new RangeError('full');
      this.len = v.length <= 32 ? asciiWrite(this.bytes, v, at) : -1;
      if (this.len < 0) this.len = this.bytes.write(v, at);
    } else {
      if (at + v.byteLength > this.bytes.length) throw new RangeError('full');
      this.bytes.set(v, at);
      this.len = v.byteLength;
    }
    this.off += this.len;
    return at;
  }

  /**
   * Adds one message. key/value: string | Uint8Array | null; headers: [name, string|Uint8Array|null][]
   * or null; partition -1 = partitioner; timestamp ms (0 = now). Returns false (and adds nothing)
   * when the batch is full.
   */
  add(key, value, partition = -1, headers = null, timestamp = 0) {
    if (this.count === this.maxMessages) return false;
    const hc = headers === null ? 0 : headers.length;
    if (this.hdrNext + hc * HDR_STRIDE > this.table.length) return false;
    const mark = this.off;
    const t = this.table;
    const r = this.count * MSG_STRIDE;
    try {
      t[r] = this.#span(key);
      t[r + 1] = this.len;
      t[r + 2] = this.#span(value);
      t[r + 3] = this.len;
      t[r + 5] = this.hdrNext;
      for (let j = 0; j < hc; j++) {
        const h = this.hdrNext + j * HDR_STRIDE;
        t[h] = this.#span(headers[j][0]);
        t[h + 1] = this.len;
        t[h + 2] = this.#span(headers[j][1]);
        t[h + 3] = this.len;
      }
    } catch (e) {
      if (!(e instanceof RangeError) || this.count === 0) throw e; // a single message larger than the buffer
      this.off = mark;
      return false;
    }
    t[r + 4] = partition;
    t[r + 6] = hc;
    t[r + 7] = timestamp === 0 ? 0 : Math.floor(timestamp / TWO32);
    t[r + 8] = timestamp === 0 ? 0 : timestamp % TWO32 | 0;
    this.hdrNext += hc * HDR_STRIDE;
    this.count++;
    return true;
  }
}

/** A consumed batch: typed tables over one byte area. Messages are read lazily by index. */
export class SlabView {
  constructor(count, bytes, meta, pos, hdrs, topics) {
    this.count = count;
    this.buf = Buffer.from(bytes); // a view, no copy
    this.meta = meta;
    this.pos = pos;
    this.hdrs = hdrs;
    this.topics = topics;
  }
  topic(i) {
    return this.topics[this.meta[i * META_STRIDE]];
  }
  partition(i) {
    return this.meta[i * META_STRIDE + 1];
  }
  offset(i) {
    return this.pos[i * POS_STRIDE];
  }
  timestamp(i) {
    return this.pos[i * POS_STRIDE + 1];
  }
  error(i) {
    return this.meta[i * META_STRIDE + 8];
  }
  #bytes(off, len) {
    return len < 0 ? null : this.buf.subarray(off, off + len);
  }
  key(i) {
    const m = i * META_STRIDE;
    return this.#bytes(this.meta[m + 2], this.meta[m + 3]);
  }
  keyString(i) {
    const m = i * META_STRIDE;
    const len = this.meta[m + 3];
    return len < 0 ? null : this.buf.toString('utf8', this.meta[m + 2], this.meta[m + 2] + len);
  }
  value(i) {
    const m = i * META_STRIDE;
    return this.#bytes(this.meta[m + 4], this.meta[m + 5]);
  }
  headers(i) {
    const m = i * META_STRIDE;
    const out = [];
    for (let j = 0; j < this.meta[m + 7]; j++) {
      const h = (this.meta[m + 6] + j) * HDR_STRIDE;
      out.push([this.buf.toString('utf8', this.hdrs[h], this.hdrs[h] + this.hdrs[h + 1]), this.#bytes(this.hdrs[h + 2], this.hdrs[h + 3])]);
    }
    return out;
  }
  /** [partition, nextOffset, ...] of the last message of every partition in the slab (for storeOffsets). */
  watermarks() {
    const last = new Map();
    for (let i = 0; i < this.count; i++) if (this.error(i) === 0) last.set(this.partition(i), this.offset(i));
    const out = new Float64Array(last.size * 2);
    let k = 0;
    for (const [p, o] of last) {
      out[k++] = p;
      out[k++] = o + 1;
    }
    return out;
  }
}
