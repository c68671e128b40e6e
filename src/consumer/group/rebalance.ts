import { setTimeout as delay } from 'node:timers/promises';
import { fromNativeError, RD } from '../../errors/librdkafka.js';
import type { NativeBatchConsumer, NativeError, NativeTopicPartition } from '../../native/types.js';
import type { ConsumerObserver } from '../observer.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { HandlerEntry } from '../dispatch/handler-entry.js';
import { tpKey, type Backpressure } from './backpressure.js';
import type { OffsetStore } from './offsets.js';
import type { ControlNative } from './control-native.js';
import { PartitionState } from './partition-state.js';
import type { GroupHooks, GroupStats } from './types.js';

/** What the rebalance handling shares with its group consumer (made once, at construction). */
export interface RebalanceContext {
  readonly groupId: string;
  readonly stats: GroupStats;
  readonly hooks: GroupHooks;
  readonly revokeTimeoutMs: number;
  readonly entries: ReadonlyMap<string, HandlerEntry>;
  /** The group's assigned partitions by tpKey (the group consumer's own map). */
  readonly partitions: Map<string, PartitionState>;
  readonly observer: ConsumerObserver | undefined;
  readonly pauses: Backpressure;
  readonly dispatcher: Pick<Dispatcher, 'dropQueued'>;
  readonly offsets: OffsetStore;
  native(): NativeBatchConsumer | undefined;
  /** The group's fetched messages not yet done. */
  inFlight(): number;
  /** Revoked partitions' `n` open messages no longer count as in flight (called once per revoke). */
  dropped(n: number): void;
}

/**
 * librdkafka's rebalance callback for a group: an assignment makes the partitions' state and
 * applies it; a revoke stops dispatching the partitions at once, then (serialised with earlier
 * revokes) waits, bounded, for their running work, commits their watermarks and unassigns them.
 * Cooperative (incremental) and eager protocols alike. Under KIP-848's consumer group protocol
 * (group_protocol: consumer) librdkafka reports COOPERATIVE once subscribed and only the
 * incremental calls are allowed, which is what a COOPERATIVE protocol selects here.
 */
export class Rebalance {
  readonly #g: RebalanceContext;
  #revoking: Promise<void> = Promise.resolve();
  /** The rebalance protocol as of the last assignment (COOPERATIVE or EAGER; see #onRebalance). */
  #cooperative = false;
  /** stop() made its final commit and is leaving the group. */
  #closing = false;
  /**
   * stop() no longer waits for unfinished work (its drain timed out, or it is leaving the group):
   * neither does a revoke (the close-time revoke of the disconnect included). What has not
   * finished is delivered again to the partitions' next owners.
   */
  #abandoned = false;

  constructor(context: RebalanceContext) {
    this.#g = context;
  }

  /** The revokes under way, settled (never rejects): stop() waits for them. */
  get revoking(): Promise<void> {
    return this.#revoking;
  }

  /** stop() gave up on unfinished work: a revoke does not wait for it either. */
  abandon(): void {
    this.#abandoned = true;
  }

  /** stop() made its final commit and leaves the group: revokes neither wait nor commit. */
  leave(): void {
    this.#closing = true;
    this.#abandoned = true;
  }

  /** librdkafka's rebalance callback: nothing may escape it (the rebalance would stay half done). */
  callback(err: NativeError, tps: NativeTopicPartition[]): void {
    try {
      this.#onRebalance(err, tps);
    } catch (e) {
      const groupId = this.#g.groupId;
      this.#g.hooks.onError?.(fromNativeError(e as NativeError, `rebalance (group ${groupId})`, { groupId }));
    }
  }

  #onRebalance(err: NativeError, tps: NativeTopicPartition[]): void {
    const g = this.#g;
    const native = g.native();
    if (native === undefined) return;
    g.stats.rebalances++;
    // The protocol as of the last assignment: in the final revoke of a close librdkafka already
    // reports NONE (no longer in a group), and reading it then made a cooperative consumer give
    // its partitions up eagerly (unassign() of everything instead of incrementalUnassign()).
    const protocol = native.rebalanceProtocol();
    if (protocol === 'COOPERATIVE' || protocol === 'EAGER') this.#cooperative = protocol === 'COOPERATIVE';
    const cooperative = this.#cooperative;
    if (err.code === RD.ERR__ASSIGN_PARTITIONS) {
      const added: PartitionState[] = [];
      for (const tp of tps) {
        const entry = g.entries.get(tp.topic);
        if (entry === undefined) continue;
        const ps = new PartitionState(tp.topic, tp.partition, entry);
        ps.consumeCounters = g.observer?.countersOf(tp.topic);
        g.partitions.set(tpKey(tp.topic, tp.partition), ps);
        added.push(ps);
      }
      try {
        if (cooperative) native.incrementalAssign(tps);
        else native.assign(tps);
      } catch (e) {
        g.hooks.onError?.(fromNativeError(e as NativeError, 'assign'));
      }
      // Fetching is globally paused: new partitions start paused too.
      g.pauses.assigned(added, g.inFlight());
      // Only now, with the assignment applied (the hook cannot leave the group stuck).
      g.hooks.onRebalance?.(g.groupId, 'assign', tps);
      return;
    }
    if (err.code === RD.ERR__REVOKE_PARTITIONS) {
      // Stop dispatching them now; then (serialised with earlier revokes) wait for their running
      // work, commit, unassign.
      const states = this.#beginRevoke(tps);
      this.#revoking = this.#revoking
        .then(() => this.#revoke(states, tps, cooperative))
        .catch((e: unknown) => g.hooks.onError?.(e instanceof Error ? e : new Error(String(e))));
      g.hooks.onRebalance?.(g.groupId, 'revoke', tps);
      return;
    }
    g.hooks.onError?.(fromNativeError(err, 'rebalance'));
  }

  #beginRevoke(tps: NativeTopicPartition[]): PartitionState[] {
    const g = this.#g;
    const states: PartitionState[] = [];
    let dropped = 0;
    for (const tp of tps) {
      const ps = g.partitions.get(tpKey(tp.topic, tp.partition));
      if (ps === undefined) continue;
      states.push(ps);
      // Stop dispatching; queued-but-not-started messages are dropped (the next owner re-reads
      // them from the committed offset), and so are the ones waiting out a retry backoff (a
      // rebalance is not held up by backoffs): the revoke commits the contiguous watermark, so
      // what was done above the first unfinished message is delivered again (at least once).
      // The partition's messages stop counting as in flight.
      ps.revoked = true;
      dropped += ps.open;
      ps.open = 0;
      g.dispatcher.dropQueued(ps);
    }
    if (states.length > 0) g.dropped(dropped);
    return states;
  }

  async #revoke(states: PartitionState[], tps: NativeTopicPartition[], cooperative: boolean): Promise<void> {
    const g = this.#g;
    const native = g.native()!;
    // Running tasks and dead-letter writes in flight (not retry backoffs: see Dispatcher), bounded;
    // not at all once stop() gave up on unfinished work or is leaving the group.
    const deadline = Date.now() + g.revokeTimeoutMs;
    // (also the work a seek replaced: the next owner must not run its keys while it still runs)
    while (!this.#abandoned && states.some((s) => s.busyCount > 0 || s.superseded.some((o) => o.busyCount > 0)) && Date.now() < deadline) await delay(5);
    // Leaving the group in stop(): its final commit already covered these partitions.
    const closing = this.#closing;
    if (!closing) {
      const offsets = states.filter((s) => s.tracker.watermark >= 0).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.tracker.watermark }));
      // Waited for on a worker (not the JS thread), as long as the revoke may wait for handlers.
      await g.offsets.commitAndWait(native as ControlNative, offsets, Math.max(1000, g.revokeTimeoutMs));
    }
    const paused: NativeTopicPartition[] = [];
    for (const s of states) {
      const key = tpKey(s.topic, s.partition);
      if (g.partitions.get(key) === s) g.partitions.delete(key); // (eager: may be assigned again already)
      g.pauses.forget(s);
      if (s.paused) paused.push({ topic: s.topic, partition: s.partition });
      g.offsets.forget(s);
    }
    try {
      // Paused by us: resume before giving them up, so that a later assignment of the same
      // partitions to this consumer does not start paused with no in-flight work to resume it.
      if (paused.length > 0) native.resume(paused);
      if (cooperative) native.incrementalUnassign(tps);
      else native.unassign();
    } catch (e) {
      if (!closing) g.hooks.onError?.(fromNativeError(e as NativeError, 'unassign'));
    }
  }
}
