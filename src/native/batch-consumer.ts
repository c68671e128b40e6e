import { EventEmitter } from 'node:events';
import { ConfigError } from '../config/errors.js';
import { loadAddon } from './addon.js';
import { assertConfigFeatures } from './features.js';
import type {
  NativeBatchConsumer,
  NativeBatchSink,
  NativeBinding,
  NativeConfig,
  NativeError,
  NativeHeaders,
  NativeMessage,
  NativeMetadata,
  NativeMetadataOptions,
  NativeTopicPartition,
  NativeTopicPartitionOffset,
  NativeWatermarks,
} from './types.js';

/**
 * The consumer half of the batch engine (src/native/addon/consumer.cc, binding-notes/engine-consumer.md):
 * the addon drains librdkafka's consumer queue on the JS thread into slabs, one JS call per slab;
 * this module types the addon and wraps each slab as lazy message views.
 *
 * A slab: `bytes` holds every key, value, header name and header value back to back; `meta` has
 * META_STRIDE ints per message, `pos` 2 doubles per message (offset, timestamp), `hdrs` 4 ints per
 * header (name off/len, value off/len; -1 = null). Offsets and lengths are into `bytes`.
 */
export const META_STRIDE = 10;
const M_TOPIC = 0;
const M_PARTITION = 1;
const M_KEY_OFF = 2;
const M_KEY_LEN = 3;
const M_VAL_OFF = 4;
const M_VAL_LEN = 5;
const M_HDR_START = 6;
const M_HDR_COUNT = 7;
const M_ERR = 8;
const M_TS_TYPE = 9;
const POS_STRIDE = 2;
const HDR_STRIDE = 4;
const ERR_PARTITION_EOF = -191;

/** The addon's consumer class (gocoffee_consumer.node). */
export interface AddonConsumer {
  subscribe(topics: string[]): void;
  unsubscribe(): void;
  start(): void;
  stop(): void;
  setRoom(n: number): void;
  metadata(timeoutMs: number, cb: (err: NativeError | null, brokers: number) => void): void;
  storeOffsets(offsets: NativeTopicPartitionOffset[]): void;
  commit(offsets: NativeTopicPartitionOffset[] | null): void;
  commitSync(offsets: NativeTopicPartitionOffset[] | null): void;
  committed(tps: NativeTopicPartition[], timeoutMs: number, cb: (err: NativeError | null, offsets: NativeTopicPartitionOffset[]) => void): void;
  pause(tps: NativeTopicPartition[]): void;
  resume(tps: NativeTopicPartition[]): void;
  assign(tps: NativeTopicPartition[]): void;
  unassign(): void;
  incrementalAssign(tps: NativeTopicPartition[]): void;
  incrementalUnassign(tps: NativeTopicPartition[]): void;
  assignments(): NativeTopicPartition[];
  rebalanceProtocol(): string;
  getWatermarkOffsets(topic: string, partition: number): NativeWatermarks;
  queryWatermarkOffsets(topic: string, partition: number, timeoutMs: number, cb?: (err: NativeError | null, wm: NativeWatermarks) => void): void;
  close(cb: (revokedAtClose: NativeTopicPartition[]) => void): void;
  stats(): BatchConsumerStats;
}

/** Counters of the batch engine's consumer (also in GroupConsumer.engineStats). */
export type BatchConsumerStats = {
  wakeups: number;
  slabs: number;
  messages: number;
  /** Bytes of every slab handed to JS (keys, values, headers). */
  slabBytes: number;
  maxSlabBytes: number;
  /** The slab bound: gocoffee.batch (the consumer's fetchBatchSize). */
  maxSlabMessages: number;
  rebalances: number;
  errors: number;
};

export interface AddonConsumerHandlers {
  batch(count: number, bytes: ArrayBuffer, meta: Int32Array, pos: Float64Array, hdrs: Int32Array, topics: string[]): number | undefined;
  rebalance(kind: 'assign' | 'revoke' | 'error', partitions: NativeTopicPartition[], code: number): void;
  error(code: number, fatal: boolean, reason: string): void;
  log?(level: number, fac: string, message: string): void;
  stats?(json: string): void;
}

export interface ConsumerAddon {
  Consumer: new (config: Record<string, string>, handlers: AddonConsumerHandlers) => AddonConsumer;
  librdkafkaVersion: string;
}

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
    if (this.#value === undefined) {
      const m = this.#i * META_STRIDE;
      this.#value = this.#slab.bytes(this.#slab.meta[m + M_VAL_OFF]!, this.#slab.meta[m + M_VAL_LEN]!);
    }
    return this.#value;
  }

  get size(): number {
    const len = this.#slab.meta[this.#i * META_STRIDE + M_VAL_LEN]!;
    return len < 0 ? 0 : len;
  }

  get key(): Buffer | null {
    if (this.#key === undefined) {
      const m = this.#i * META_STRIDE;
      this.#key = this.#slab.bytes(this.#slab.meta[m + M_KEY_OFF]!, this.#slab.meta[m + M_KEY_LEN]!);
    }
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

/** node-rdkafka's own switches (the addon installs its callbacks; librdkafka refuses them as strings). */
const NODE_RDKAFKA_ONLY = new Set(['dr_cb', 'dr_msg_cb', 'event_cb', 'rebalance_cb', 'offset_commit_cb', 'log_cb', 'stats_cb', 'error_cb']);

/**
 * Engine defaults (a `librdkafka:` override wins). librdkafka's fetch.queue.backoff.ms=1000 postpones
 * the next fetch by a whole second whenever the local queue holds more than queued.min.messages
 * (100000): a batch consumer that drains 1000 per slab crosses that often and ran at a fifth of its
 * rate (native-spike NOTES §4.2: 0.42M vs 1.94M msgs/s with 10 ms).
 */
const ENGINE_DEFAULTS: Readonly<Record<string, string>> = { 'fetch.queue.backoff.ms': '10' };

function stringConfig(global: NativeConfig, topic: NativeConfig): { config: Record<string, string>; rebalance: undefined | ((err: NativeError, tps: NativeTopicPartition[]) => void) } {
  const config: Record<string, string> = { ...ENGINE_DEFAULTS };
  let rebalance: ((err: NativeError, tps: NativeTopicPartition[]) => void) | undefined;
  // Topic-level properties are accepted by librdkafka's global configuration (default topic conf).
  for (const src of [global, topic]) {
    for (const [k, v] of Object.entries(src)) {
      if (k === 'rebalance_cb' && typeof v === 'function') rebalance = v as never;
      if (typeof v === 'function' || v === undefined || v === null) continue;
      if (NODE_RDKAFKA_ONLY.has(k)) continue;
      config[k] = String(v);
    }
  }
  return { config, rebalance };
}

/**
 * The batch consumer: node-rdkafka KafkaConsumer's surface the library uses (connect, subscribe,
 * offsets, commits, pause/resume, rebalance callback given as `rebalance_cb` in the configuration,
 * 'event.error' / 'event.log' / 'event.stats') plus `startFetching(sink)`: one sink.batch call per
 * slab instead of consume(n).
 *
 * Rebalances: an assignment is applied by the addon before `rebalance_cb` runs (so
 * incrementalAssign/assign called from it are no-ops); a revoke waits for `incrementalUnassign` /
 * `unassign` from JS. The revoke served by close() is applied in C++ and reported to `rebalance_cb`
 * after the close (its unassign is then a no-op).
 */
export class BatchConsumer extends EventEmitter implements NativeBatchConsumer {
  readonly #native: AddonConsumer;
  readonly #rebalance: ((err: NativeError, tps: NativeTopicPartition[]) => void) | undefined;
  #sink: NativeBatchSink | undefined;
  #connected = false;
  #closed = false;
  #inAssign = false;
  #closeWaiters: Array<(err: unknown) => void> | undefined;

  constructor(addon: ConsumerAddon, global: NativeConfig, topic: NativeConfig = {}) {
    super();
    const { config, rebalance } = stringConfig(global, topic);
    this.#rebalance = rebalance;
    this.#native = new addon.Consumer(config, {
      batch: (count, bytes, meta, pos, hdrs, topics) => this.#onBatch(count, bytes, meta, pos, hdrs, topics),
      rebalance: (kind, partitions, code) => this.#onRebalance(kind, partitions, code),
      error: (code, fatal, reason) => {
        this.emit('event.error', Object.assign(new Error(reason), { code, isFatal: fatal, origin: 'kafka' }));
      },
      log: (severity, fac, message) => {
        if (this.listenerCount('event.log') > 0) this.emit('event.log', { severity, fac, message });
      },
      stats: (json) => {
        if (this.listenerCount('event.stats') > 0) this.emit('event.stats', { message: json });
      },
    });
  }

  #onBatch(count: number, bytes: ArrayBuffer, meta: Int32Array, pos: Float64Array, hdrs: Int32Array, topics: string[]): number | undefined {
    const sink = this.#sink;
    if (sink === undefined) return undefined;
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
        const text = slab.bytes(meta[i * META_STRIDE + M_VAL_OFF]!, meta[i * META_STRIDE + M_VAL_LEN]!)?.toString('utf8') ?? `librdkafka error ${code}`;
        (errors ??= []).push(Object.assign(new Error(text), { code }));
      }
    }
    msgs.length = n;
    if (n > 0) sink.batch(msgs);
    if (errors !== undefined) for (const e of errors) sink.error(e);
    return sink.room();
  }

  #onRebalance(kind: 'assign' | 'revoke' | 'error', partitions: NativeTopicPartition[], code: number): void {
    const cb = this.#rebalance;
    if (cb === undefined) {
      if (kind === 'revoke') {
        if (this.#native.rebalanceProtocol() === 'COOPERATIVE') this.#native.incrementalUnassign(partitions);
        else this.#native.unassign();
      }
      return;
    }
    this.#inAssign = kind === 'assign';
    try {
      cb(Object.assign(new Error(kind), { code }), partitions);
    } finally {
      this.#inAssign = false;
    }
  }

  /** The engine's counters: slabs and slab bytes handed to JS, wake-ups, rebalances. */
  engineStats(): BatchConsumerStats {
    return this.#native.stats();
  }

  startFetching(sink: NativeBatchSink): void {
    this.#sink = sink;
    this.#native.setRoom(sink.room());
    this.#native.start();
  }

  stopFetching(): void {
    this.#native.stop();
  }

  connect(options: NativeMetadataOptions, cb: (err: NativeError | null | undefined, md: NativeMetadata) => void): this {
    this.#native.metadata(options.timeout ?? 30_000, (err, brokers) => {
      if (err === null) this.#connected = true;
      cb(err === null ? null : Object.assign(new Error(err.message), { code: err.code }), { orig_broker_id: -1, orig_broker_name: '', topics: [], brokers: new Array(brokers).fill(undefined).map((_, id) => ({ id, host: '', port: 0 })) });
    });
    return this;
  }

  isConnected(): boolean {
    return this.#connected && !this.#closed;
  }

  getMetadata(_options: NativeMetadataOptions, cb: (err: NativeError | null | undefined, md: NativeMetadata) => void): this {
    setImmediate(() => cb({ code: -1, message: 'getMetadata is not served by the batch consumer (use the admin client)' }, undefined as unknown as NativeMetadata));
    return this;
  }

  queryWatermarkOffsets(topic: string, partition: number, timeout: number, cb: (err: NativeError | null | undefined, wm: NativeWatermarks) => void): this {
    this.#native.queryWatermarkOffsets(topic, partition, timeout, cb);
    return this;
  }

  /** Leaves the group and destroys the handle (on a worker thread). Idempotent. */
  disconnect(cb: (err: unknown) => void): this {
    if (this.#closeWaiters !== undefined) {
      this.#closeWaiters.push(cb);
      return this;
    }
    if (this.#closed) {
      setImmediate(() => cb(null));
      return this;
    }
    const waiters = (this.#closeWaiters = [cb]);
    this.#native.close((revoked) => {
      this.#closed = true;
      this.#connected = false;
      this.#closeWaiters = undefined;
      this.#sink = undefined;
      // The revoke librdkafka served inside the close, applied in C++: reported now.
      if (revoked.length > 0 && this.#rebalance !== undefined) {
        try {
          this.#rebalance(Object.assign(new Error('revoke'), { code: -174 }), revoked);
        } catch {
          /* the callback guards itself */
        }
      }
      this.emit('disconnected');
      for (const w of waiters) w(null);
    });
    return this;
  }

  subscribe(topics: string[]): this {
    this.#native.subscribe(topics);
    return this;
  }
  unsubscribe(): this {
    this.#native.unsubscribe();
    return this;
  }
  offsetsStore(offsets: NativeTopicPartitionOffset[]): void {
    this.#native.storeOffsets(offsets);
  }
  commit(offsets?: NativeTopicPartitionOffset[]): void {
    this.#native.commit(offsets ?? null);
  }
  commitSync(offsets: NativeTopicPartitionOffset[] | null): void {
    this.#native.commitSync(offsets);
  }
  committed(toppars: NativeTopicPartition[], timeout: number, cb: (err: NativeError | null | undefined, offsets: NativeTopicPartitionOffset[]) => void): void {
    this.#native.committed(toppars, timeout, cb);
  }
  assignments(): NativeTopicPartition[] {
    return this.#native.assignments();
  }
  /** From inside rebalance_cb's assign: a no-op (the addon applied it). */
  incrementalAssign(toppars: NativeTopicPartition[]): void {
    if (!this.#inAssign) this.#native.incrementalAssign(toppars);
  }
  incrementalUnassign(toppars: NativeTopicPartition[]): void {
    this.#native.incrementalUnassign(toppars);
  }
  /** From inside rebalance_cb's assign: a no-op (the addon applied it). */
  assign(toppars: NativeTopicPartition[]): void {
    if (!this.#inAssign) this.#native.assign(toppars);
  }
  unassign(): void {
    this.#native.unassign();
  }
  rebalanceProtocol(): string {
    return this.#native.rebalanceProtocol();
  }
  pause(toppars: NativeTopicPartition[]): void {
    this.#native.pause(toppars);
  }
  resume(toppars: NativeTopicPartition[]): void {
    this.#native.resume(toppars);
  }
  getWatermarkOffsets(topic: string, partition: number): NativeWatermarks {
    return this.#native.getWatermarkOffsets(topic, partition);
  }
}

/** Builds a batch consumer on the project's addon. */
export function newBatchConsumer(global: NativeConfig, topic: NativeConfig): BatchConsumer {
  return new BatchConsumer(loadAddon<ConsumerAddon>('gocoffee_consumer'), global, topic);
}

/**
 * Creates a batch consumer through a binding (the seam unit tests replace): feature checks and
 * ConfigError as for every native client (native/lifecycle.ts).
 */
export function createBatchConsumerClient(binding: NativeBinding, global: NativeConfig, topic: NativeConfig): NativeBatchConsumer {
  assertConfigFeatures(binding, global, topic);
  if (binding.createBatchConsumer === undefined) throw new Error('this binding has no batch consumer');
  try {
    return binding.createBatchConsumer(global, topic);
  } catch (e) {
    throw new ConfigError([{ path: 'kafka.librdkafka', message: `librdkafka refused the consumer configuration: ${(e as Error)?.message ?? String(e)}` }], { cause: e });
  }
}
