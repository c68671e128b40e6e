/**
 * Errors of schema registration. Codes (stable strings):
 *
 * | code | when | retriable |
 * |---|---|---|
 * | `GCK_SCHEMA_FILE` | a schema file or the schemas folder is missing, unreadable, not JSON, not valid Avro, misnamed | no |
 * | `GCK_SCHEMA_INCOMPATIBLE` | a schema is not compatible with the subject's registered versions | no |
 * | `GCK_SCHEMA_REJECTED` | the registry refused a schema as invalid (HTTP 422) | no |
 * | `GCK_SCHEMA_REGISTRY_UNREACHABLE` | no connection, DNS failure, timeout | yes |
 * | `GCK_SCHEMA_REGISTRY_AUTH` | HTTP 401 / 403 | no |
 * | `GCK_SCHEMA_REGISTRY` | any other registry answer (wrong URL, 5xx, unexpected body) | 5xx only |
 *
 * Messages never contain a password: URLs are shown without credentials.
 */
import { GoCoffeeKafkaError, type ErrorOptions } from '../../errors/index.js';
import type { RegistrationResult } from './types.js';

/** A schema file or the schemas folder is not usable. `file` is the offending path. */
export class SchemaFileError extends GoCoffeeKafkaError {
  declare readonly code: 'GCK_SCHEMA_FILE';
  readonly file: string;
  constructor(file: string, problem: string, cause?: unknown) {
    super('GCK_SCHEMA_FILE', `${file}: ${problem}`, { context: { file }, ...(cause === undefined ? {} : { cause }) });
    this.file = file;
  }
}

export type RegistryErrorCode = 'GCK_SCHEMA_REGISTRY' | 'GCK_SCHEMA_REGISTRY_UNREACHABLE' | 'GCK_SCHEMA_REGISTRY_AUTH' | 'GCK_SCHEMA_REJECTED';

/** The Schema Registry could not be reached or answered with an error. */
export class SchemaRegistryError extends GoCoffeeKafkaError {
  declare readonly code: RegistryErrorCode;
  /** The HTTP status, when the registry answered. */
  readonly status: number | undefined;
  constructor(code: RegistryErrorCode, message: string, options: ErrorOptions & { status?: number | undefined } = {}) {
    const { status, ...rest } = options;
    super(code, message, { ...rest, context: { ...(rest.context ?? {}), ...(status === undefined ? {} : { status }) } });
    this.status = status;
  }
}

/**
 * A schema version is not compatible with what the subject already holds, under the subject's
 * compatibility level. Nothing was registered for it (nor, from the CLI, for anything after it).
 * `results` holds every result up to and including the refused one.
 */
export class SchemaIncompatibleError extends GoCoffeeKafkaError {
  declare readonly code: 'GCK_SCHEMA_INCOMPATIBLE';
  readonly result: RegistrationResult;
  readonly results: readonly RegistrationResult[];
  constructor(result: RegistrationResult, results: readonly RegistrationResult[], cause?: unknown) {
    super('GCK_SCHEMA_INCOMPATIBLE', incompatibleMessage(result), {
      context: { subject: result.subject, version: result.version, file: result.file, compatibility: result.compatibility, reasons: result.reasons },
      ...(cause === undefined ? {} : { cause }),
    });
    this.result = result;
    this.results = Object.freeze([...results]);
  }
}

const REASON_HEADINGS: Record<string, string> = {
  registry: 'the registry says:',
  local: 'the registry gave no reason; a local Avro check (avsc) found:',
  'dry-run': 'checked locally with avsc (dry run: the registry has not seen the earlier version(s) or the level yet):',
};

export function incompatibleMessage(r: RegistrationResult): string {
  const heading = REASON_HEADINGS[r.reasonSource ?? ''];
  const reasons = r.reasons.map((x) => `\n  - ${x}`).join('');
  return (
    `${r.event} v${r.version} (${r.file}) is not compatible with subject "${r.subject}" under compatibility ${r.compatibility}` +
    `${heading === undefined ? ':' : `; ${heading}`}${reasons}\n` +
    'It was not registered. Make the change compatible (schemas/README.md lists the allowed changes) or, deliberately, change the subject\'s compatibility level.'
  );
}
