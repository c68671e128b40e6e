import { StateError } from './errors/base.js';
import { validateOptions, type ConnectionManagerOptions } from './client-options.js';
import { toLibrdkafkaConfig, type KafkaConfig } from './config/index.js';
import { loadNativeBinding } from './native/binding.js';
import { oauthBearerRefresher, withOAuthBearer } from './native/oauth-binding.js';
import type { OAuthBearerRefresher } from './native/oauth.js';
import type { NativeBinding, NativeMetadata } from './native/types.js';
import type { ProducerEngine } from './delivery/index.js';
import { Producer } from './producer/producer.js';
import { DedicatedProducer, throwUndelivered } from './producer/dedicated.js';
import { createProducerEngine, type ProducerEngineSpec } from './producer/factory.js';
import { resolveGuarantees, type CreateProducerOptions, type Guarantees } from './producer/guarantees.js';
import { TransactionalProducer, type TransactionalProducerOptions } from './producer/transaction.js';
import { TransactionalTransform, type TransformOptions } from './producer/transform.js';
import { Consumer, Reader, type ConsumerHost, type ConsumerOptions, type GroupHooks } from './consumer/index.js';
import { GroupAdmin, TopicManager } from './admin/index.js';
import { TopicWriter } from './producer/writer.js';
import { Telemetry, statisticsIntervalOf } from './telemetry/telemetry.js';
import { Diagnostics, makeRedactor, type GaugeSink, type GaugeSource } from './diagnostics/diagnostics.js';
import { summarizeStats, type LibrdkafkaSummary } from './diagnostics/statistics.js';
import { redactConfig } from './config/index.js';

/** At most this many cached TopicWriters (getWriter). */
export const MAX_CACHED_WRITERS = 1024;

export type ConnectionState = 'created' | 'initializing' | 'ready' | 'closing' | 'closed' | 'failed';

/**
 * Owns every connection the library opens, all built from ONE config → librdkafka mapping, so the
 * producer, the readers, the admin client and health checks share the same security settings.
 *
 * One native producer serves the whole process: librdkafka batches per partition across topics and
 * keeps one connection per broker, so more producers only split batches and multiply connections
 * and threads. Writers are cheap topic-bound views over it. Only other guarantees (acks,
 * idempotence: properties of a librdkafka producer, not of a message) take a producer of their
 * own (createProducer); every native producer is built by the one factory (producer/factory.ts).
 */
export class ConnectionManager implements ConsumerHost, GaugeSource {
  readonly config: KafkaConfig;
  /** Counters, gauge sources and log events of this client (the core's side of observability). */
  readonly diagnostics: Diagnostics;
  /** The adapters listening to `diagnostics` (logger, metrics, tracing), as configured. */
  readonly telemetry: Telemetry;
  readonly #binding: NativeBinding;
  readonly #options: ConnectionManagerOptions;
  #state: ConnectionState = 'created';
  #initializing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #engine: ProducerEngine | undefined;
  #producer: Producer | undefined;
  /** createProducer() producers not closed yet (client.close() closes them). */
  readonly #dedicated = new Set<DedicatedProducer>();
  /** createTransactionalProducer() producers and transform()s (client.close() closes / stops them). */
  readonly #transactional = new Set<TransactionalProducer>();
  readonly #transforms = new Set<TransactionalTransform>();
  readonly #oauth: OAuthBearerRefresher | undefined;
  readonly #writers = new Map<string, TopicWriter>();
  readonly #readers = new Map<string, Reader>();
  #metadata: NativeMetadata | undefined;
  #stats: LibrdkafkaSummary | undefined;

  constructor(config: KafkaConfig, options: ConnectionManagerOptions = {}) {
    validateOptions(options);
    this.config = config;
    this.#options = options;
    const binding = options.binding ?? loadNativeBinding();
    const tel = options.telemetry ?? {};
    this.diagnostics = new Diagnostics({
      clientId: config.clientId,
      redact: makeRedactor([config.saslPassword, config.tlsKeyPassword, config.schemaRegistryPassword]),
      statisticsIntervalMs: statisticsIntervalOf(tel),
    });
    this.telemetry = new Telemetry(config, this.diagnostics, tel);
    if (options.oauthBearerTokenProvider !== undefined) {
      const d = this.diagnostics;
      this.#oauth = oauthBearerRefresher(config, options.oauthBearerTokenProvider, options.oauthBearer ?? {}, (err) => {
        d.log('error', 'connection', { err: { message: d.redact(err.message), code: err.code } }, 'OAUTHBEARER token provider failed');
        options.onError?.(err);
      });
    }
    // With a token provider every handle is built with the refresh hook and gets every token.
    this.#binding = this.#oauth === undefined ? binding : withOAuthBearer(binding, this.#oauth);
    this.diagnostics.addSource(this);
  }

  /** The OAUTHBEARER token refresher (with oauthBearerTokenProvider): fetches, expiresAt, lastError. */
  get oauthBearer(): OAuthBearerRefresher | undefined {
    return this.#oauth;
  }

  /** The last librdkafka statistics of the shared producer (when statistics are enabled). */
  get librdkafkaStats(): LibrdkafkaSummary | undefined {
    return this.#stats;
  }

  /** Removes the producer's librdkafka series once the connection is closed. */
  retire(m: GaugeSink): void {
    if (this.#stats !== undefined) m.removeLibrdkafka(this.config.clientId, this.#stats);
  }

  /** Refreshes the live-state gauges at scrape time. */
  collect(m: GaugeSink): void {
    let inflight = this.#engine?.inflightCount ?? 0;
    for (const p of this.#dedicated) inflight += p.inflightCount;
    m.inflight.set({ component: 'producer' }, inflight);
    if (this.#stats !== undefined) m.setLibrdkafka(this.config.clientId, this.#stats);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get binding(): NativeBinding {
    return this.#binding;
  }

  /** Brokers as the cluster reported them at initialize(). */
  get clusterMetadata(): NativeMetadata | undefined {
    return this.#metadata;
  }

  /**
   * Connects the shared producer; its connect is a metadata round trip, so this verifies that the
   * cluster answers within connect_timeout (with the configured security) or rejects with a
   * ConnectionError. Concurrent calls share one initialization; a failed one can be retried.
   */
  initialize(): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    if (this.#state === 'initializing') return this.#initializing!;
    if (this.#state !== 'created' && this.#state !== 'failed') {
      return Promise.reject(new StateError('ConnectionManager', 'initialize', this.#state, ['created', 'failed']));
    }
    this.#state = 'initializing';
    const t = this.diagnostics;
    t.log('info', 'connection', { config: redactConfig(this.config) }, 'initializing Kafka connection');
    // The first token (failures are retried; connect_timeout bounds the wait through the connect).
    this.#oauth?.start().catch(() => undefined);
    let engine: ProducerEngine;
    try {
      // The shared producer: the default guarantees (acks all, idempotence from the config).
      engine = createProducerEngine({
        ...this.#engineSpec(resolveGuarantees(undefined, this.config.idempotence)),
        onStats: (json) => {
          this.#stats = summarizeStats(json) ?? this.#stats;
        },
      });
    } catch (e) {
      // A configuration the mapping refuses (ConfigError): nothing was opened.
      this.#state = 'failed';
      return Promise.reject(e as Error);
    }
    this.#initializing = engine.connect().then(
      (md) => {
        this.#metadata = md;
        this.#engine = engine;
        this.#producer = new Producer(engine, { diagnostics: t, messageIds: this.config.messageIds });
        t.log('info', 'connection', { brokers: md.brokers.length }, 'Kafka connection ready');
        this.#state = 'ready';
      },
      (err: unknown) => {
        this.#state = 'failed';
        // No token yet: the provider's failure says more than the connect timeout.
        if (this.#oauth !== undefined && this.#oauth.currentToken() === undefined && this.#oauth.lastError !== undefined) err = this.#oauth.lastError;
        t.log('error', 'connection', { err: { message: t.redact((err as Error).message), code: (err as { code?: string }).code } }, 'Kafka connection failed');
        throw err;
      },
    );
    return this.#initializing;
  }

  /** What every native producer of this client is built from (the factory adds the rest). */
  #engineSpec(guarantees: Guarantees): ProducerEngineSpec {
    const o = this.#options;
    return {
      binding: this.#binding,
      config: this.config,
      diagnostics: this.diagnostics,
      guarantees,
      ...(o.enqueueTimeoutMs !== undefined ? { enqueueTimeoutMs: o.enqueueTimeoutMs } : {}),
      ...(o.pollIntervalMs !== undefined ? { pollIntervalMs: o.pollIntervalMs } : {}),
      ...(o.maxInFlight !== undefined ? { maxInFlight: o.maxInFlight } : {}),
      ...(o.onError !== undefined ? { onError: o.onError } : {}),
    };
  }

  /**
   * A producer with its own guarantees and its own native producer (connections, batches,
   * in-flight window): `await cm.createProducer({ acks: 'leader', idempotent: false })`. Same
   * publish / send / publishBatch API as `cm.producer`; configuration, security, telemetry and
   * statistics counters are the client's. Resolves once it is connected; closed by its close() or
   * by the client's close(). Options are validated once, here: a bad one, or idempotent with acks
   * other than 'all', rejects with InvalidArgumentError naming it. docs/producer.md#guarantees.
   */
  async createProducer(options?: CreateProducerOptions): Promise<DedicatedProducer> {
    const guarantees = resolveGuarantees(options, this.config.idempotence);
    this.#assertReady('createProducer');
    const engine = createProducerEngine({ ...this.#engineSpec(guarantees), logFields: { acks: guarantees.acks, idempotent: guarantees.idempotent } });
    const producer = new DedicatedProducer(
      engine,
      guarantees,
      { diagnostics: this.diagnostics, messageIds: options?.messageIds ?? this.config.messageIds, ...(options?.serializer !== undefined ? { serializer: options.serializer } : {}) },
      this.#options.closeTimeoutMs ?? 10_000,
      (p) => this.#dedicated.delete(p),
    );
    // Tracked while it connects: a client.close() meanwhile closes it too.
    this.#dedicated.add(producer);
    try {
      await engine.connect();
    } catch (e) {
      this.#dedicated.delete(producer);
      throw e;
    }
    if (this.#state !== 'ready') {
      await producer.close().catch(() => undefined);
      throw new StateError('ConnectionManager', 'createProducer', this.#state, ['ready']);
    }
    return producer;
  }

  /**
   * A transactional producer (its own handle, acks=all, idempotent), connected and registered
   * with the transaction coordinator (older instances of its transactionalId fenced):
   * `await tp.transaction(async (tx) => { await tx.publish(m); tx.sendOffsets(offsets, metadata); })`.
   * Closed by its close() or by the client's close(). docs/transactions.md.
   */
  async createTransactionalProducer(options: TransactionalProducerOptions): Promise<TransactionalProducer> {
    this.#assertReady('createTransactionalProducer');
    const tp = new TransactionalProducer({ binding: this.#binding, config: this.config, diagnostics: this.diagnostics }, options, (p) => this.#transactional.delete(p));
    this.#transactional.add(tp);
    try {
      await tp.connect();
    } catch (e) {
      this.#transactional.delete(tp);
      await tp.close(0).catch(() => undefined);
      throw e;
    }
    if (this.#state !== 'ready') {
      // client.close() came while it connected: it closed it.
      await tp.close(0).catch(() => undefined);
      throw new StateError('ConnectionManager', 'createTransactionalProducer', this.#state, ['ready']);
    }
    return tp;
  }

  /**
   * Exactly-once consume-transform-produce: reads `inputTopics` (read_committed) in group
   * `groupId` and writes what `transform` returns, each fetched batch one transaction with its
   * input offsets. start() / stop(); the client's close() stops it too. docs/transactions.md.
   */
  transform(options: TransformOptions): TransactionalTransform {
    this.#assertReady('transform');
    const t = new TransactionalTransform({ binding: this.#binding, config: this.config, diagnostics: this.diagnostics }, options, (x) => this.#transforms.delete(x));
    this.#transforms.add(t);
    return t;
  }

  #assertReady(op: string): void {
    if (this.#state !== 'ready') throw new StateError('ConnectionManager', op, this.#state, ['ready']);
  }

  /** The shared producer engine (internal API used by Producer). */
  producerEngine(): ProducerEngine {
    this.#assertReady('producerEngine');
    return this.#engine!;
  }

  /** The process-wide Producer over the shared native producer. */
  get producer(): Producer {
    this.#assertReady('producer');
    return this.#producer!;
  }

  /**
   * A writer bound to one topic, over the shared producer. Cached per topic, at most
   * MAX_CACHED_WRITERS of them (the least recently asked for is dropped first): writers are cheap
   * views, so a service that writes to ever new topic names does not grow this cache without bound.
   */
  getWriter(topic: string): TopicWriter {
    this.#assertReady('getWriter');
    let w = this.#writers.get(topic);
    if (w === undefined) {
      w = new TopicWriter(topic, this.#producer!);
      if (this.#writers.size >= MAX_CACHED_WRITERS) this.#writers.delete(this.#writers.keys().next().value!);
      this.#writers.set(topic, w);
    } else if (this.#writers.size > MAX_CACHED_WRITERS / 2) {
      // Near the bound only: re-inserted as the most recently used (a Map keeps insertion order).
      this.#writers.delete(topic);
      this.#writers.set(topic, w);
    }
    return w;
  }

  /**
   * A Consumer over this client's connections (the same as `new Consumer(client, options, hooks)`):
   * its groups use the client's configuration and telemetry, and dead-letter through its producer.
   */
  createConsumer(options: ConsumerOptions = {}, hooks: GroupHooks = {}): Consumer {
    return new Consumer(this, options, hooks);
  }

  /** Topic administration (ensure, list, describe) with this client's security settings. */
  createTopicManager(): TopicManager {
    return new TopicManager(this);
  }

  /** Consumer groups: list, describe, delete, committed offsets and lag, reset offsets (docs/admin.md). */
  createGroupAdmin(): GroupAdmin {
    return new GroupAdmin(this);
  }

  /** A reader of `topic` in consumer group `groupId` (default: the configured group). Cached. */
  getReader(topic: string, groupId: string = this.config.groupId): Reader {
    this.#assertReady('getReader');
    const id = `${groupId}\u0000${topic}`;
    let r = this.#readers.get(id);
    if (r === undefined || r.state === 'closed' || r.state === 'failed') {
      // No instance id: readers of one group (one per topic) would fence each other with the configured one.
      const cfg = toLibrdkafkaConfig(this.config, 'consumer', { groupInstanceId: null });
      r = new Reader(this.#binding, { ...cfg.global, 'group.id': groupId }, cfg.topic, topic, groupId, this.config.connectTimeoutMs);
      this.#readers.set(id, r);
    }
    return r;
  }

  /**
   * For statistics. `writers`: the topics this client writes to — every topic its producer was
   * handed a message for (publish / send / publishBatch, writers and typed publishers alike;
   * dead-letter copies aside), plus the cached getWriter() views not written through yet. `readers`:
   * the getReader() readers not closed. (Consumers count their own subscriptions.)
   */
  get counts(): { writers: number; readers: number } {
    const published = this.diagnostics.counters.byOperation.publish;
    let writers = published.size;
    for (const topic of this.#writers.keys()) if (!published.has(topic)) writers++;
    let readers = 0;
    for (const r of this.#readers.values()) if (r.state !== 'closed' && r.state !== 'failed') readers++;
    return { writers, readers };
  }

  /** A metadata round trip through the shared producer's connections. */
  metadata(topic?: string, timeoutMs: number = this.config.connectTimeoutMs): Promise<NativeMetadata> {
    this.#assertReady('metadata');
    return this.#engine!.metadata(topic, timeoutMs);
  }

  /**
   * Closes readers while it flushes and closes the producer. Idempotent; concurrent calls share one
   * close. Rejects with FlushIncompleteError (listing them) when messages could not be delivered.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    if (this.#state === 'closed') return Promise.resolve();
    this.#closing = this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    if (this.#state === 'initializing') await this.#initializing?.catch(() => undefined);
    this.#state = 'closing';
    // The engines (the shared one and every createProducer() one) refuse new publishes from here
    // on (close() turns each 'closing' at once) and flush while the readers close; what they could
    // not deliver is listed in one FlushIncompleteError below.
    const timeoutMs = this.#options.closeTimeoutMs ?? 10_000;
    const engineClosed = Promise.allSettled([this.#engine?.close(timeoutMs), ...[...this.#dedicated].map((p) => p.close(timeoutMs))]);
    // Transactional producers let a running transaction finish (bounded); one left open is aborted by
    // the broker. Transforms stop (their own handles, on this client's tokens until then).
    const transactionalClosed = Promise.allSettled([...[...this.#transactional].map((p) => p.close(timeoutMs)), ...[...this.#transforms].map((t) => t.stop(timeoutMs))]);
    this.#transactional.clear();
    this.#transforms.clear();
    const readers = [...this.#readers.values()];
    this.#readers.clear();
    this.#writers.clear();
    await Promise.all(readers.map((r) => r.close().catch(() => undefined)));
    await transactionalClosed;
    try {
      throwUndelivered(await engineClosed, timeoutMs);
    } finally {
      // No stale series of a closed producer (retire()); its counts stay in the registry's closed-connections store.
      this.diagnostics.removeSource(this);
      this.#state = 'closed';
      this.#oauth?.stop();
      this.diagnostics.log('info', 'connection', {}, 'Kafka connection closed');
      this.telemetry.close();
    }
  }
}

export { TopicWriter } from './producer/writer.js';
export type { WriteOptions } from './producer/writer.js';
export type { ConnectionManagerOptions } from './client-options.js';
