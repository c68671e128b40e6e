import { EventEmitter } from 'node:events';
import { ConfigError } from '../config/errors.js';
import { loadAddon } from './addon.js';
import { assertConfigFeatures } from './features.js';
import { closeOutcomeError } from './lifecycle.js';
import { OAuthTokenError } from './oauth.js';
import { deliverSlab } from './slab.js';
import type {
  NativeBatchConsumer,
  NativeBatchSink,
  NativeBinding,
  NativeConfig,
  NativeError,
  NativeMetadata,
  NativeMetadataOptions,
  NativeSeekResult,
  NativeTopicPartition,
  NativeTopicPartitionOffset,
  NativeWatermarks,
} from './types.js';

/**
 * The consumer half of the batch engine (src/native/addon/consumer.cc, binding-notes/engine-consumer.md):
 * the addon drains librdkafka's consumer queue on the JS thread into slabs, one JS call per slab;
 * this module types the addon and wraps it as a node-rdkafka-like client (slab.ts reads the slabs).
 */

/** A partition of a per-partition answer: `code` 0 = ok, else librdkafka's error (the offset then means nothing). */
export type NativePartitionResult = NativeSeekResult;
/** `err`: the whole call failed (timed out, closing); else one result per partition. */
export type PartitionResultCallback = (err: NativeError | null | undefined, results: NativePartitionResult[]) => void;

/** The calls consumer control uses besides NativeBatchConsumer's (declared here until types.ts lists them). */
export interface BatchConsumerControl {
  /** rd_kafka_seek_partitions with a timeout: `code` 0 once the partition's fetcher applied it (see AddonConsumer.seek). */
  seekPartitions(offsets: NativeTopicPartitionOffset[], timeoutMs: number, cb: PartitionResultCallback): void;
  /** Commits and reports the broker's answer per partition (`err` GCK_KAFKA__TIMED_OUT: no answer in time). */
  commitWait(offsets: NativeTopicPartitionOffset[], timeoutMs: number, cb: PartitionResultCallback): void;
  /** The offset after the last message handed to the application per partition (-1001: none yet), from local state. */
  position(tps: NativeTopicPartition[]): NativeTopicPartitionOffset[];
  /** `offset` in: a timestamp (ms); out: the first offset at or after it (-1 with code 0: none, the end). */
  offsetsForTimes(tps: NativeTopicPartitionOffset[], timeoutMs: number, cb: PartitionResultCallback): void;
  /** The group's committed offsets (-1001: none), per partition. */
  committed(tps: NativeTopicPartition[], timeoutMs: number, cb: PartitionResultCallback): void;
}

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
  /** Commits on a worker; cb gets the broker's answer per partition (or err: timed out, closing). */
  commitWait(offsets: NativeTopicPartitionOffset[], timeoutMs: number, cb: PartitionResultCallback): void;
  committed(tps: NativeTopicPartition[], timeoutMs: number, cb: PartitionResultCallback): void;
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
  /**
   * rd_kafka_seek_partitions with a timeout, on a worker: per partition `code` 0 once its fetcher
   * applied the seek, else why it refused (__STATE: the fetcher has not started yet, e.g. right
   * after an assignment). Offsets: >= 0, or -2 beginning / -1 end.
   */
  seek(offsets: NativeTopicPartitionOffset[], timeoutMs: number, cb: PartitionResultCallback): void;
  /** rd_kafka_position: the offset after the last message handed to the application (-1001: none yet). */
  position(tps: NativeTopicPartition[]): NativeTopicPartitionOffset[];
  /** `offset` in: a timestamp (ms); out: the first offset at or after it (-1 with code 0: none, the end). */
  offsetsForTimes(tps: NativeTopicPartitionOffset[], timeoutMs: number, cb: PartitionResultCallback): void;
  /** librdkafka's serialised consumer group metadata (generation -1 before the consumer joined its group). */
  groupMetadata(): Buffer | null;
  /**
   * `abandoned`: the close did not finish within its deadline (10 s), or (`failure`, its text) the
   * close worker failed; the handle was destroyed without waiting longer.
   */
  close(cb: (revokedAtClose: NativeTopicPartition[], abandoned?: boolean, failure?: string) => void): void;
  stats(): BatchConsumerStats;
  /** OAUTHBEARER (addon/oauth.h): `expiresAtMs` absolute (librdkafka's md_lifetime_ms); throws {code, message}. No-op once closing. */
  setOAuthBearerToken(value: string, expiresAtMs: number, principal: string, extensions: string[]): void;
  setOAuthBearerTokenFailure(reason: string): void;
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
  /** Times librdkafka asked for a new OAUTHBEARER token (0 without gocoffee.oauthbearer). */
  oauthRefreshRequests: number;
};

export interface AddonConsumerHandlers {
  batch(count: number, bytes: ArrayBuffer, meta: Int32Array, pos: Float64Array, hdrs: Int32Array, topics: string[]): number | undefined;
  rebalance(kind: 'assign' | 'revoke' | 'error', partitions: NativeTopicPartition[], code: number): void;
  error(code: number, fatal: boolean, reason: string): void;
  log?(level: number, fac: string, message: string): void;
  stats?(json: string): void;
  /** librdkafka wants a new OAUTHBEARER token (only with gocoffee.oauthbearer = "1"). */
  oauthRefresh?(): void;
}

export interface ConsumerAddon {
  Consumer: new (config: Record<string, string>, handlers: AddonConsumerHandlers) => AddonConsumer;
  librdkafkaVersion: string;
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
export class BatchConsumer extends EventEmitter implements NativeBatchConsumer, BatchConsumerControl {
  readonly #native: AddonConsumer;
  readonly #rebalance: ((err: NativeError, tps: NativeTopicPartition[]) => void) | undefined;
  #sink: NativeBatchSink | undefined;
  #connected = false;
  #closed = false;
  #inAssign = false;
  /** The rebalance protocol as of the last assignment (COOPERATIVE or EAGER). */
  #cooperative = false;
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
      // An OAuthBearerRefresher (oauth.ts) listens when this consumer is one of its targets.
      oauthRefresh: () => {
        this.emit('oauthbearer.refresh');
      },
    });
  }

  #onBatch(count: number, bytes: ArrayBuffer, meta: Int32Array, pos: Float64Array, hdrs: Int32Array, topics: string[]): number | undefined {
    const sink = this.#sink;
    if (sink === undefined) return undefined;
    return deliverSlab(sink, count, bytes, meta, pos, hdrs, topics);
  }

  #onRebalance(kind: 'assign' | 'revoke' | 'error', partitions: NativeTopicPartition[], code: number): void {
    const cb = this.#rebalance;
    const protocol = this.#native.rebalanceProtocol();
    if (protocol === 'COOPERATIVE' || protocol === 'EAGER') this.#cooperative = protocol === 'COOPERATIVE';
    if (cb === undefined) {
      if (kind === 'revoke') {
        // The protocol as of the last assignment (NONE in the final revoke of a close).
        if (this.#cooperative) this.#native.incrementalUnassign(partitions);
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
    this.#native.close((revoked, abandoned, failure) => {
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
      const err = closeOutcomeError(abandoned === true, failure);
      for (const w of waiters) w(err);
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
  committed(toppars: NativeTopicPartition[], timeout: number, cb: PartitionResultCallback): void {
    this.#native.committed(toppars, timeout, cb);
  }
  commitWait(offsets: NativeTopicPartitionOffset[], timeoutMs: number, cb: PartitionResultCallback): void {
    this.#native.commitWait(offsets, timeoutMs, cb);
  }
  assignments(): NativeTopicPartition[] {
    return this.#native.assignments();
  }
  /** Moves the fetch positions, answered per partition once applied (prefetched messages of the partitions are dropped). */
  seekPartitions(offsets: NativeTopicPartitionOffset[], timeoutMs: number, cb: PartitionResultCallback): void {
    this.#native.seek(offsets, timeoutMs, cb);
  }
  /** The offset after the last message handed to the application per partition (-1001 when none yet), from local state. */
  position(toppars: NativeTopicPartition[]): NativeTopicPartitionOffset[] {
    return this.#native.position(toppars);
  }
  offsetsForTimes(toppars: NativeTopicPartitionOffset[], timeout: number, cb: PartitionResultCallback): void {
    this.#native.offsetsForTimes(toppars, timeout, cb);
  }
  /** For a transactional producer's sendOffsets (librdkafka's metadata has generation -1 before the consumer joined its group). */
  groupMetadata(): Buffer | null {
    return this.#native.groupMetadata();
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

  /**
   * OAUTHBEARER: the token librdkafka sends from now on (an OAuthBearerRefresher target).
   * `expiresAtMs` is absolute (ms since the epoch). Throws OAuthTokenError when librdkafka refuses
   * it (expired, bad characters, the consumer does not use OAUTHBEARER). A no-op once closed.
   */
  setOAuthBearerToken(value: string, expiresAtMs: number, principal: string, extensions: string[] = []): void {
    try {
      this.#native.setOAuthBearerToken(value, expiresAtMs, principal, extensions);
    } catch (e) {
      throw new OAuthTokenError((e as Error).message, { cause: e, context: { librdkafkaCode: (e as { code?: unknown }).code } });
    }
  }

  /** OAUTHBEARER: the token provider failed; librdkafka keeps the current token and reports an authentication error. */
  setOAuthBearerTokenFailure(reason: string): void {
    try {
      this.#native.setOAuthBearerTokenFailure(reason);
    } catch (e) {
      throw new OAuthTokenError((e as Error).message, { cause: e, context: { librdkafkaCode: (e as { code?: unknown }).code } });
    }
  }
}

/** Builds a batch consumer on the project's addon. */
export function newBatchConsumer(global: NativeConfig, topic: NativeConfig): BatchConsumer {
  return new BatchConsumer(loadAddon<ConsumerAddon>('gocoffee_consumer'), global, topic);
}

/**
 * Creates a batch consumer through a binding (the seam unit tests replace): feature checks and
 * ConfigError as for every native client (native/features.ts assertConfigFeatures).
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
