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

/** Hears the outcome of one send(): `(null, result)` once acknowledged, `(error)` otherwise. */
export type DeliveryCallback = (error: Error | null, result?: DeliveryResult) => void;

/** Anything that hands out the shared producer engine (a ConnectionManager). */
export interface EngineSource {
  producerEngine(): import('../delivery/engine.js').ProducerEngine;
}
