import { setTimeout as delay } from 'node:timers/promises';
import { GoCoffeeKafkaError, InvalidArgumentError } from '../errors/base.js';
import { fromNativeError, RD } from '../errors/librdkafka.js';
import { topicName } from '../config/index.js';
import type { KafkaConfig, TopicNames } from '../config/types.js';
import type { NativeBinding, NativeMetadata, NativePartitionMetadata } from '../native/types.js';
import type { NativeAdminClient, NativeAdminError } from '../native/admin-types.js';
import { adminContext, checkTimestamp, checkTopic, defaultAdminFactory, type AdminCallOptions, type AdminClientFactory, type DryRunOptions } from './admin-client.js';
import * as ops from './topic-admin.js';
import type { AlterConfigsResult, CreatePartitionsResult, DeleteTopicsResult, PartitionOffsets, TimestampOffset, TopicAdminContext, TopicConfigChanges, TopicConfigEntry } from './topic-admin.js';

/**
 * What admin operations need from the client that owns the connections (client.ts's
 * ConnectionManager is one): the configuration, metadata through the shared producer, and admin
 * handles with the same security settings. Defined here so admin/ never imports the composition
 * root above it.
 */
export interface AdminHost {
  readonly config: KafkaConfig;
  metadata(topic?: string, timeoutMs?: number): Promise<NativeMetadata>;
  /**
   * The binding the host builds its handles with: the default admin handles come from its
   * `createAdminClient` (a ConnectionManager's with a token provider gives each its tokens,
   * native/oauth-binding.ts). Optional: default, the loaded binding.
   */
  readonly binding?: NativeBinding;
  /**
   * The admin addon's handle (topics, partitions, configs, offsets, groups). Optional: by default
   * one is built from `config` (its `admin` role, the same security settings) by `binding`.
   */
  createAdminClient?(): NativeAdminClient;
}

/** The admin addon's handle factory of a host. */
export function adminFactoryOf(host: AdminHost): AdminClientFactory {
  // A token refresher but no binding (the removed AdminHost.oauthBearer route): its handles would
  // get no tokens, silently. (A ConnectionManager has both: its binding hands them the tokens.)
  if ((host as { oauthBearer?: unknown }).oauthBearer !== undefined && host.binding === undefined && host.createAdminClient === undefined) {
    throw new InvalidArgumentError('AdminHost.oauthBearer', 'is no longer read: admin handles take OAUTHBEARER tokens from host.binding (pass the ConnectionManager, or its binding)');
  }
  return host.createAdminClient !== undefined ? () => host.createAdminClient!() : defaultAdminFactory(host.config, host.binding);
}

export interface TopicSpec {
  /** Full topic name (suffix already applied). */
  readonly name: string;
  readonly partitions?: number;
  readonly replicationFactor?: number;
  /** Topic configs, e.g. { 'retention.ms': '604800000', 'min.insync.replicas': '2' }. */
  readonly config?: Readonly<Record<string, string>>;
}

export interface EnsureResult {
  readonly topic: string;
  readonly status: 'created' | 'exists';
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Differences between the spec and an existing topic (never changed automatically). */
  readonly warnings: readonly string[];
}

export interface TopicDescription {
  readonly name: string;
  readonly partitions: ReadonlyArray<{ readonly id: number; readonly leader: number; readonly replicas: readonly number[]; readonly isr: readonly number[] }>;
  readonly replicationFactor: number;
}

export interface EnsureDefaults {
  /** Default 6. */
  readonly partitions?: number;
  /** Default: min(3, brokers in the cluster). */
  readonly replicationFactor?: number;
  readonly config?: Readonly<Record<string, string>>;
  /** Also ensure `<topic>.dlq` for every event topic. Default true. */
  readonly deadLetterTopics?: boolean;
}

export class TopicError extends GoCoffeeKafkaError {
  constructor(message: string, context: Record<string, unknown>, cause?: unknown) {
    super('GCK_TOPIC', message, { context, ...(cause !== undefined ? { cause } : {}) });
  }
}

/**
 * Topic administration through librdkafka's Admin API (the admin addon), which routes CreateTopics
 * to the controller itself (the original Go code sent it to whichever broker it dialled first), with the
 * connection manager's security settings. Topic names come only from the configuration (suffix
 * included), so producers, consumers and this manager always agree.
 */
export class TopicManager {
  readonly #cm: AdminHost;
  readonly #factory: AdminClientFactory;

  constructor(connection: AdminHost) {
    this.#cm = connection;
    this.#factory = adminFactoryOf(connection);
  }

  #ctx(what: string, options: AdminCallOptions | undefined): TopicAdminContext {
    return adminContext(this.#cm, this.#factory, what, options);
  }

  /**
   * Deletes topics (their messages are gone for good). Fails with a KafkaError naming each topic
   * that could not be deleted (e.g. GCK_KAFKA_UNKNOWN_TOPIC_OR_PART). `dryRun`: only says which exist.
   */
  async deleteTopics(topics: readonly string[], options: DryRunOptions = {}): Promise<DeleteTopicsResult> {
    return ops.deleteTopics(this.#ctx('deleteTopics', options), topics, options.dryRun === true);
  }

  /**
   * Raises a topic's partition count to `total` (Kafka cannot lower it). Keyed messages map to
   * other partitions afterwards. `dryRun`: the controller validates the request, nothing changes.
   */
  async createPartitions(topic: string, total: number, options: DryRunOptions = {}): Promise<CreatePartitionsResult> {
    return ops.createPartitions(this.#ctx('createPartitions', options), topic, total, options.dryRun === true);
  }

  /** Every config of a topic with its source (set on the topic, broker, default), sorted by name. */
  async describeTopicConfigs(topic: string, options: AdminCallOptions = {}): Promise<TopicConfigEntry[]> {
    return ops.describeTopicConfigs(this.#ctx('describeTopicConfigs', options), topic);
  }

  /**
   * Sets and / or deletes topic configs incrementally (other keys keep their values); returns each
   * change with the value before. Unknown keys are refused. `dryRun`: the broker validates, nothing changes.
   */
  async alterTopicConfigs(topic: string, changes: TopicConfigChanges, options: DryRunOptions = {}): Promise<AlterConfigsResult> {
    return ops.alterTopicConfigs(this.#ctx('alterTopicConfigs', options), topic, changes, options.dryRun === true);
  }

  /** Earliest and latest (end) offset of every partition. */
  async topicOffsets(topic: string, options: AdminCallOptions = {}): Promise<PartitionOffsets[]> {
    return ops.topicOffsets(this.#ctx('topicOffsets', options), topic);
  }

  /**
   * Per partition, the first offset whose timestamp is at or after `timestamp` (a Date or ms since
   * the epoch); the end offset (timestamp -1) where no message is that recent.
   */
  async offsetsForTimes(topic: string, timestamp: Date | number, options: AdminCallOptions = {}): Promise<TimestampOffset[]> {
    checkTopic('offsetsForTimes topic', topic);
    const ts = checkTimestamp('offsetsForTimes timestamp', timestamp);
    return ops.offsetsForTimes(this.#ctx('offsetsForTimes', options), topic, ts);
  }

  /** The event topics of the configuration, with the environment suffix. */
  eventTopics(): string[] {
    const keys = Object.keys(this.#cm.config.topics) as Array<keyof TopicNames>;
    return keys.map((k) => topicName(this.#cm.config, k));
  }

  /**
   * Creates every missing topic (idempotent). Without specs: the configured event topics and
   * their dead-letter topics. Existing topics are left as they are; differences are reported.
   */
  async ensureTopics(specs?: readonly TopicSpec[], defaults: EnsureDefaults = {}): Promise<EnsureResult[]> {
    const md = await this.#cm.metadata(undefined);
    const brokers = md.brokers.length;
    const rf = defaults.replicationFactor ?? Math.min(3, Math.max(1, brokers));
    const partitions = defaults.partitions ?? 6;
    let list = specs;
    if (list === undefined) {
      const names = this.eventTopics();
      const withDlq = defaults.deadLetterTopics === false ? names : [...names, ...names.map((n) => `${n}.dlq`)];
      list = withDlq.map((name) => ({ name, partitions, replicationFactor: rf, ...(defaults.config ? { config: defaults.config } : {}) }));
    }
    const existing = new Map(md.topics.map((t) => [t.name, t] as const));
    const ctx = this.#ctx('ensureTopics', undefined);
    // One admin handle for every topic to create, opened only when one is missing.
    let admin: NativeAdminClient | undefined;
    const results: EnsureResult[] = [];
    try {
      for (const spec of list) {
        const want = { partitions: spec.partitions ?? partitions, rf: spec.replicationFactor ?? rf };
        const have = existing.get(spec.name);
        if (have !== undefined && have.partitions.length > 0) {
          results.push(this.#compare(spec.name, want, have.partitions));
          continue;
        }
        admin ??= this.#factory();
        const created = await this.#create(admin, ctx, spec.name, want.partitions, want.rf, { ...(defaults.config ?? {}), ...(spec.config ?? {}) });
        if (!created) {
          const d = await this.describeTopic(spec.name);
          results.push(this.#compare(spec.name, want, d.partitions.map((p) => ({ id: p.id, leader: p.leader, replicas: [...p.replicas], isrs: [...p.isr] }))));
          continue;
        }
        await this.#waitForLeaders(spec.name, want.partitions);
        results.push({ topic: spec.name, status: 'created', partitions: want.partitions, replicationFactor: want.rf, warnings: [] });
      }
    } finally {
      await admin?.close();
    }
    return results;
  }

  #compare(name: string, want: { partitions: number; rf: number }, parts: readonly NativePartitionMetadata[]): EnsureResult {
    const rf = parts[0]?.replicas.length ?? 0;
    const warnings: string[] = [];
    if (parts.length !== want.partitions) warnings.push(`has ${parts.length} partitions, spec asks for ${want.partitions} (not changed: changing it moves keys to other partitions)`);
    if (rf !== want.rf) warnings.push(`has replication factor ${rf}, spec asks for ${want.rf} (not changed)`);
    return { topic: name, status: 'exists', partitions: parts.length, replicationFactor: rf, warnings };
  }

  /** Returns false when the topic already existed; any other failure is a TopicError. */
  async #create(admin: NativeAdminClient, ctx: TopicAdminContext, topic: string, partitions: number, rf: number, config: Record<string, string>): Promise<boolean> {
    const what = `cannot create topic ${topic} (${partitions} partitions, replication factor ${rf})`;
    const context = { topic, partitions, replicationFactor: rf };
    let err: NativeAdminError | null;
    try {
      err = await ops.createTopicWith(admin, ctx, { topic, partitions, replicationFactor: rf, configs: config });
    } catch (e) {
      throw new TopicError(`${what}: ${(e as Error)?.message ?? String(e)}`, context, e); // an argument the addon refused
    }
    if (err === null) return true;
    if (err.code === RD.ERR_TOPIC_ALREADY_EXISTS) return false;
    throw new TopicError(`${what}: ${err.message}`, context, fromNativeError(err, 'createTopic'));
  }

  async #waitForLeaders(topic: string, partitions: number): Promise<void> {
    const deadline = Date.now() + this.#cm.config.connectTimeoutMs * 2;
    for (;;) {
      const md = await this.#cm.metadata(topic);
      const t = md.topics.find((x) => x.name === topic);
      if (t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) throw new TopicError(`topic ${topic} was created but its partitions have no leader yet`, { topic });
      await delay(100);
    }
  }

  /** Topic names of the cluster, internal topics (`__…`) excluded, sorted. */
  async listTopics(): Promise<string[]> {
    const md = await this.#cm.metadata(undefined);
    return md.topics.map((t) => t.name).filter((n) => !n.startsWith('__')).sort();
  }

  /** Partitions, leaders, replicas and in-sync replicas of one topic. */
  async describeTopic(name: string): Promise<TopicDescription> {
    const md = await this.#cm.metadata(name);
    const t = md.topics.find((x) => x.name === name);
    if (t === undefined || t.partitions.length === 0) throw new TopicError(`topic ${name} does not exist`, { topic: name });
    const partitions = t.partitions
      .map((p) => ({ id: p.id, leader: p.leader, replicas: [...p.replicas], isr: [...p.isrs] }))
      .sort((a, b) => a.id - b.id);
    return { name, partitions, replicationFactor: partitions[0]?.replicas.length ?? 0 };
  }
}
