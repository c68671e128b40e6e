import { setTimeout as delay } from 'node:timers/promises';
import { StateError } from '../errors/base.js';
import { fromNativeError, RD } from '../errors/librdkafka.js';
import { createBatchConsumerClient } from '../native/batch-consumer.js';
import { connectClient, disconnectClient } from '../native/lifecycle.js';
import type { NativeBatchConsumer, NativeBatchSink, NativeBinding, NativeConfig, NativeConsumer, NativeError, NativeMessage, NativeTopicPartition, NativeTopicPartitionOffset } from '../native/types.js';
import type { DeadLetterWriter } from './dead-letter.js';
import type { ConsumerObserver } from '../telemetry/consumer-observer.js';
import { Backpressure, PAUSE_DLQ, tpKey } from './backpressure.js';
import { Dispatcher, type DispatcherEvents } from './dispatcher.js';
import { HandlerEntry, PartitionState, type Pending } from './partition-state.js';
import { guardHooks } from './options.js';
import type { OrderingMode } from './types.js';

export interface GroupOptions {
  readonly ordering: OrderingMode;
  readonly maxInFlightPerPartition: number;
  readonly maxInFlight: number;
  readonly fetchBatchSize: number;
  readonly fetchWaitMs: number;
  readonly taskBatchSize: number;
  readonly retryMax: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly revokeTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** Counters a group exposes (metrics and health read them). */
export interface GroupStats {
  consumed: number;
  processed: number;
  retried: number;
  deadLettered: number;
  taskErrors: number;
  rebalances: number;
}

/**
 * The caller's hooks. Each call is guarded (see guardHooks in options.ts): a hook that throws is
 * reported to onError as a HookError and the consumer goes on; what onError itself throws is
 * rethrown asynchronously (an uncaughtException), never into the consumer.
 */
export interface GroupHooks {
  onError?(err: Error): void;
  onRetry?(topic: string, p: Pending): void;
  onDeadLetter?(topic: string, p: Pending): void;
  /**
   * Offsets were handed to librdkafka: each is a partition's contiguous watermark (every message
   * before it is done), committed by the next auto-commit (every commitIntervalMs), or at once on
   * a revoke and on stop(). Called per store (at most once per event-loop turn), not per message.
   */
  onOffsetsStored?(groupId: string, offsets: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly offset: number }>): void;
  /**
   * The group assigned (`assign`) or started revoking (`revoke`) partitions of this consumer:
   * called from librdkafka's rebalance callback, after the assignment is applied / after the
   * revoked partitions stopped dispatching, before their running work is awaited and committed.
   */
  onRebalance?(groupId: string, kind: 'assign' | 'revoke', partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }>): void;
  /** A log line of the group's librdkafka consumer (syslog severity 0–7, facility, text). */
  onLibrdkafkaLog?(groupId: string, log: { severity: number; fac: string; message: string }): void;
  /** librdkafka's statistics JSON of the group's consumer (every `statistics.interval.ms`, when set). */
  onStatistics?(groupId: string, json: string): void;
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';


/**
 * One native consumer for one consumer group, on the batch engine (native/batch-consumer.ts: one
 * call per fetched slab, never more than maxInFlight allows), per-partition offset tracking,
 * backpressure by pausing partitions, cooperative rebalances, commits. Handlers run through the
 * dispatcher; this class decides what may be fetched and what may be committed.
 */
export class GroupConsumer {
  readonly groupId: string;
  readonly stats: GroupStats = { consumed: 0, processed: 0, retried: 0, deadLettered: 0, taskErrors: 0, rebalances: 0 };
  readonly #binding: NativeBinding;
  readonly #global: NativeConfig;
  readonly #topicConf: NativeConfig;
  readonly #entries: ReadonlyMap<string, HandlerEntry>;
  readonly #opts: GroupOptions;
  readonly #hooks: GroupHooks;
  readonly #dispatcher: Dispatcher;
  readonly #observer: ConsumerObserver | undefined;
  readonly #pauses: Backpressure;
  readonly #partitions = new Map<string, PartitionState>();
  readonly #dirty = new Set<PartitionState>();
  #native: NativeBatchConsumer | undefined;
  #state: State = 'idle';
  /** start()'s work, settled (never rejects): stop() waits for it. */
  #starting: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #storeScheduled = false;
  #revoking: Promise<void> = Promise.resolve();
  /** stop() made its final commit and is leaving the group. */
  #closing = false;
  /**
   * stop() no longer waits for unfinished work (its drain timed out, or it is leaving the group):
   * neither does a revoke (the close-time revoke of the disconnect included). What has not
   * finished is delivered again to the partitions' next owners.
   */
  #abandoned = false;
  #idleWaiters: Array<() => void> = [];
  /** Numbers fetches, to list each partition a fetch touched once (PartitionState.fetchNo). */
  #fetchNo = 0;

  constructor(
    binding: NativeBinding,
    global: NativeConfig,
    topicConf: NativeConfig,
    groupId: string,
    entries: ReadonlyMap<string, HandlerEntry>,
    dlq: DeadLetterWriter,
    opts: GroupOptions,
    hooks: GroupHooks = {},
    observer?: ConsumerObserver,
  ) {
    this.#binding = binding;
    this.#global = global;
    this.#topicConf = topicConf;
    this.groupId = groupId;
    this.#entries = entries;
    this.#opts = opts;
    this.#hooks = guardHooks(hooks);
    this.#observer = observer;
    this.#dispatcher = new Dispatcher(opts, this.#events(), dlq, observer);
    this.#pauses = new Backpressure(opts, () => this.#native, (e) => this.#hooks.onError?.(e));
  }

  /** Fetched messages not yet done (queued, running, retrying or being dead-lettered). */
  get inFlight(): number {
    return this.#inFlight;
  }

  get assignment(): NativeTopicPartition[] {
    return [...this.#partitions.values()].filter((p) => !p.revoked).map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  /** Assigned partitions (not being revoked): assignment.length without building the list. */
  get assignedCount(): number {
    let n = 0;
    for (const p of this.#partitions.values()) if (!p.revoked) n++;
    return n;
  }

  /** Partitions paused by backpressure or a failing dead-letter write: pausedPartitions.length. */
  get pausedCount(): number {
    let n = 0;
    for (const p of this.#partitions.values()) if (p.paused) n++;
    return n;
  }

  get pausedPartitions(): NativeTopicPartition[] {
    return [...this.#partitions.values()].filter((p) => p.paused).map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  /** Per assigned partition: messages not yet done (`open`), fetched since the watermark (`pending`). */
  get partitionLoad(): Array<NativeTopicPartition & { open: number; pending: number; paused: boolean }> {
    return [...this.#partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition, open: p.open, pending: p.tracker.pending, paused: p.paused }));
  }

  /** Committable offsets (watermarks) per assigned partition. */
  get watermarks(): NativeTopicPartitionOffset[] {
    return [...this.#partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition, offset: p.tracker.watermark }));
  }

  get native(): NativeBatchConsumer | undefined {
    return this.#native;
  }

  /** The batch engine's counters (slabs and slab bytes handed to JS, wake-ups, ...), once started. */
  get engineStats(): Record<string, number> | undefined {
    return this.#native?.engineStats?.();
  }

  #events(): DispatcherEvents {
    return {
      progressed: (ps) => {
        this.#dirty.add(ps);
        if (!this.#storeScheduled) {
          this.#storeScheduled = true;
          setImmediate(() => {
            this.#storeScheduled = false;
            this.#storeOffsets();
          });
        }
      },
      released: (ps, n) => {
        this.#inFlight -= n;
        this.stats.processed += n;
        this.#pauses.relieve(ps, this.#partitions.values(), this.#inFlight);
        this.#wakeIdle();
      },
      dlqFailing: (ps, err) => {
        this.#pauses.set(ps, PAUSE_DLQ, true);
        this.#hooks.onError?.(err);
      },
      dlqRecovered: (ps) => this.#pauses.set(ps, PAUSE_DLQ, false),
      retried: (ps, p) => {
        this.stats.retried++;
        this.#observer?.retried(p);
        this.#hooks.onRetry?.(ps.topic, p);
      },
      deadLettered: (ps, p) => {
        this.stats.deadLettered++; // counted and logged by the dispatcher's observer call
        this.#hooks.onDeadLetter?.(ps.topic, p);
      },
      taskError: (err) => {
        this.stats.taskErrors++;
        this.#hooks.onError?.(err);
      },
    };
  }

  /**
   * Connects, subscribes and starts the fetch loop. A stop() that comes while this connects waits
   * for the connect to settle and disconnects the client: nothing is left connected, subscribed and
   * never polled.
   */
  start(): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new StateError('GroupConsumer', 'start', this.#state, ['idle']));
    this.#state = 'starting';
    const starting = this.#start();
    this.#starting = starting.catch(() => undefined);
    return starting;
  }

  async #start(): Promise<void> {
    const native = createBatchConsumerClient(
      this.#binding,
      // gocoffee.batch: the slab bound (messages per batch call), the engine's own option.
      { ...this.#global, 'group.id': this.groupId, 'gocoffee.batch': Math.min(this.#opts.fetchBatchSize, 1_000_000), rebalance_cb: ((err: NativeError, tps: NativeTopicPartition[]) => this.#rebalanceCallback(err, tps)) as never },
      this.#topicConf,
    );
    this.#native = native;
    const { onLibrdkafkaLog, onStatistics } = this.#hooks;
    if (onLibrdkafkaLog !== undefined) native.on('event.log', (log) => onLibrdkafkaLog.call(this.#hooks, this.groupId, log));
    if (onStatistics !== undefined) native.on('event.stats', (s) => onStatistics.call(this.#hooks, this.groupId, s.message));
    native.on('event.error', (err) => {
      // node-rdkafka error events carry code -1: recover the code from librdkafka's text.
      const code = typeof err.code === 'number' && err.code !== -1 ? err.code : this.#binding.errorCodeOf({ message: String(err.message ?? '') });
      this.#hooks.onError?.(fromNativeError({ message: err.message, code }, `consumer group ${this.groupId}`, { groupId: this.groupId }));
    });
    try {
      await connectClient(native, this.#opts.connectTimeoutMs, `Kafka cluster ${String(this.#global['bootstrap.servers'])}`);
    } catch (e) {
      this.#native = undefined; // connectClient closed it
      throw e;
    }
    // stop() came while connecting: it disconnects the client once this returns.
    if (this.#state !== 'starting') return;
    native.subscribe([...this.#entries.keys()]);
    this.#state = 'running';
    native.startFetching(this.#sink(native));
  }

  /**
   * Where the batch consumer hands each fetched slab. It never fetches past maxInFlight: room() is
   * asked after every batch. When there is no room every partition is paused (Backpressure) and
   * the drain only serves rebalance callbacks and errors.
   */
  #sink(native: NativeBatchConsumer): NativeBatchSink {
    return {
      batch: (msgs) => {
        if (this.#state === 'running') this.#ingest(msgs);
      },
      error: (e) => {
        const err = fromNativeError(e, `consume (group ${this.groupId})`, { groupId: this.groupId });
        this.#hooks.onError?.(err);
        if (err.fatal) native.stopFetching();
      },
      room: () => Math.max(1, Math.min(this.#opts.fetchBatchSize, this.#opts.maxInFlight - this.#inFlight)),
    };
  }

  #ingest(msgs: NativeMessage[]): void {
    const observer = this.#observer;
    const fetchedAt = observer !== undefined ? performance.now() : 0;
    observer?.fetched(msgs);
    const dispatcher = this.#dispatcher;
    // A fetch holds runs of one partition's messages: the partition is looked up once per run
    // (subscribed to one topic, the topic need not be compared per message).
    const oneTopic = this.#entries.size === 1;
    const touched: PartitionState[] = [];
    const fetchNo = ++this.#fetchNo;
    let topic: string | undefined;
    let partition = -1;
    let ps: PartitionState | undefined;
    let n = 0;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      if (m.partition !== partition || (!oneTopic && m.topic !== topic)) {
        topic = m.topic;
        partition = m.partition;
        ps = this.#partitions.get(tpKey(topic, partition));
        // Not (or no longer) ours: the partition's next owner fetches it from the committed offset.
        if (ps !== undefined && ps.revoked) ps = undefined;
        if (ps !== undefined && ps.fetchNo !== fetchNo) {
          ps.fetchNo = fetchNo;
          touched.push(ps);
        }
      }
      if (ps === undefined) continue;
      dispatcher.ingest(ps, m, fetchedAt);
      if (ps.consumeCounters !== undefined) ps.consumeCounters.total++;
      n++;
    }
    this.#inFlight += n;
    this.stats.consumed += n;
    this.#pauses.fetched(touched, this.#partitions.values(), this.#inFlight);
    let entry: HandlerEntry | undefined;
    for (const p of touched) {
      if (p.entry === entry) continue;
      entry = p.entry;
      dispatcher.dispatch(entry);
    }
  }

  #wakeIdle(): void {
    if (this.#inFlight <= 0 && this.#idleWaiters.length > 0) {
      const w = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const f of w) f();
    }
  }

  #storeOffsets(): void {
    const native = this.#native;
    if (native === undefined || this.#state === 'stopped' || this.#dirty.size === 0) return;
    const offsets: NativeTopicPartitionOffset[] = [];
    for (const ps of this.#dirty) {
      const wm = ps.tracker.watermark;
      if (!ps.revoked && wm > ps.tracker.stored) {
        offsets.push({ topic: ps.topic, partition: ps.partition, offset: wm });
        ps.tracker.stored = wm;
      }
    }
    this.#dirty.clear();
    if (offsets.length === 0) return;
    try {
      native.offsetsStore(offsets);
    } catch (e) {
      this.#hooks.onError?.(fromNativeError(e as NativeError, 'offsets store', { groupId: this.groupId }));
      return;
    }
    this.#hooks.onOffsetsStored?.(this.groupId, offsets);
  }

  /** librdkafka's rebalance callback: nothing may escape it (the rebalance would stay half done). */
  #rebalanceCallback(err: NativeError, tps: NativeTopicPartition[]): void {
    try {
      this.#onRebalance(err, tps);
    } catch (e) {
      this.#hooks.onError?.(fromNativeError(e as NativeError, `rebalance (group ${this.groupId})`, { groupId: this.groupId }));
    }
  }

  #onRebalance(err: NativeError, tps: NativeTopicPartition[]): void {
    const native = this.#native;
    if (native === undefined) return;
    this.stats.rebalances++;
    const cooperative = native.rebalanceProtocol() === 'COOPERATIVE';
    if (err.code === RD.ERR__ASSIGN_PARTITIONS) {
      const added: PartitionState[] = [];
      for (const tp of tps) {
        const entry = this.#entries.get(tp.topic);
        if (entry === undefined) continue;
        const ps = new PartitionState(tp.topic, tp.partition, entry);
        ps.consumeCounters = this.#observer?.countersOf(tp.topic);
        this.#partitions.set(tpKey(tp.topic, tp.partition), ps);
        added.push(ps);
      }
      try {
        if (cooperative) native.incrementalAssign(tps);
        else native.assign(tps);
      } catch (e) {
        this.#hooks.onError?.(fromNativeError(e as NativeError, 'assign'));
      }
      // Fetching is globally paused: new partitions start paused too.
      this.#pauses.assigned(added, this.#inFlight);
      // Only now, with the assignment applied (the hook cannot leave the group stuck).
      this.#hooks.onRebalance?.(this.groupId, 'assign', tps);
      return;
    }
    if (err.code === RD.ERR__REVOKE_PARTITIONS) {
      // Stop dispatching them now; then (serialised with earlier revokes) wait for their running
      // work, commit, unassign.
      const states = this.#beginRevoke(tps);
      this.#revoking = this.#revoking
        .then(() => this.#revoke(states, tps, cooperative))
        .catch((e: unknown) => this.#hooks.onError?.(e instanceof Error ? e : new Error(String(e))));
      this.#hooks.onRebalance?.(this.groupId, 'revoke', tps);
      return;
    }
    this.#hooks.onError?.(fromNativeError(err, 'rebalance'));
  }

  #beginRevoke(tps: NativeTopicPartition[]): PartitionState[] {
    const states: PartitionState[] = [];
    for (const tp of tps) {
      const ps = this.#partitions.get(tpKey(tp.topic, tp.partition));
      if (ps === undefined) continue;
      states.push(ps);
      // Stop dispatching; queued-but-not-started messages are dropped (the next owner re-reads
      // them from the committed offset), and so are the ones waiting out a retry backoff (a
      // rebalance is not held up by backoffs): the revoke commits the contiguous watermark, so
      // what was done above the first unfinished message is delivered again (at least once).
      // The partition's messages stop counting as in flight.
      ps.revoked = true;
      this.#inFlight -= ps.open;
      ps.open = 0;
      this.#dispatcher.dropQueued(ps);
    }
    if (states.length > 0) {
      this.#pauses.relieve(undefined, this.#partitions.values(), this.#inFlight);
      this.#wakeIdle();
    }
    return states;
  }

  async #revoke(states: PartitionState[], tps: NativeTopicPartition[], cooperative: boolean): Promise<void> {
    const native = this.#native!;
    // Running tasks and dead-letter writes in flight (not retry backoffs: see Dispatcher), bounded;
    // not at all once stop() gave up on unfinished work or is leaving the group.
    const deadline = Date.now() + this.#opts.revokeTimeoutMs;
    while (!this.#abandoned && states.some((s) => s.busyCount > 0) && Date.now() < deadline) await delay(5);
    // Leaving the group in stop(): its final commit already covered these partitions.
    const closing = this.#closing;
    if (!closing) {
      const offsets = states.filter((s) => s.tracker.watermark >= 0).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.tracker.watermark }));
      this.#commitSync(native, offsets);
    }
    const paused: NativeTopicPartition[] = [];
    for (const s of states) {
      const key = tpKey(s.topic, s.partition);
      if (this.#partitions.get(key) === s) this.#partitions.delete(key); // (eager: may be assigned again already)
      this.#pauses.forget(s);
      if (s.paused) paused.push({ topic: s.topic, partition: s.partition });
      this.#dirty.delete(s);
    }
    try {
      // Paused by us: resume before giving them up, so that a later assignment of the same
      // partitions to this consumer does not start paused with no in-flight work to resume it.
      if (paused.length > 0) native.resume(paused);
      if (cooperative) native.incrementalUnassign(tps);
      else native.unassign();
    } catch (e) {
      if (!closing) this.#hooks.onError?.(fromNativeError(e as NativeError, 'unassign'));
    }
  }

  #commitSync(native: NativeBatchConsumer, offsets: NativeTopicPartitionOffset[]): void {
    if (offsets.length === 0) return;
    try {
      native.offsetsStore(offsets);
    } catch {
      /* not assigned any more: the explicit commit below still carries the offsets */
    }
    try {
      native.commitSync(offsets);
    } catch (e) {
      const err = e as NativeError;
      if (err.code !== RD.ERR__NO_OFFSET) this.#hooks.onError?.(fromNativeError(err, `commit (group ${this.groupId})`, { groupId: this.groupId }));
      return;
    }
    this.#hooks.onOffsetsStored?.(this.groupId, offsets);
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`. */
  #idle(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /**
   * Graceful stop: stop fetching, let fetched work finish (bounded), commit the watermarks, leave
   * the group. Returns whether everything fetched was finished.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      return true;
    }
    if (this.#state !== 'starting' && this.#state !== 'running') throw new StateError('GroupConsumer', 'stop', this.#state, ['idle', 'starting', 'running']);
    this.#state = 'stopping';
    await this.#starting; // a connect under way settles first; its client is then disconnected below
    this.#native?.stopFetching(); // no batch after this; rebalances wait for the close, as before
    const drained = await this.#idle(timeoutMs);
    if (!drained) this.#abandoned = true;
    this.#dispatcher.stop();
    await this.#revoking;
    const native = this.#native;
    if (native !== undefined) {
      this.#storeOffsets();
      const offsets = [...this.#partitions.values()]
        .filter((s) => !s.revoked && s.tracker.watermark >= 0)
        .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.tracker.watermark }));
      this.#commitSync(native, offsets);
      this.#closing = true;
      this.#abandoned = true;
      try {
        native.unsubscribe();
      } catch {
        /* already gone */
      }
      await disconnectClient(native as unknown as NativeConsumer, 10_000);
      native.removeAllListeners();
    }
    this.#partitions.clear();
    this.#state = 'stopped';
    return drained;
  }
}

