/**
 * The options of a ConnectionManager (src/client.ts), and their check: beside the composition root
 * so that it stays one screen of wiring.
 */
import { InvalidArgumentError, MAX_TIMER_MS, checkIntegerOption } from './errors/base.js';
import type { OAuthBearerOptions } from './native/oauth-binding.js';
import type { OAuthBearerTokenProvider } from './native/oauth.js';
import type { NativeBinding } from './native/types.js';
import type { TelemetryOptions } from './telemetry/telemetry.js';

/**
 * Numeric options and their lower bounds: each must be an integer from the bound to MAX_TIMER_MS
 * (NaN, Infinity, fractions and non-numbers included, a bad value would silently disable what it
 * bounds, e.g. a NaN enqueueTimeoutMs never times a waiting publish out).
 */
const NUMERIC_OPTIONS = [
  ['enqueueTimeoutMs', 0], // 0: a publish that finds no room fails at once
  ['pollIntervalMs', 1],
  ['maxInFlight', 1],
  ['closeTimeoutMs', 0], // 0: close() does not wait for deliveries
] as const;

/** Refuses a bad option with an InvalidArgumentError naming it and its value (once, in the constructor). */
export function validateOptions(options: ConnectionManagerOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('ConnectionManager options', `got ${options === null ? 'null' : typeof options}, expected an object`);
  }
  for (const [name, min] of NUMERIC_OPTIONS) {
    const v: unknown = options[name];
    if (v !== undefined) checkIntegerOption(`ConnectionManager option ${name}`, v, min, MAX_TIMER_MS);
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new InvalidArgumentError('ConnectionManager option onError', `got ${typeof options.onError}, expected a function`);
  }
}

export interface ConnectionManagerOptions {
  /** The native binding (tests pass a fake). Default: node-rdkafka. */
  readonly binding?: NativeBinding;
  /** How long publish waits for room in a full local queue. Default: write_timeout. */
  readonly enqueueTimeoutMs?: number;
  /** Delivery-report poll interval while messages are in flight. Default 5 ms. */
  readonly pollIntervalMs?: number;
  /**
   * At most this many published messages awaiting their delivery report; further publishes wait
   * (needsDrain / drain()). Default 6,000 (DEFAULT_MAX_IN_FLIGHT), never above
   * queue.buffering.max.messages. Raise it when the broker's ack latency is high (window ≥ rate ×
   * ack latency).
   */
  readonly maxInFlight?: number;
  /** How long close() flushes before giving up. Default 10 s. */
  readonly closeTimeoutMs?: number;
  readonly onError?: (err: Error) => void;
  /** Logger, metrics registry, tracing. Default: silent, no metrics, global tracer (no-op unless registered). */
  readonly telemetry?: TelemetryOptions;
  /** SASL/OAUTHBEARER tokens from your code, refreshed at 80 % of their lifetime, for every handle of this client (docs/oauth.md). */
  readonly oauthBearerTokenProvider?: OAuthBearerTokenProvider;
  /** How the token provider is called: timeout per call, retry backoff. */
  readonly oauthBearer?: OAuthBearerOptions;
}

