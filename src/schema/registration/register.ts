/**
 * registerSchemaSet: every schema of a schemas folder registered in version order under its
 * subject, idempotently, with each subject's compatibility level set and every new version checked
 * before it is written. The Go Coffee binding (the catalog's events on the configured topics) is
 * `registerSchemas` in src/gocoffee/serde.ts, which the CLI and the Manager call.
 */
import avro from 'avsc';
import { InvalidArgumentError } from '../../errors/base.js';
import { RegistryError } from '../errors.js';
import { SchemaRegistry, type RegistryOptions } from '../registry.js';
import { loadSchemaSet, packageSchemasDir, type EventSchemas, type SchemaVersion } from '../schemas.js';
import { SUBJECT_STRATEGIES, subjectName, type SubjectStrategy } from '../subjects.js';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel } from '../types.js';
import { compatibilityProblems, type LabelledType } from './compat.js';
import { SchemaIncompatibleError } from './errors.js';
import type { CompatibilityAction, ReasonSource, RegistrationResult } from './types.js';

/** One event to register: its folder under the schemas folder and the topic its values are written to. */
export interface RegistrationEvent {
  readonly name: string;
  /** The topic (suffix included): names the subject under the `topic` and `topic-record` strategies. */
  readonly topic: string;
}

/**
 * How to register a schemas folder. Credentials, per-request timeout (default 10 s), retries of
 * transient failures (default 2) and TLS are the registry client's own options.
 */
export interface RegisterSchemaSetOptions extends Pick<RegistryOptions, 'username' | 'password' | 'timeoutMs' | 'retries' | 'tls'> {
  /** Base URL of the registry's Confluent-compatible API; credentials in it are used as basic auth. */
  readonly registryUrl: string;
  /** Default: the package's schemas/ folder. */
  readonly schemasDir?: string | undefined;
  /** The events, in the order they are registered; the folder must hold exactly these. */
  readonly events: readonly RegistrationEvent[];
  /** Subject naming; default `topic` (`<topic>-value`). */
  readonly strategy?: SubjectStrategy | undefined;
  /** Set on every subject; default BACKWARD. */
  readonly compatibility?: CompatibilityLevel | undefined;
  /** Check everything, write nothing: statuses `would-register` / `exists` / `incompatible`. */
  readonly dryRun?: boolean | undefined;
  /** Called once per schema version as soon as its outcome is known. */
  readonly onResult?: ((result: RegistrationResult) => void) | undefined;
}

/**
 * Registers (or, with `dryRun`, checks) every event schema. Per event, in the given order: the
 * subject's compatibility level is set when it differs; then per version, in version order: an
 * identical schema already under the subject → `exists`; otherwise it is checked against the
 * subject's latest version (all versions for the `_TRANSITIVE` levels) and registered.
 *
 * @returns one result per schema version. In a dry run incompatible versions are reported as
 *   `incompatible` results (check `results.some(r => r.status === 'incompatible')`).
 * @throws SchemaIncompatibleError (not in a dry run) at the first incompatible version: nothing
 *   after it is registered; `error.results` has everything up to it.
 * @throws SchemaFileError for a bad schema file (before any registry call),
 *   RegistryError when the registry is unreachable, refuses the credentials or fails,
 *   InvalidArgumentError for a bad level, strategy or URL.
 */
export async function registerSchemaSet(options: RegisterSchemaSetOptions): Promise<RegistrationResult[]> {
  const level = options.compatibility ?? 'BACKWARD';
  if (!COMPATIBILITY_LEVELS.includes(level)) {
    throw new InvalidArgumentError('compatibility', `got ${JSON.stringify(level)}, expected one of ${COMPATIBILITY_LEVELS.join(', ')}`);
  }
  const strategy = options.strategy ?? 'topic';
  if (!SUBJECT_STRATEGIES.includes(strategy)) {
    throw new InvalidArgumentError('strategy', `got ${JSON.stringify(strategy)}, expected one of ${SUBJECT_STRATEGIES.join(', ')}`);
  }
  if (options.registryUrl === '') throw new InvalidArgumentError('registryUrl', 'no Schema Registry URL');

  // Every file is checked before the first request.
  const set = loadSchemaSet(options.schemasDir ?? packageSchemasDir(), { events: options.events.map((e) => e.name) });
  const topics = new Map(options.events.map((e) => [e.name, e.topic]));

  const registry = new SchemaRegistry({
    url: options.registryUrl,
    username: options.username,
    password: options.password,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    tls: options.tls,
  });
  const results: RegistrationResult[] = [];
  const emit = (r: RegistrationResult): void => {
    results.push(r);
    options.onResult?.(r);
  };
  try {
    await registry.globalCompatibility(); // reachable, a registry, credentials accepted
    for (const event of set) {
      const subject = subjectName(strategy, topics.get(event.event)!, event.fullName);
      await registerEvent(registry, event, subject, level, options.dryRun === true, emit, results);
    }
    return results;
  } finally {
    registry.close();
  }
}

async function registerEvent(
  registry: SchemaRegistry,
  event: EventSchemas,
  subject: string,
  level: CompatibilityLevel,
  dryRun: boolean,
  emit: (r: RegistrationResult) => void,
  results: readonly RegistrationResult[],
): Promise<void> {
  const previousCompatibility = await registry.subjectCompatibility(subject);
  let action: CompatibilityAction = 'unchanged';
  if (previousCompatibility !== level) {
    if (dryRun) action = 'would-set';
    else {
      await registry.setCompatibility(subject, level);
      action = 'set';
    }
  }
  const transitive = level.endsWith('_TRANSITIVE');
  let registeredVersions = (await registry.versions(subject)).length;
  /** Dry run: versions of this run that would be registered (the registry has not seen them). */
  const pending: SchemaVersion[] = [];

  const base = { event: event.event, subject, compatibility: level, compatibilityAction: action, previousCompatibility };
  for (const v of event.versions) {
    const found = await registry.lookup(subject, v.text);
    if (found !== undefined) {
      emit({ ...base, version: v.version, file: v.file, status: 'exists', id: found.id, registryVersion: found.version, reasons: [], reasonSource: undefined });
      continue;
    }

    let refusal: { reasons: string[]; reasonSource: ReasonSource } | undefined;
    if (dryRun && (pending.length > 0 || action === 'would-set')) {
      // The registry cannot judge against versions it has not seen or with a level it does not have yet.
      const previous = [...(await registeredTypes(registry, subject, transitive)), ...pending.map(pendingType)];
      const reasons = compatibilityProblems(level, { label: `v${v.version}`, type: v.plainType }, previous);
      if (reasons.length > 0) refusal = { reasons, reasonSource: 'dry-run' };
    } else if (registeredVersions > 0) {
      const answer = await registry.checkCompatibility(subject, v.text, transitive);
      if (!answer.compatible) refusal = await explain(registry, subject, level, v, answer.messages);
    }

    if (refusal !== undefined) {
      const result: RegistrationResult = { ...base, version: v.version, file: v.file, status: 'incompatible', id: undefined, registryVersion: undefined, ...refusal };
      emit(result);
      if (dryRun) continue;
      throw new SchemaIncompatibleError(result, results);
    }

    if (dryRun) {
      pending.push(v);
      emit({ ...base, version: v.version, file: v.file, status: 'would-register', id: undefined, registryVersion: undefined, reasons: [], reasonSource: undefined });
      continue;
    }

    let id: number;
    try {
      id = await registry.register(subject, v.text);
    } catch (err) {
      if (err instanceof RegistryError && err.status === 409) {
        // Checked compatible a moment ago, refused now (a concurrent registration, or the registry's own rules).
        const msg = typeof err.context['registryMessage'] === 'string' ? err.context['registryMessage'] : '';
        const result: RegistrationResult = {
          ...base, version: v.version, file: v.file, status: 'incompatible', id: undefined, registryVersion: undefined,
          reasons: [msg === '' ? `the registry refused it as incompatible (HTTP 409) under compatibility ${level}` : `the registry refused it (HTTP 409): ${msg}`],
          reasonSource: msg === '' ? 'none' : 'registry',
        };
        emit(result);
        throw new SchemaIncompatibleError(result, results, err);
      }
      throw err;
    }
    registeredVersions++;
    const after = await registry.lookup(subject, v.text);
    emit({ ...base, version: v.version, file: v.file, status: 'registered', id, registryVersion: after?.version, reasons: [], reasonSource: undefined });
  }
}

/** The registry's reasons, else a local explanation (avsc), else "the registry gave no reason". */
async function explain(
  registry: SchemaRegistry,
  subject: string,
  level: CompatibilityLevel,
  v: SchemaVersion,
  messages: readonly string[],
): Promise<{ reasons: string[]; reasonSource: ReasonSource }> {
  if (messages.length > 0) return { reasons: [...messages], reasonSource: 'registry' };
  const local = compatibilityProblems(level, { label: `v${v.version}`, type: v.plainType }, await registeredTypes(registry, subject, level.endsWith('_TRANSITIVE')));
  if (local.length > 0) return { reasons: local, reasonSource: 'local' };
  return { reasons: [`the registry gave no reason (compatibility level ${level})`], reasonSource: 'none' };
}

/** The subject's registered schemas as avsc types (the latest only, or all for transitive levels), oldest first. */
async function registeredTypes(registry: SchemaRegistry, subject: string, all: boolean): Promise<LabelledType[]> {
  const versions = (await registry.versions(subject)).sort((a, b) => a - b);
  const wanted = all ? versions : versions.slice(-1);
  const out: LabelledType[] = [];
  for (const version of wanted) {
    try {
      out.push({ label: `registered version ${version}`, type: avro.Type.forSchema(JSON.parse(await registry.schemaAt(subject, version)) as avro.Schema) });
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      // Not an Avro schema avsc understands: nothing to compare locally.
    }
  }
  return out;
}

function pendingType(v: SchemaVersion): LabelledType {
  return { label: `v${v.version}`, type: v.plainType };
}
