import { GoCoffeeKafkaError, type AnyErrorCode } from '../errors/base.js';

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

/** The schema id in the bytes is not known to the registry. */
export class UnknownSchemaError extends SerdeError {
  constructor(id: number, cause?: unknown) {
    super('GCK_UNKNOWN_SCHEMA', `schema id ${id} is not known to the schema registry`, { schemaId: id }, cause);
  }
}

/** The payload could not be decoded (truncated Avro, invalid JSON, unknown event type). */
export class DecodeError extends SerdeError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('GCK_DECODE', message, context, cause);
  }
}

/** The schema registry could not be reached or refused a request (this one is retriable). */
export class RegistryError extends GoCoffeeKafkaError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('GCK_REGISTRY', message, { retriable: true, context, ...(cause !== undefined ? { cause } : {}) });
  }
}
