import { DeliveryError, type UndeliveredMessage } from '../errors/producer.js';
import { fromNativeError, RD } from '../errors/librdkafka.js';
import type { NativeError } from '../native/types.js';
import { FAILED_REFUSED } from '../native/batch-producer.js';
import type { Outbound } from './outbound.js';
import { PACKED_BASE, PACKED_SPAN, PackedRetry, PackedState, PackedChunk } from './packed.js';
import { scheduleRetry } from './retry.js';
import { DeliveryWindow } from './window.js';

/**
 * The reporting half of the producer engine: turns the addon's delivery reports (typed arrays, once
 * per wake-up) into each message's outcome, decides between a library retry and a failure, tracks
 * the fatal state, and fails what close() could not deliver, each with what is known about it.
 */
export abstract class DeliveryOutcomes extends DeliveryWindow {
  readonly #errorTexts = new Map<number, string>();
  /** A library retry came due (retry.ts): back through the waiting FIFO, unless the engine turned fatal. */
  readonly #retryDue = (d: Outbound): void => {
    if (this.status === 'ready' || this.status === 'closing') {
      this.enqueueWaiting(d);
    } else {
      // The producer turned fatal meanwhile: the message's own delivery failure (it tells
      // whether an attempt may have been written); the fatal error says nothing about that.
      this.fail(d, d.retryError!);
    }
    this.left();
  };

  /** One hand-off of delivery reports (see NativeBatchProducer / batch-producer.ts for the layout). */
  protected onReports(ok: Int32Array | null, okPos: Float64Array | null, failed: Int32Array | null): void {
    const slots = this.slots;
    if (ok !== null && okPos !== null) {
      for (let i = 0; i < ok.length; i += 2) {
        const id = ok[i]!;
        if (id >= PACKED_BASE) {
          const at = okPos[i]!;
          const ts = okPos[i + 1]!;
          this.packed.reported(id)?.settleDelivered(id & (PACKED_SPAN - 1), undefined, ok[i + 1]!, at >= 0 ? at : -1, ts >= 0 ? ts : undefined);
          continue;
        }
        const d = slots[id];
        if (d === undefined || !this.inflight.delete(d)) continue;
        this.freeSlot(d);
        const ts = okPos[i + 1]!;
        // acks=0: the broker does not answer, so librdkafka reports no offset (-1001,
        // RD_KAFKA_OFFSET_INVALID); -1 says "unknown" as it does for every other producer API.
        const at = okPos[i]!;
        const offset = at >= 0 ? at : -1;
        // retryError is only ever set by a library retry (idempotence off), and keeps a
        // possibly-persisted failure once one happened: the caller must hear that this success
        // may be a second copy (issue 17 item 4). A first-attempt success (the hot path) builds
        // the result without the field.
        const retried = d.retryError;
        if (!d.wantsResult) d.deliveredAt(ok[i + 1]!, offset, ts >= 0 ? ts : undefined);
        else if (retried === undefined) d.delivered({ topic: d.topic, partition: ok[i + 1]!, offset, timestamp: ts >= 0 ? ts : undefined, messageId: d.messageId });
        else d.delivered({ topic: d.topic, partition: ok[i + 1]!, offset, timestamp: ts >= 0 ? ts : undefined, messageId: d.messageId, possibleDuplicate: retried.possiblyPersisted });
      }
    }
    if (failed !== null) {
      for (let i = 0; i < failed.length; i += 4) {
        if (failed[i]! >= PACKED_BASE) {
          this.#packedFailed(failed[i]!, failed[i + 1]!, failed[i + 2]!, (failed[i + 3]! & FAILED_REFUSED) !== 0);
          continue;
        }
        const d = slots[failed[i]!];
        if (d === undefined || !this.inflight.delete(d)) continue;
        this.freeSlot(d);
        const code = failed[i + 1]!;
        const partition = failed[i + 2]!;
        const err: NativeError = { code, message: this.#errorText(code) };
        if ((failed[i + 3]! & FAILED_REFUSED) !== 0) {
          // Refused by librdkafka at enqueue: never sent, not retried by the library.
          if (code === RD.ERR__FATAL) this.setFatal(fromNativeError(err, 'producer is in a fatal state', { clientId: this.opts.clientId }));
          this.fail(d, new DeliveryError(d.topic, d.partition ?? -1, err, d.messageId, d.attempts, d.retryError?.possiblyPersisted === true));
        } else {
          this.#onFailure(d, err, partition);
        }
      }
    }
    this.left();
  }

  /** A packed message's failed report: refused at enqueue, retried by the library (a PackedRetry), or failed. */
  #packedFailed(id: number, code: number, partition: number, refused: boolean): void {
    const c = this.packed.reported(id);
    if (c === undefined) return;
    const k = id & (PACKED_SPAN - 1);
    const err: NativeError = { code, message: this.#errorText(code) };
    if (!refused && this.opts.retryDelivered) {
      this.#onFailure(new PackedRetry(c, k), err, partition);
      return;
    }
    if (refused && code === RD.ERR__FATAL) this.setFatal(fromNativeError(err, 'producer is in a fatal state', { clientId: this.opts.clientId }));
    c.settleFailed(k, new DeliveryError(c.topicAt(k), refused ? (c.partitionAt(k) ?? -1) : partition, err, c.idAt(k), 1, false));
  }

  #errorText(code: number): string {
    let text = this.#errorTexts.get(code);
    if (text === undefined) {
      text = this.native?.errorString(code) ?? `librdkafka error ${code}`;
      this.#errorTexts.set(code, text);
    }
    return text;
  }

  #onFailure(d: Outbound, err: NativeError, partition: number): void {
    const error = new DeliveryError(d.topic, partition, err, d.messageId, d.attempts, d.retryError?.possiblyPersisted === true);
    if (this.opts.retryDelivered && error.retriable && d.attempts <= this.opts.retryMax && this.status === 'ready' && this.fatal === undefined) {
      if (d.retryError === undefined || !d.retryError.possiblyPersisted) d.retryError = error;
      d.retrying();
      this.opts.onRetry?.(d.topic, d.attempts, error);
      scheduleRetry(d, this.retrying, this.opts, this.#retryDue);
      return;
    }
    this.fail(d, error);
  }

  protected setFatal(error: Error): void {
    if (this.fatal !== undefined) return;
    this.fatal = error;
    if (this.status === 'ready') this.status = 'failed';
  }

  /**
   * Fails every message close() could not deliver — packed chunks' messages first (chunk by chunk), then the others in hand-over order — each with what is known
   * about it: in librdkafka's hands → GCK_KAFKA__TIMED_OUT, possibly written; awaiting a library retry
   * (its backoff or room) → its earlier delivery failure, which tells whether an attempt may have
   * been written; never handed to librdkafka → GCK_KAFKA__PURGE_QUEUE (librdkafka's code for a message
   * purged before it was sent), never written.
   */
  protected failRemaining(timeoutMs: number): UndeliveredMessage[] {
    // Detached first: a failed message's callback may call flush() or send(), which must not see them.
    const { inflight, retrying, packed, waiting } = this.detachAll();
    const out: UndeliveredMessage[] = [];
    const lost = `delivery not confirmed before close (${timeoutMs} ms flush timeout)`;
    for (const c of packed) {
      for (let k = 0; k < c.cursor; k++) {
        if (c.state[k] !== PackedState.InFlight) continue;
        out.push(c.undelivered(k));
        c.settleFailed(k, new DeliveryError(c.topicAt(k), c.partitionAt(k) ?? -1, { code: RD.ERR__TIMED_OUT, message: lost }, c.idAt(k), 1, 'it was handed to librdkafka before close'));
      }
    }
    for (const d of inflight) {
      d.slot = -1;
      out.push(undelivered(d));
      this.fail(d, new DeliveryError(d.topic, d.partition ?? -1, { code: RD.ERR__TIMED_OUT, message: lost }, d.messageId, d.attempts, 'it was handed to librdkafka before close'));
    }
    for (const d of retrying) {
      out.push(undelivered(d));
      this.fail(d, d.retryError!);
    }
    for (const d of waiting) {
      if (d instanceof PackedChunk) {
        for (let k = d.cursor; k < d.count; k++) if (d.state[k] === PackedState.Unsent) out.push(d.undelivered(k));
        d.failUnsentWith(RD.ERR__PURGE_QUEUE, NEVER_SENT, 0);
        continue;
      }
      out.push(undelivered(d));
      // Only a library retry re-enters the FIFO after a hand-over, and it has its retryError.
      this.fail(d, d.retryError ?? new DeliveryError(d.topic, d.partition ?? -1, { code: RD.ERR__PURGE_QUEUE, message: NEVER_SENT }, d.messageId, d.attempts));
    }
    this.wakeDrainers();
    return out;
  }
}

const NEVER_SENT = 'closed before the message was handed to librdkafka (it waited for room in the local queue); it was never written: publishing it again is safe';

/** How close() names a message it could not deliver. */
function undelivered(d: Outbound): UndeliveredMessage {
  return { messageId: d.messageId, topic: d.topic, key: typeof d.key === 'string' ? d.key : d.key?.toString('hex') };
}
