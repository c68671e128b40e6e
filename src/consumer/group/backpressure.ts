import { fromNativeError } from '../../errors/librdkafka.js';
import type { NativeConsumer, NativeError } from '../../native/types.js';
import type { PartitionState } from './partition-state.js';

/** Why a partition is paused: each reason is a bit; the partition resumes when none is left. */
export const PAUSE_PARTITION = 1;
export const PAUSE_GLOBAL = 2;
export const PAUSE_DLQ = 4;
/** Paused by the application (Consumer.pause): only its resume() clears it. */
export const PAUSE_USER = 8;
/** A seek waits for the running work of the state it replaced (control.ts). */
export const PAUSE_SEEK = 16;
/**
 * A seek is being applied natively (control.ts): from the pause before librdkafka's seek until it
 * answered, so nothing is fetched from either position.
 */
export const PAUSE_SEEKING = 32;

const WAKE_TIMEOUT_MS = 1000;
const ignore = () => undefined;

/** A partition key for maps and sets (topic and partition; NUL cannot occur in a topic name). */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

type Resumable = Pick<NativeConsumer, 'resume' | 'queryWatermarkOffsets'>;

/**
 * Resumes partitions and wakes their leaders' broker threads (see Backpressure): a ListOffsets
 * request per partition, result ignored, so fetching restarts at once instead of up to 1 s later.
 * Throws what `resume` throws.
 */
export function resumeAndWake(native: Resumable, tps: ReadonlyArray<{ topic: string; partition: number }>): void {
  native.resume(tps as Parameters<Resumable['resume']>[0]);
  for (const tp of tps) native.queryWatermarkOffsets(tp.topic, tp.partition, WAKE_TIMEOUT_MS, ignore);
}

export interface BackpressureLimits {
  readonly maxInFlightPerPartition: number;
  readonly maxInFlight: number;
}

/**
 * Pauses and resumes fetching per partition. A partition pauses when its fetched-but-uncommitted
 * messages reach maxInFlightPerPartition (PAUSE_PARTITION), when the group's in-flight messages
 * reach maxInFlight (PAUSE_GLOBAL, every partition), or while a dead-letter write of it fails
 * (PAUSE_DLQ). Each bound resumes at half its value (hysteresis, so a partition does not flap on
 * every completion). The native pause/resume happen only on the first set / last cleared reason.
 *
 * librdkafka applies a resume in the partition leader's broker thread, which notices it only on its
 * next wake-up: with every partition of that broker paused (no fetch in flight) that is up to 1 s
 * later (measured here: resumed partitions got data again on a 1 s grid; a slow handler behind
 * backpressure ran 2.5× slower than without it). Any request to that broker wakes the thread, so a
 * resume is followed by a ListOffsets request for the partition (result ignored). Resumes are rare:
 * one per drain of half a bound.
 */
export class Backpressure {
  /** Partitions paused for the group's bound (PAUSE_GLOBAL set): relieve() looks only then. */
  #globalPaused = 0;

  constructor(
    readonly limits: BackpressureLimits,
    readonly native: () => Pick<NativeConsumer, 'pause' | 'resume' | 'queryWatermarkOffsets'> | undefined,
    readonly onError: (err: Error) => void,
  ) {}

  set(ps: PartitionState, bit: number, on: boolean): void {
    const before = ps.pauseMask;
    const after = on ? before | bit : before & ~bit;
    if (after === before) return;
    ps.pauseMask = after;
    if (bit === PAUSE_GLOBAL) this.#globalPaused += on ? 1 : -1;
    const native = this.native();
    if (native === undefined || ps.revoked) return;
    const tp = [{ topic: ps.topic, partition: ps.partition }];
    try {
      if (before === 0) {
        native.pause(tp);
        ps.paused = true;
      } else if (after === 0) {
        resumeAndWake(native, tp);
        ps.paused = false;
      }
    } catch (e) {
      this.onError(fromNativeError(e as NativeError, `pause/resume ${ps.topic}[${ps.partition}]`));
    }
  }

  /**
   * A seek replaced `old` by `next` (control.ts): `next` takes the reasons in `mask`, and the
   * native pause state as it is (the caller pauses before / resumes after the seek itself, since
   * librdkafka's pause moves the fetch position back to the application's). `old` is left with
   * no reason, so a late event of its work (a dead-letter write recovering) changes nothing.
   */
  transfer(old: PartitionState, next: PartitionState, mask: number): void {
    this.forget(old);
    old.pauseMask = 0;
    next.paused = old.paused;
    old.paused = false;
    next.pauseMask = mask;
    if ((mask & PAUSE_GLOBAL) !== 0) this.#globalPaused++;
  }

  /** A partition is given up (after its revoke): it no longer counts as paused for the group's bound. */
  forget(ps: PartitionState): void {
    if ((ps.pauseMask & PAUSE_GLOBAL) !== 0) this.#globalPaused--;
  }

  /** After a fetch: pause what passed its bound. */
  fetched(touched: Iterable<PartitionState>, all: Iterable<PartitionState>, inFlight: number): void {
    if (inFlight >= this.limits.maxInFlight) for (const ps of all) this.set(ps, PAUSE_GLOBAL, true);
    for (const ps of touched) if (ps.tracker.pending >= this.limits.maxInFlightPerPartition) this.set(ps, PAUSE_PARTITION, true);
  }

  /** Newly assigned partitions start paused while the group is over its bound. */
  assigned(added: Iterable<PartitionState>, inFlight: number): void {
    if (inFlight >= this.limits.maxInFlight) for (const ps of added) this.set(ps, PAUSE_GLOBAL, true);
  }

  /** After completions (of `ps`, if given): resume what drained below half its bound. */
  relieve(ps: PartitionState | undefined, all: Iterable<PartitionState>, inFlight: number): void {
    if (ps !== undefined && ps.paused && ps.tracker.pending <= this.limits.maxInFlightPerPartition / 2) this.set(ps, PAUSE_PARTITION, false);
    if (this.#globalPaused > 0 && inFlight <= this.limits.maxInFlight / 2) for (const s of all) this.set(s, PAUSE_GLOBAL, false);
  }
}
