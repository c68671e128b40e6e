/**
 * Schemas and the Schema Registry: Confluent wire format, Avro (avsc) and JSON event reading, the
 * one registry client, the one subject strategy, the one schemas-folder loader, and registration.
 */
export { MAGIC_BYTE, HEADER_SIZE, readSchemaId } from './wire.js';
export { AvroEncoder, AvroReader, parseSchema, validationErrorOf, checkValue } from './avro.js';
export { decodeJsonEvent } from './json.js';
export { GoJsonWriter, goString, goTime } from './go-json-writer.js';
export type { GoJsonLayout, GoField } from './go-json-writer.js';
export { JsonEncoder, decodeJsonValue } from './json-codec.js';
export { generateTypes, compareGenerated, writeGenerated } from './codegen.js';
export type { GenerateTypesOptions, GeneratedState, GeneratedDifference } from './codegen.js';
export {
  SerdeError,
  SchemaValidationError,
  WireFormatError,
  DecodeError,
  SchemaFileError,
  RegistryError,
  UnknownSchemaError,
  isRegistryNotFoundCode,
} from './errors.js';
export type { RegistryErrorCode, RegistryErrorOptions } from './errors.js';
export { SchemaRegistry, parseRegistryUrl, classifyAnswer } from './registry.js';
export type { RegistryOptions, RegistryTlsOptions, FailedAnswer, AnswerClass } from './registry.js';
export { SUBJECT_STRATEGIES, subjectName, parseSubjectStrategy } from './subjects.js';
export type { SubjectStrategy } from './subjects.js';
export { loadSchemaSet, schemaMap, latestOf, packageSchemasDir, displayPath } from './schemas.js';
export type { SchemaVersion, EventSchemas, LoadSchemasOptions } from './schemas.js';
export { COMPATIBILITY_LEVELS } from './types.js';
export type { CompatibilityLevel, CompatibilityAnswer, RegisteredSchema, SubjectVersion } from './types.js';
export { registerSchemaSet } from './registration/register.js';
export type { RegisterSchemaSetOptions, RegistrationEvent } from './registration/register.js';
export { SchemaIncompatibleError, incompatibleMessage } from './registration/errors.js';
export { compatibilityProblems, readProblems } from './registration/compat.js';
export type { LabelledType } from './registration/compat.js';
export type { RegistrationResult, RegistrationStatus, CompatibilityAction, ReasonSource } from './registration/types.js';
