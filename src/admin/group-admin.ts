/**
 * Consumer-group administration on the admin addon: list, describe, delete groups, committed
 * offsets and lag, and offset resets. Built from the same AdminHost as TopicManager
 * (ConnectionManager is one), so `new GroupAdmin(client)` uses the client's security settings.
 * Each call opens one admin handle and closes it at its end.
 */
import { InvalidArgumentError } from '../errors/base.js';
import { OFFSET_SPEC, type NativeAdminClient, type NativeGroupDescription } from '../native/admin-types.js';
import {
  ADMIN_ERR,
  GroupNotEmptyError,
  adminContext,
  call,
  checkGroup,
  checkGroups,
  checkOffset,
  checkTimestamp,
  checkTopic,
  throwFailed,
  withAdmin,
  type AdminCallOptions,
  type AdminClientFactory,
  type DryRunOptions,
} from './admin-client.js';
import { offsetsForTimesWith, partitionIds, partitionOffsetsWith, type TopicAdminContext } from './topic-admin.js';
import { adminFactoryOf, type AdminHost } from './topic-manager.js';

/** librdkafka's names of the group states. Dead: no such group (or it expired). */
export type GroupState = 'Stable' | 'Empty' | 'Dead' | 'PreparingRebalance' | 'CompletingRebalance' | 'Unknown';
export const GROUP_STATES: readonly GroupState[] = Object.freeze(['Stable', 'Empty', 'Dead', 'PreparingRebalance', 'CompletingRebalance', 'Unknown']);

export interface GroupListing {
  readonly groupId: string;
  readonly state: GroupState;
  /** Classic, or Consumer for a KIP-848 group. */
  readonly type: string;
  /** A group only used to commit offsets (no membership). */
  readonly isSimple: boolean;
}

export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly groupInstanceId: string | null;
  readonly host: string;
  readonly assignment: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
}

export interface GroupDescription extends GroupListing {
  /** The partition assignor (range, cooperative-sticky, …); null when the group has none (empty, dead). */
  readonly assignor: string | null;
  readonly coordinator: { readonly id: number; readonly host: string; readonly port: number } | null;
  readonly members: readonly GroupMember[];
}

export interface GroupOffset {
  readonly topic: string;
  readonly partition: number;
  /** The committed offset (next message the group reads); null: nothing committed. */
  readonly committed: number | null;
  /** End offset of the partition; null when it cannot be read (e.g. the topic was deleted). */
  readonly latest: number | null;
  /** latest - committed; null when either is unknown. */
  readonly lag: number | null;
}

/** Where resetGroupOffsets moves the group: one of the ends, a time, one offset for every partition, or explicit offsets. */
export type ResetTarget =
  | 'earliest'
  | 'latest'
  | { readonly timestamp: Date | number }
  | { readonly offset: number }
  | { readonly offsets: ReadonlyArray<{ readonly partition: number; readonly offset: number }> };

export interface ResetPlanItem {
  readonly partition: number;
  /** Committed before; null: nothing committed. */
  readonly from: number | null;
  readonly to: number;
  /** The asked offset lay outside [earliest, latest] and was moved to the nearest end (as kafka-consumer-groups does). */
  readonly clamped: boolean;
}

export interface ResetResult {
  readonly group: string;
  readonly topic: string;
  readonly dryRun: boolean;
  readonly partitions: readonly ResetPlanItem[];
}

export interface DeleteGroupsResult {
  readonly dryRun: boolean;
  /** Every group asked for. `exists: false`: there was no such group (Dead), nothing to delete; true: deleted (a dry run: would be). */
  readonly groups: ReadonlyArray<{ readonly groupId: string; readonly state: GroupState; readonly exists: boolean }>;
}

const ACTIVE: ReadonlySet<string> = new Set(['Stable', 'PreparingRebalance', 'CompletingRebalance']);
/** What the broker answers an offset commit of a group that is not empty (generation -1, no member id). */
const RACED: ReadonlySet<number> = new Set([ADMIN_ERR.UNKNOWN_MEMBER_ID, ADMIN_ERR.NON_EMPTY_GROUP, ADMIN_ERR.REBALANCE_IN_PROGRESS]);
/** librdkafka's "no committed offset". */
const OFFSET_INVALID = -1001;

function toDescription(d: NativeGroupDescription): GroupDescription {
  return {
    groupId: d.groupId,
    state: d.state as GroupState,
    type: d.type,
    isSimple: d.isSimple,
    assignor: d.assignor,
    coordinator: d.coordinator,
    members: d.members.map((m) => ({ ...m, assignment: [...m.assignment].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition) })),
  };
}

/** Checks a reset target; returns it normalised (timestamps in ms). */
export function checkResetTarget(to: unknown): ResetTarget {
  if (to === 'earliest' || to === 'latest') return to;
  if (to !== null && typeof to === 'object') {
    const o = to as Record<string, unknown>;
    if ('timestamp' in o) return { timestamp: checkTimestamp('resetGroupOffsets to.timestamp', o.timestamp) };
    if ('offset' in o) return { offset: checkOffset('resetGroupOffsets to.offset', o.offset) };
    if ('offsets' in o && Array.isArray(o.offsets) && o.offsets.length > 0) {
      const seen = new Set<number>();
      const offsets = o.offsets.map((x: unknown) => {
        const p = (x ?? {}) as { partition?: unknown; offset?: unknown };
        if (typeof p.partition !== 'number' || !Number.isInteger(p.partition) || p.partition < 0) throw new InvalidArgumentError('resetGroupOffsets to.offsets', `bad partition ${JSON.stringify(p.partition)}`);
        if (seen.has(p.partition)) throw new InvalidArgumentError('resetGroupOffsets to.offsets', `partition ${p.partition} given twice`);
        seen.add(p.partition);
        return { partition: p.partition, offset: checkOffset('resetGroupOffsets to.offsets', p.offset) };
      });
      return { offsets };
    }
  }
  throw new InvalidArgumentError('resetGroupOffsets to', `got ${JSON.stringify(to)}, expected 'earliest', 'latest', { timestamp }, { offset } or { offsets: [{ partition, offset }] }`);
}

export class GroupAdmin {
  readonly #host: AdminHost;
  readonly #factory: AdminClientFactory;

  constructor(host: AdminHost) {
    this.#host = host;
    this.#factory = adminFactoryOf(host);
  }

  #ctx(what: string, options: AdminCallOptions | undefined): TopicAdminContext {
    return adminContext(this.#host, this.#factory, what, options);
  }

  /** Consumer groups of the cluster (optionally only those in `states`), sorted by id. */
  async listGroups(options: AdminCallOptions & { readonly states?: readonly GroupState[] } = {}): Promise<GroupListing[]> {
    const states = options.states ?? [];
    if (!Array.isArray(states) || states.some((s) => !GROUP_STATES.includes(s))) throw new InvalidArgumentError('listGroups states', `expected some of ${GROUP_STATES.join(', ')}`);
    const ctx = this.#ctx('listGroups', options);
    const res = await withAdmin(ctx.factory, (a) => call('listGroups', {}, a.listGroups({ states: [...states] }, { timeoutMs: ctx.timeoutMs })));
    // A listing that misses the groups of a broker would look complete: refuse it.
    throwFailed(res.errors.map((e) => ({ error: e })), 'listGroups', () => 'a broker');
    return res.groups.map((g) => ({ groupId: g.groupId, state: g.state as GroupState, type: g.type, isSimple: g.isSimple })).sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  /** State, coordinator and members with their assignments. A group that does not exist is `Dead` with no members. */
  async describeGroups(groups: readonly string[], options: AdminCallOptions = {}): Promise<GroupDescription[]> {
    const ids = checkGroups('describeGroups groups', groups);
    const ctx = this.#ctx('describeGroups', options);
    return withAdmin(ctx.factory, (a) => this.#describe(a, ctx, ids));
  }

  async #describe(a: NativeAdminClient, ctx: TopicAdminContext, ids: string[]): Promise<GroupDescription[]> {
    const res = await call('describeGroups', { groups: ids }, a.describeGroups(ids, { timeoutMs: ctx.timeoutMs }));
    throwFailed(res, 'describeGroups', (d) => d.groupId);
    return res.map(toDescription);
  }

  /**
   * Deletes groups and their committed offsets. All of them are checked first: while any has
   * members, refused with GroupNotEmptyError and nothing is deleted. A group that does not exist
   * (Dead) is reported `exists: false` and skipped, in a real run as in a dry run. Kafka deletes
   * each group on its own: if the broker refuses some (a consumer joined one after the check:
   * GroupNotEmptyError; anything else: KafkaError), the others are deleted all the same, and the
   * error says which were and which were not (message, and context `deleted` / `notDeleted`).
   * `dryRun`: the plan only.
   */
  async deleteGroups(groups: readonly string[], options: DryRunOptions = {}): Promise<DeleteGroupsResult> {
    const ids = checkGroups('deleteGroups groups', groups);
    const ctx = this.#ctx('deleteGroups', options);
    return withAdmin(ctx.factory, async (a) => {
      const ds = await this.#describe(a, ctx, ids);
      for (const d of ds) this.#assertEmpty(d, 'deleteGroups');
      const plan = { dryRun: options.dryRun === true, groups: ds.map((d) => ({ groupId: d.groupId, state: d.state, exists: d.state !== 'Dead' })) };
      const existing = plan.groups.filter((g) => g.exists).map((g) => g.groupId);
      if (plan.dryRun || existing.length === 0) return plan;
      const res = await call('deleteGroups', { groups: existing }, a.deleteGroups(existing, { timeoutMs: ctx.timeoutMs }));
      // Deleted by someone else since the check: missing now, as a new plan would say.
      const gone = new Set(res.filter((r) => r.error?.code === ADMIN_ERR.GROUP_ID_NOT_FOUND).map((r) => r.groupId));
      const failed = res.filter((r) => r.error !== null && !gone.has(r.groupId));
      if (failed.length > 0) {
        const deleted = res.filter((r) => r.error === null).map((r) => r.groupId);
        const notDeleted = failed.map((r) => r.groupId);
        const outcome = { note: `deleted: ${deleted.length > 0 ? deleted.join(', ') : 'none'}; not deleted: ${notDeleted.join(', ')}`, context: { deleted, notDeleted } };
        const raced = failed.find((r) => r.error!.code === ADMIN_ERR.NON_EMPTY_GROUP);
        if (raced !== undefined) throw new GroupNotEmptyError(raced.groupId, 'not empty (a consumer joined meanwhile)', [], 'deleteGroups', outcome);
        throwFailed(failed, 'deleteGroups', (r) => r.groupId, outcome);
      }
      return { dryRun: false, groups: plan.groups.map((g) => (gone.has(g.groupId) ? { groupId: g.groupId, state: 'Dead' as const, exists: false } : g)) };
    });
  }

  #assertEmpty(d: GroupDescription, operation: string): void {
    if (d.members.length > 0 || ACTIVE.has(d.state)) throw new GroupNotEmptyError(d.groupId, d.state, d.members.map((m) => `${m.clientId}@${m.host}`), operation);
  }

  /**
   * Committed offset, end offset and lag per partition: of every partition the group committed,
   * or with `topic` of every partition of that topic (null committed where the group has none).
   */
  async groupOffsets(group: string, options: AdminCallOptions & { readonly topic?: string } = {}): Promise<GroupOffset[]> {
    checkGroup('groupOffsets group', group);
    if (options.topic !== undefined) checkTopic('groupOffsets topic', options.topic);
    const ctx = this.#ctx('groupOffsets', options);
    const topicIds = options.topic !== undefined ? await partitionIds(ctx, options.topic) : undefined;
    return withAdmin(ctx.factory, async (a) => {
      const wanted = topicIds?.map((partition) => ({ topic: options.topic!, partition })) ?? null;
      const committed = await this.#committed(a, ctx, group, wanted);
      const keys = wanted ?? [...committed.keys()].map((k) => JSON.parse(k) as { topic: string; partition: number });
      if (keys.length === 0) return [];
      const ends = await call('listOffsets', { group }, a.listOffsets(keys.map((k) => ({ ...k, offset: OFFSET_SPEC.LATEST })), { timeoutMs: ctx.timeoutMs }));
      const latest = new Map(ends.map((e) => [JSON.stringify({ topic: e.topic, partition: e.partition }), e.error === null ? e.offset : null] as const));
      return keys
        .map((k) => {
          const id = JSON.stringify({ topic: k.topic, partition: k.partition });
          const c = committed.get(id) ?? null;
          const l = latest.get(id) ?? null;
          return { topic: k.topic, partition: k.partition, committed: c, latest: l, lag: c !== null && l !== null ? Math.max(0, l - c) : null };
        })
        .sort((x, y) => x.topic.localeCompare(y.topic) || x.partition - y.partition);
    });
  }

  /** Committed offsets keyed by JSON {topic, partition}; partitions without a commit are left out. */
  async #committed(a: NativeAdminClient, ctx: TopicAdminContext, group: string, partitions: Array<{ topic: string; partition: number }> | null): Promise<Map<string, number>> {
    const res = await call('listGroupOffsets', { group }, a.listGroupOffsets(group, partitions, { timeoutMs: ctx.timeoutMs }));
    throwFailed(res, 'listGroupOffsets', (r) => r.groupId);
    const out = new Map<string, number>();
    for (const p of res[0]?.partitions ?? []) {
      if (p.error === null && p.offset !== OFFSET_INVALID && p.offset >= 0) out.set(JSON.stringify({ topic: p.topic, partition: p.partition }), p.offset);
    }
    return out;
  }

  /**
   * Moves the group's committed offsets on `topic` (every partition, or those of `to.offsets`).
   * Kafka only accepts this for an empty group: refused with GroupNotEmptyError while a consumer
   * of the group runs. Targets outside a partition's [earliest, latest] are clamped to it.
   * `dryRun`: returns the plan (from → to per partition) and commits nothing.
   */
  async resetGroupOffsets(group: string, topic: string, to: ResetTarget, options: DryRunOptions = {}): Promise<ResetResult> {
    checkGroup('resetGroupOffsets group', group);
    checkTopic('resetGroupOffsets topic', topic);
    const target = checkResetTarget(to);
    const ctx = this.#ctx('resetGroupOffsets', options);
    const ids = await partitionIds(ctx, topic);
    if (typeof target === 'object' && 'offsets' in target) {
      const bad = target.offsets.filter((o) => !ids.includes(o.partition)).map((o) => o.partition);
      if (bad.length > 0) throw new InvalidArgumentError('resetGroupOffsets to.offsets', `topic ${topic} has no partition ${bad.join(', ')} (it has ${ids.length})`, { topic, partitions: bad });
    }
    return withAdmin(ctx.factory, async (a) => {
      const [desc] = await this.#describe(a, ctx, [group]);
      this.#assertEmpty(desc!, 'resetGroupOffsets');
      const bounds = new Map((await partitionOffsetsWith(a, ctx, topic, ids)).map((b) => [b.partition, b] as const));
      let wanted: Array<{ partition: number; offset: number }>;
      if (target === 'earliest' || target === 'latest') wanted = ids.map((p) => ({ partition: p, offset: bounds.get(p)![target] }));
      else if ('timestamp' in target) wanted = (await offsetsForTimesWith(a, ctx, topic, ids, target.timestamp as number)).map((r) => ({ partition: r.partition, offset: r.offset }));
      else if ('offset' in target) wanted = ids.map((p) => ({ partition: p, offset: target.offset }));
      else wanted = [...target.offsets].sort((x, y) => x.partition - y.partition);
      const before = await this.#committed(a, ctx, group, wanted.map((w) => ({ topic, partition: w.partition })));
      const partitions = wanted.map((w) => {
        const b = bounds.get(w.partition)!;
        const offset = Math.min(Math.max(w.offset, b.earliest), b.latest);
        return { partition: w.partition, from: before.get(JSON.stringify({ topic, partition: w.partition })) ?? null, to: offset, clamped: offset !== w.offset };
      });
      const result = { group, topic, dryRun: options.dryRun === true, partitions };
      if (result.dryRun) return result;
      const res = await call('resetGroupOffsets', { group, topic }, a.alterGroupOffsets(group, partitions.map((p) => ({ topic, partition: p.partition, offset: p.to })), { timeoutMs: ctx.timeoutMs }));
      const items = [...res, ...res.flatMap((r) => r.partitions)];
      // A consumer that joined after the check: the broker refuses the commit for a non-empty group.
      const raced = items.find((i) => i.error !== null && RACED.has(i.error.code));
      if (raced !== undefined) throw new GroupNotEmptyError(group, 'not empty (a consumer joined meanwhile)', [], 'resetGroupOffsets');
      throwFailed(res, 'resetGroupOffsets', (r) => r.groupId);
      throwFailed(res.flatMap((r) => r.partitions), 'resetGroupOffsets', (p) => `${p.topic}[${p.partition}]`);
      return result;
    });
  }
}
