/**
 * One error base class for the whole library.
 *
 * Every error the library throws or rejects with is a {@link GoCoffeeKafkaError}: it carries a
 * stable string `code` (one of {@link ERROR_CODES} or `GCK_KAFKA_*`, documented in the README's error table), whether retrying the same
 * operation may succeed (`retriable`), whether the client that raised it is unusable (`fatal`),
 * the underlying `cause`, and a small `context` object (topic, partition, field path, ...).
 * Messages and context never contain secrets: callers pass redacted values only.
 */
import type { ErrorCode } from './codes.js';

/** A library code or one derived from librdkafka's error name. */
export type AnyErrorCode = ErrorCode | `GCK_KAFKA_${string}`;

export interface ErrorOptions {
  readonly retriable?: boolean;
  readonly fatal?: boolean;
  readonly cause?: unknown;
  readonly context?: Readonly<Record<string, unknown>>;
}

export class GoCoffeeKafkaError extends Error {
  readonly code: AnyErrorCode;
  readonly retriable: boolean;
  readonly fatal: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: AnyErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.fatal = options.fatal ?? false;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      fatal: this.fatal,
      context: this.context,
    };
  }
}

/** A call made in a lifecycle state that does not allow it (e.g. publish before connect). */
export class StateError extends GoCoffeeKafkaError {
  constructor(component: string, operation: string, state: string, expected: readonly string[]) {
    super(
      'GCK_STATE',
      `${component}.${operation}() is not allowed while ${component} is ${state}; expected state ${expected.join(' or ')}`,
      { context: { component, operation, state, expected } },
    );
  }
}

/** The compiled librdkafka lacks a feature a configuration needs (or is older than supported). */
export class NativeFeatureError extends GoCoffeeKafkaError {
  readonly missing: readonly string[];
  constructor(missing: readonly { feature: string; provider: string }[], librdkafkaVersion: string) {
    const lines = missing.map((m) => `  - ${m.feature}: ${m.provider}`).join('\n');
    super(
      'GCK_NATIVE_FEATURE_MISSING',
      `node-rdkafka's librdkafka ${librdkafkaVersion} lacks what this configuration needs:\n${lines}\n` +
        'Install the listed system package(s), then rebuild the binding: npm rebuild node-rdkafka',
      { fatal: true, context: { missing: missing.map((m) => m.feature), librdkafkaVersion } },
    );
    this.missing = missing.map((m) => m.feature);
  }
}

/** Input that cannot be accepted (a bad argument to a public method). */
export class InvalidArgumentError extends GoCoffeeKafkaError {
  constructor(what: string, problem: string, context: Record<string, unknown> = {}) {
    super('GCK_INVALID_ARGUMENT', `${what}: ${problem}`, { context: { argument: what, ...context } });
  }
}

/** The largest delay Node's timers take (a larger one fires after 1 ms, with a warning). */
export const MAX_TIMER_MS = 2_147_483_647;

/** The largest partition number (librdkafka's int32). */
export const MAX_PARTITION = 2 ** 31 - 1;

/**
 * The one check of an integer option (NaN, Infinity, fractions and non-numbers refused): throws
 * InvalidArgumentError naming `what` and the value (as `shown` writes it). Used where options are
 * validated once (ConnectionManager, Consumer).
 */
export function checkIntegerOption(
  what: string,
  value: unknown,
  min: number,
  max: number,
  context: Record<string, unknown> = {},
  shown: (v: unknown) => string = (v) => (typeof v === 'number' ? String(v) : `${String(v)} (${v === null ? 'null' : typeof v})`),
): void {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return;
  const got = shown(value);
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  throw new InvalidArgumentError(what, `got ${got}, expected ${expected}`, context);
}
