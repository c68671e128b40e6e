import { fromNativeError, RD } from '../../errors/librdkafka.js';
import type { NativeBatchConsumer, NativeError, NativeTopicPartitionOffset } from '../../native/types.js';
import type { PartitionState } from './partition-state.js';
import type { GroupHooks } from './types.js';

/**
 * A group's offsets on their way to librdkafka: each partition whose contiguous watermark moved is
 * stored once per event-loop turn (offsetsStore; librdkafka's auto-commit commits them), and a
 * revoke and stop() commit their watermarks at once (commitSync). `onOffsetsStored` hears both.
 */
export class OffsetStore {
  readonly #groupId: string;
  readonly #hooks: GroupHooks;
  /** The consumer to store through; undefined before start and once stopped. */
  readonly #native: () => NativeBatchConsumer | undefined;
  /** Partitions whose watermark moved since the last store. */
  readonly #dirty = new Set<PartitionState>();
  #storeScheduled = false;

  constructor(groupId: string, hooks: GroupHooks, native: () => NativeBatchConsumer | undefined) {
    this.#groupId = groupId;
    this.#hooks = hooks;
    this.#native = native;
  }

  /**
   * A partition's watermark moved (the dispatcher's `progressed` event, handed to it as is): it is
   * stored with the others at the end of this event-loop turn.
   */
  readonly progressed = (ps: PartitionState): void => {
    this.#dirty.add(ps);
    if (!this.#storeScheduled) {
      this.#storeScheduled = true;
      setImmediate(() => {
        this.#storeScheduled = false;
        this.store();
      });
    }
  };

  /** A revoked partition is given up: its watermark is no longer stored. */
  forget(ps: PartitionState): void {
    this.#dirty.delete(ps);
  }

  /** Stores the watermarks that moved (of partitions not revoked) now. */
  store(): void {
    const native = this.#native();
    if (native === undefined || this.#dirty.size === 0) return;
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
      this.#hooks.onError?.(fromNativeError(e as NativeError, 'offsets store', { groupId: this.#groupId }));
      return;
    }
    this.#hooks.onOffsetsStored?.(this.#groupId, offsets);
  }

  /**
   * Stores these offsets and asks for their commit without waiting for it (stop()): the close that
   * follows waits for that commit (and commits what is stored), bounded, on a worker thread. A
   * synchronous commit would block the JS thread for as long as the coordinator does not answer —
   * minutes with a frozen broker (issue 17 item 6).
   */
  commitAsync(native: NativeBatchConsumer, offsets: NativeTopicPartitionOffset[]): void {
    this.#storeAndCommit(native, offsets, false);
  }

  /** Stores and commits these offsets at once (a revoke: the next owner must see them). */
  commitSync(native: NativeBatchConsumer, offsets: NativeTopicPartitionOffset[]): void {
    this.#storeAndCommit(native, offsets, true);
  }

  #storeAndCommit(native: NativeBatchConsumer, offsets: NativeTopicPartitionOffset[], sync: boolean): void {
    if (offsets.length === 0) return;
    try {
      native.offsetsStore(offsets);
    } catch {
      /* not assigned any more: the explicit commit below still carries the offsets */
    }
    try {
      if (sync) native.commitSync(offsets);
      else native.commit(offsets);
    } catch (e) {
      const err = e as NativeError;
      if (err.code !== RD.ERR__NO_OFFSET) this.#hooks.onError?.(fromNativeError(err, `commit (group ${this.#groupId})`, { groupId: this.#groupId }));
      return;
    }
    this.#hooks.onOffsetsStored?.(this.#groupId, offsets);
  }
}
