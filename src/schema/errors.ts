/**
 * Errors of schemas, serdes and the Schema Registry.
 *
 * | class | code | when | retriable |
 * |---|---|---|---|
 * | `SchemaValidationError` | `GCK_SCHEMA_VALIDATION` | a value does not match its schema | no |
 * | `WireFormatError` | `GCK_WIRE_FORMAT` | bytes that are not Confluent wire format | no |
 * | `DecodeError` | `GCK_DECODE` | truncated Avro, invalid JSON, unknown event type | no |
 * | `SerdeError` | `GCK_SCHEMA_MISSING` | the schemas hold no schema for an event | no |
 * | `SchemaFileError` | `GCK_SCHEMA_FILE` | a schema file or the schemas folder is missing, unreadable, invalid, misnamed | no |
 * | `UnknownSchemaError` (a `RegistryError`) | `GCK_UNKNOWN_SCHEMA` | the registry's own "schema not found" (error code 40403) for an id | no |
 * | `RegistryError` | `GCK_SCHEMA_REGISTRY_UNREACHABLE` | no connection, DNS failure, timeout | yes |
 * | `RegistryError` | `GCK_SCHEMA_REGISTRY_AUTH` | HTTP 401 / 403 | no |
 * | `RegistryError` | `GCK_SCHEMA_REJECTED` | HTTP 422: the registry finds the schema invalid | no |
 * | `RegistryError` | `GCK_SCHEMA_REGISTRY` | any other answer | 5xx, 408, 429 and a 404 that is not the registry's own |
 *
 * Messages never contain a password: URLs are shown without credentials.
 */
import { GoCoffeeKafkaError, type AnyErrorCode, type ErrorOptions } from '../errors/base.js';

/**
 * Errors of (de)serialization. None is retriable: the same bytes fail the same way, so a consumer
 * sends such messages to the dead-letter topic at once.
 */
export class SerdeError extends GoCoffeeKafkaError {
  constructor(code: AnyErrorCode, message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, { retriable: false, context, ...(cause !== undefined ? { cause } : {}) });
  }
}

/** A value does not match its schema: names the field path, what was expected and what was got. */
export class SchemaValidationError extends SerdeError {
  readonly field: string;
  constructor(eventName: string, field: string, expected: string, got: string) {
    super('GCK_SCHEMA_VALIDATION', `${eventName}.${field}: got ${got}, expected ${expected}; nothing was sent`, { event: eventName, field, expected });
    this.field = field;
  }
}

/** Bytes that are not Confluent wire format (wrong magic byte, too short). */
export class WireFormatError extends SerdeError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('GCK_WIRE_FORMAT', message, context);
  }
}

/** The payload could not be decoded (truncated Avro, invalid JSON, unknown event type). */
export class DecodeError extends SerdeError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('GCK_DECODE', message, context, cause);
  }
}

/** A schema file or the schemas folder is not usable. `file` is the offending path. */
export class SchemaFileError extends GoCoffeeKafkaError {
  declare readonly code: 'GCK_SCHEMA_FILE';
  readonly file: string;
  constructor(file: string, problem: string, cause?: unknown) {
    super('GCK_SCHEMA_FILE', `${file}: ${problem}`, { context: { file }, ...(cause === undefined ? {} : { cause }) });
    this.file = file;
  }
}

/** The codes a {@link RegistryError} carries. */
export type RegistryErrorCode = 'GCK_SCHEMA_REGISTRY' | 'GCK_SCHEMA_REGISTRY_UNREACHABLE' | 'GCK_SCHEMA_REGISTRY_AUTH' | 'GCK_SCHEMA_REJECTED' | 'GCK_UNKNOWN_SCHEMA';

/** What a registry failure carries besides the base error's options. */
export interface RegistryErrorOptions extends ErrorOptions {
  /** The HTTP status, when the registry (or something in front of it) answered. */
  readonly status?: number | undefined;
  /** The registry's own `error_code` from a JSON error body (40403, 42201, ...). */
  readonly errorCode?: number | undefined;
}

/**
 * The Schema Registry could not be reached or answered with an error. `retriable` says whether
 * the same request may succeed later: network failures, timeouts, 5xx, 408, 429 and a 404 that is
 * not the registry's own "not found" (a proxy, an ingress or a lagging replica) are; the
 * registry's own answers (its 404xx "not found", 401/403, 409, 422) are not.
 */
export class RegistryError extends GoCoffeeKafkaError {
  declare readonly code: RegistryErrorCode;
  /** The HTTP status, when there was an answer. */
  readonly status: number | undefined;
  /** The registry's `error_code` (e.g. 40403), when the answer was a registry error body. */
  readonly errorCode: number | undefined;

  constructor(code: RegistryErrorCode, message: string, options: RegistryErrorOptions = {}) {
    const { status, errorCode, ...rest } = options;
    super(code, message, {
      ...rest,
      context: { ...(rest.context ?? {}), ...(status === undefined ? {} : { status }), ...(errorCode === undefined ? {} : { errorCode }) },
    });
    this.status = status;
    this.errorCode = errorCode;
  }

  /**
   * The registry could not be asked (unreachable, 5xx, a proxy's 404, a timeout): not the message's
   * fault. A consumer retries a message that failed so without charging it an attempt, so a
   * registry outage never dead-letters valid messages.
   */
  get infrastructure(): boolean {
    return this.retriable;
  }

  /** The registry's own "not found" (HTTP 404 with an error code 40400–40499): subject, version or schema. */
  get registryNotFound(): boolean {
    return this.status === 404 && isRegistryNotFoundCode(this.errorCode);
  }
}

/** The schema id is not known to the registry (its own answer, error code 40403): permanent. */
export class UnknownSchemaError extends RegistryError {
  readonly schemaId: number;
  constructor(id: number, registryUrl: string, cause?: RegistryError) {
    super('GCK_UNKNOWN_SCHEMA', `schema id ${id} is not known to the schema registry at ${registryUrl}`, {
      retriable: false,
      status: cause?.status,
      errorCode: cause?.errorCode,
      context: { schemaId: id },
      ...(cause === undefined ? {} : { cause }),
    });
    this.schemaId = id;
  }
}

/** A Confluent "not found" error code: 40401 subject, 40402 version, 40403 schema, 40408 subject config, ... */
export function isRegistryNotFoundCode(errorCode: number | undefined): boolean {
  return errorCode !== undefined && errorCode >= 40400 && errorCode <= 40499;
}
