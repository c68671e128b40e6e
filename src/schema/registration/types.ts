import type { CompatibilityLevel } from '../types.js';

/**
 * - `registered`: written now (`id` = the registry's schema id).
 * - `exists`: the same schema is already registered under the subject (nothing written).
 * - `would-register`: dry run; it is compatible and would be registered.
 * - `incompatible`: refused; `reasons` says why.
 */
export type RegistrationStatus = 'registered' | 'exists' | 'would-register' | 'incompatible';

/** What happened to the subject's compatibility level: set now, would be set (dry run), or already right. */
export type CompatibilityAction = 'set' | 'would-set' | 'unchanged';

/**
 * Where `reasons` come from: `registry` (its `?verbose=true` messages), `local` (the registry said
 * incompatible without a reason; avsc's schema resolution names the fields), `dry-run` (checked
 * locally: in a dry run the registry has not seen the earlier versions or the level), `none`
 * (nobody could say why).
 */
export type ReasonSource = 'registry' | 'local' | 'dry-run' | 'none';

/** One schema version of one event, as registered (or checked) under one subject. */
export interface RegistrationResult {
  /** The event's name (its schemas folder). */
  readonly event: string;
  readonly subject: string;
  /** The schema file's version: `schemas/<Event>/v<version>.avsc`. */
  readonly version: number;
  /** The schema file, relative to the working directory when inside it. */
  readonly file: string;
  readonly status: RegistrationStatus;
  /** The registry's schema id (registered / exists); undefined otherwise. */
  readonly id: number | undefined;
  /** The version number the registry gave it under the subject (may differ from `version`). */
  readonly registryVersion: number | undefined;
  /** The subject's compatibility level the check used (the requested level). */
  readonly compatibility: CompatibilityLevel;
  readonly compatibilityAction: CompatibilityAction;
  /** The subject's level before this run (undefined: none set / subject unknown). */
  readonly previousCompatibility: CompatibilityLevel | undefined;
  /** Why it is incompatible (empty otherwise). */
  readonly reasons: readonly string[];
  /** Where `reasons` come from; undefined unless `status` is `incompatible`. */
  readonly reasonSource: ReasonSource | undefined;
}
