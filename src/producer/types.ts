import type { DeliveryResult } from '../delivery/index.js';

/**
 * Turns a message value into bytes. The default: Buffer as is, string as UTF-8, object as JSON.
 * A custom serializer must return a Buffer (a Uint8Array is taken as one) or null (no value);
 * anything else fails the publish with an InvalidArgumentError naming the serializer.
 */
export type ValueSerializer = (value: unknown, topic: string) => Buffer | null;

export type PublishOutcome =
  | { readonly ok: true; readonly result: DeliveryResult; readonly error?: undefined }
  | { readonly ok: false; readonly error: Error; readonly result?: undefined };

/**
 * What publishBatch(messages, { results: 'failures' }) resolves with: how many were delivered, and
 * only the messages that were not (each with its index in `messages`), so a large batch costs no
 * result object per message. Every message is counted exactly once: `delivered + failed.length`
 * equals the number of messages.
 */
export interface BatchSummary {
  /** Messages the broker acknowledged. */
  readonly delivered: number;
  /** Every message that was not delivered, in input order: its index and the error publish() would reject with. */
  readonly failed: ReadonlyArray<{ readonly index: number; readonly error: Error }>;
  /**
   * Indices (ascending) of delivered messages that may have been written twice — only with
   * `idempotence: false`, after a library retry of a possibly persisted failure (DeliveryResult
   * `possibleDuplicate`); always empty with idempotence on.
   */
  readonly possibleDuplicates: readonly number[];
}

/**
 * publishBatch() options. `results`: `'all'` (default) resolves with one PublishOutcome per
 * message; `'failures'` with a BatchSummary (counts, the failed messages and possible duplicates).
 */
export interface PublishBatchOptions {
  readonly results?: 'all' | 'failures';
}

/** Hears the outcome of one send(): `(null, result)` once acknowledged, `(error)` otherwise. */
export type DeliveryCallback = (error: Error | null, result?: DeliveryResult) => void;

/** Anything that hands out the shared producer engine (a ConnectionManager). */
export interface EngineSource {
  producerEngine(): import('../delivery/engine.js').ProducerEngine;
}
