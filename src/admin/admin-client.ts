/**
 * What the admin classes share: the admin handle of the addon (one per high-level call, closed at
 * its end, so an idle TopicManager / GroupAdmin holds no connection), argument checks that throw
 * InvalidArgumentError before anything is sent, and the conversion of librdkafka's per-item errors
 * into KafkaError.
 */
import { InvalidArgumentError } from '../errors/base.js';
import { KafkaError, fromNativeError } from '../errors/librdkafka.js';
import { toLibrdkafkaConfig } from '../config/index.js';
import type { KafkaConfig } from '../config/types.js';
import { createNativeAdminClient } from '../native/admin.js';
import type { NativeAdminClient, NativeAdminError } from '../native/admin-types.js';
import type { NativeBinding } from '../native/types.js';
import type { TopicAdminContext } from './topic-admin.js';

/** librdkafka / Kafka codes the admin layer reasons about (rdkafka.h rd_kafka_resp_err_t). */
export const ADMIN_ERR = Object.freeze({
  UNKNOWN_MEMBER_ID: 25,
  REBALANCE_IN_PROGRESS: 27,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
});

/** What an error adds about a partly done operation: `note` ends the message, `context` goes into the error's context. */
export interface ErrorOutcome {
  readonly note?: string;
  readonly context?: Record<string, unknown>;
}

/**
 * The group has members (or is rebalancing): Kafka only lets an empty group's committed offsets be
 * reset and only deletes empty groups. Stop every consumer of the group first. A KafkaError with
 * librdkafka's ERR_NON_EMPTY_GROUP (code `GCK_KAFKA_NON_EMPTY_GROUP`), what the broker itself answers
 * for a delete; `members` lists who is still in the group (empty when the broker refused: it names none).
 */
export class GroupNotEmptyError extends KafkaError {
  readonly group: string;
  readonly members: readonly string[];
  constructor(group: string, state: string, members: readonly string[], operation: string, outcome: ErrorOutcome = {}) {
    const who = members.length > 0 ? ` with ${members.length} active member(s) (${members.slice(0, 5).join(', ')}${members.length > 5 ? ', …' : ''})` : '';
    super(
      `${operation}: consumer group ${group} is ${state}${who}; Kafka requires the group to be empty: stop its consumers first${outcome.note !== undefined ? ` (${outcome.note})` : ''}`,
      ADMIN_ERR.NON_EMPTY_GROUP,
      { retriable: false, fatal: false, context: { group, state, members: members.length, operation, ...outcome.context } },
    );
    this.group = group;
    this.members = Object.freeze([...members]);
  }
}

/** How the admin classes get an admin handle (tests pass their own). */
export type AdminClientFactory = () => NativeAdminClient;

/**
 * The default factory: the addon's handle from the `admin` role of the configuration (same security
 * settings), made by `binding` (default: the loaded one). A client's binding with a token provider
 * gives each handle its tokens until closed (native/oauth-binding.ts, docs/oauth.md).
 */
export function defaultAdminFactory(config: KafkaConfig, binding?: NativeBinding): AdminClientFactory {
  return () => createNativeAdminClient(toLibrdkafkaConfig(config, 'admin').global, binding);
}

/** Runs `fn` with a new handle and closes it whatever happens. */
export async function withAdmin<T>(factory: AdminClientFactory, fn: (admin: NativeAdminClient) => Promise<T>): Promise<T> {
  const admin = factory();
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** A request-level rejection of the addon as a KafkaError; anything else is rethrown as it is. */
export async function call<T>(what: string, context: Record<string, unknown>, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Error && typeof (e as { code?: unknown }).code === 'number') throw fromNativeError(e as unknown as { code: number; message: string }, what, context);
    throw e;
  }
}

/** The KafkaError of one failed item (a topic, a group, a partition). */
export function itemError(err: NativeAdminError, what: string, context: Record<string, unknown>): KafkaError {
  return fromNativeError(err, what, context);
}

/** Throws the first failed item's error; the context lists every failed item (and `outcome.context`). */
export function throwFailed<T extends { error: NativeAdminError | null }>(items: readonly T[], what: string, label: (item: T) => string, outcome: ErrorOutcome = {}): void {
  const failed = items.filter((i) => i.error !== null);
  if (failed.length === 0) return;
  const first = failed[0]!;
  const all = failed.map((i) => `${label(i)}: ${i.error!.name}`);
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more: ${all.slice(1, 6).join(', ')})` : '';
  const note = outcome.note !== undefined ? ` (${outcome.note})` : '';
  throw itemError({ ...first.error!, message: `${label(first)}: ${first.error!.message}${more}${note}` }, what, { failed: all, ...outcome.context });
}

// ---- argument checks ----------------------------------------------------------------------------

const TOPIC_RE = /^[a-zA-Z0-9._-]{1,249}$/;

export function checkTopic(what: string, topic: unknown): string {
  if (typeof topic !== 'string' || !TOPIC_RE.test(topic) || topic === '.' || topic === '..') {
    throw new InvalidArgumentError(what, `got ${JSON.stringify(topic)}, expected a topic name (1 to 249 of a-z A-Z 0-9 . _ -)`);
  }
  return topic;
}

export function checkTopics(what: string, topics: unknown): string[] {
  if (!Array.isArray(topics) || topics.length === 0) throw new InvalidArgumentError(what, 'expected a non-empty array of topic names');
  return [...new Set(topics.map((t) => checkTopic(what, t)))];
}

export function checkGroup(what: string, group: unknown): string {
  if (typeof group !== 'string' || group.length === 0 || group.length > 1000 || group.includes('\0')) {
    throw new InvalidArgumentError(what, `got ${JSON.stringify(group)}, expected a non-empty consumer group id`);
  }
  return group;
}

export function checkGroups(what: string, groups: unknown): string[] {
  if (!Array.isArray(groups) || groups.length === 0) throw new InvalidArgumentError(what, 'expected a non-empty array of consumer group ids');
  return [...new Set(groups.map((g) => checkGroup(what, g)))];
}

/** A timestamp in ms since the epoch: a Date or a non-negative integer. */
export function checkTimestamp(what: string, ts: unknown): number {
  const ms = ts instanceof Date ? ts.getTime() : ts;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
    throw new InvalidArgumentError(what, `got ${ts instanceof Date ? 'an invalid Date' : JSON.stringify(ts)}, expected a Date or a timestamp in ms (integer >= 0)`);
  }
  return ms;
}

export function checkOffset(what: string, offset: unknown): number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidArgumentError(what, `got ${JSON.stringify(offset)}, expected an offset (integer >= 0)`);
  }
  return offset;
}

/** Operation options every admin call takes. */
export interface AdminCallOptions {
  /** Request timeout. Default: the configuration's write_timeout. */
  readonly timeoutMs?: number;
}

/** Options of calls that change something. */
export interface DryRunOptions extends AdminCallOptions {
  /** Compute and return the plan, change nothing. */
  readonly dryRun?: boolean;
}

export function checkTimeout(what: string, options: AdminCallOptions | undefined, dflt: number): number {
  const t = options?.timeoutMs;
  if (t === undefined) return Math.max(1000, Math.min(dflt, 900_000));
  if (!Number.isInteger(t) || t < 1 || t > 900_000) throw new InvalidArgumentError(`${what} option timeoutMs`, `got ${String(t)}, expected an integer from 1 to 900000`);
  return t;
}

/**
 * The context of one call of TopicManager / GroupAdmin: the host's configuration and metadata, the
 * admin handle factory, and the request timeout (`options.timeoutMs`, checked, or the configuration's
 * write_timeout).
 */
export function adminContext(host: Pick<TopicAdminContext, 'config' | 'metadata'>, factory: AdminClientFactory, what: string, options: AdminCallOptions | undefined): TopicAdminContext {
  return { config: host.config, metadata: (t, ms) => host.metadata(t, ms), factory, timeoutMs: checkTimeout(what, options, host.config.writeTimeoutMs) };
}
