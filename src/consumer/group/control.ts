import { setTimeout as delay } from 'node:timers/promises';
import { InvalidArgumentError, StateError } from '../../errors/base.js';
import { fromNativeError, RD } from '../../errors/librdkafka.js';
import type { NativeError, NativeTopicPartitionOffset } from '../../native/types.js';
import { PAUSE_GLOBAL, PAUSE_SEEK, PAUSE_SEEKING, PAUSE_USER, resumeAndWake, tpKey } from './backpressure.js';
import { checkRef, seekTo, timeoutOf } from './control-args.js';
import { committedOf, offsetForTime, partitionError, perPartition, refusedCommit, SEEK_IN_DOUBT, seekOnce, watermarksFor, watermarksOf, type ControlNative } from './control-native.js';
import { PartitionState } from './partition-state.js';
import type { RebalanceContext } from './rebalance.js';

/** What control shares with its group consumer (the same objects the rebalance handling gets). */
export type ControlContext = Pick<RebalanceContext, 'groupId' | 'hooks' | 'partitions' | 'pauses' | 'dispatcher' | 'offsets' | 'revokeTimeoutMs' | 'native' | 'dropped'>;

/** How long a seek waits before asking again when librdkafka refused it with __STATE (fetcher not started). */
const SEEK_RETRY_MS = 25;

/** A partition of a topic the consumer consumes. */
export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** A partition, and the consumer group it is meant in when more than one group of the consumer consumes its topic. */
export type GroupPartitionRef = PartitionRef & { readonly groupId?: string };

/**
 * Where seek() moves a partition: an `offset` (a number, `'beginning'` or `'end'`), or the first
 * message whose timestamp is at or after `timestamp` (ms since the epoch; the end when none is).
 */
export type SeekTarget = PartitionRef & ({ readonly offset: number | 'beginning' | 'end'; readonly timestamp?: undefined } | { readonly timestamp: number; readonly offset?: undefined });

/** One assigned partition's positions (lag()). Offsets are -1 when unknown. */
export interface PartitionLag extends PartitionRef {
  /**
   * The offset after the last message librdkafka handed to this consumer (not the next one it
   * fetches: it prefetches ahead); after a seek the target until its first message.
   */
  readonly position: number;
  /** Where a commit now would restart the partition: its contiguous watermark (every message before it is done). */
  readonly watermark: number;
  /** The group's committed offset, asked from the broker. */
  readonly committed: number;
  readonly lowWatermark: number;
  readonly highWatermark: number;
  /** Messages not done yet: highWatermark − watermark (else − committed, − position). */
  readonly lag: number;
  /** Fetching is paused, for whatever reason (backpressure, the application, a seek's drain). */
  readonly paused: boolean;
  /** Paused by pause() (until resume() or a revoke). */
  readonly pausedByUser: boolean;
  /**
   * A seek of it timed out in librdkafka and was not confirmed since: that seek may still apply,
   * so the partition stays paused (`paused`) until a seek of it applies or it is revoked.
   */
  readonly seekUnconfirmed: boolean;
}

export { checkRef, CONTROL_TIMEOUT_MS, timeoutOption } from './control-args.js';

/**
 * Consumer control of one group (Consumer.pause/resume/seek/commitNow/position/lag act through
 * it): it works on the group consumer's own partition states, so the at-least-once watermark stays
 * right.
 *
 * - pause/resume set and clear a pause reason of their own (PAUSE_USER): the library's pauses
 *   (backpressure, dead-letter failures) come and go beside it, and fetching resumes only when no
 *   reason is left. A revoke forgets it (the partition's next assignment starts unpaused).
 * - seek first pauses the partition (PAUSE_SEEKING) and has librdkafka apply the seek on a worker
 *   thread, waiting for its answer (asked again while librdkafka refuses it because the
 *   partition's fetcher has not started yet, right after an assignment; bounded by timeoutMs).
 *   Until it answers the old state goes on (its queued messages are still handled: a seek that
 *   fails leaves the partition as it was) and nothing is fetched from either position. Once it
 *   applied, the partition's state is replaced by a new one (its "epoch"): the old one counts as
 *   revoked, so its queued messages are dropped (never handled), retries waiting for a backoff
 *   are forgotten, and completions of its running work go to the old tracker and move no offset
 *   (a task already started runs all its messages: it is handed to the executor as a whole). The
 *   new tracker's watermark starts at the target, which is stored and committed at once. Fetching
 *   from the target waits (PAUSE_SEEK, bounded by revokeTimeoutMs) until the old running work is
 *   over, so a key's messages never run twice at once; stop() waits for it too (busyReplaced()).
 *   Seeks of one partition run one after the other: the last one called wins.
 * - A seek librdkafka did not answer in time (__TIMED_OUT) is queued in librdkafka and may still
 *   apply (it cannot be withdrawn): the old state must not fetch again, or messages of the target
 *   would reach its tracker. It stays paused (PAUSE_SEEKING, state "unconfirmed") and the same seek
 *   is asked again (librdkafka serves a partition's ops in order: the answer comes after the
 *   first one's) for up to another timeoutMs; once one applies the new epoch starts as above.
 *   Unconfirmed by then (or refused meanwhile), it rejects and the partition stays paused (lag():
 *   seekUnconfirmed) until a later seek of it applies or it is revoked.
 */
export class PartitionControl {
  readonly #g: ControlContext;
  readonly #running: () => boolean;
  /** Per partition (tpKey): the seek under way, settled (the next seek of the partition waits for it). */
  readonly #seeking = new Map<string, Promise<void>>();
  /** Per partition (tpKey): seeks called and not settled (PAUSE_SEEKING holds while any is). */
  readonly #pending = new Map<string, number>();
  /** States replaced by a seek while their work was running (until it is over; see busyReplaced()). */
  readonly #replaced = new Set<PartitionState>();
  /** States a seek of which timed out natively, unconfirmed since: they keep PAUSE_SEEKING (never fetch again). */
  readonly #unconfirmed = new WeakSet<PartitionState>();

  constructor(context: ControlContext, running: () => boolean) {
    this.#g = context;
    this.#running = running;
  }

  /** Stops fetching these partitions until resume() (messages fetched already are still handled). */
  pause(partitions: readonly PartitionRef[]): void {
    for (const ps of this.#states(partitions, 'pause')) this.#g.pauses.set(ps, PAUSE_USER, true);
  }

  /** Ends pause(); a partition paused by the library as well stays paused until that ends too. */
  resume(partitions: readonly PartitionRef[]): void {
    for (const ps of this.#states(partitions, 'resume')) this.#g.pauses.set(ps, PAUSE_USER, false);
  }

  /** The partitions paused by pause() (not by the library). */
  paused(): PartitionRef[] {
    const out: PartitionRef[] = [];
    for (const ps of this.#g.partitions.values()) if (!ps.revoked && (ps.pauseMask & PAUSE_USER) !== 0) out.push({ topic: ps.topic, partition: ps.partition });
    return out;
  }

  /**
   * Whether work of a state a seek replaced still runs (its messages no longer count as in flight,
   * see GroupConsumer.stop()).
   */
  busyReplaced(): boolean {
    for (const s of this.#replaced) if (s.busyCount <= 0) this.#replaced.delete(s);
    return this.#replaced.size > 0;
  }

  /**
   * Moves the partition to `target`; resolves with the offset it restarts at once librdkafka
   * applied the seek and the partition's state was replaced (see the class comment).
   */
  seek(target: SeekTarget, timeoutMs?: number): Promise<number> {
    try {
      const to = seekTo(target);
      const wait = timeoutOf(timeoutMs);
      const ps = this.#state(target, 'seek');
      const deadline = Date.now() + wait;
      const key = tpKey(target.topic, target.partition);
      // Paused at once (also from the assignment's hook, before the partition fetches anything):
      // nothing more comes from the current position while the target is looked up and applied.
      this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
      this.#g.pauses.set(ps, PAUSE_SEEKING, true);
      const run = (this.#seeking.get(key) ?? Promise.resolve()).then(() => this.#seek(target, to, deadline, wait)).finally(() => this.#seekDone(key));
      const settled = run.then(
        () => undefined,
        () => undefined,
      );
      this.#seeking.set(key, settled);
      void settled.then(() => {
        if (this.#seeking.get(key) === settled) this.#seeking.delete(key);
      });
      return run;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async #seek(tp: PartitionRef, to: number | 'beginning' | 'end' | { timestamp: number }, deadline: number, timeoutMs: number): Promise<number> {
    const native = this.#native('seek');
    this.#state(tp, 'seek');
    const offset = await this.#resolve(native, tp, to, deadline);
    // Looked up again: the partition may have been revoked (or the group stopped) meanwhile.
    const ps = this.#state(tp, 'seek');
    await this.#seekNative(native, ps, offset, deadline, timeoutMs);
    if (this.#state(tp, 'seek') !== ps) throw new StateError(`partition ${tp.topic}[${tp.partition}]`, 'seek', `revoked and assigned again during the seek (group ${this.#g.groupId})`, ['assigned']);
    this.#apply(native, ps, offset);
    return offset;
  }

  /** A seek settled: the last one of the partition ends PAUSE_SEEKING (a failed one leaves the partition as it was) unless one is unconfirmed. */
  #seekDone(key: string): void {
    const n = (this.#pending.get(key) ?? 1) - 1;
    if (n > 0) return void this.#pending.set(key, n);
    this.#pending.delete(key);
    const ps = this.#g.partitions.get(key);
    if (ps !== undefined && !ps.revoked && !this.#unconfirmed.has(ps)) this.#g.pauses.set(ps, PAUSE_SEEKING, false);
  }

  /**
   * librdkafka's seek, answered once applied. __STATE (the partition's fetcher has not started:
   * right after an assignment, before the committed offset came back) is asked again until the
   * deadline, then a StateError naming the partition; another code is its KafkaError. A call not
   * answered in time (__TIMED_OUT) leaves the seek queued in librdkafka: the state is marked
   * unconfirmed (stays paused) and the seek asked again until deadline + timeoutMs; a failure from
   * then on keeps it so (a GCK_KAFKA__TIMED_OUT KafkaError, context.unconfirmed).
   */
  async #seekNative(native: ControlNative, ps: PartitionState, offset: number, deadline: number, timeoutMs: number): Promise<void> {
    const tp = { topic: ps.topic, partition: ps.partition };
    const context = { groupId: this.#g.groupId, ...tp, offset };
    let end = deadline;
    let timedOut = false;
    for (;;) {
      // (Revoked or stopped: the partition is given up, its state never fetches again.)
      if (ps.revoked || !this.#running()) throw new StateError(`partition ${tp.topic}[${tp.partition}]`, 'seek', `not assigned to this consumer in group ${this.#g.groupId}`, ['assigned']);
      const { code, message } = await seekOnce(native, tp, offset, Math.max(1, end - Date.now()));
      if (code === 0) return;
      const doubt = SEEK_IN_DOUBT.has(code);
      if (doubt && !timedOut) end = Math.max(end, Date.now()) + timeoutMs;
      if (doubt) this.#unconfirmed.add(ps);
      timedOut ||= doubt;
      const stays = this.#unconfirmed.has(ps) ? ': a timed-out attempt may still apply, so the partition stays paused until a seek of it applies or it is revoked' : '';
      if (!doubt && code !== RD.ERR__STATE) throw partitionError({ ...tp, code }, 'seek', message + stays, { ...context, unconfirmed: stays !== '' });
      if (Date.now() + SEEK_RETRY_MS >= end) {
        if (timedOut) throw fromNativeError({ code: RD.ERR__TIMED_OUT, message: `librdkafka did not confirm the seek to offset ${offset} (asked again for another ${timeoutMs} ms after it timed out)${stays}` }, `seek ${tp.topic}[${tp.partition}]`, { ...context, unconfirmed: true });
        throw new StateError(`partition ${tp.topic}[${tp.partition}]`, 'seek', `not fetching: librdkafka refused the seek to offset ${offset} (its fetcher did not start within ${timeoutMs} ms)${stays}`, ['fetching']);
      }
      await delay(SEEK_RETRY_MS);
    }
  }

  /** The target's offset; its lookups (watermarks, then offsets for times) share what is left until `deadline`. */
  async #resolve(native: ControlNative, tp: PartitionRef, to: number | 'beginning' | 'end' | { timestamp: number }, deadline: number): Promise<number> {
    const wm = await watermarksOf(native, tp, Math.max(1, deadline - Date.now()));
    if (to === 'beginning') return wm.lowOffset;
    if (to === 'end') return wm.highOffset;
    if (typeof to === 'number') {
      if (to > wm.highOffset) throw new InvalidArgumentError('offset', `${to} is past the end of ${tp.topic}[${tp.partition}] (its high watermark is ${wm.highOffset})`, { topic: tp.topic, partition: tp.partition, offset: to });
      // Below the log start (deleted by retention): the first offset still there.
      return Math.max(to, wm.lowOffset);
    }
    const offset = await offsetForTime(native, tp, to.timestamp, Math.max(1, deadline - Date.now()), { groupId: this.#g.groupId });
    // No message at or after the time (the broker answered for the partition): the end.
    return offset >= 0 ? offset : wm.highOffset;
  }

  /** The seek applied natively (the partition paused, PAUSE_SEEKING): the old state is replaced. */
  #apply(native: ControlNative, old: PartitionState, offset: number): void {
    const g = this.#g;
    const tp = { topic: old.topic, partition: old.partition };
    const superseded = old.superseded.filter((s) => s.busyCount > 0);
    if (old.busyCount > 0) superseded.push(old);
    for (const s of superseded) this.#replaced.add(s);
    // (Another seek of the partition waits: it stays paused for that one.)
    const waiting = (this.#pending.get(tpKey(tp.topic, tp.partition)) ?? 0) > 1 ? PAUSE_SEEKING : 0;
    const mask = (old.pauseMask & (PAUSE_USER | PAUSE_GLOBAL)) | (superseded.length > 0 ? PAUSE_SEEK : 0) | waiting;
    const next = new PartitionState(old.topic, old.partition, old.entry);
    next.consumeCounters = old.consumeCounters;
    next.seekedTo = offset;
    next.superseded = superseded;
    next.tracker.restartAt(offset);
    next.tracker.stored = offset;
    // The old state is over: its queued messages are dropped, its running work completes into it.
    old.revoked = true;
    this.#unconfirmed.delete(old);
    const dropped = old.open;
    old.open = 0;
    g.dispatcher.dropQueued(old);
    g.offsets.forget(old);
    g.pauses.transfer(old, next, mask);
    g.partitions.set(tpKey(tp.topic, tp.partition), next);
    if (next.paused && mask === 0) {
      next.paused = false;
      this.#resume(native, tp);
    }
    g.dropped(dropped);
    // Stored and committed now: a restart (or the next owner) begins at the target, also when it
    // is below the committed offset (librdkafka's auto-commit only commits a stored offset above
    // the committed one).
    g.offsets.commitAsync(native, [{ ...tp, offset }]);
    if (superseded.length > 0) void this.#afterSuperseded(next);
  }

  /** Clears PAUSE_SEEK once the replaced states' running work is over (or revokeTimeoutMs passed). */
  async #afterSuperseded(next: PartitionState): Promise<void> {
    const key = tpKey(next.topic, next.partition);
    const current = () => this.#running() && !next.revoked && this.#g.partitions.get(key) === next;
    const deadline = Date.now() + this.#g.revokeTimeoutMs;
    while (current() && next.superseded.some((s) => s.busyCount > 0) && Date.now() < deadline) await delay(5, undefined, { ref: false });
    // (Replaced by another seek meanwhile: that one took over what is still running.)
    if (!current()) return;
    next.superseded = [];
    this.#g.pauses.set(next, PAUSE_SEEK, false);
  }

  #resume(native: ControlNative, tp: PartitionRef): void {
    try {
      resumeAndWake(native, [tp]);
    } catch (e) {
      this.#g.hooks.onError?.(fromNativeError(e as NativeError, `resume ${tp.topic}[${tp.partition}]`, { groupId: this.#g.groupId }));
    }
  }

  /**
   * Commits the watermarks now; resolves with the offsets once the broker answered (per
   * partition: a partition's error rejects with its KafkaError). A partition revoked or moved by
   * a seek meanwhile is left out (the revoke or seek committed it).
   */
  async commitNow(timeout?: number): Promise<NativeTopicPartitionOffset[]> {
    const timeoutMs = timeoutOf(timeout);
    const native = this.#native('commitNow');
    const g = this.#g;
    g.offsets.store();
    const live = [...g.partitions.values()].filter((ps) => !ps.revoked && ps.tracker.watermark >= 0);
    if (live.length === 0) return [];
    const offsets = live.map((ps) => ({ topic: ps.topic, partition: ps.partition, offset: ps.tracker.watermark }));
    const context = { groupId: g.groupId };
    const results = await perPartition(`commit (group ${g.groupId})`, (cb) => native.commitWait(offsets, timeoutMs, cb), context);
    const failed = results.filter((r) => r.code !== 0);
    if (failed.length > 0) throw refusedCommit(failed, g.groupId);
    // Revoked or replaced by a seek while the commit ran: that revoke or seek committed it.
    return offsets.filter((o, i) => !live[i]!.revoked);
  }

  /**
   * The offset after the last message librdkafka handed to this consumer (-1: none yet), from the
   * client's local state: not the next offset it fetches (it prefetches ahead).
   */
  position(tp: PartitionRef): number {
    const ps = this.#state(tp, 'position');
    // After a seek and before its first message librdkafka knows no position yet: the target is it.
    if (ps.seekedTo >= 0 && ps.tracker.fetched === 0) return ps.seekedTo;
    const [r] = this.#native('position').position([{ topic: tp.topic, partition: tp.partition }]);
    return r !== undefined && r.offset >= 0 ? r.offset : -1;
  }

  /**
   * Per assigned partition: position, watermark, committed offset, log watermarks and lag, within
   * one deadline. Log watermarks of a partition fetching now are librdkafka's of its last fetch
   * response (no request); the others are asked from the leaders, at most LAG_QUERIES at a time.
   */
  async lag(timeout?: number): Promise<PartitionLag[]> {
    const timeoutMs = timeoutOf(timeout);
    const native = this.#native('lag');
    const states = [...this.#g.partitions.values()].filter((ps) => !ps.revoked);
    if (states.length === 0) return [];
    const deadline = Date.now() + timeoutMs;
    const fetching = new Set(states.filter((ps) => !ps.paused).map((ps) => tpKey(ps.topic, ps.partition)));
    const [committed, marks] = await Promise.all([
      committedOf(native, states, timeoutMs, { groupId: this.#g.groupId }),
      watermarksFor(native, states, (tp) => fetching.has(tpKey(tp.topic, tp.partition)), deadline),
    ]);
    const out: PartitionLag[] = [];
    for (const s of states) {
      const key = tpKey(s.topic, s.partition);
      const ps = this.#g.partitions.get(key) ?? s; // (moved by a seek meanwhile: the current state)
      const wm = marks.get(key)!;
      const c = committed.get(key) ?? -1;
      const point = ps.tracker.commitPoint;
      let position = -1;
      try {
        if (!ps.revoked && this.#running()) position = this.position(ps);
      } catch {
        /* revoked meanwhile */
      }
      const base = point >= 0 ? point : c >= 0 ? c : position >= 0 ? position : wm.lowOffset;
      out.push({
        topic: ps.topic,
        partition: ps.partition,
        position,
        watermark: point,
        committed: c >= 0 ? c : -1,
        lowWatermark: wm.lowOffset,
        highWatermark: wm.highOffset,
        lag: Math.max(0, wm.highOffset - base),
        paused: ps.paused,
        pausedByUser: (ps.pauseMask & PAUSE_USER) !== 0,
        seekUnconfirmed: !ps.revoked && this.#unconfirmed.has(ps),
      });
    }
    return out;
  }

  #native(op: string): ControlNative {
    const native = this.#g.native();
    if (!this.#running() || native === undefined) throw new StateError('GroupConsumer', op, 'not running', ['running']);
    return native as ControlNative;
  }

  /** The current state of an assigned partition; StateError when the group does not have it. */
  #state(tp: PartitionRef, op: string): PartitionState {
    checkRef(tp, op);
    this.#native(op);
    const ps = this.#g.partitions.get(tpKey(tp.topic, tp.partition));
    if (ps === undefined || ps.revoked) throw new StateError(`partition ${tp.topic}[${tp.partition}]`, op, `not assigned to this consumer in group ${this.#g.groupId}`, ['assigned']);
    return ps;
  }

  /** Every partition checked before any is changed. */
  #states(tps: readonly PartitionRef[], op: string): PartitionState[] {
    if (!Array.isArray(tps)) throw new InvalidArgumentError('partitions', `${op}() takes an array of { topic, partition }`, { got: typeof tps });
    return tps.map((tp) => this.#state(tp, op));
  }
}
