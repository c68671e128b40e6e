import { loadAddon } from './addon.js';
import { OAuthTokenError } from './oauth.js';
import type { BatchProducerEvents, NativeBatchProducer, NativeConfig, NativeHeaders, NativeMetadata, NativeMetadataOptions, NativeTopicPartitionOffset } from './types.js';

/**
 * The JS side of the batch producer (src/native/addon/producer.cc): the packer that turns messages
 * into one byte buffer plus one Int32Array table (one JS→C++ crossing per batch), the addon's typed
 * surface, and the configuration it takes.
 *
 * Table layout (producer.cc has the same): MSG_STRIDE ints per message
 *   [keyOff, keyLen (-1 null), valOff, valLen (-1 null), partition (-1 = partitioner),
 *    hdrStart, hdrCount, tsHi, tsLo (0/0 = now), id, topicIndex, flags]
 * and HDR_STRIDE ints per header [nameOff, nameLen, valOff, valLen (-1 null), flags] in a region
 * after the message records. flags bit 0: the key / header value was a string (the addon ignores
 * flags; the unit tests' fake binding uses them to give back what was published).
 *
 * Reports (BatchProducerEvents.onReports): ok = [id, partition]*, okPos = [offset, timestamp]*,
 * failed = [id, librdkafka code, partition, flags]* (flags 1: refused at enqueue, never sent).
 */
export const MSG_STRIDE = 12;
export const HDR_STRIDE = 5;
export const M_KEY_OFF = 0;
export const M_KEY_LEN = 1;
export const M_VAL_OFF = 2;
export const M_VAL_LEN = 3;
export const M_PART = 4;
export const M_HDR_START = 5;
export const M_HDR_COUNT = 6;
export const M_TS_HI = 7;
export const M_TS_LO = 8;
export const M_ID = 9;
export const M_TOPIC = 10;
export const M_FLAGS = 11;
export const FLAG_STRING = 1;
/** failed-report flag: librdkafka refused the message at enqueue (it was never sent). */
export const FAILED_REFUSED = 1;

const TWO32 = 4294967296;
const INITIAL_BYTES = 1 << 20;

/**
 * Strings up to this length are tried as ASCII by a JS loop (cheaper than Buffer#write's native
 * call); longer ones go to Buffer#write, whose cost hardly grows with the length (measured crossover
 * ~24-32 characters: a UUID key or a traceparent header is cheaper written natively).
 */
const ASCII_MAX = 24;

/**
 * Packs messages for one produceBatch() call. Never refuses a message: the byte buffer and the table
 * grow (a single message larger than the buffer makes it larger); the caller decides when a batch
 * is full (`count`, `bytes`). Reusable: reset() once produceBatch returned (the addon copies).
 *
 * Per message it writes the spans straight into the table (no intermediate result), finds the topic's
 * index by a last-topic check before the Map, and writes the id header's name once per batch (every
 * id header record points at that one span).
 */
export class BatchPacker {
  bytes: Buffer;
  /** `bytes` as 32-bit words (a generated id's prefix is copied a word at a time). */
  #words: Int32Array;
  readonly #initialBytes: number;
  table: Int32Array;
  count = 0;
  /** Bytes used in `bytes`. */
  off = 0;
  readonly topics: string[] = [];
  readonly #topicIndex = new Map<string, number>();
  #lastTopic: string | undefined = undefined;
  #lastTopicIndex = 0;
  readonly #hdrBase: number;
  #hdrNext: number;

  readonly #idName: Buffer;
  /** Where this batch holds the id header's name (-1: not written yet). */
  #idNameOff = -1;
  /** The length of idPrefix (0: none), and its bytes as 32-bit words (zero-padded to a multiple of 4 bytes). */
  readonly #idPrefixLen: number;
  readonly #idPrefixWords: Int32Array;

  /**
   * `idHeaderName`: the header a message id is written under (the caller passes message/headers.ts
   * HEADERS.MESSAGE_ID; native/ does not import message/, which sits above it). `idPrefix` (ASCII):
   * the common start of the ids the library generates (message/outgoing.ts GENERATED_ID_PREFIX);
   * add() writes such an id from the prefix and its ASCII suffix (`idSuffix`) without reading the
   * id string (V8 would flatten the freshly concatenated string first: that costs more than the
   * whole write).
   */
  constructor(readonly maxMessages: number, idHeaderName: string, idPrefix = '', initialBytes = INITIAL_BYTES) {
    this.#initialBytes = initialBytes;
    this.bytes = Buffer.allocUnsafeSlow(initialBytes);
    this.#words = new Int32Array(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length >> 2);
    this.#idName = Buffer.from(idHeaderName, 'latin1');
    const prefix = Buffer.from(idPrefix, 'latin1');
    this.#idPrefixLen = prefix.length;
    const padded = new Uint8Array((prefix.length + 3) & ~3);
    padded.set(prefix);
    this.#idPrefixWords = new Int32Array(padded.buffer);
    this.#hdrBase = maxMessages * MSG_STRIDE;
    this.table = new Int32Array(this.#hdrBase + 4 * maxMessages * HDR_STRIDE);
    this.#hdrNext = this.#hdrBase;
  }

  reset(): void {
    this.count = 0;
    this.off = 0;
    this.#hdrNext = this.#hdrBase;
    this.#idNameOff = -1;
    if (this.topics.length > 16) {
      this.topics.length = 0;
      this.#topicIndex.clear();
      this.#lastTopic = undefined;
    }
    // A huge message grew the buffer: give the memory back.
    if (this.bytes.length > 4 * this.#initialBytes) this.#setBytes(Buffer.allocUnsafeSlow(this.#initialBytes));
  }

  /** Drops every topic name kept for later batches (a pooled packer that another producer may take). */
  forgetTopics(): void {
    this.topics.length = 0;
    this.#topicIndex.clear();
    this.#lastTopic = undefined;
  }

  #setBytes(b: Buffer): void {
    this.bytes = b;
    this.#words = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  }

  #ensure(n: number): void {
    if (this.off + n <= this.bytes.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.off + n));
    next.set(this.bytes.subarray(0, this.off), 0);
    this.#setBytes(next);
  }

  /** Writes a string (UTF-8) and its span into t[at], t[at + 1]. */
  #putString(t: Int32Array, at: number, s: string): void {
    const off = this.off;
    const n = s.length;
    if (n <= ASCII_MAX) {
      if (off + n > this.bytes.length) this.#ensure(n);
      const b = this.bytes;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        b[off + i] = c;
      }
      if (i === n) {
        t[at] = off;
        t[at + 1] = n;
        this.off = off + n;
        return;
      }
    }
    // Room for any UTF-8 encoding of n UTF-16 units (at most 3 bytes each): no byteLength() pass first.
    if (off + 3 * n > this.bytes.length) this.#ensure(3 * n);
    const len = this.bytes.write(s, off);
    t[at] = off;
    t[at + 1] = len;
    this.off = off + len;
  }

  /** Writes bytes and their span into t[at], t[at + 1]. */
  #putBytes(t: Int32Array, at: number, v: Uint8Array): void {
    const n = v.byteLength;
    if (this.off + n > this.bytes.length) this.#ensure(n);
    const off = this.off;
    this.bytes.set(v, off);
    t[at] = off;
    t[at + 1] = n;
    this.off = off + n;
  }

  /** A key, value or header value: null/undefined → span (0, -1). */
  #put(t: Int32Array, at: number, v: string | Uint8Array | null | undefined): void {
    if (v === null || v === undefined) {
      t[at] = 0;
      t[at + 1] = -1;
    } else if (typeof v === 'string') this.#putString(t, at, v);
    else this.#putBytes(t, at, v);
  }

  /**
   * A library-generated id: the prefix, then `suffix` (ASCII); span into t[at], t[at + 1]. The id
   * starts at a multiple of 4 bytes, so the prefix goes in as whole words (the last word's padding
   * is overwritten by the suffix, or lies past the span).
   */
  #putGeneratedId(t: Int32Array, at: number, suffix: string): void {
    const pw = this.#idPrefixWords;
    const plen = this.#idPrefixLen;
    const n = plen + suffix.length;
    const room = Math.max(n, pw.length * 4) + 3;
    if (this.off + room > this.bytes.length) this.#ensure(room);
    const off = (this.off + 3) & ~3;
    const w = this.#words;
    const k = off >> 2;
    for (let i = 0; i < pw.length; i++) w[k + i] = pw[i]!;
    const b = this.bytes;
    for (let i = plen; i < n; i++) b[off + i] = suffix.charCodeAt(i - plen);
    t[at] = off;
    t[at + 1] = n;
    this.off = off + n;
  }

  /** Doubles the table (the header region ran full); returns the new one. */
  #growTable(): Int32Array {
    const bigger = new Int32Array(this.table.length * 2);
    bigger.set(this.table);
    return (this.table = bigger);
  }

  #topic(name: string): number {
    if (name === this.#lastTopic) return this.#lastTopicIndex;
    let i = this.#topicIndex.get(name);
    if (i === undefined) {
      i = this.topics.length;
      this.topics.push(name);
      this.#topicIndex.set(name, i);
    }
    this.#lastTopic = name;
    this.#lastTopicIndex = i;
    return i;
  }

  /**
   * Adds one message (the batch may exceed maxMessages only if the caller ignores `count`).
   * headers: node-rdkafka's shape, one single-key object per header (names may repeat).
   * messageId: written first as the id header (the constructor's idHeaderName) without a header object
   * per message — the one header every published message carries by default. idSuffix: messageId
   * is `<idPrefix><idSuffix>` (a library-generated id, see the constructor), written from the parts.
   */
  add(
    id: number,
    topic: string,
    partition: number | null,
    key: string | Uint8Array | null,
    value: Uint8Array | null,
    headers: NativeHeaders | undefined,
    timestamp: number | null,
    messageId?: string,
    idSuffix?: string,
  ): void {
    if (this.count === this.maxMessages) throw new RangeError('BatchPacker: batch full');
    let t = this.table;
    const r = this.count * MSG_STRIDE;
    this.#put(t, r + M_KEY_OFF, key);
    if (value === null) {
      t[r + M_VAL_OFF] = 0;
      t[r + M_VAL_LEN] = -1;
    } else this.#putBytes(t, r + M_VAL_OFF, value);
    let hc = 0;
    const hdrStart = this.#hdrNext;
    if (messageId !== undefined) {
      if (this.#hdrNext + HDR_STRIDE > t.length) t = this.#growTable();
      const at = this.#hdrNext;
      if (this.#idNameOff < 0) {
        this.#putBytes(t, at, this.#idName);
        this.#idNameOff = t[at]!;
      } else {
        t[at] = this.#idNameOff;
        t[at + 1] = this.#idName.length;
      }
      if (idSuffix !== undefined && this.#idPrefixLen > 0) this.#putGeneratedId(t, at + 2, idSuffix);
      else this.#putString(t, at + 2, messageId);
      t[at + 4] = FLAG_STRING;
      this.#hdrNext += HDR_STRIDE;
      hc = 1;
    }
    if (headers !== undefined) {
      for (let j = 0; j < headers.length; j++) {
        const h = headers[j]!;
        for (const name in h) {
          if (this.#hdrNext + HDR_STRIDE > t.length) t = this.#growTable();
          const at = this.#hdrNext;
          const hv = h[name]!;
          this.#putString(t, at, name);
          this.#put(t, at + 2, hv);
          t[at + 4] = typeof hv === 'string' ? FLAG_STRING : 0;
          this.#hdrNext += HDR_STRIDE;
          hc++;
        }
      }
    }
    t[r + M_PART] = partition ?? -1;
    t[r + M_HDR_START] = hdrStart;
    t[r + M_HDR_COUNT] = hc;
    if (timestamp === null || timestamp === 0) {
      t[r + M_TS_HI] = 0;
      t[r + M_TS_LO] = 0;
    } else {
      t[r + M_TS_HI] = Math.floor(timestamp / TWO32);
      t[r + M_TS_LO] = timestamp % TWO32 | 0;
    }
    t[r + M_ID] = id;
    t[r + M_TOPIC] = this.#topic(topic);
    t[r + M_FLAGS] = typeof key === 'string' ? FLAG_STRING : 0;
    this.count++;
  }
}

/** What the addon module exports (gocoffee_producer.node, init-producer.cc). */
interface ProducerAddon {
  readonly librdkafkaVersion: string;
  errorString(code: number): string;
  Producer: new (
    global: Record<string, string>,
    topic: Record<string, string>,
    onEvents: (
      ok: Int32Array | null,
      okPos: Float64Array | null,
      failed: Int32Array | null,
      errors: Array<{ code: number; fatal: boolean; message: string }> | null,
      logs: Array<{ severity: number; fac: string; message: string }> | null,
      stats: string[] | null,
    ) => void,
    /** librdkafka wants a new OAUTHBEARER token (only with gocoffee.oauthbearer = "1"). */
    onOAuthRefresh?: () => void,
  ) => AddonProducer;
}

interface AddonProducer {
  produceBatch(topics: readonly string[], buf: Uint8Array, table: Int32Array, count: number, start: number): number;
  flush(timeoutMs: number): Promise<number>;
  metadata(options: NativeMetadataOptions): Promise<NativeMetadata>;
  close(): Promise<void>;
  stats(): { outq: number; wakeups: number; handoffs: number; queueFull: number };
  ref(on: boolean): void;
  initTransactions(timeoutMs: number): Promise<void>;
  beginTransaction(): void;
  sendOffsetsToTransaction(offsets: NativeTopicPartitionOffset[], groupMetadata: Uint8Array, timeoutMs: number): Promise<void>;
  commitTransaction(timeoutMs: number): Promise<void>;
  abortTransaction(timeoutMs: number): Promise<void>;
  /** OAUTHBEARER (addon/oauth.h): `expiresAtMs` absolute (librdkafka's md_lifetime_ms); throws {code, message}. No-op once closing. */
  setOAuthBearerToken(value: string, expiresAtMs: number, principal: string, extensions: string[]): void;
  setOAuthBearerTokenFailure(reason: string): void;
}

/** An OAUTHBEARER call of the addon: librdkafka's refusal as OAuthTokenError (GCK_OAUTH_TOKEN). */
function oauthCall(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    throw new OAuthTokenError((e as Error).message, { cause: e, context: { librdkafkaCode: (e as { code?: unknown }).code } });
  }
}

/**
 * Properties that only mean something to node-rdkafka (its JS-side switches for callbacks): the
 * addon installs its own callbacks, and librdkafka refuses callback properties set as strings.
 */
const NODE_RDKAFKA_ONLY = new Set(['dr_cb', 'dr_msg_cb', 'event_cb', 'rebalance_cb', 'offset_commit_cb', 'log_cb', 'stats_cb', 'error_cb']);

/** A node-rdkafka style property map as the addon takes it: strings, without node-rdkafka's own switches. */
export function addonConfig(conf: NativeConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(conf)) {
    if (NODE_RDKAFKA_ONLY.has(k) || v === undefined || v === null || typeof v === 'function') continue;
    out[k] = String(v);
  }
  return out;
}

/** A transaction call's timeout for the addon: whole milliseconds, never librdkafka's -1 (infinite). */
function txnTimeout(ms: number): number {
  return Number.isFinite(ms) ? Math.max(0, Math.floor(ms)) : 0;
}

/** Creates the addon's producer (librdkafka handle of its own). Throws when librdkafka refuses the configuration. */
export function createAddonBatchProducer(global: NativeConfig, topic: NativeConfig, events: BatchProducerEvents): NativeBatchProducer {
  const addon = loadAddon<ProducerAddon>('gocoffee_producer');
  const native = new addon.Producer(addonConfig(global), addonConfig(topic), (ok, okPos, failed, errors, logs, stats) => {
    if (logs !== null) for (const l of logs) events.onLog(l);
    if (errors !== null) for (const e of errors) events.onError(e);
    if (ok !== null || failed !== null) events.onReports(ok, okPos, failed);
    if (stats !== null) for (const s of stats) events.onStats(s);
  }, events.onOAuthRefresh === undefined ? undefined : () => events.onOAuthRefresh?.());
  return {
    produceBatch: (topics, buf, table, count, start) => native.produceBatch(topics, buf, table, count, start),
    flush: (timeoutMs) => native.flush(Math.max(0, Math.floor(timeoutMs))),
    metadata: (options) => native.metadata(options),
    close: () => native.close(),
    errorString: (code) => addon.errorString(code),
    ref: (on) => native.ref(on),
    initTransactions: (timeoutMs) => native.initTransactions(txnTimeout(timeoutMs)),
    beginTransaction: () => native.beginTransaction(),
    sendOffsetsToTransaction: (offsets, groupMetadata, timeoutMs) => native.sendOffsetsToTransaction(offsets, groupMetadata, txnTimeout(timeoutMs)),
    commitTransaction: (timeoutMs) => native.commitTransaction(txnTimeout(timeoutMs)),
    abortTransaction: (timeoutMs) => native.abortTransaction(txnTimeout(timeoutMs)),
    setOAuthBearerToken: (value, expiresAtMs, principal, extensions = []) => oauthCall(() => native.setOAuthBearerToken(value, expiresAtMs, principal, extensions)),
    setOAuthBearerTokenFailure: (reason) => oauthCall(() => native.setOAuthBearerTokenFailure(reason)),
  };
}
