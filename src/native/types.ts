/**
 * Structural types for the parts of node-rdkafka this library uses.
 *
 * The shapes mirror node-rdkafka's callback API on purpose: the real client objects satisfy these
 * interfaces directly, so the hot path (`produce`, `consume`) calls the binding without a wrapper
 * frame, while unit tests substitute a fake binding that implements the same small surface.
 * Nothing outside `src/native/` imports node-rdkafka.
 */

import type { NativeAdminClient } from './admin-types.js';

export type NativeConfigValue = string | number | boolean;
export type NativeConfig = Record<string, NativeConfigValue>;

/** librdkafka error as node-rdkafka reports it. */
export interface NativeError {
  message: string;
  code: number;
  errno?: number;
  origin?: string;
  isFatal?: boolean;
  isRetriable?: boolean;
}

export interface NativeBrokerMetadata {
  id: number;
  host: string;
  port: number;
}

export interface NativePartitionMetadata {
  id: number;
  leader: number;
  replicas: number[];
  isrs: number[];
}

export interface NativeTopicMetadata {
  name: string;
  partitions: NativePartitionMetadata[];
}

export interface NativeMetadata {
  orig_broker_id: number;
  orig_broker_name: string;
  topics: NativeTopicMetadata[];
  brokers: NativeBrokerMetadata[];
}

export interface NativeMetadataOptions {
  topic?: string;
  allTopics?: boolean;
  timeout?: number;
}

export type NativeKey = Buffer | string | null | undefined;
/** node-rdkafka's header list: one single-key object per header, so names may repeat. */
export type NativeHeaders = Array<{ [name: string]: string | Buffer }>;

export interface NativeDeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  key?: NativeKey;
  timestamp?: number | undefined;
  size: number;
  opaque?: unknown;
}

export interface NativeMessage {
  topic: string;
  partition: number;
  offset: number;
  value: Buffer | null;
  size: number;
  key?: NativeKey;
  timestamp?: number;
  headers?: NativeHeaders | undefined;
}

export interface NativeTopicPartition {
  topic: string;
  partition: number;
}

export interface NativeTopicPartitionOffset extends NativeTopicPartition {
  offset: number;
}

/** One partition of a seek: `code` 0 when librdkafka took it, else its error code. */
export interface NativeSeekResult extends NativeTopicPartitionOffset {
  code: number;
}

export interface NativeWatermarks {
  lowOffset: number;
  highOffset: number;
}

type Callback<T> = (err: NativeError | null | undefined, value: T) => void;

/** Events shared by every client. */
export interface NativeClient {
  connect(options: NativeMetadataOptions, cb: Callback<NativeMetadata>): unknown;
  isConnected(): boolean;
  getMetadata(options: NativeMetadataOptions, cb: Callback<NativeMetadata>): unknown;
  queryWatermarkOffsets(topic: string, partition: number, timeout: number, cb: Callback<NativeWatermarks>): unknown;
  on(event: 'event.error', listener: (err: NativeError) => void): unknown;
  on(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): unknown;
  on(event: 'event.stats', listener: (stats: { message: string }) => void): unknown;
  on(event: 'disconnected', listener: () => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export interface NativeProducer extends NativeClient {
  /** Throws a NativeError (e.g. GCK_KAFKA__QUEUE_FULL) synchronously when the message cannot be enqueued. */
  produce(
    topic: string,
    partition: number | null,
    value: Buffer | null,
    key: NativeKey,
    timestamp: number | null,
    opaque: unknown,
    headers: NativeHeaders | undefined,
  ): unknown;
  on(event: 'delivery-report', listener: (err: NativeError | null | undefined, report: NativeDeliveryReport) => void): unknown;
  on(event: 'event.error', listener: (err: NativeError) => void): unknown;
  on(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): unknown;
  on(event: 'event.stats', listener: (stats: { message: string }) => void): unknown;
  on(event: 'disconnected', listener: () => void): unknown;
  poll(): unknown;
  setPollInterval(intervalMs: number): unknown;
  /** Producer.disconnect flushes first (and swallows the flush error: flush yourself before). */
  disconnect(timeout: number, cb: (err: unknown) => void): unknown;
  flush(timeout: number, cb: (err: NativeError | null | undefined) => void): unknown;
}

export interface NativeConsumer extends NativeClient {
  /** Unlike the producer's, the consumer's disconnect takes only a callback. */
  disconnect(cb: (err: unknown) => void): unknown;
  subscribe(topics: string[]): unknown;
  unsubscribe(): unknown;
  consume(count: number, cb: (err: NativeError | null | undefined, messages: NativeMessage[]) => void): unknown;
  setDefaultConsumeTimeout(timeoutMs: number): unknown;
  offsetsStore(offsets: NativeTopicPartitionOffset[]): unknown;
  commit(offsets?: NativeTopicPartitionOffset[]): unknown;
  commitSync(offsets: NativeTopicPartitionOffset[] | null): unknown;
  committed(toppars: NativeTopicPartition[], timeout: number, cb: Callback<NativeTopicPartitionOffset[]>): unknown;
  assignments(): NativeTopicPartition[];
  incrementalAssign(toppars: NativeTopicPartition[]): unknown;
  incrementalUnassign(toppars: NativeTopicPartition[]): unknown;
  assign(toppars: NativeTopicPartition[]): unknown;
  unassign(): unknown;
  rebalanceProtocol(): string;
  pause(toppars: NativeTopicPartition[]): unknown;
  resume(toppars: NativeTopicPartition[]): unknown;
  getWatermarkOffsets(topic: string, partition: number): NativeWatermarks;
}

/** Where a batch consumer hands what it fetched (one call per batch). */
export interface NativeBatchSink {
  /** One fetched batch (a slab of the batch engine), in fetch order. */
  batch(msgs: NativeMessage[]): void;
  /** A consumer error met while fetching (e.g. unknown topic or partition). */
  error(err: NativeError): void;
  /** How many messages the next batch may hold (at least 1). */
  room(): number;
}

/**
 * The batch engine's consumer (native/batch-consumer.ts): KafkaConsumer's surface without
 * consume(n); fetched messages go to a sink, one call per batch. An assignment is applied before
 * `rebalance_cb` runs (incrementalAssign/assign from inside it are no-ops); a revoke waits for
 * incrementalUnassign/unassign.
 */
export interface NativeBatchConsumer extends Omit<NativeConsumer, 'consume' | 'setDefaultConsumeTimeout' | 'commitSync'> {
  startFetching(sink: NativeBatchSink): void;
  stopFetching(): void;
  /** The engine's counters (slabs, slab bytes, ...), when the binding has them. */
  engineStats?(): Record<string, number>;
  /** librdkafka's serialised consumer group metadata, for a transactional producer's sendOffsets (generation -1 before the consumer joined). */
  groupMetadata?(): Buffer | null;
}

export interface NativeNewTopic {
  topic: string;
  num_partitions: number;
  replication_factor: number;
  config?: Record<string, string>;
}

export interface NativeAdmin {
  createTopic(topic: NativeNewTopic, timeout: number, cb: (err: NativeError | null | undefined) => void): void;
  deleteTopic(topic: string, timeout: number, cb: (err: NativeError | null | undefined) => void): void;
  createPartitions(topic: string, total: number, timeout: number, cb: (err: NativeError | null | undefined) => void): void;
  disconnect(): void;
}

/** What the batch producer hands to JS (once per wake-up, on the JS thread). See batch-producer.ts. */
export interface BatchProducerEvents {
  /** ok: [id, partition]*; okPos: [offset, timestamp]*; failed: [id, code, partition, flags]* (flags 1: refused at enqueue). */
  onReports(ok: Int32Array | null, okPos: Float64Array | null, failed: Int32Array | null): void;
  /** error_cb; for a fatal error `code` is the underlying one (rd_kafka_fatal_error) and `fatal` is true. */
  onError(err: { code: number; fatal: boolean; message: string }): void;
  onLog(log: { severity: number; fac: string; message: string }): void;
  onStats(json: string): void;
  /** librdkafka wants a new OAUTHBEARER token (producer created with gocoffee.oauthbearer = "1"): OAuthBearerRefresher.refreshWanted. */
  onOAuthRefresh?(): void;
  /** The object an in-flight id stands for (diagnostics; the unit tests' fake binding uses it). */
  lookup?(id: number): unknown;
}

/** The project's own batch producer (src/native/addon/producer.cc, wrapped by batch-producer.ts). */
export interface NativeBatchProducer {
  /** Enqueues messages start..count-1 of a packed batch; returns how many were enqueued (fewer: queue full). Throws RangeError on a malformed table (nothing enqueued). */
  produceBatch(topics: readonly string[], buf: Uint8Array, table: Int32Array, count: number, start: number): number;
  /** rd_kafka_flush off the JS thread; resolves with how many messages librdkafka still holds. */
  flush(timeoutMs: number): Promise<number>;
  /** A metadata request off the JS thread (node-rdkafka's shape); rejects with an Error carrying `code`. */
  metadata(options: NativeMetadataOptions): Promise<NativeMetadata>;
  /** Destroys the handle off the JS thread (no flush: flush first). Later reports are dropped. */
  close(): Promise<void>;
  /** librdkafka's text for an error code. */
  errorString(code: number): string;
  ref(on: boolean): void;
  /**
   * Transactions (binding-notes/transactions.md), on a producer created with `transactional.id`.
   * Optional: bindings without them (the unit tests' fake) leave them out. The blocking calls run
   * off the JS thread and reject with a {@link NativeTransactionError}; beginTransaction throws one.
   */
  initTransactions?(timeoutMs: number): Promise<void>;
  beginTransaction?(): void;
  /** `groupMetadata`: the consumer's serialised group metadata (NativeBatchConsumer groupMetadata()). */
  sendOffsetsToTransaction?(offsets: NativeTopicPartitionOffset[], groupMetadata: Uint8Array, timeoutMs: number): Promise<void>;
  commitTransaction?(timeoutMs: number): Promise<void>;
  abortTransaction?(timeoutMs: number): Promise<void>;
  /**
   * OAUTHBEARER (src/native/oauth.ts OAuthBearerTarget): the token librdkafka sends from now on,
   * `expiresAtMs` absolute; throws OAuthTokenError when librdkafka refuses it. No-ops once closed.
   * Optional: the unit tests' fake binding leaves them out.
   */
  setOAuthBearerToken?(value: string, expiresAtMs: number, principal: string, extensions?: string[]): void;
  setOAuthBearerTokenFailure?(reason: string): void;
}

/** What a transactional call of the batch producer fails with (librdkafka's rd_kafka_error_t). */
export interface NativeTransactionError extends Error {
  /** librdkafka's numeric code. */
  readonly code: number;
  /** librdkafka's name for it, e.g. `PRODUCER_FENCED`, `_TIMED_OUT`. */
  readonly name: string;
  readonly fatal: boolean;
  readonly retriable: boolean;
  /** The transaction cannot commit: abort it (then it may run again). */
  readonly txnRequiresAbort: boolean;
  /** The call that failed, e.g. `commitTransaction`. */
  readonly op: string;
}

/** Everything the library needs from the binding: the seam unit tests replace with a fake. */
export interface NativeBinding {
  readonly librdkafkaVersion: string;
  readonly features: readonly string[];
  /** Numeric librdkafka error codes by name (node-rdkafka's `CODES.ERRORS`). */
  readonly errorCodes: Readonly<Record<string, number>>;
  /**
   * The numeric code of an error node-rdkafka reported without one (delivery-report errors carry
   * only librdkafka's message text, e.g. "Broker: Message size too large"); -1 when unknown.
   */
  errorCodeOf(err: { message: string; code?: number }): number;
  createProducer(global: NativeConfig, topic: NativeConfig): NativeProducer;
  /** The batch producer the ProducerEngine uses (the project's own addon). */
  createBatchProducer(global: NativeConfig, topic: NativeConfig, events: BatchProducerEvents): NativeBatchProducer;
  createConsumer(global: NativeConfig, topic: NativeConfig): NativeConsumer;
  /** The batch engine's consumer (GroupConsumer's fetch path). */
  createBatchConsumer?(global: NativeConfig, topic: NativeConfig): NativeBatchConsumer;
  /** `oauthToken`: the first OAUTHBEARER token (node-rdkafka's AdminClient.create(conf, token)); later ones by refreshOauthBearerToken. */
  createAdmin(global: NativeConfig, oauthToken?: string): NativeAdmin;
  /**
   * A handle of the admin addon (native/admin.ts createNativeAdminClient; the caller closes it).
   * `onOAuthRefresh`: called when librdkafka wants a new OAUTHBEARER token (handle created with
   * gocoffee.oauthbearer = "1"): OAuthBearerRefresher.refreshWanted.
   */
  createAdminClient(global: NativeConfig, onOAuthRefresh?: () => void): NativeAdminClient;
}
