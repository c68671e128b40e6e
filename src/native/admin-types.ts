/**
 * Shapes of the admin addon (gocoffee_admin.node, src/native/addon/admin.cc): what each operation
 * takes and resolves with. Plain objects copied out of librdkafka's results; numbers are JS
 * numbers (offsets stay below 2^53). A per-item `error` is null when that item succeeded; a
 * request-level failure rejects the promise with a {@link NativeAdminError}.
 */

/** librdkafka error of one item (or of the whole request): `name` is librdkafka's, without `ERR_`. */
export interface NativeAdminError {
  code: number;
  name: string;
  message: string;
}

export interface NativeAdminCallOptions {
  /** Request timeout (librdkafka enforces it). Default 30 s. */
  timeoutMs?: number;
  /** The broker validates the request and changes nothing (incrementalAlterConfigs, createPartitions, createTopics). */
  validateOnly?: boolean;
  /** listOffsets: latest = last stable offset (transactions). */
  readCommitted?: boolean;
}

export interface NativeTopicPartitionResult {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
  error: NativeAdminError | null;
}

export interface NativeGroupListing {
  groupId: string;
  isSimple: boolean;
  /** librdkafka's state name: Stable, Empty, Dead, PreparingRebalance, CompletingRebalance, Unknown. */
  state: string;
  /** Classic or Consumer (KIP-848). */
  type: string;
}

export interface NativeMemberDescription {
  memberId: string;
  clientId: string;
  groupInstanceId: string | null;
  host: string;
  assignment: Array<{ topic: string; partition: number }>;
}

export interface NativeGroupDescription {
  groupId: string;
  error: NativeAdminError | null;
  isSimple: boolean;
  /** null when the group has no protocol (empty, dead). */
  assignor: string | null;
  state: string;
  type: string;
  coordinator: { id: number; host: string; port: number } | null;
  members: NativeMemberDescription[];
}

export interface NativeGroupResult {
  groupId: string;
  error: NativeAdminError | null;
  partitions: NativeTopicPartitionResult[];
}

export interface NativeConfigEntry {
  name: string;
  /** null for a sensitive or unset value. */
  value: string | null;
  /** librdkafka's ConfigSource name, e.g. DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG. */
  source: string;
  isDefault: boolean;
  isSensitive: boolean;
  readOnly: boolean;
}

export type NativeResourceType = 'topic' | 'broker' | 'group';

export interface NativeConfigResourceResult {
  /** librdkafka's resource type name (TOPIC, BROKER, GROUP). */
  type: string;
  name: string;
  error: NativeAdminError | null;
  configs?: NativeConfigEntry[];
}

export interface NativeConfigOp {
  name: string;
  op: 'set' | 'delete' | 'append' | 'subtract';
  value?: string;
}

export interface NativeListOffsetsResult {
  topic: string;
  partition: number;
  /** -1 when asked for a timestamp later than every message. */
  offset: number;
  timestamp: number;
  error: NativeAdminError | null;
}

export interface NativeTopicResult {
  topic: string;
  error: NativeAdminError | null;
}

/** A topic to create (createTopics): `partitions` / `replicationFactor` -1 take the broker's default. */
export interface NativeNewTopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Topic configs, e.g. { 'retention.ms': '604800000' }. */
  configs?: Record<string, string>;
}

/** Offset specs of listOffsets (librdkafka's rd_kafka_OffsetSpec_t); a value >= 0 is a timestamp in ms. */
export const OFFSET_SPEC = Object.freeze({ LATEST: -1, EARLIEST: -2, MAX_TIMESTAMP: -3 });

/** The addon's Admin class: one librdkafka handle; every operation returns a promise. */
export interface NativeAdminClient {
  listGroups(filter?: { states?: string[] }, opts?: NativeAdminCallOptions): Promise<{ groups: NativeGroupListing[]; errors: NativeAdminError[] }>;
  describeGroups(groups: string[], opts?: NativeAdminCallOptions): Promise<NativeGroupDescription[]>;
  deleteGroups(groups: string[], opts?: NativeAdminCallOptions): Promise<NativeGroupResult[]>;
  /** `partitions` null: every partition the group committed. */
  listGroupOffsets(group: string, partitions: Array<{ topic: string; partition: number }> | null, opts?: NativeAdminCallOptions): Promise<NativeGroupResult[]>;
  alterGroupOffsets(group: string, offsets: Array<{ topic: string; partition: number; offset: number }>, opts?: NativeAdminCallOptions): Promise<NativeGroupResult[]>;
  describeConfigs(resources: Array<{ type: NativeResourceType; name: string }>, opts?: NativeAdminCallOptions): Promise<NativeConfigResourceResult[]>;
  incrementalAlterConfigs(resources: Array<{ type: NativeResourceType; name: string; ops: NativeConfigOp[] }>, opts?: NativeAdminCallOptions): Promise<NativeConfigResourceResult[]>;
  /** `offset`: an OFFSET_SPEC value or a timestamp (ms). */
  listOffsets(partitions: Array<{ topic: string; partition: number; offset: number }>, opts?: NativeAdminCallOptions): Promise<NativeListOffsetsResult[]>;
  deleteTopics(topics: string[], opts?: NativeAdminCallOptions): Promise<NativeTopicResult[]>;
  createPartitions(topics: Array<{ topic: string; total: number }>, opts?: NativeAdminCallOptions): Promise<NativeTopicResult[]>;
  /** One result per topic; an existing topic's error is TOPIC_ALREADY_EXISTS. */
  createTopics(topics: NativeNewTopicSpec[], opts?: NativeAdminCallOptions): Promise<NativeTopicResult[]>;
  /** Waits for running operations, then destroys the handle (off the JS thread). Idempotent. */
  close(): Promise<void>;
  /**
   * OAUTHBEARER (src/native/addon/oauth.h): the token librdkafka sends from now on, `expiresAtMs`
   * absolute (ms since the epoch). The addon throws `{code, message}` when librdkafka refuses it
   * (adminTokenTarget turns that into OAuthTokenError). No-ops once closing.
   * Optional: the unit tests' scripted clients leave them out.
   */
  setOAuthBearerToken?(value: string, expiresAtMs: number, principal: string, extensions?: string[]): void;
  setOAuthBearerTokenFailure?(reason: string): void;
}
