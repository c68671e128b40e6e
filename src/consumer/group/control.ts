import { setTimeout as delay } from 'node:timers/promises';
import { checkIntegerOption, InvalidArgumentError, MAX_TIMER_MS, StateError } from '../../errors/base.js';
import { fromNativeError, RD, type NativeErrorLike } from '../../errors/librdkafka.js';
import type { NativeBatchConsumer, NativeError, NativeSeekResult, NativeTopicPartition, NativeTopicPartitionOffset, NativeWatermarks } from '../../native/types.js';
import { PAUSE_GLOBAL, PAUSE_SEEK, PAUSE_USER, resumeAndWake, tpKey } from './backpressure.js';
import { PartitionState } from './partition-state.js';
import type { RebalanceContext } from './rebalance.js';

/** What control shares with its group consumer (the same objects the rebalance handling gets). */
export type ControlContext = Pick<RebalanceContext, 'groupId' | 'hooks' | 'partitions' | 'pauses' | 'dispatcher' | 'offsets' | 'revokeTimeoutMs' | 'native' | 'dropped'>;

/**
 * The batch consumer's calls control needs besides NativeBatchConsumer's (native/batch-consumer.ts
 * has them; native/types.ts does not list them on NativeBatchConsumer yet).
 */
type ControlNative = NativeBatchConsumer & {
  seek(offsets: NativeTopicPartitionOffset[]): NativeSeekResult[];
  position(tps: NativeTopicPartition[]): NativeTopicPartitionOffset[];
  offsetsForTimes(tps: NativeTopicPartitionOffset[], timeoutMs: number, cb: (err: NativeError | null | undefined, offsets: NativeTopicPartitionOffset[]) => void): void;
};

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
  /** The next offset the client fetches. */
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
}

/**
 * What librdkafka's asynchronous seek (rd_kafka_seek_partitions with no timeout) reports for a
 * partition it took: RD_KAFKA_RESP_ERR__IN_PROGRESS, not 0.
 */
const SEEK_IN_PROGRESS = -178;

/** How long a control call waits for the broker by default (watermarks, offsets for times, commits). */
export const CONTROL_TIMEOUT_MS = 10_000;

/**
 * Consumer control of one group (Consumer.pause/resume/seek/commitNow/position/lag act through
 * it): it works on the group consumer's own partition states, so the at-least-once watermark stays
 * right.
 *
 * - pause/resume set and clear a pause reason of their own (PAUSE_USER): the library's pauses
 *   (backpressure, dead-letter failures) come and go beside it, and fetching resumes only when no
 *   reason is left. A revoke forgets it (the partition's next assignment starts unpaused).
 * - seek replaces the partition's state by a new one (its "epoch"): the old one counts as revoked,
 *   so its queued messages are dropped (never handled), retries waiting for a backoff are
 *   forgotten, and completions of its running work go to the old tracker and move no offset (a
 *   task already started runs all its messages: it is handed to the executor as a whole). The
 *   new tracker's watermark starts at the target, which is stored and committed at once. Fetching
 *   from the target waits (PAUSE_SEEK, bounded by revokeTimeoutMs) until the old running work is
 *   over, so a key's messages never run twice at once.
 */
export class PartitionControl {
  readonly #g: ControlContext;
  readonly #running: () => boolean;

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
   * Moves the partition to `target`; resolves with the offset it restarts at once the seek is
   * applied (see the class comment for what happens to the work in flight).
   */
  async seek(target: SeekTarget, timeoutMs?: number): Promise<number> {
    const to = seekTo(target);
    const wait = timeoutOf(timeoutMs);
    this.#state(target, 'seek');
    const offset = await this.#resolve(this.#native('seek'), target, to, wait);
    // Looked up again: the partition may have been revoked (or the group stopped) meanwhile.
    const ps = this.#state(target, 'seek');
    this.#apply(this.#native('seek'), ps, offset);
    return offset;
  }

  async #resolve(native: ControlNative, tp: PartitionRef, to: number | 'beginning' | 'end' | { timestamp: number }, timeoutMs: number): Promise<number> {
    const wm = await watermarksOf(native, tp, timeoutMs);
    if (to === 'beginning') return wm.lowOffset;
    if (to === 'end') return wm.highOffset;
    if (typeof to === 'number') {
      if (to > wm.highOffset) throw new InvalidArgumentError('offset', `${to} is past the end of ${tp.topic}[${tp.partition}] (its high watermark is ${wm.highOffset})`, { topic: tp.topic, partition: tp.partition, offset: to });
      // Below the log start (deleted by retention): the first offset still there.
      return Math.max(to, wm.lowOffset);
    }
    const [r] = await new Promise<NativeTopicPartitionOffset[]>((resolve, reject) => {
      const fail = (e: NativeErrorLike) => reject(fromNativeError(e, `offsets for times ${tp.topic}[${tp.partition}]`, { groupId: this.#g.groupId }));
      try {
        native.offsetsForTimes([{ topic: tp.topic, partition: tp.partition, offset: to.timestamp }], timeoutMs, (err, offsets) => (err ? fail(err) : resolve(offsets)));
      } catch (e) {
        fail(e as NativeError);
      }
    });
    // No message at or after the time: the end.
    return r !== undefined && r.offset >= 0 ? r.offset : wm.highOffset;
  }

  #apply(native: ControlNative, old: PartitionState, offset: number): void {
    const g = this.#g;
    const tp = { topic: old.topic, partition: old.partition };
    const superseded = old.superseded.filter((s) => s.busyCount > 0);
    if (old.busyCount > 0) superseded.push(old);
    const mask = (old.pauseMask & (PAUSE_USER | PAUSE_GLOBAL)) | (superseded.length > 0 ? PAUSE_SEEK : 0);
    const wasPaused = old.paused;
    // Paused before the seek, so that nothing is fetched from the target before the pause applies.
    const pauseNow = !wasPaused && mask !== 0;
    let result: NativeSeekResult | undefined;
    try {
      if (pauseNow) native.pause([tp]);
      result = native.seek([{ ...tp, offset }])[0];
    } catch (e) {
      result = { ...tp, offset, code: (e as NativeError).code ?? RD.ERR__STATE };
    }
    if (result === undefined || (result.code !== 0 && result.code !== SEEK_IN_PROGRESS)) {
      if (pauseNow) this.#resume(native, tp);
      throw fromNativeError({ code: result?.code ?? RD.ERR__STATE, message: `librdkafka refused the seek to offset ${offset}` }, `seek ${tp.topic}[${tp.partition}]`, { groupId: g.groupId, ...tp, offset });
    }
    const next = new PartitionState(old.topic, old.partition, old.entry);
    next.consumeCounters = old.consumeCounters;
    next.seekedTo = offset;
    next.superseded = superseded;
    next.tracker.restartAt(offset);
    next.tracker.stored = offset;
    // The old state is over: its queued messages are dropped, its running work completes into it.
    old.revoked = true;
    const dropped = old.open;
    old.open = 0;
    g.dispatcher.dropQueued(old);
    g.offsets.forget(old);
    g.pauses.transfer(old, next, mask);
    g.partitions.set(tpKey(tp.topic, tp.partition), next);
    if (pauseNow) next.paused = true;
    else if (wasPaused && mask === 0) {
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
   * Commits the watermarks now; resolves with the offsets once the broker has them (asked back
   * with an OffsetFetch: the addon's asynchronous commit reports no result). A partition revoked
   * or moved by a seek meanwhile is left out (the revoke or seek committed it).
   */
  async commitNow(timeout?: number): Promise<NativeTopicPartitionOffset[]> {
    const timeoutMs = timeoutOf(timeout);
    const native = this.#native('commitNow');
    const g = this.#g;
    g.offsets.store();
    // Per partition: the watermark at the call. The broker may hold more once confirmed (an
    // auto-commit of a later watermark of the same state), never less.
    const floors = new Map<PartitionState, number>();
    for (const ps of g.partitions.values()) if (!ps.revoked && ps.tracker.watermark >= 0) floors.set(ps, ps.tracker.watermark);
    const confirmed: NativeTopicPartitionOffset[] = [];
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (let round = 0; floors.size > 0; round++) {
      for (const ps of floors.keys()) if (ps.revoked || !this.#running()) floors.delete(ps);
      const live = [...floors.keys()];
      if (live.length === 0) break;
      // The current watermarks (never below the floors): committing the floor again could take
      // the committed offset back behind an auto-commit.
      const offsets = live.map((ps) => ({ topic: ps.topic, partition: ps.partition, offset: ps.tracker.watermark }));
      try {
        native.commit(offsets);
      } catch (e) {
        throw fromNativeError(e as NativeError, `commit (group ${g.groupId})`, { groupId: g.groupId });
      }
      try {
        const got = await committedOf(native, live, Math.max(1, deadline - Date.now()));
        for (const ps of live) {
          const c = got.get(tpKey(ps.topic, ps.partition));
          if (c === undefined || c < floors.get(ps)! || c > ps.tracker.watermark) continue;
          floors.delete(ps);
          confirmed.push({ topic: ps.topic, partition: ps.partition, offset: c });
        }
      } catch (e) {
        lastError = e;
      }
      if (floors.size === 0) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        const list = [...floors.keys()].map((ps) => `${ps.topic}[${ps.partition}]`).join(', ');
        throw fromNativeError({ code: RD.ERR__TIMED_OUT, message: `the commit of ${list} was not confirmed within ${timeoutMs} ms` }, `commitNow (group ${g.groupId})`, { groupId: g.groupId, lastError: lastError instanceof Error ? lastError.message : undefined });
      }
      await delay(Math.min(20 << Math.min(round, 5), 500, left), undefined, { ref: false });
    }
    return confirmed;
  }

  /** The next offset fetched for the partition (-1: not known yet), from the client's local state. */
  position(tp: PartitionRef): number {
    const ps = this.#state(tp, 'position');
    // After a seek and before its first message librdkafka knows no position yet: the target is it.
    if (ps.seekedTo >= 0 && ps.tracker.fetched === 0) return ps.seekedTo;
    const [r] = this.#native('position').position([{ topic: tp.topic, partition: tp.partition }]);
    return r !== undefined && r.offset >= 0 ? r.offset : -1;
  }

  /** Per assigned partition: position, watermark, committed offset, log watermarks (asked from the broker) and lag. */
  async lag(timeout?: number): Promise<PartitionLag[]> {
    const timeoutMs = timeoutOf(timeout);
    const native = this.#native('lag');
    const states = [...this.#g.partitions.values()].filter((ps) => !ps.revoked);
    if (states.length === 0) return [];
    const [committed, marks] = await Promise.all([committedOf(native, states, timeoutMs), Promise.all(states.map((ps) => watermarksOf(native, ps, timeoutMs)))]);
    const out: PartitionLag[] = [];
    for (let i = 0; i < states.length; i++) {
      const key = tpKey(states[i]!.topic, states[i]!.partition);
      const ps = this.#g.partitions.get(key) ?? states[i]!; // (moved by a seek meanwhile: the current state)
      const wm = marks[i]!;
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

/** Throws InvalidArgumentError naming the field of a partition reference that cannot be used. */
export function checkRef(tp: PartitionRef, op: string): void {
  if (tp === null || typeof tp !== 'object') throw new InvalidArgumentError('partition', `${op}() takes { topic, partition }, got ${String(tp)}`);
  if (typeof tp.topic !== 'string' || tp.topic === '') throw new InvalidArgumentError('topic', `expected a topic name, got ${String(tp.topic)}`, { operation: op });
  if (!Number.isInteger(tp.partition) || tp.partition < 0) throw new InvalidArgumentError('partition', `expected a partition number (an integer >= 0), got ${String(tp.partition)}`, { operation: op, topic: tp.topic });
}

/** The target of a seek, checked: an offset, 'beginning', 'end' or { timestamp }. */
function seekTo(target: SeekTarget): number | 'beginning' | 'end' | { timestamp: number } {
  checkRef(target, 'seek');
  const { offset, timestamp } = target;
  if ((offset === undefined) === (timestamp === undefined)) throw new InvalidArgumentError('offset', 'seek() takes exactly one of offset (a number, "beginning" or "end") and timestamp', { topic: target.topic, partition: target.partition });
  if (timestamp !== undefined) {
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new InvalidArgumentError('timestamp', `expected ms since the epoch (an integer >= 0), got ${String(timestamp)}`, { topic: target.topic, partition: target.partition });
    return { timestamp };
  }
  if (offset === 'beginning' || offset === 'end') return offset;
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw new InvalidArgumentError('offset', `expected an offset (an integer >= 0), "beginning" or "end", got ${String(offset)}`, { topic: target.topic, partition: target.partition });
  return offset as number;
}

/** A call's timeoutMs, checked (InvalidArgumentError naming it); the default when not given. */
function timeoutOf(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return CONTROL_TIMEOUT_MS;
  checkIntegerOption('timeoutMs', timeoutMs, 1, MAX_TIMER_MS);
  return timeoutMs;
}

function watermarksOf(native: ControlNative, tp: PartitionRef, timeoutMs: number): Promise<NativeWatermarks> {
  return new Promise((resolve, reject) => {
    const fail = (e: NativeErrorLike) => reject(fromNativeError(e, `watermark offsets of ${tp.topic}[${tp.partition}]`, { topic: tp.topic, partition: tp.partition }));
    try {
      native.queryWatermarkOffsets(tp.topic, tp.partition, timeoutMs, (err, wm) => (err ? fail(err) : resolve(wm)));
    } catch (e) {
      fail(e as NativeError);
    }
  });
}

/** The group's committed offsets of these partitions, asked from the broker (by tpKey; -1001 when none). */
function committedOf(native: ControlNative, tps: readonly PartitionRef[], timeoutMs: number): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const fail = (e: NativeErrorLike) => reject(fromNativeError(e, 'committed offsets'));
    try {
      const list = tps.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
      native.committed(list, timeoutMs, (err, offsets) => (err ? fail(err) : resolve(new Map(offsets.map((o) => [tpKey(o.topic, o.partition), o.offset])))));
    } catch (e) {
      fail(e as NativeError);
    }
  });
}
