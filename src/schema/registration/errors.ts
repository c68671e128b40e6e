/**
 * The error of schema registration proper: a schema that may not follow what the subject holds.
 * Files and registry failures are {@link SchemaFileError} and {@link RegistryError} (../errors.ts).
 */
import { GoCoffeeKafkaError } from '../../errors/base.js';
import type { RegistrationResult } from './types.js';

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

/** The text of an `incompatible` result: subject, version file, level, the reasons and what to do. */
export function incompatibleMessage(r: RegistrationResult): string {
  const heading = REASON_HEADINGS[r.reasonSource ?? ''];
  const reasons = r.reasons.map((x) => `\n  - ${x}`).join('');
  return (
    `${r.event} v${r.version} (${r.file}) is not compatible with subject "${r.subject}" under compatibility ${r.compatibility}` +
    `${heading === undefined ? ':' : `; ${heading}`}${reasons}\n` +
    'It was not registered. Make the change compatible (schemas/README.md lists the allowed changes) or, deliberately, change the subject\'s compatibility level.'
  );
}
