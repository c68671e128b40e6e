/**
 * Every error code the library raises, in one list. Codes carry the `GCK_` prefix (Node's own
 * `ERR_*` namespace stays Node's); errors from librdkafka are `GCK_KAFKA_<librdkafka name without
 * ERR_>` (see `kafkaErrorCode`). The README's error table lists the same codes: a unit test
 * (test/unit/errors/codes.test.ts) fails when a code is raised in src/ but missing here or there.
 */
export const ERROR_CODES = Object.freeze({
  GCK_CONFIG: 'configuration invalid; `issues[]` name every field',
  GCK_NATIVE_FEATURE_MISSING: 'librdkafka lacks a feature the configuration needs, or is too old',
  GCK_STATE: 'a call in the wrong lifecycle state',
  GCK_INVALID_ARGUMENT: 'a bad argument to a public method',
  GCK_CONNECT: 'the cluster did not answer a metadata request within connect_timeout',
  GCK_TLS: 'the TLS handshake failed',
  GCK_AUTHENTICATION: 'SASL authentication failed',
  GCK_QUEUE_FULL_TIMEOUT: 'the local producer queue stayed full for write_timeout',
  GCK_FLUSH_INCOMPLETE: 'close() could not confirm every delivery',
  GCK_STREAM_DELIVERY: 'messages written to a producer stream failed; `failures[]` names each',
  GCK_HANDLER_REGISTRATION: 'a handler cannot be registered or its worker module cannot be loaded',
  GCK_PERMANENT: 'thrown by a handler: dead-letter at once, no retries',
  GCK_WORKER: 'a handler task failed as a whole (worker died, pool refused it)',
  GCK_HOOK: 'a consumer hook threw',
  GCK_CONSUMER_CLOSE_ABANDONED: 'stop(): leaving the group did not finish within 10 s (or failed in the native layer); the client was destroyed without waiting longer (its messages since the last commit are delivered again)',
  GCK_INFRASTRUCTURE: 'a message failed because of the infrastructure (e.g. the registry unreachable): run again later, no attempt charged',
  GCK_HANDLER_TIMEOUT: 'a handler did not settle within handlerTimeoutMs',
  GCK_SCHEMA_VALIDATION: 'an event does not match its schema',
  GCK_WIRE_FORMAT: 'not Confluent wire format',
  GCK_UNKNOWN_SCHEMA: 'the registry itself says the schema id does not exist (HTTP 404, error code 40403)',
  GCK_DECODE: 'truncated Avro, invalid JSON, unknown event type',
  GCK_INVALID_EVENT: 'an event that does not fit: unknown event or action, wrong event type, id mismatch, a bad typed-event spec',
  GCK_TOPIC: 'a topic cannot be created or does not exist',
  GCK_SCHEMA_MISSING: 'the schemas folder has no schema for an event',
  GCK_SCHEMA_INCOMPATIBLE: 'a schema is not compatible with the subject\'s registered versions',
  GCK_SCHEMA_REJECTED: 'the registry refused a schema as invalid (HTTP 422)',
  GCK_SCHEMA_FILE: 'the schemas folder or a schema file is missing, unreadable, not JSON, not valid Avro or misnamed',
  GCK_SCHEMA_REGISTRY: 'any other registry answer; retriable: 5xx, 408, 429 and a 404 without the registry\'s own 404xx error code',
  GCK_SCHEMA_REGISTRY_AUTH: 'the registry answered HTTP 401 / 403',
  GCK_SCHEMA_REGISTRY_UNREACHABLE: 'the registry: no connection, DNS failure, timeout (retriable)',
  GCK_TRANSACTION_FENCED: 'another producer with the same transactional id took over: this one is fenced (fatal, close it)',
  GCK_TRANSACTION_ABORTED: 'the transaction was aborted: none of its messages or offsets are visible to read_committed readers; run it again',
  GCK_OAUTH_TOKEN: 'the OAUTHBEARER token provider threw, timed out or returned an unusable token',
  GCK_CLI_USAGE: 'bad command line (exit code 2)',
  GCK_UNEXPECTED: 'the CLI caught an error that is not one of the library\'s',
});

export type ErrorCode = keyof typeof ERROR_CODES;

/** The prefix of every code derived from a librdkafka error (`GCK_KAFKA_MSG_SIZE_TOO_LARGE`, ...). */
export const KAFKA_CODE_PREFIX = 'GCK_KAFKA_';
