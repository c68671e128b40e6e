/**
 * The topic operations of the admin addon behind TopicManager's methods: create / delete topics,
 * add partitions, describe / alter topic configs, offsets by spec or timestamp. Each opens one admin
 * handle for the call and closes it (admin-client.ts withAdmin).
 */
import { InvalidArgumentError } from '../errors/base.js';
import { OFFSET_SPEC, type NativeConfigOp, type NativeListOffsetsResult } from '../native/admin-types.js';
import type { NativeAdminClient, NativeAdminError, NativeNewTopicSpec, NativeTopicResult } from '../native/admin-types.js';
import { call, checkTopic, checkTopics, throwFailed, type AdminClientFactory, withAdmin } from './admin-client.js';
import type { KafkaConfig } from '../config/types.js';
import type { NativeMetadata } from '../native/types.js';

/** What the topic operations need from TopicManager's host. */
export interface TopicAdminContext {
  readonly config: KafkaConfig;
  metadata(topic?: string, timeoutMs?: number): Promise<NativeMetadata>;
  readonly factory: AdminClientFactory;
  readonly timeoutMs: number;
}

export interface TopicConfigEntry {
  readonly name: string;
  /** null when sensitive (e.g. a password) or unset. */
  readonly value: string | null;
  /** Where the value comes from: DYNAMIC_TOPIC_CONFIG (set on the topic), STATIC_BROKER_CONFIG, DEFAULT_CONFIG, ... */
  readonly source: string;
  readonly isDefault: boolean;
  readonly isSensitive: boolean;
  readonly readOnly: boolean;
}

/** Changes to a topic's configs: keys to set, keys to delete (back to the broker / cluster default). */
export interface TopicConfigChanges {
  readonly set?: Readonly<Record<string, string>>;
  readonly delete?: readonly string[];
}

export interface ConfigChange {
  readonly name: string;
  readonly op: 'set' | 'delete';
  /** The value before (null: unset or sensitive). */
  readonly from: string | null;
  /** The value asked for (null: deleted, i.e. back to the default). */
  readonly to: string | null;
}

export interface AlterConfigsResult {
  readonly topic: string;
  readonly dryRun: boolean;
  readonly changes: readonly ConfigChange[];
}

export interface DeleteTopicsResult {
  readonly dryRun: boolean;
  /** Every topic asked for; `partitions` 0 when it did not exist (a real run then fails). */
  readonly topics: ReadonlyArray<{ readonly topic: string; readonly exists: boolean; readonly partitions: number }>;
}

export interface CreatePartitionsResult {
  readonly topic: string;
  readonly dryRun: boolean;
  readonly from: number;
  readonly to: number;
}

export interface PartitionOffsets {
  readonly partition: number;
  /** First offset still in the log. */
  readonly earliest: number;
  /** The end: offset of the next message written. */
  readonly latest: number;
}

export interface TimestampOffset {
  readonly partition: number;
  /** The first offset whose timestamp is >= the asked timestamp; the end offset when there is none. */
  readonly offset: number;
  /** That message's timestamp; -1 when there is none (offset is then the end). */
  readonly timestamp: number;
}

/** Partition ids of a topic (TopicError-free: an unknown topic is an InvalidArgumentError naming it). */
export async function partitionIds(ctx: TopicAdminContext, topic: string): Promise<number[]> {
  const md = await ctx.metadata(topic);
  const t = md.topics.find((x) => x.name === topic);
  if (t === undefined || t.partitions.length === 0) throw new InvalidArgumentError('topic', `topic ${topic} does not exist`, { topic });
  return t.partitions.map((p) => p.id).sort((a, b) => a - b);
}

/**
 * Creates one topic with an open handle (TopicManager.ensureTopics): null when it was created, else
 * librdkafka's error, of the topic (e.g. TOPIC_ALREADY_EXISTS, POLICY_VIOLATION) or of the whole
 * request (e.g. _TIMED_OUT). An argument the addon refuses (TypeError / RangeError) is thrown.
 */
export async function createTopicWith(a: NativeAdminClient, ctx: TopicAdminContext, spec: NativeNewTopicSpec): Promise<NativeAdminError | null> {
  let res: NativeTopicResult[];
  try {
    res = await a.createTopics([spec], { timeoutMs: ctx.timeoutMs });
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (e instanceof Error && typeof code === 'number') return { code, name: e.name, message: e.message };
    throw e;
  }
  return res.find((r) => r.topic === spec.topic)?.error ?? null;
}

export async function deleteTopics(ctx: TopicAdminContext, topics: readonly string[], dryRun: boolean): Promise<DeleteTopicsResult> {
  const names = checkTopics('deleteTopics topics', topics);
  const md = await ctx.metadata(undefined);
  const have = new Map(md.topics.map((t) => [t.name, t.partitions.length] as const));
  const plan = names.map((topic) => ({ topic, exists: (have.get(topic) ?? 0) > 0, partitions: have.get(topic) ?? 0 }));
  if (dryRun) return { dryRun, topics: plan };
  const res = await withAdmin(ctx.factory, (a) => call('deleteTopics', { topics: names }, a.deleteTopics(names, { timeoutMs: ctx.timeoutMs })));
  throwFailed(res, 'deleteTopics', (r) => r.topic);
  return { dryRun, topics: plan };
}

export async function createPartitions(ctx: TopicAdminContext, topic: string, total: number, dryRun: boolean): Promise<CreatePartitionsResult> {
  checkTopic('createPartitions topic', topic);
  if (!Number.isInteger(total) || total < 1 || total > 1_000_000) throw new InvalidArgumentError('createPartitions total', `got ${String(total)}, expected the new total number of partitions (an integer >= 1)`);
  const from = (await partitionIds(ctx, topic)).length;
  if (total <= from) throw new InvalidArgumentError('createPartitions total', `topic ${topic} has ${from} partitions; the new total must be larger (Kafka cannot remove partitions)`, { topic, from, total });
  // validateOnly: the controller checks the request (policy, brokers) and changes nothing.
  const res = await withAdmin(ctx.factory, (a) => call('createPartitions', { topic, total }, a.createPartitions([{ topic, total }], { timeoutMs: ctx.timeoutMs, validateOnly: dryRun })));
  throwFailed(res, 'createPartitions', (r) => r.topic);
  return { topic, dryRun, from, to: total };
}

async function describe(admin: NativeAdminClient, ctx: TopicAdminContext, topic: string): Promise<TopicConfigEntry[]> {
  const res = await call('describeTopicConfigs', { topic }, admin.describeConfigs([{ type: 'topic', name: topic }], { timeoutMs: ctx.timeoutMs }));
  throwFailed(res, 'describeTopicConfigs', (r) => r.name);
  return (res[0]?.configs ?? []).map((c) => ({ ...c })).sort((a, b) => a.name.localeCompare(b.name));
}

export async function describeTopicConfigs(ctx: TopicAdminContext, topic: string): Promise<TopicConfigEntry[]> {
  checkTopic('describeTopicConfigs topic', topic);
  return withAdmin(ctx.factory, (a) => describe(a, ctx, topic));
}

/** Validates the changes; returns the ops for the addon. */
export function configOps(changes: TopicConfigChanges): NativeConfigOp[] {
  if (changes === null || typeof changes !== 'object') throw new InvalidArgumentError('alterTopicConfigs changes', 'expected { set?: { key: value }, delete?: [key] }');
  const set = changes.set ?? {};
  const del = changes.delete ?? [];
  if (typeof set !== 'object' || set === null || Array.isArray(set)) throw new InvalidArgumentError('alterTopicConfigs set', 'expected an object of key → string value');
  if (!Array.isArray(del)) throw new InvalidArgumentError('alterTopicConfigs delete', 'expected an array of config keys');
  const ops: NativeConfigOp[] = [];
  const key = /^[a-z0-9][a-z0-9._-]*$/i;
  for (const [name, value] of Object.entries(set)) {
    if (!key.test(name)) throw new InvalidArgumentError('alterTopicConfigs set', `bad config key ${JSON.stringify(name)}`);
    if (typeof value !== 'string' || value.includes('\0')) throw new InvalidArgumentError('alterTopicConfigs set', `${name}: got ${JSON.stringify(value)}, expected a string value`);
    ops.push({ name, op: 'set', value });
  }
  for (const name of del) {
    if (typeof name !== 'string' || !key.test(name)) throw new InvalidArgumentError('alterTopicConfigs delete', `bad config key ${JSON.stringify(name)}`);
    if (Object.hasOwn(set, name)) throw new InvalidArgumentError('alterTopicConfigs', `${name} is both set and deleted`);
    ops.push({ name, op: 'delete' });
  }
  if (ops.length === 0) throw new InvalidArgumentError('alterTopicConfigs changes', 'nothing to change: give set and/or delete');
  return ops;
}

export async function alterTopicConfigs(ctx: TopicAdminContext, topic: string, changes: TopicConfigChanges, dryRun: boolean): Promise<AlterConfigsResult> {
  checkTopic('alterTopicConfigs topic', topic);
  const ops = configOps(changes);
  return withAdmin(ctx.factory, async (a) => {
    const before = new Map((await describe(a, ctx, topic)).map((c) => [c.name, c] as const));
    const unknown = ops.filter((o) => !before.has(o.name)).map((o) => o.name);
    if (unknown.length > 0) throw new InvalidArgumentError('alterTopicConfigs', `unknown topic config(s): ${unknown.join(', ')}`, { topic, unknown });
    // Incremental: only the named keys change (the deprecated AlterConfigs would reset every other key).
    const res = await call('alterTopicConfigs', { topic }, a.incrementalAlterConfigs([{ type: 'topic', name: topic, ops }], { timeoutMs: ctx.timeoutMs, validateOnly: dryRun }));
    throwFailed(res, 'alterTopicConfigs', (r) => r.name);
    const changes2: ConfigChange[] = ops.map((o) => ({ name: o.name, op: o.op as 'set' | 'delete', from: before.get(o.name)?.value ?? null, to: o.op === 'set' ? o.value! : null }));
    return { topic, dryRun, changes: changes2 };
  });
}

async function listOffsets(a: NativeAdminClient, ctx: TopicAdminContext, topic: string, ids: readonly number[], spec: number): Promise<NativeListOffsetsResult[]> {
  const res = await call('listOffsets', { topic, spec }, a.listOffsets(ids.map((partition) => ({ topic, partition, offset: spec })), { timeoutMs: ctx.timeoutMs }));
  throwFailed(res, 'listOffsets', (r) => `${r.topic}[${r.partition}]`);
  return res.sort((x, y) => x.partition - y.partition);
}

/** Earliest and latest offsets of every partition of `topic` (with an open handle). */
export async function partitionOffsetsWith(a: NativeAdminClient, ctx: TopicAdminContext, topic: string, ids: readonly number[]): Promise<PartitionOffsets[]> {
  const [lo, hi] = await Promise.all([listOffsets(a, ctx, topic, ids, OFFSET_SPEC.EARLIEST), listOffsets(a, ctx, topic, ids, OFFSET_SPEC.LATEST)]);
  return lo.map((l, i) => ({ partition: l.partition, earliest: l.offset, latest: hi[i]!.offset }));
}

export async function topicOffsets(ctx: TopicAdminContext, topic: string): Promise<PartitionOffsets[]> {
  checkTopic('topicOffsets topic', topic);
  const ids = await partitionIds(ctx, topic);
  return withAdmin(ctx.factory, (a) => partitionOffsetsWith(a, ctx, topic, ids));
}

/** Offsets for a timestamp (with an open handle): the end offset where no message is that recent. */
export async function offsetsForTimesWith(a: NativeAdminClient, ctx: TopicAdminContext, topic: string, ids: readonly number[], ts: number): Promise<TimestampOffset[]> {
  const at = await listOffsets(a, ctx, topic, ids, ts);
  const none = at.filter((r) => r.offset < 0).map((r) => r.partition);
  const ends = none.length > 0 ? new Map((await listOffsets(a, ctx, topic, none, OFFSET_SPEC.LATEST)).map((r) => [r.partition, r.offset] as const)) : new Map<number, number>();
  return at.map((r) => (r.offset < 0 ? { partition: r.partition, offset: ends.get(r.partition)!, timestamp: -1 } : { partition: r.partition, offset: r.offset, timestamp: r.timestamp }));
}

export async function offsetsForTimes(ctx: TopicAdminContext, topic: string, ts: number): Promise<TimestampOffset[]> {
  const ids = await partitionIds(ctx, topic);
  return withAdmin(ctx.factory, (a) => offsetsForTimesWith(a, ctx, topic, ids, ts));
}
