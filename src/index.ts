/**
 * @gocoffee/kafka — the public surface. Only what is exported here is public API.
 */
export {
  loadConfig,
  resolveConfig,
  toLibrdkafkaConfig,
  topicName,
  redactConfig,
  describeConfig,
  parseDuration,
  CONFIG_FIELDS,
  ConfigError,
} from './config/index.js';
export type { KafkaConfig, KafkaConfigInput, TopicNames, SaslMechanism, CompressionType, ConfigIssue, LoadConfigOptions, GroupProtocol } from './config/index.js';

export {
  GoCoffeeKafkaError,
  StateError,
  NativeFeatureError,
  InvalidArgumentError,
  KafkaError,
  DeliveryError,
  ConnectionError,
  QueueFullTimeoutError,
  FlushIncompleteError,
  StreamDeliveryError,
  ERROR_CODES,
  kafkaErrorCode,
} from './errors/index.js';
export type { UndeliveredMessage, ErrorCode, AnyErrorCode } from './errors/index.js';

export { ConnectionManager, TopicWriter } from './client.js';
export type { ConnectionManagerOptions, ConnectionState, WriteOptions } from './client.js';

export { Producer, DedicatedProducer, ProducerStream, MessageBatch, newMessage, OutgoingMessage } from './producer/index.js';
export { TransactionalProducer } from './producer/transaction.js';
export type { TransactionalProducerOptions, TransactionalProducerState, TransactionOffset } from './producer/transaction.js';
export type { Transaction, TransactionState } from './producer/transaction-scope.js';
export { TransactionalTransform } from './producer/transform.js';
export type { TransformOptions } from './producer/transform.js';
export { TransactionAbortedError, TransactionFencedError, TransactionFatalError, TransactionKafkaError, TransactionCommitUnknownError } from './producer/transaction-errors.js';
export { OAuthTokenError } from './native/oauth.js';
export type { OAuthBearerToken, OAuthBearerTokenProvider } from './native/oauth.js';
export type { OAuthBearerOptions } from './native/oauth-binding.js';
export type { Acks, CreateProducerOptions, ProducerGuarantees, Guarantees } from './producer/index.js';
export type { BatchMessageOptions, DeliveryResult, DeliveryCallback, PublishOutcome, BatchSummary, PublishBatchOptions, ProducerOptions, ProducerStreamOptions, ValueSerializer, MessageKey, MessageValue } from './producer/index.js';

export { Consumer, ConsumedMessage, Reader, BaseMessageHandler, PermanentError, HandlerRegistrationError, HookError, WorkerError, HandlerTimeoutError, DLQ_HEADERS, decodeDeadLetterHeaders } from './consumer/index.js';
export type { MessageHandler, ConsumerOptions, OrderingMode, ConsumerStats, EngineConsumerStats, GroupHooks, ReaderOptions, SeekTarget, PartitionRef, GroupPartitionRef, PartitionLag } from './consumer/index.js';

export { TopicManager, TopicError, GroupAdmin, GroupNotEmptyError, GROUP_STATES } from './admin/index.js';
export type {
  TopicSpec,
  EnsureResult,
  EnsureDefaults,
  TopicDescription,
  GroupState,
  GroupListing,
  GroupMember,
  GroupDescription,
  GroupOffset,
  ResetTarget,
  ResetResult,
  DeleteGroupsResult,
  TopicConfigEntry,
  TopicConfigChanges,
  AlterConfigsResult,
  DeleteTopicsResult,
  CreatePartitionsResult,
  PartitionOffsets,
  TimestampOffset,
  AdminCallOptions,
  DryRunOptions,
} from './admin/index.js';

export {
  SchemaRegistry,
  subjectName,
  SerdeError,
  SchemaValidationError,
  WireFormatError,
  UnknownSchemaError,
  DecodeError,
  RegistryError,
  SchemaFileError,
  SchemaIncompatibleError,
} from './schema/index.js';
export type {
  SubjectStrategy,
  RegistryOptions,
  RegistryTlsOptions,
  RegistrationResult,
  RegistrationStatus,
  CompatibilityLevel,
} from './schema/index.js';
// Typed events for any application: its own schemas folder, generated types, key serdes, JSON without a registry.
export {
  defineEvents,
  readOnlyCatalog,
  EventCatalog,
  SchemaSerde,
  TypedPublisher,
  TypedHandler,
  TypedDispatch,
  TypedEvents,
  typedWorker,
  workerHandler,
  registerEventSchemas,
  keySerde,
  KEY_SERDES,
  InvalidEventError,
  DEFAULT_EVENT_TYPE_SUFFIXES,
} from './typed/index.js';
export type {
  DefineEventsOptions,
  ResolvedEvent,
  TopicsConfig,
  SchemaSerdeOptions,
  EventProducer,
  TypedPublisherOptions,
  TypedHandlerOptions,
  TypedWorkerOptions,
  TypedWorkerModule,
  WorkerHandlerOptions,
  TypedEventsOptions,
  EventClient,
  RegisterEventSchemasOptions,
  KeySerde,
  KeySerdeName,
  KeySerdeOption,
  AvroKeyOption,
  EventSpec,
  EventSpecs,
  InputOf,
  Serialization,
  HandlerContext,
  TypedHandlerFn,
  TypedHandlers,
  UnhandledPolicy,
  JsonReader,
  JsonWriter,
  JsonWriterFactory,
  EventTypeResolver,
} from './typed/index.js';
export { generateTypes, GoJsonWriter } from './schema/index.js';
export type { GenerateTypesOptions, GoJsonLayout, GoField } from './schema/index.js';

// The Go Coffee domain (also published on its own as '@gocoffee/kafka/gocoffee').
export { EventSerde, registerSchemas, goJsonWriter } from './gocoffee/index.js';
export type { DecodedEvent, RegisterSchemasOptions, RegistrationConfig } from './gocoffee/index.js';

export {
  EVENTS,
  TypedEventHandler,
  BeverageEventHandler,
  TaskEventHandler,
  NotificationEventHandler,
  AIEventHandler,
  SystemEventHandler,
  goCoffeeEvents,
  goCoffeeWorker,
} from './gocoffee/index.js';
export type * from './gocoffee/generated.js';
export type { EventName, EventContext, PublishEventOptions } from './gocoffee/index.js';

export { serveMetrics, KafkaMetrics, silentLogger, traceFields, ATTR, SPAN, METRIC, LABEL, HEADER } from './telemetry/index.js';
export type { TelemetryOptions, Logger } from './telemetry/index.js';
// The core's diagnostics: counters, and the node:diagnostics_channel channels telemetry listens to.
export { Diagnostics, CHANNELS } from './diagnostics/index.js';
export type { LibrdkafkaSummary, SendEvent, SettledEvent, FetchEvent, TaskMessage, TaskStartEvent, TaskEndEvent, MessageFailureEvent, LogEvent, LogLevel } from './diagnostics/index.js';

export { Manager, EventBus, initGlobalManager, getGlobalManager, getGlobalEventBus, closeGlobalManager } from './gocoffee/index.js';
export type { ManagerOptions, HealthStatus, Statistics, GlobalLookupOptions, PublishInput, GoCoffeeWorkerOptions, DefaultGroups } from './gocoffee/index.js';

