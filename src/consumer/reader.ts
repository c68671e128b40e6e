import { StateError } from '../errors/base.js';
import { fromNativeError } from '../errors/librdkafka.js';
import { connectClient, createConsumerClient, disconnectClient } from '../native/lifecycle.js';
import type { NativeBinding, NativeConfig, NativeConsumer, NativeError, NativeTopicPartitionOffset } from '../native/types.js';
import { ConsumedMessage } from './message.js';

type State = 'idle' | 'connecting' | 'ready' | 'closed' | 'failed';

/**
 * A low-level, pull-style reader of one topic in one consumer group (the seed's `GetReader`).
 * It stores nothing automatically: `commit(messages)` stores and commits offsets after the caller
 * processed them, so a crash re-delivers instead of losing. The handler-based `Consumer` builds on
 * the same native consumer for parallel processing.
 */
export class Reader {
  readonly topic: string;
  readonly groupId: string;
  readonly #binding: NativeBinding;
  readonly #global: NativeConfig;
  readonly #topicConf: NativeConfig;
  readonly #connectTimeoutMs: number;
  #native: NativeConsumer | undefined;
  #state: State = 'idle';
  #connecting: Promise<void> | undefined;
  /** A consume error met after read() had taken messages: thrown by the next read(). */
  #deferred: Error | undefined;

  constructor(binding: NativeBinding, global: NativeConfig, topicConf: NativeConfig, topic: string, groupId: string, connectTimeoutMs: number) {
    this.#binding = binding;
    this.#global = global;
    this.#topicConf = topicConf;
    this.topic = topic;
    this.groupId = groupId;
    this.#connectTimeoutMs = connectTimeoutMs;
  }

  get state(): State {
    return this.#state;
  }

  /**
   * Connects and subscribes. Rejects with ConfigError when librdkafka refuses the consumer
   * configuration, with ConnectionError when the cluster cannot be reached; the reader is then
   * `failed` (ConnectionManager.getReader makes a new one).
   */
  connect(): Promise<void> {
    if (this.#connecting !== undefined && (this.#state === 'connecting' || this.#state === 'ready')) return this.#connecting;
    if (this.#state !== 'idle') return Promise.reject(new StateError('Reader', 'connect', this.#state, ['idle']));
    let native: NativeConsumer;
    try {
      native = createConsumerClient(this.#binding, this.#global, this.#topicConf);
    } catch (e) {
      this.#state = 'failed';
      return Promise.reject(e as Error);
    }
    this.#state = 'connecting';
    this.#native = native;
    native.on('event.error', () => undefined);
    this.#connecting = connectClient(native, this.#connectTimeoutMs, `Kafka cluster ${String(this.#global['bootstrap.servers'])}`).then(
      () => {
        native.subscribe([this.topic]);
        this.#state = 'ready';
      },
      (err: unknown) => {
        this.#state = 'failed'; // connectClient has already closed the client
        throw err;
      },
    );
    return this.#connecting;
  }

  /**
   * Reads up to `max` messages, waiting at most `timeoutMs` for the first one. Rejects with
   * KafkaError on a consumer error; an error met after this call already took messages is thrown
   * by the next read() instead, so that the messages are not lost (librdkafka's position is past them).
   */
  async read(max = 100, timeoutMs = 1000): Promise<ConsumedMessage[]> {
    if (this.#state === 'connecting') await this.#connecting;
    const native = this.#native;
    if (this.#state !== 'ready' || native === undefined) throw new StateError('Reader', 'read', this.#state, ['ready']);
    const deferred = this.#deferred;
    if (deferred !== undefined) {
      this.#deferred = undefined;
      throw deferred;
    }
    const deadline = Date.now() + timeoutMs;
    const consume = (n: number) =>
      new Promise<ConsumedMessage[]>((resolve, reject) => {
        native.consume(n, (err, messages) => {
          if (err) reject(fromNativeError(err, `consume from ${this.topic}`, { topic: this.topic, groupId: this.groupId }));
          else resolve(messages.map((m) => new ConsumedMessage(m)));
        });
      });
    // node-rdkafka's consume(n) waits its timeout for EACH message: take what is already fetched
    // without waiting; when there is nothing, wait (in short slices) for one message, then take
    // what arrived with it.
    for (;;) {
      native.setDefaultConsumeTimeout(0);
      const ready = await consume(max);
      if (ready.length > 0) return ready;
      const left = deadline - Date.now();
      if (left <= 0) return ready;
      native.setDefaultConsumeTimeout(Math.min(100, Math.max(1, left)));
      const first = await consume(1);
      if (first.length > 0) {
        if (max === 1) return first;
        native.setDefaultConsumeTimeout(0);
        try {
          return first.concat(await consume(max - 1));
        } catch (e) {
          // node-rdkafka fails a consume call that meets an error before any message: `first` is
          // already taken (the position is past it), so it is returned and the error waits.
          this.#deferred = e as Error;
          return first;
        }
      }
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

  /** Committed offsets of the given partitions of this reader's topic. */
  committed(partitions: readonly number[], timeoutMs = 5000): Promise<NativeTopicPartitionOffset[]> {
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

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'connecting') await this.#connecting?.catch(() => undefined);
    const native = this.#native;
    this.#state = 'closed';
    if (native !== undefined && native.isConnected()) {
      try {
        native.unsubscribe();
      } catch {
        /* already gone */
      }
      await disconnectClient(native, 5000);
    }
  }
}
