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

/** Short strings are usually ASCII: a JS loop beats Buffer#write's native call for them. -1 = not ASCII. */
function asciiWrite(buf: Uint8Array, s: string, at: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    buf[at + i] = c;
  }
  return s.length;
}

/**
 * Packs messages for one produceBatch() call. Never refuses a message: the byte buffer and the table
 * grow (a single message larger than the buffer makes it larger); the caller decides when a batch
 * is full (`count`, `bytes`). Reusable: reset() once produceBatch returned (the addon copies).
 */
export class BatchPacker {
  bytes: Buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  table: Int32Array;
  count = 0;
  /** Bytes used in `bytes`. */
  off = 0;
  readonly topics: string[] = [];
  readonly #topicIndex = new Map<string, number>();
  readonly #hdrBase: number;
  #hdrNext: number;
  #len = 0;

  readonly #idName: Buffer;

  /**
   * `idHeaderName`: the header a message id is written under (the caller passes message/headers.ts
   * HEADERS.MESSAGE_ID; native/ does not import message/, which sits above it).
   */
  constructor(readonly maxMessages: number, idHeaderName: string) {
    this.#idName = Buffer.from(idHeaderName, 'latin1');
    this.#hdrBase = maxMessages * MSG_STRIDE;
    this.table = new Int32Array(this.#hdrBase + 4 * maxMessages * HDR_STRIDE);
    this.#hdrNext = this.#hdrBase;
  }

  reset(): void {
    this.count = 0;
    this.off = 0;
    this.#hdrNext = this.#hdrBase;
    if (this.topics.length > 16) {
      this.topics.length = 0;
      this.#topicIndex.clear();
    }
    // A huge message grew the buffer: give the memory back.
    if (this.bytes.length > 4 * INITIAL_BYTES) this.bytes = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  }

  #ensure(n: number): void {
    if (this.off + n <= this.bytes.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.off + n));
    next.set(this.bytes.subarray(0, this.off), 0);
    this.bytes = next;
  }

  /** Writes a span; returns its offset and leaves its length (-1 = null) in #len. */
  #span(v: string | Uint8Array | null | undefined): number {
    if (v === null || v === undefined) {
      this.#len = -1;
      return 0;
    }
    const at = this.off;
    if (typeof v === 'string') {
      let len = v.length <= 64 ? (this.#ensure(v.length), asciiWrite(this.bytes, v, at)) : -1;
      if (len < 0) {
        this.#ensure(Buffer.byteLength(v));
        len = this.bytes.write(v, at);
      }
      this.#len = len;
    } else {
      this.#ensure(v.byteLength);
      this.bytes.set(v, at);
      this.#len = v.byteLength;
    }
    this.off += this.#len;
    return at;
  }

  /** Doubles the table (the header region ran full); returns the new one. */
  #growTable(): Int32Array {
    const bigger = new Int32Array(this.table.length * 2);
    bigger.set(this.table);
    return (this.table = bigger);
  }

  #topic(name: string): number {
    let i = this.#topicIndex.get(name);
    if (i === undefined) {
      i = this.topics.length;
      this.topics.push(name);
      this.#topicIndex.set(name, i);
    }
    return i;
  }

  /**
   * Adds one message (the batch may exceed maxMessages only if the caller ignores `count`).
   * headers: node-rdkafka's shape, one single-key object per header (names may repeat).
   * messageId: written first as the id header (the constructor's idHeaderName) without a header object
   * per message — the one header every published message carries by default.
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
  ): void {
    if (this.count === this.maxMessages) throw new RangeError('BatchPacker: batch full');
    let t = this.table;
    const r = this.count * MSG_STRIDE;
    t[r + M_KEY_OFF] = this.#span(key);
    t[r + M_KEY_LEN] = this.#len;
    t[r + M_VAL_OFF] = this.#span(value);
    t[r + M_VAL_LEN] = this.#len;
    let hc = 0;
    const hdrStart = this.#hdrNext;
    if (messageId !== undefined) {
      if (this.#hdrNext + HDR_STRIDE > t.length) t = this.#growTable();
      const at = this.#hdrNext;
      t[at] = this.#span(this.#idName);
      t[at + 1] = this.#len;
      t[at + 2] = this.#span(messageId);
      t[at + 3] = this.#len;
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
          t[at] = this.#span(name);
          t[at + 1] = this.#len;
          t[at + 2] = this.#span(hv);
          t[at + 3] = this.#len;
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
