import { InvalidArgumentError } from '../errors/base.js';
import type { ValueSerializer } from './types.js';

/**
 * How many acknowledgements a produce request waits for (Kafka's `acks`):
 * - `'all'` (acks=-1): every in-sync replica has the message (at least `min.insync.replicas`), so
 *   it survives the loss of the leader.
 * - `'leader'` (acks=1): the partition leader wrote it to its log; a leader that dies before its
 *   followers copied it takes acknowledged messages with it.
 * - `'none'` (acks=0): the request was sent; the broker does not answer, so nothing confirms the
 *   write and the offset is unknown.
 */
export type Acks = 'all' | 'leader' | 'none';

/** What one producer promises: the acks it waits for and whether it is idempotent. */
export interface ProducerGuarantees {
  /** Default `'all'`. */
  readonly acks?: Acks;
  /**
   * The idempotent producer: librdkafka's retries neither duplicate nor reorder messages. Needs
   * `acks: 'all'`. Default: config `idempotence` (true) with `acks: 'all'`, false otherwise.
   */
  readonly idempotent?: boolean;
}

/** The options of `ConnectionManager.createProducer()`. */
export interface CreateProducerOptions extends ProducerGuarantees {
  /** Serializer for values that are neither Buffer nor string. Default: JSON. */
  readonly serializer?: ValueSerializer;
  /** Give every message an id (`message_id` header). Default: config `message_ids`. */
  readonly messageIds?: boolean;
}

/** Guarantees with every choice made. */
export interface Guarantees {
  readonly acks: Acks;
  readonly idempotent: boolean;
}

/** Kafka's `acks` number for each choice (librdkafka `request.required.acks`). */
export const ACKS_VALUE: Readonly<Record<Acks, -1 | 1 | 0>> = Object.freeze({ all: -1, leader: 1, none: 0 });

const ACKS_OF_NUMBER = new Map<unknown, Acks>([[-1, 'all'], [1, 'leader'], [0, 'none'], ['-1', 'all'], ['1', 'leader'], ['0', 'none']]);
const OPTION_NAMES: ReadonlySet<string> = new Set(['acks', 'idempotent', 'serializer', 'messageIds']);
/** Names other clients use for these options: the error points to ours. */
const ALIASES: Readonly<Record<string, string>> = { idempotence: 'idempotent', enableIdempotence: 'idempotent', ack: 'acks', requiredAcks: 'acks' };

/**
 * Validates `createProducer()` options once (never per message) and fills in the defaults:
 * InvalidArgumentError naming the option, or the conflict, otherwise.
 */
export function resolveGuarantees(options: unknown, configIdempotence: boolean, what = 'createProducer(options)'): Guarantees {
  if (options === undefined) return { acks: 'all', idempotent: configIdempotence };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(what, `expected an object { acks?, idempotent?, serializer?, messageIds? }, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (OPTION_NAMES.has(key)) continue;
    const alias = ALIASES[key];
    throw new InvalidArgumentError(what, `unknown option ${JSON.stringify(key)}${alias !== undefined ? ` (did you mean ${alias}?)` : ''}; expected acks, idempotent, serializer or messageIds`);
  }
  const o = options as CreateProducerOptions;
  const acks = acksOf(o.acks, what);
  if (o.idempotent !== undefined && typeof o.idempotent !== 'boolean') {
    throw new InvalidArgumentError(`${what}.idempotent`, `expected true or false, got ${describe(o.idempotent)}`);
  }
  if (o.idempotent === true && acks !== 'all') {
    // librdkafka refuses it too, later and less clearly: the idempotent producer's sequence
    // numbers only rule out duplicates and reordering when every in-sync replica acknowledges.
    throw new InvalidArgumentError(what, `idempotent: true requires acks: 'all', got acks: '${acks}'; pass idempotent: false to produce with acks: '${acks}', or acks: 'all'`, { acks, idempotent: true });
  }
  if (o.serializer !== undefined && typeof o.serializer !== 'function') {
    throw new InvalidArgumentError(`${what}.serializer`, `expected a function (value, topic) => Buffer | null, got ${describe(o.serializer)}`);
  }
  if (o.messageIds !== undefined && typeof o.messageIds !== 'boolean') {
    throw new InvalidArgumentError(`${what}.messageIds`, `expected true or false, got ${describe(o.messageIds)}`);
  }
  // Idempotence is the config's default only where it is possible: acks 'leader' / 'none' alone
  // mean a non-idempotent producer rather than an error about an option the caller never set.
  return { acks, idempotent: o.idempotent ?? (acks === 'all' && configIdempotence) };
}

function acksOf(value: unknown, what: string): Acks {
  if (value === undefined) return 'all';
  if (value === 'all' || value === 'leader' || value === 'none') return value;
  const named = ACKS_OF_NUMBER.get(value);
  const hint = named !== undefined ? ` (acks=${String(value)} is '${named}')` : '';
  throw new InvalidArgumentError(`${what}.acks`, `expected 'all', 'leader' or 'none', got ${describe(value)}${hint}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

/**
 * The librdkafka properties of a choice, applied on top of the config's producer mapping
 * (toLibrdkafkaConfig): `request.required.acks` is a topic property, `enable.idempotence` a global
 * one (see config/librdkafka.ts on why topic properties travel apart).
 */
export function guaranteeProperties(g: Guarantees): { global: { 'enable.idempotence': boolean }; topic: { 'request.required.acks': -1 | 1 | 0 } } {
  return { global: { 'enable.idempotence': g.idempotent }, topic: { 'request.required.acks': ACKS_VALUE[g.acks] } };
}
