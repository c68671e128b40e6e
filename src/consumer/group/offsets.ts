import { fromNativeError, RD } from '../../errors/librdkafka.js';
import type { NativeBatchConsumer, NativeError, NativeTopicPartitionOffset } from '../../native/types.js';
import type { NativePartitionResult } from '../../native/batch-consumer.js';
import { perPartition, refusedCommit, type ControlNative } from './control-native.js';
import type { PartitionState } from './partition-state.js';
import type { GroupHooks } from './types.js';

/**
 * A group's offsets on their way to librdkafka: each partition whose contiguous watermark moved is
 * stored once per event-loop turn (offsetsStore; librdkafka's auto-commit commits them), and a
 * revoke commits its watermarks and waits for the broker's answer on a worker thread (commitAndWait),
 * stop() asks for their commit at once (commitAsync). `onOffsetsStored` hears every one.
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
    if (!this.#storeAll(native, offsets)) return;
    try {
      native.commit(offsets);
    } catch (e) {
      const err = e as NativeError;
      if (err.code !== RD.ERR__NO_OFFSET) this.#hooks.onError?.(fromNativeError(err, `commit (group ${this.#groupId})`, { groupId: this.#groupId }));
      return;
    }
    this.#hooks.onOffsetsStored?.(this.#groupId, offsets);
  }

  /**
   * Stores and commits these offsets and resolves once the broker answered, or after `timeoutMs`
   * (a revoke: the next owner must see them). The commit waits on a worker thread (the addon's
   * commitWait), not on the JS thread: other groups and handlers go on meanwhile. A refused or
   * unanswered commit is reported through onError (the next owner then re-reads from the last
   * committed offset: at least once); never rejects.
   */
  async commitAndWait(native: ControlNative, offsets: NativeTopicPartitionOffset[], timeoutMs: number): Promise<void> {
    if (!this.#storeAll(native, offsets)) return;
    const what = `commit (group ${this.#groupId})`;
    const context = { groupId: this.#groupId };
    let results: NativePartitionResult[];
    try {
      results = await perPartition(what, (cb) => native.commitWait(offsets, timeoutMs, cb), context);
    } catch (e) {
      const err = e as { librdkafkaCode?: number };
      if (err.librdkafkaCode !== RD.ERR__NO_OFFSET) this.#hooks.onError?.(e as Error);
      return;
    }
    const failed = results.filter((r) => r.code !== 0);
    if (failed.length > 0) this.#hooks.onError?.(refusedCommit(failed, this.#groupId));
    const ok = offsets.filter((o) => !failed.some((r) => r.topic === o.topic && r.partition === o.partition));
    if (ok.length > 0) this.#hooks.onOffsetsStored?.(this.#groupId, ok);
  }

  /** Stores the offsets ahead of their explicit commit; false when there are none. */
  #storeAll(native: NativeBatchConsumer, offsets: NativeTopicPartitionOffset[]): boolean {
    if (offsets.length === 0) return false;
    try {
      native.offsetsStore(offsets);
    } catch {
      /* not assigned any more: the explicit commit still carries the offsets */
    }
    return true;
  }
}
