import { availableParallelism } from 'node:os';
import { InvalidArgumentError, StateError } from '../errors/base.js';
import { toLibrdkafkaConfig } from '../config/index.js';
import { PoolExecutor, type Executor } from '../pool/executor.js';
import { DeadLetterWriter } from './dead-letter.js';
import { GroupConsumer } from './group/group-consumer.js';
import type { GroupHooks, GroupOptions } from './group/types.js';
import { HandlerRegistrationError } from './handler.js';
import { InProcessExecutor } from './dispatch/in-process.js';
import { loggingHooks } from './logging.js';
import { CONSUMER_DEFAULTS, guardHooks, validateConsumerOptions } from './options.js';
import { HandlerEntry } from './dispatch/handler-entry.js';
import { ConsumerObserver } from './observer.js';
import { summarizeStats, type LibrdkafkaSummary } from '../diagnostics/statistics.js';
import type { Diagnostics, GaugeSink, GaugeSource } from '../diagnostics/diagnostics.js';
import type { ConsumerHost, ConsumerOptions, MessageHandler } from './types.js';
import { groupStats, type ConsumerStats } from './stats.js';
import { checkRef, timeoutOption, type GroupPartitionRef, type PartitionLag, type PartitionRef, type SeekTarget } from './group/control.js';
import type { NativeTopicPartitionOffset } from '../native/types.js';

export type { ConsumerStats, EngineConsumerStats } from './stats.js';

type State = 'idle' | 'starting' | 'running' | 'stopping';

/**
 * Consumes through registered handlers (the seed's `Consumer`): one native consumer per consumer
 * group, messages dispatched in ordered lanes to in-process handlers or a piscina worker pool,
 * at-least-once commits of the contiguous watermark, retries then a dead-letter topic.
 */
export class Consumer implements GaugeSource {
  readonly #cm: ConsumerHost;
  readonly #options: ConsumerOptions;
  readonly #hooks: GroupHooks;
  readonly #diag: Diagnostics;
  /** Per group: the last librdkafka statistics summary of its consumer (statistics on only). */
  readonly #librdkafka = new Map<string, LibrdkafkaSummary>();
  /** Per group: the lag series exported at the last scrape (partitions revoked since are removed). */
  readonly #lagSeries = new Map<string, Map<string, { group: string; topic: string; partition: string }>>();
  readonly #handlers: MessageHandler[] = [];
  #groups: GroupConsumer[] = [];
  #executors: Executor[] = [];
  readonly #groupExecutors = new Map<string, Executor[]>();
  #state: State = 'idle';
  #abort: (() => void) | undefined;
  #signal: AbortSignal | undefined;
  #stopping: Promise<boolean> | undefined;
  #starting: Promise<void> = Promise.resolve();

  /** Throws InvalidArgumentError naming the option (and its value) that cannot be used. */
  constructor(connection: ConsumerHost, options: ConsumerOptions = {}, hooks: GroupHooks = {}) {
    this.#options = validateConsumerOptions(options, hooks);
    this.#cm = connection;
    // The consumer's own log lines (errors, retries, dead letters, rebalances, librdkafka's lines),
    // then the caller's hooks; statistics (the one forwarder of onStatistics): each group's last
    // librdkafka summary, then the caller's hook.
    const t = connection.diagnostics;
    this.#diag = t;
    const own = loggingHooks(t, hooks);
    if (t.statisticsIntervalMs > 0 || hooks.onStatistics !== undefined) {
      own.onStatistics = (groupId, json) => {
        const s = summarizeStats(json);
        if (s !== undefined) this.#librdkafka.set(groupId, s);
        hooks.onStatistics?.(groupId, json);
      };
    }
    // Hooks are the caller's code, called from native callbacks: they never break the consumer.
    this.#hooks = guardHooks(own);
  }

  /**
   * `failed` once a group's consumer met a fatal error (see `failure`): it fetches no more; stop()
   * and start() again make new clients.
   */
  get state(): State | 'failed' {
    return this.#state === 'running' && this.failure !== undefined ? 'failed' : this.#state;
  }

  /** The first fatal error of any of its groups' consumers since start(), or undefined. */
  get failure(): Error | undefined {
    for (const g of this.#groups) if (g.failure !== undefined) return g.failure;
    return undefined;
  }

  get groups(): readonly GroupConsumer[] {
    return this.#groups;
  }

  /** Adds a handler; a second handler for the same topic and group is an error. */
  registerHandler(handler: MessageHandler): void {
    const where = { groupId: handler?.groupId, topics: handler?.topics };
    if (handler === null || typeof handler !== 'object') throw new HandlerRegistrationError('registerHandler(handler): expected a MessageHandler object', {});
    if (!Array.isArray(handler.topics) || handler.topics.length === 0 || handler.topics.some((t) => typeof t !== 'string' || t === '')) {
      throw new HandlerRegistrationError('handler.topics: expected a non-empty list of topic names', where);
    }
    if (typeof handler.groupId !== 'string' || handler.groupId === '') {
      throw new HandlerRegistrationError('handler.groupId: expected a non-empty consumer group id', where);
    }
    const inProcess = typeof handler.handle === 'function';
    const pooled = handler.workerModule !== undefined;
    if (inProcess === pooled) {
      throw new HandlerRegistrationError('a handler needs exactly one of handle(message) (in-process) or workerModule (worker pool)', where);
    }
    for (const other of this.#handlers) {
      if (other.groupId !== handler.groupId) continue;
      const clash = handler.topics.find((t) => other.topics.includes(t));
      if (clash !== undefined) {
        throw new HandlerRegistrationError(`a handler for topic "${clash}" in group "${handler.groupId}" is already registered; one handler per topic and group`, {
          ...where,
          topic: clash,
        });
      }
    }
    if (this.#state !== 'idle') throw new StateError('Consumer', 'registerHandler', this.#state, ['idle']);
    this.#handlers.push(handler);
  }

  #groupOptions(): GroupOptions {
    const c = this.#cm.config;
    const o = this.#options;
    const d = CONSUMER_DEFAULTS;
    return {
      ordering: o.ordering ?? d.ordering,
      maxInFlightPerPartition: o.maxInFlightPerPartition ?? d.maxInFlightPerPartition,
      maxInFlight: o.maxInFlight ?? d.maxInFlight,
      fetchBatchSize: o.fetchBatchSize ?? d.fetchBatchSize,
      fetchWaitMs: o.fetchWaitMs ?? d.fetchWaitMs,
      taskBatchSize: o.taskBatchSize ?? d.taskBatchSize,
      retryMax: o.retryMax ?? c.retryMax,
      retryBackoffMs: o.retryBackoffMs ?? c.retryBackoffMs,
      retryBackoffMaxMs: o.retryBackoffMaxMs ?? d.retryBackoffMaxMs,
      revokeTimeoutMs: o.revokeTimeoutMs ?? d.revokeTimeoutMs,
      connectTimeoutMs: c.connectTimeoutMs,
    };
  }

  #executorFor(h: MessageHandler): Executor {
    if (h.workerModule !== undefined) {
      const workers = this.#options.workers ?? availableParallelism();
      return new PoolExecutor(h.workerModule, workers, this.#options.maxPoolQueue ?? workers * 2, this.#diag, this.#options.handlerTimeoutMs);
    }
    const handle = h.handle!.bind(h);
    return new InProcessExecutor(handle, this.#options.concurrency ?? CONSUMER_DEFAULTS.concurrency, this.#diag, this.#options.handlerTimeoutMs);
  }

  /**
   * Joins the groups and starts consuming. Resolves once every group's consumer is connected and
   * subscribed. Aborting `signal` stops the consumer (gracefully).
   */
  start(signal?: AbortSignal): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new StateError('Consumer', 'start', this.#state, ['idle']));
    if (this.#handlers.length === 0) return Promise.reject(new HandlerRegistrationError('start(): no handler registered', {}));
    if (signal?.aborted) return Promise.resolve();
    this.#state = 'starting';
    const starting = this.#start(signal);
    this.#starting = starting.catch(() => undefined);
    return starting;
  }

  async #start(signal: AbortSignal | undefined): Promise<void> {
    const cfg = toLibrdkafkaConfig(this.#cm.config, 'consumer', this.#options);
    const commitInterval = this.#options.commitIntervalMs;
    const statsMs = this.#diag.statisticsIntervalMs;
    const global = {
      ...cfg.global,
      ...(commitInterval !== undefined ? { 'auto.commit.interval.ms': commitInterval } : {}),
      ...(statsMs > 0 ? { 'statistics.interval.ms': statsMs } : {}),
    };
    const byGroup = new Map<string, Map<string, HandlerEntry>>();
    const groups: GroupConsumer[] = [];
    try {
      for (const h of this.#handlers) {
        let entries = byGroup.get(h.groupId);
        if (entries === undefined) byGroup.set(h.groupId, (entries = new Map()));
        const executor = this.#executorFor(h);
        this.#executors.push(executor);
        const list = this.#groupExecutors.get(h.groupId) ?? [];
        list.push(executor);
        this.#groupExecutors.set(h.groupId, list);
        const entry = new HandlerEntry(h, executor);
        for (const t of h.topics) entries.set(t, entry);
      }
      // A worker pool loads its handler module now: a bad module path fails start() clearly.
      await Promise.all(
        this.#handlers.map((h, i) =>
          this.#executors[i]!.ready?.().catch((e: unknown) => {
            const where = { workerModule: h.workerModule, groupId: h.groupId, topics: [...h.topics] };
            throw new HandlerRegistrationError(`handler module ${String(h.workerModule)} could not be loaded in a worker: ${(e as Error)?.message ?? String(e)}`, where, { cause: e });
          }),
        ),
      );
      const dlqTopic = this.#options.deadLetterTopic ?? ((t: string) => `${t}.dlq`);
      for (const [groupId, entries] of byGroup) {
        const dlq = new DeadLetterWriter(() => this.#cm.producerEngine(), dlqTopic, groupId);
        groups.push(new GroupConsumer(this.#cm.binding, global, cfg.topic, groupId, entries, dlq, this.#groupOptions(), this.#hooks, new ConsumerObserver(this.#diag, groupId)));
      }
      this.#groups = groups;
      await Promise.all(groups.map((g) => g.start()));
    } catch (e) {
      this.#state = 'running';
      await this.stop().catch(() => undefined);
      throw e;
    }
    this.#state = 'running';
    this.#diag.log('info', 'consumer', { groups: groups.map((g) => g.groupId), topics: this.#handlers.flatMap((h) => h.topics) }, 'consumer started');
    this.#diag.addSource(this);
    if (signal !== undefined) {
      const onAbort = () => void this.stop().catch((err: unknown) => this.#hooks.onError?.(err as Error));
      this.#signal = signal;
      this.#abort = onAbort;
      if (signal.aborted) onAbort(); // aborted while starting
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  /**
   * Graceful shutdown: stop fetching, finish in-flight work (bounded by stopTimeoutMs), commit,
   * leave the groups, close the worker pools. A stopped consumer can be started again. Resolves
   * with whether all fetched work finished in time (unfinished work is re-delivered later).
   */
  stop(): Promise<boolean> {
    if (this.#state === 'stopping' && this.#stopping !== undefined) return this.#stopping;
    if (this.#state === 'starting') return this.#starting.then(() => this.stop());
    if (this.#state === 'idle' || this.#state === 'stopping') return Promise.resolve(true);
    this.#state = 'stopping';
    this.#stopping = this.#stop().finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  async #stop(): Promise<boolean> {
    if (this.#signal !== undefined && this.#abort !== undefined) this.#signal.removeEventListener('abort', this.#abort);
    this.#signal = undefined;
    this.#abort = undefined;
    const timeout = this.#options.stopTimeoutMs ?? CONSUMER_DEFAULTS.stopTimeoutMs;
    let drained = true;
    try {
      const results = await Promise.all(this.#groups.map((g) => g.stop(timeout).catch(() => false)));
      drained = results.every(Boolean);
    } finally {
      // Work that did not finish in time is abandoned (re-delivered later): do not wait for it.
      await Promise.all(this.#executors.map((e) => e.close(!drained).catch(() => undefined)));
      this.#diag.removeSource(this); // its gauges are not frozen at their last value: retire() removes its series
      this.#executors = [];
      this.#groupExecutors.clear();
      this.#groups = [];
      this.#librdkafka.clear();
      this.#lagSeries.clear();
      this.#state = 'idle';
    }
    if (drained) this.#diag.log('info', 'consumer', {}, 'consumer stopped: all fetched work finished and committed');
    else this.#diag.log('warn', 'consumer', { stop_timeout_ms: timeout }, 'consumer stopped before all fetched work finished: unfinished messages are delivered again');
    return drained;
  }

  /**
   * Stops fetching these partitions until resume(); messages fetched already are still handled.
   * Independent of the library's own pauses (backpressure, dead-letter failures): a partition
   * fetches again only when neither holds it. A revoke forgets it. Each partition is named by
   * topic and partition (plus `groupId` when several groups of this consumer consume the topic)
   * and must be assigned to this consumer now (StateError GCK_STATE otherwise).
   */
  pause(partitions: readonly GroupPartitionRef[]): void {
    for (const [g, tps] of this.#route(partitions, 'pause')) g.control.pause(tps);
  }

  /** Ends pause() of these partitions (see pause()). */
  resume(partitions: readonly GroupPartitionRef[]): void {
    for (const [g, tps] of this.#route(partitions, 'resume')) g.control.resume(tps);
  }

  /** The partitions paused by pause(), per group. */
  paused(): Array<PartitionRef & { readonly groupId: string }> {
    this.#running('paused');
    return this.#groups.flatMap((g) => g.control.paused().map((tp) => ({ groupId: g.groupId, ...tp })));
  }

  /**
   * Moves a partition to an offset, 'beginning', 'end' or the first message at or after a
   * `timestamp`; resolves with the offset it restarts at once librdkafka applied it (paused from
   * the call; StateError when it still refuses after `timeoutMs`). Its messages fetched but not started are
   * dropped (never handled), handlers running finish (fetching from the target waits for them,
   * bounded by revokeTimeoutMs) and their completions commit nothing; the target is committed at
   * once and the watermark counts from it (docs/consumer.md#consumer-control).
   */
  seek(target: SeekTarget & { readonly groupId?: string }, options?: { readonly timeoutMs?: number } | null): Promise<number> {
    try {
      return this.#group(target, 'seek').control.seek(target, timeoutOption(options, 'seek'));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Commits every partition's watermark now; resolves with the committed offsets once the broker
   * answered (a partition's commit error rejects with its KafkaError; GCK_KAFKA__TIMED_OUT when no
   * answer came within `timeoutMs`, 10 s).
   */
  async commitNow(options?: { readonly timeoutMs?: number } | null): Promise<Array<NativeTopicPartitionOffset & { readonly groupId: string }>> {
    this.#running('commitNow');
    const timeoutMs = timeoutOption(options, 'commitNow');
    const all = await Promise.all(this.#groups.map(async (g) => (await g.control.commitNow(timeoutMs)).map((o) => ({ groupId: g.groupId, ...o }))));
    return all.flat();
  }

  /** The offset after the last message librdkafka handed to this consumer for an assigned partition (-1: none yet; after a seek: the target). */
  position(partition: GroupPartitionRef): number {
    return this.#group(partition, 'position').control.position(partition);
  }

  /** Per assigned partition of every group: position, watermark, committed offset, log watermarks and lag. */
  async lag(options?: { readonly timeoutMs?: number } | null): Promise<Array<PartitionLag & { readonly groupId: string }>> {
    this.#running('lag');
    const timeoutMs = timeoutOption(options, 'lag');
    const all = await Promise.all(this.#groups.map(async (g) => (await g.control.lag(timeoutMs)).map((l) => ({ groupId: g.groupId, ...l }))));
    return all.flat();
  }

  #running(op: string): void {
    if (this.#state !== 'running') throw new StateError('Consumer', op, this.#state, ['running']);
  }

  /** The group a partition reference means: the one group of this consumer consuming its topic, or the named one. */
  #group(tp: GroupPartitionRef, op: string): GroupConsumer {
    this.#running(op);
    checkRef(tp, op);
    const ids = [...new Set(this.#handlers.filter((h) => h.topics.includes(tp.topic)).map((h) => h.groupId))];
    if (ids.length === 0) throw new InvalidArgumentError('topic', `no handler of this consumer consumes "${tp.topic}"`, { operation: op, topic: tp.topic });
    const id = tp.groupId ?? (ids.length === 1 ? ids[0] : undefined);
    if (id === undefined) throw new InvalidArgumentError('groupId', `topic "${tp.topic}" is consumed by groups ${ids.join(', ')}: name one`, { operation: op, topic: tp.topic });
    const g = ids.includes(id) ? this.#groups.find((x) => x.groupId === id) : undefined;
    if (g === undefined) throw new InvalidArgumentError('groupId', `no handler of group "${id}" consumes "${tp.topic}"`, { operation: op, topic: tp.topic, groupId: id });
    return g;
  }

  #route(tps: readonly GroupPartitionRef[], op: string): Map<GroupConsumer, PartitionRef[]> {
    if (!Array.isArray(tps)) throw new InvalidArgumentError('partitions', `${op}() takes an array of { topic, partition }`, { operation: op });
    const out = new Map<GroupConsumer, PartitionRef[]>();
    for (const tp of tps) {
      const g = this.#group(tp, op);
      const list = out.get(g) ?? [];
      list.push({ topic: tp.topic, partition: tp.partition });
      out.set(g, list);
    }
    return out;
  }

  /** Refreshes the consumer gauges at scrape time (lag, in flight, pool, paused partitions). */
  collect(m: GaugeSink): void {
    let inflight = 0;
    for (const g of this.#groups) {
      inflight += g.inFlight;
      const group = g.groupId;
      m.pausedPartitions.set({ group }, g.pausedCount);
      const executors = this.#groupExecutors.get(group) ?? [];
      m.poolUtilization.set({ group }, executors.length === 0 ? 0 : executors.reduce((a, e) => a + e.utilization, 0) / executors.length);
      m.poolQueueDepth.set({ group }, executors.reduce((a, e) => a + e.queueSize, 0));
      const before = this.#lagSeries.get(group);
      const now = new Map<string, { group: string; topic: string; partition: string }>();
      for (const w of g.watermarks) {
        const labels = { group, topic: w.topic, partition: String(w.partition) };
        now.set(`${w.topic}\0${w.partition}`, labels);
        try {
          const wm = g.native?.getWatermarkOffsets(w.topic, w.partition);
          if (wm !== undefined && wm.highOffset >= 0 && w.offset >= 0) m.lag.set(labels, Math.max(0, wm.highOffset - w.offset));
        } catch {
          /* no cached watermarks yet */
        }
      }
      // A partition this group no longer has (revoked in a rebalance) stops being exported.
      if (before !== undefined) for (const [k, labels] of before) if (!now.has(k)) m.lag.remove(labels);
      this.#lagSeries.set(group, now);
    }
    m.inflight.set({ component: 'consumer' }, inflight);
    for (const [group, s] of this.#librdkafka) m.setLibrdkafka(`${this.#cm.config.clientId}/${group}`, s);
  }

  /** Removes this consumer's series (called by the metrics adapter when the consumer stops). */
  retire(m: GaugeSink): void {
    for (const [group, s] of this.#librdkafka) m.removeLibrdkafka(`${this.#cm.config.clientId}/${group}`, s);
    for (const [group, series] of this.#lagSeries) {
      for (const labels of series.values()) m.lag.remove(labels);
      m.pausedPartitions.remove({ group });
      m.poolUtilization.remove({ group });
      m.poolQueueDepth.remove({ group });
    }
  }

  /** Per consumer group: the last librdkafka statistics summary of its consumer (when statistics are on). */
  get librdkafkaStats(): ReadonlyMap<string, LibrdkafkaSummary> {
    return this.#librdkafka;
  }

  /** Per group counters; builds no list per call (cheap enough to poll). */
  stats(): ConsumerStats[] {
    const now = Date.now();
    return this.#groups.map((g) => groupStats(g, now));
  }
}
