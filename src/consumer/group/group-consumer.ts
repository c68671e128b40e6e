import { setTimeout as delay } from 'node:timers/promises';
import { StateError } from '../../errors/base.js';
import { fromNativeError } from '../../errors/librdkafka.js';
import { createBatchConsumerClient } from '../../native/batch-consumer.js';
import { connectClient } from '../../native/lifecycle.js';
import type { NativeBatchConsumer, NativeBatchSink, NativeBinding, NativeConfig, NativeError, NativeMessage, NativeTopicPartition, NativeTopicPartitionOffset } from '../../native/types.js';
import type { ConsumerObserver } from '../observer.js';
import type { DeadLetterWriter } from '../dead-letter.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import type { HandlerEntry } from '../dispatch/handler-entry.js';
import type { DispatcherEvents } from '../dispatch/types.js';
import type { HeldDispatch } from '../dispatch/holds.js';
import { guardHooks } from '../options.js';
import { Backpressure, PAUSE_DLQ, tpKey } from './backpressure.js';
import { OffsetStore } from './offsets.js';
import type { PartitionState } from './partition-state.js';
import { Rebalance, type RebalanceContext } from './rebalance.js';
import { PartitionControl } from './control.js';
import type { GroupHooks, GroupOptions, GroupStats } from './types.js';

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * How long stop() waits for the native close (final commit, group leave, handle destroyed). The
 * addon bounds the close itself at 10 s (src/native/addon/consumer-close.cc) and then destroys the handle
 * without the leave, so a consumer whose brokers are gone or frozen still releases everything.
 */
const CLOSE_WAIT_MS = 10_000;

/** The failure name of a handler run that hit handlerTimeoutMs (HandlerTimeoutError). */
const TIMEOUT = 'HandlerTimeoutError';

/**
 * One native consumer for one consumer group, on the batch engine (native/batch-consumer.ts: one
 * call per fetched slab, never more than maxInFlight allows), per-partition offset tracking,
 * backpressure by pausing partitions, cooperative rebalances, commits. Handlers run through the
 * dispatcher; this class decides what may be fetched and what may be committed. Rebalances are
 * handled in rebalance.ts, storing and committing offsets in offsets.ts, pausing in backpressure.ts.
 */
export class GroupConsumer {
  readonly groupId: string;
  readonly stats: GroupStats = { consumed: 0, processed: 0, retried: 0, deadLettered: 0, taskErrors: 0, rebalances: 0, handlerTimeouts: 0 };
  readonly #binding: NativeBinding;
  readonly #global: NativeConfig;
  readonly #topicConf: NativeConfig;
  readonly #entries: ReadonlyMap<string, HandlerEntry>;
  readonly #opts: GroupOptions;
  readonly #hooks: GroupHooks;
  readonly #dispatcher: Dispatcher;
  readonly #observer: ConsumerObserver | undefined;
  readonly #pauses: Backpressure;
  readonly #offsets: OffsetStore;
  readonly #rebalance: Rebalance;
  /** The application's control of this group's partitions (pause/resume, seek, commitNow, position, lag). */
  readonly control: PartitionControl;
  readonly #partitions = new Map<string, PartitionState>();
  #native: NativeBatchConsumer | undefined;
  #state: State = 'idle';
  #failure: Error | undefined = undefined;
  /** start()'s work, settled (never rejects): stop() waits for it. */
  #starting: Promise<void> = Promise.resolve();
  #inFlight = 0;
  readonly #idleWaiters: Array<() => void> = [];
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
    this.#offsets = new OffsetStore(groupId, this.#hooks, () => (this.#state === 'stopped' ? undefined : this.#native));
    this.#dispatcher = new Dispatcher(opts, this.#events(), dlq, observer);
    this.#pauses = new Backpressure(opts, () => this.#native, (e) => this.#hooks.onError?.(e));
    const context: RebalanceContext = {
      groupId,
      stats: this.stats,
      hooks: this.#hooks,
      revokeTimeoutMs: opts.revokeTimeoutMs,
      entries,
      partitions: this.#partitions,
      observer,
      pauses: this.#pauses,
      dispatcher: this.#dispatcher,
      offsets: this.#offsets,
      native: () => this.#native,
      inFlight: () => this.#inFlight,
      dropped: (n) => {
        this.#inFlight -= n;
        this.#pauses.relieve(undefined, this.#partitions.values(), this.#inFlight);
        this.#wakeIdle();
      },
    };
    this.#rebalance = new Rebalance(context);
    // Pause/resume, seek, commitNow, position and lag (control.ts) work on the same partition states.
    this.control = new PartitionControl(context, () => this.#state === 'running');
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

  /** Partitions paused (backpressure, a failing dead-letter write, pause(), a seek): pausedPartitions.length. */
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
      progressed: this.#offsets.progressed,
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
        if (p.errorType === TIMEOUT) this.stats.handlerTimeouts++;
        this.#observer?.retried(p);
        this.#hooks.onRetry?.(ps.topic, p);
      },
      deadLettered: (ps, p) => {
        this.stats.deadLettered++; // counted and logged by the dispatcher's observer call
        if (p.errorType === TIMEOUT) this.stats.handlerTimeouts++;
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
      { ...this.#global, 'group.id': this.groupId, 'gocoffee.batch': Math.min(this.#opts.fetchBatchSize, 1_000_000), rebalance_cb: ((err: NativeError, tps: NativeTopicPartition[]) => this.#rebalance.callback(err, tps)) as never },
      this.#topicConf,
    );
    this.#native = native;
    const { onLibrdkafkaLog, onStatistics } = this.#hooks;
    if (onLibrdkafkaLog !== undefined) native.on('event.log', (log) => onLibrdkafkaLog.call(this.#hooks, this.groupId, log));
    if (onStatistics !== undefined) native.on('event.stats', (s) => onStatistics.call(this.#hooks, this.groupId, s.message));
    native.on('event.error', (err) => {
      // node-rdkafka error events carry code -1: recover the code from librdkafka's text.
      const code = typeof err.code === 'number' && err.code !== -1 ? err.code : this.#binding.errorCodeOf({ message: String(err.message ?? '') });
      const e = fromNativeError({ message: err.message, code, isFatal: (err as { isFatal?: boolean }).isFatal === true }, `consumer group ${this.groupId}`, { groupId: this.groupId });
      if (e.fatal) this.#fail(e, native);
      this.#hooks.onError?.(e);
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

  /** Partitions whose dead-letter writes fail right now (paused), with the last error. */
  get deadLetterBlocked(): Array<{ topic: string; partition: number; error: Error; permanent: boolean; since: number }> {
    const blocked = [...this.#partitions.values()].filter((ps) => ps.dlqBlocked > 0 && ps.dlqError !== undefined);
    return blocked.map((ps) => ({ topic: ps.topic, partition: ps.partition, ...ps.dlqError! }));
  }

  /** Dispatch held by infrastructure failures right now (see HeldDispatch). */
  get held(): HeldDispatch {
    return this.#dispatcher.held();
  }

  /**
   * The first fatal error of this group's consumer (librdkafka cannot go on with it: fenced, an
   * idempotence or a protocol violation, ...): fetching stops, and the Consumer reports itself
   * `failed` (health says so) until it is stopped and started again, which makes a new client.
   */
  get failure(): Error | undefined {
    return this.#failure;
  }

  #fail(err: Error, native: NativeBatchConsumer): void {
    if (this.#failure !== undefined) return;
    this.#failure = err;
    try {
      native.stopFetching();
    } catch {
      /* already closing */
    }
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
        if (err.fatal) this.#fail(err, native);
        this.#hooks.onError?.(err);
      },
      room: () => Math.max(1, Math.min(this.#opts.fetchBatchSize, this.#opts.maxInFlight - this.#inFlight)),
    };
  }

  #ingest(msgs: NativeMessage[]): void {
    const observer = this.#observer;
    const fetchedAt = observer !== undefined && observer.timing ? performance.now() : 0;
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
    if (this.#inFlight > 0 || this.#idleWaiters.length === 0) return;
    for (const f of this.#idleWaiters.splice(0)) f();
  }

  /** True once nothing is in flight and no work of a state a seek replaced runs (polled: nothing signals its end); false after `timeoutMs`. */
  async #idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    if (this.#inFlight > 0) {
      const idle = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs);
        this.#idleWaiters.push(() => (clearTimeout(t), resolve(true)));
      });
      if (!idle) return false;
    }
    while (this.control.busyReplaced()) {
      if (Date.now() >= deadline) return false;
      await delay(5);
    }
    return true;
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
    if (!drained) this.#rebalance.abandon();
    this.#dispatcher.stop();
    await this.#rebalance.revoking;
    const native = this.#native;
    if (native !== undefined) {
      this.#offsets.store();
      const offsets = [...this.#partitions.values()]
        .filter((s) => !s.revoked && s.tracker.watermark >= 0)
        .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.tracker.watermark }));
      this.#offsets.commitAsync(native, offsets);
      this.#rebalance.leave();
      try {
        native.unsubscribe();
      } catch {
        /* already gone */
      }
      // The close (final commit, group leave) is bounded in the addon (10 s) and destroys the
      // handle either way; this waits a little longer than that bound. An abandoned close is
      // reported when it ends (onError, GCK_CONSUMER_CLOSE_ABANDONED), also after stop() resolved.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_WAIT_MS + 250);
        native.disconnect((err) => {
          clearTimeout(timer);
          if (err instanceof Error) this.#hooks.onError?.(err);
          resolve();
        });
      });
      native.removeAllListeners();
    }
    this.#partitions.clear();
    this.#state = 'stopped';
    return drained;
  }
}

