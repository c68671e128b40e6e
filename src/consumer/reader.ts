import { checkIntegerOption, InvalidArgumentError, MAX_PARTITION, MAX_TIMER_MS, StateError } from '../errors/base.js';
import { fromNativeError, RD } from '../errors/librdkafka.js';
import { createBatchConsumerClient } from '../native/batch-consumer.js';
import { connectClient, disconnectClient } from '../native/lifecycle.js';
import type {
  NativeBatchConsumer,
  NativeBatchSink,
  NativeBinding,
  NativeConfig,
  NativeConsumer,
  NativeError,
  NativeMessage,
  NativeTopicPartition,
  NativeTopicPartitionOffset,
} from '../native/types.js';
import { resumeAndWake, tpKey } from './group/backpressure.js';
import type { ConsumedMessage } from '../message/consumed.js';
import { ReaderBuffer } from './reader-buffer.js';

type State = 'idle' | 'connecting' | 'ready' | 'closed' | 'failed';

/** Bounds of a Reader's fetch buffer (all optional; ConnectionManager.getReader uses the defaults). */
export interface ReaderOptions {
  /** Messages per fetched slab (one engine call each). Default 500. */
  readonly fetchBatchSize?: number;
  /**
   * Fetched messages the reader holds for read(): at this many, fetching pauses (every assigned
   * partition) until read() has taken the buffer down to half. Default 1000.
   */
  readonly bufferMessages?: number;
  /** The same bound in value bytes (checked after each slab: one slab may pass it). Default 16 MiB. */
  readonly bufferBytes?: number;
}

const DEFAULTS = { fetchBatchSize: 500, bufferMessages: 1000, bufferBytes: 16 * 1024 * 1024 };

/**
 * A low-level, pull-style reader of one topic in one consumer group (the seed's `GetReader`).
 * It stores nothing automatically: `commit(messages)` stores and commits offsets after the caller
 * processed them, so a crash re-delivers instead of losing. The handler-based `Consumer` builds on
 * the same engine consumer for parallel processing.
 *
 * It fetches through the batch engine (native/batch-consumer.ts): slabs are pushed into a bounded
 * buffer (reader-buffer.ts; fetching pauses when it is full) and read() hands them out. A message
 * is returned once per assignment; messages buffered for a partition that is revoked are dropped
 * unreturned (the partition's next owner reads them from the committed offset).
 */
export class Reader {
  readonly topic: string;
  readonly groupId: string;
  readonly #binding: NativeBinding;
  readonly #global: NativeConfig;
  readonly #topicConf: NativeConfig;
  readonly #connectTimeoutMs: number;
  readonly #slab: number;
  /** Fetched slabs and consume errors, in fetch order: an error is thrown by the read() that meets it first. */
  readonly #buffer: ReaderBuffer;
  #native: NativeBatchConsumer | undefined;
  #state: State = 'idle';
  #connecting: Promise<void> | undefined;
  /** The buffer reached its bound: these partitions are paused until read() took it down to half. */
  #full = false;
  #paused: NativeTopicPartition[] = [];
  #waiters: Array<() => void> = [];
  #closing: Promise<void> | undefined;

  constructor(binding: NativeBinding, global: NativeConfig, topicConf: NativeConfig, topic: string, groupId: string, connectTimeoutMs: number, options: ReaderOptions = {}) {
    this.#binding = binding;
    this.#global = global;
    this.#topicConf = topicConf;
    this.topic = topic;
    this.groupId = groupId;
    this.#connectTimeoutMs = connectTimeoutMs;
    const o = { ...DEFAULTS, ...options };
    checkIntegerOption('Reader option fetchBatchSize', o.fetchBatchSize, 1, 1_000_000);
    checkIntegerOption('Reader option bufferMessages', o.bufferMessages, 1, 10_000_000);
    checkIntegerOption('Reader option bufferBytes', o.bufferBytes, 1, Number.MAX_SAFE_INTEGER);
    this.#slab = Math.min(o.fetchBatchSize, o.bufferMessages);
    this.#buffer = new ReaderBuffer(o.bufferMessages, o.bufferBytes);
  }

  get state(): State {
    return this.#state;
  }

  /** Fetched messages waiting for read() (never more than `bufferMessages`). */
  get buffered(): number {
    return this.#buffer.count;
  }

  /**
   * Connects and subscribes. Rejects with ConfigError when librdkafka refuses the consumer
   * configuration, with ConnectionError when the cluster cannot be reached; the reader is then
   * `failed` (ConnectionManager.getReader makes a new one).
   */
  connect(): Promise<void> {
    if (this.#connecting !== undefined && (this.#state === 'connecting' || this.#state === 'ready')) return this.#connecting;
    if (this.#state !== 'idle') return Promise.reject(new StateError('Reader', 'connect', this.#state, ['idle']));
    let native: NativeBatchConsumer;
    try {
      native = createBatchConsumerClient(
        this.#binding,
        // gocoffee.batch: the slab bound (the engine's own option); the rebalance callback drops
        // what the buffer holds of revoked partitions.
        { ...this.#global, 'gocoffee.batch': this.#slab, rebalance_cb: ((err: NativeError, tps: NativeTopicPartition[]) => this.#onRebalance(err, tps)) as never },
        this.#topicConf,
      );
    } catch (e) {
      this.#state = 'failed';
      return Promise.reject(e as Error);
    }
    this.#state = 'connecting';
    this.#native = native;
    // Error events are librdkafka's own reports (it retries); a fatal one ends the consumer: read() throws it.
    native.on('event.error', (err) => {
      if (err.isFatal === true && this.#state === 'ready') this.#pushError(fromNativeError(err, `consume from ${this.topic}`, { topic: this.topic, groupId: this.groupId }));
    });
    this.#connecting = connectClient(native, this.#connectTimeoutMs, `Kafka cluster ${String(this.#global['bootstrap.servers'])}`).then(
      () => {
        if (this.#state !== 'connecting') return; // closed meanwhile: close() disconnects
        try {
          native.subscribe([this.topic]);
        } catch (e) {
          this.#state = 'failed';
          void disconnectClient(native as unknown as NativeConsumer, 5000);
          throw fromNativeError(e as NativeError, `subscribe to ${this.topic}`, { topic: this.topic, groupId: this.groupId });
        }
        this.#state = 'ready';
        native.startFetching(this.#sink());
      },
      (err: unknown) => {
        this.#state = 'failed'; // connectClient has already closed the client
        throw err;
      },
    );
    return this.#connecting;
  }

  #sink(): NativeBatchSink {
    return {
      batch: (msgs) => this.#onBatch(msgs),
      error: (e) => {
        if (this.#state === 'ready') this.#pushError(fromNativeError(e, `consume from ${this.topic}`, { topic: this.topic, groupId: this.groupId }));
      },
      // Never more than the buffer has room for (at least 1: a full buffer has paused every partition).
      room: () => this.#buffer.room(this.#slab),
    };
  }

  #onBatch(msgs: NativeMessage[]): void {
    if (this.#state !== 'ready' || msgs.length === 0) return;
    const full = this.#buffer.push(msgs);
    if (!this.#full && full) this.#pauseAll();
    this.#wake();
  }

  /** A consume error, after the messages fetched before it; a repeat of the last one is not queued twice. */
  #pushError(err: Error & { code?: unknown }): void {
    if (this.#buffer.pushError(err)) this.#wake();
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Resolves when something was buffered (or the reader closed), or after `ms`. */
  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(done);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve();
      }, Math.min(ms, MAX_TIMER_MS));
      this.#waiters.push(done);
    });
  }

  #pauseAll(): void {
    const native = this.#native!;
    this.#full = true;
    try {
      const tps = native.assignments();
      if (tps.length > 0) native.pause(tps);
      this.#paused = tps;
    } catch {
      /* closing, or a rebalance under way: the assign callback pauses what it adds */
    }
  }

  #resumeIfDrained(): void {
    if (!this.#full || !this.#buffer.drained()) return;
    this.#full = false;
    const tps = this.#paused;
    this.#paused = [];
    if (tps.length === 0) return;
    try {
      if (this.#native !== undefined) resumeAndWake(this.#native, tps);
    } catch {
      /* closing */
    }
  }

  /**
   * Reads up to `max` messages, waiting at most `timeoutMs` for the first one (what is already
   * fetched is returned at once). Rejects with KafkaError on a consumer error; an error met after
   * messages this call returns is thrown by the next read() instead, so that no message is lost.
   * A read() waiting when the reader is closed resolves with [].
   */
  async read(max = 100, timeoutMs = 1000): Promise<ConsumedMessage[]> {
    if (this.#state === 'connecting') await this.#connecting;
    if (this.#state !== 'ready' || this.#native === undefined) throw new StateError('Reader', 'read', this.#state, ['ready']);
    const n = max >= 1 ? Math.floor(max) : 1;
    let deadline: number | undefined;
    for (;;) {
      const head = this.#buffer.peek();
      if (head instanceof Error) {
        this.#buffer.shift();
        throw head;
      }
      if (head !== undefined) return this.#take(n);
      deadline ??= Date.now() + timeoutMs;
      const left = deadline - Date.now();
      if (!(left > 0)) return [];
      await this.#wait(left);
      if (this.#state !== 'ready') return [];
    }
  }

  /** Up to `max` buffered messages, stopping at a queued error; resumes fetching once drained. */
  #take(max: number): ConsumedMessage[] {
    const out = this.#buffer.take(max);
    this.#resumeIfDrained();
    return out;
  }

  /** librdkafka's rebalance callback (JS thread, inside a drain): nothing may escape it. */
  #onRebalance(err: NativeError, tps: NativeTopicPartition[]): void {
    const native = this.#native;
    if (native === undefined) return;
    try {
      const cooperative = native.rebalanceProtocol() === 'COOPERATIVE';
      if (err.code === RD.ERR__ASSIGN_PARTITIONS) {
        // The engine applied it already (these are no-ops there); a binding that did not, applies it here.
        if (cooperative) native.incrementalAssign(tps);
        else native.assign(tps);
        if (this.#full && tps.length > 0 && this.#state === 'ready') {
          native.pause(tps);
          this.#paused = this.#paused.concat(tps);
        }
        return;
      }
      if (err.code === RD.ERR__REVOKE_PARTITIONS) {
        this.#buffer.drop(tps);
        const gone = new Set(tps.map((tp) => tpKey(tp.topic, tp.partition)));
        const resume = this.#paused.filter((tp) => gone.has(tpKey(tp.topic, tp.partition)));
        this.#paused = this.#paused.filter((tp) => !gone.has(tpKey(tp.topic, tp.partition)));
        // Paused by us: resumed before they are given up, so that a later assignment does not start paused.
        if (resume.length > 0) native.resume(resume);
        if (cooperative) native.incrementalUnassign(tps);
        else native.unassign();
        this.#resumeIfDrained();
        return;
      }
      // A rebalance error: the assignment is dropped (the engine did), and with it the buffer.
      this.#buffer.drop(undefined);
      this.#paused = [];
      this.#resumeIfDrained();
    } catch {
      /* closing: the close finishes the rebalance */
    }
  }

  /**
   * Stores and commits the offsets after these messages (highest per partition). Throws
   * KafkaError when librdkafka refuses (e.g. the partition is no longer assigned to this reader).
   */
  commit(messages: readonly ConsumedMessage[]): void {
    const native = this.#native;
    if (this.#state !== 'ready' || native === undefined) throw new StateError('Reader', 'commit', this.#state, ['ready']);
    const next = new Map<number, NativeTopicPartitionOffset>();
    for (const m of messages) {
      const cur = next.get(m.partition);
      if (cur === undefined || cur.offset < m.offset + 1) next.set(m.partition, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
    }
    if (next.size === 0) return;
    const offsets = [...next.values()];
    try {
      native.offsetsStore(offsets);
      native.commit(offsets);
    } catch (e) {
      throw fromNativeError(e as NativeError, `commit offsets of ${this.topic} (group ${this.groupId})`, { topic: this.topic, groupId: this.groupId });
    }
  }

  /**
   * Committed offsets of the given partitions of this reader's topic. Partitions that are not
   * non-negative integers, or a timeout that is not an integer from 1 to MAX_TIMER_MS, reject with
   * InvalidArgumentError naming it.
   */
  committed(partitions: readonly number[], timeoutMs = 5000): Promise<NativeTopicPartitionOffset[]> {
    try {
      if (!Array.isArray(partitions)) throw new InvalidArgumentError('committed(partitions)', 'expected an array of partition numbers', { topic: this.topic });
      partitions.forEach((p, i) => checkIntegerOption(`committed(partitions)[${i}]`, p, 0, MAX_PARTITION, { topic: this.topic }));
      checkIntegerOption('committed(timeoutMs)', timeoutMs, 1, MAX_TIMER_MS, { topic: this.topic });
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const native = this.#native;
    if (this.#state !== 'ready' || native === undefined) return Promise.reject(new StateError('Reader', 'committed', this.#state, ['ready']));
    return new Promise((resolve, reject) => {
      native.committed(
        partitions.map((p) => ({ topic: this.topic, partition: p })),
        timeoutMs,
        (err, tps) => (err ? reject(fromNativeError(err, 'committed offsets')) : resolve(tps)),
      );
    });
  }

  /** Leaves the group. Buffered messages are dropped unreturned (not committed: delivered again). */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#state === 'connecting') await this.#connecting?.catch(() => undefined);
    const native = this.#native;
    this.#state = 'closed';
    this.#buffer.clear();
    this.#paused = [];
    this.#wake();
    if (native !== undefined && native.isConnected()) {
      native.stopFetching();
      try {
        native.unsubscribe();
      } catch {
        /* already gone */
      }
      await disconnectClient(native as unknown as NativeConsumer, 5000);
      native.removeAllListeners();
    }
  }
}
