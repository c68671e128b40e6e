import { GROUP_INSTANCE_ID_EXPECTED, GROUP_PROTOCOLS, groupInstanceIdProblem, type ConsumerGroupSettings } from '../config/index.js';
import { GoCoffeeKafkaError, InvalidArgumentError, MAX_TIMER_MS, checkIntegerOption } from '../errors/base.js';
import type { GroupHooks } from './group/types.js';
import type { ConsumerOptions } from './types.js';

/** Defaults of the ConsumerOptions that do not depend on the configuration or the machine. */
export const CONSUMER_DEFAULTS = Object.freeze({
  ordering: 'key',
  maxInFlightPerPartition: 2000,
  maxInFlight: 20_000,
  fetchBatchSize: 1000,
  fetchWaitMs: 100,
  taskBatchSize: 500,
  concurrency: 4,
  retryBackoffMaxMs: 30_000,
  stopTimeoutMs: 30_000,
  revokeTimeoutMs: 10_000,
} as const);

/** setTimeout's largest delay: a longer one fires at once (with a TimeoutOverflowWarning). */
/** librdkafka's largest auto.commit.interval.ms. */
const MAX_COMMIT_INTERVAL_MS = 86_400_000;

type NumericOption = {
  [K in keyof ConsumerOptions]-?: NonNullable<ConsumerOptions[K]> extends number ? K : never;
}[keyof ConsumerOptions];

/**
 * Every numeric option: the smallest and largest value it accepts (all are integers). A 0 where
 * a count of at least 1 is needed would stop all processing without an error (a task of 0
 * messages, no task ever started, no worker thread), so it is refused here, once.
 */
const NUMERIC: ReadonlyArray<readonly [NumericOption, number, number]> = [
  ['maxInFlightPerPartition', 1, Number.MAX_SAFE_INTEGER],
  ['maxInFlight', 1, Number.MAX_SAFE_INTEGER],
  ['fetchBatchSize', 1, Number.MAX_SAFE_INTEGER],
  // 0 would make the fetch loop spin without ever waiting
  ['fetchWaitMs', 1, MAX_TIMER_MS],
  ['taskBatchSize', 1, Number.MAX_SAFE_INTEGER],
  ['concurrency', 1, Number.MAX_SAFE_INTEGER],
  ['workers', 1, Number.MAX_SAFE_INTEGER],
  ['maxPoolQueue', 0, Number.MAX_SAFE_INTEGER],
  ['retryMax', 0, Number.MAX_SAFE_INTEGER],
  ['retryBackoffMs', 0, MAX_TIMER_MS],
  ['retryBackoffMaxMs', 0, MAX_TIMER_MS],
  ['stopTimeoutMs', 0, MAX_TIMER_MS],
  ['revokeTimeoutMs', 0, MAX_TIMER_MS],
  ['commitIntervalMs', 1, MAX_COMMIT_INTERVAL_MS],
  ['handlerTimeoutMs', 1, MAX_TIMER_MS],
];

const ORDERINGS: readonly string[] = ['key', 'partition', 'unordered'];

/** Every option name of ConsumerOptions (the type checks this list is complete and exact). */
const OPTION_NAMES = [
  'ordering', 'deadLetterTopic', 'maxInFlightPerPartition', 'maxInFlight', 'fetchBatchSize', 'fetchWaitMs', 'taskBatchSize', 'concurrency',
  'workers', 'maxPoolQueue', 'retryMax', 'retryBackoffMs', 'retryBackoffMaxMs', 'stopTimeoutMs', 'revokeTimeoutMs', 'commitIntervalMs',
  'handlerTimeoutMs',
] as const;
/**
 * The consumer's own group settings (winning over the configuration's group_protocol and
 * group_instance_id): they reach its handles' librdkafka configuration through
 * toLibrdkafkaConfig(config, 'consumer', options).
 */
const GROUP_OPTION_NAMES = ['groupProtocol', 'groupInstanceId'] as const;
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<string>([...OPTION_NAMES, ...GROUP_OPTION_NAMES]);
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const OPTION_NAMES_COMPLETE: Exact<(typeof OPTION_NAMES)[number] | (typeof GROUP_OPTION_NAMES)[number], keyof ConsumerOptions | keyof ConsumerGroupSettings> = true;
void OPTION_NAMES_COMPLETE;

const HOOKS = ['onError', 'onRetry', 'onDeadLetter', 'onOffsetsStored', 'onRebalance', 'onLibrdkafkaLog', 'onStatistics'] as const;

function shown(v: unknown): string {
  if (typeof v === 'number') return String(v); // NaN, Infinity, 1.5, -1
  if (typeof v === 'string') return JSON.stringify(v);
  return v === null ? 'null' : typeof v;
}

/**
 * Checks the options of `new Consumer(cm, options, hooks)` once: throws InvalidArgumentError
 * naming the first bad option and its value. Returns a frozen copy (later changes of the caller's
 * object do not bypass the check).
 */
export function validateConsumerOptions(options: ConsumerOptions | undefined, hooks: GroupHooks | undefined): ConsumerOptions {
  if (options === undefined) return Object.freeze({});
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('Consumer options', `got ${shown(options)}, expected an object`);
  // A misspelt option (maxInflight) would silently keep its default: refuse names we do not know.
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new InvalidArgumentError(`Consumer option ${name}`, `unknown option; the options are ${[...KNOWN_OPTIONS].join(', ')}`, { option: name });
  }
  for (const [name, min, max] of NUMERIC) {
    const v: unknown = options[name];
    if (v !== undefined) checkIntegerOption(`Consumer option ${name}`, v, min, max, { option: name }, shown);
  }
  if (options.ordering !== undefined && !ORDERINGS.includes(options.ordering)) {
    throw new InvalidArgumentError('Consumer option ordering', `got ${shown(options.ordering)}, expected one of ${ORDERINGS.map((o) => `'${o}'`).join(', ')}`, { option: 'ordering' });
  }
  if (options.deadLetterTopic !== undefined && typeof options.deadLetterTopic !== 'function') {
    throw new InvalidArgumentError('Consumer option deadLetterTopic', `got ${shown(options.deadLetterTopic)}, expected a function (topic) => dead-letter topic`, { option: 'deadLetterTopic' });
  }
  checkGroupOptions(options as ConsumerGroupSettings);
  if (hooks !== undefined) {
    if (hooks === null || typeof hooks !== 'object') throw new InvalidArgumentError('Consumer hooks', `got ${shown(hooks)}, expected an object of hook functions`);
    for (const name of Object.keys(hooks)) {
      if (!(HOOKS as readonly string[]).includes(name)) throw new InvalidArgumentError(`Consumer hook ${name}`, `unknown hook; the hooks are ${HOOKS.join(', ')}`, { hook: name });
    }
    for (const name of HOOKS) {
      const h: unknown = hooks[name];
      if (h !== undefined && typeof h !== 'function') throw new InvalidArgumentError(`Consumer hook ${name}`, `got ${shown(h)}, expected a function`, { hook: name });
    }
  }
  return Object.freeze({ ...options });
}

function checkGroupOptions(options: ConsumerGroupSettings): void {
  const { groupProtocol, groupInstanceId } = options;
  if (groupProtocol !== undefined && !GROUP_PROTOCOLS.includes(groupProtocol)) {
    throw new InvalidArgumentError('Consumer option groupProtocol', `got ${shown(groupProtocol)}, expected one of ${GROUP_PROTOCOLS.map((p) => `'${p}'`).join(', ')}`, { option: 'groupProtocol' });
  }
  if (groupInstanceId !== undefined && groupInstanceId !== null) {
    const problem = groupInstanceIdProblem(groupInstanceId);
    if (problem !== undefined) {
      throw new InvalidArgumentError('Consumer option groupInstanceId', `got ${shown(groupInstanceId)} (${problem}), expected ${GROUP_INSTANCE_ID_EXPECTED}`, { option: 'groupInstanceId' });
    }
  }
}

/** A hook (caller's code) threw; the consumer went on. `cause` is what it threw. */
export class HookError extends GoCoffeeKafkaError {
  constructor(hook: string, cause: unknown) {
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : shown(cause);
    super('GCK_HOOK', `the ${hook} hook threw (${what}); the consumer ignored it and went on`, { cause, context: { hook } });
  }
}

const guarded = new WeakSet<GroupHooks>();

/** Surfaces `e` as an uncaught exception, outside the native callback or dispatcher that called. */
function rethrowLater(e: unknown): void {
  process.nextTick(() => {
    throw e;
  });
}

/**
 * The hooks are the caller's code, called from inside librdkafka's callbacks (rebalance, log,
 * statistics, error events) and from the dispatcher: what they throw must never break the
 * consumer (a rebalance left half applied, a task settled half way, an exception escaping a native
 * callback). So every hook runs inside try/catch:
 *
 * - a hook other than onError that throws is reported once through onError, as a HookError
 *   (code GCK_HOOK, `context.hook` its name, `cause` what it threw);
 * - an onError that throws (or a throwing hook when there is no onError) is not called again (no
 *   loop): what it threw is rethrown asynchronously with process.nextTick, the way the producer
 *   treats a throwing send() callback, so it surfaces as an `uncaughtException` (a bug in the
 *   caller's error handler is not lost) but outside the consumer's own code.
 *
 * Returns a new hooks object (the given one if it is already guarded). One wrapper per hook, made
 * once (hooks run per failure, rebalance, log line or offset store — never per successful message).
 */
export function guardHooks(hooks: GroupHooks): GroupHooks {
  if (guarded.has(hooks)) return hooks;
  const { onError } = hooks;
  const report = (hook: string, e: unknown): void => {
    if (onError === undefined) return rethrowLater(e);
    try {
      onError.call(hooks, new HookError(hook, e));
    } catch (again) {
      rethrowLater(again);
    }
  };
  /** The hook `name` inside try/catch; a throw is reported (onError's own rethrown later). */
  const guard = <A extends unknown[]>(name: (typeof HOOKS)[number], fn: ((...args: A) => void) | undefined): ((...args: A) => void) | undefined => {
    if (fn === undefined) return undefined;
    return (...args: A) => {
      try {
        fn.apply(hooks, args);
      } catch (e) {
        if (name === 'onError') rethrowLater(e);
        else report(name, e);
      }
    };
  };
  const out: GroupHooks = {};
  for (const name of HOOKS) {
    const g = guard(name, hooks[name] as ((...args: unknown[]) => void) | undefined);
    if (g !== undefined) (out as Record<string, unknown>)[name] = g;
  }
  guarded.add(out);
  return out;
}
