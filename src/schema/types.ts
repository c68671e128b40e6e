/** Schema Registry compatibility levels (Confluent names; Apicurio's ccompat API uses the same). */
export type CompatibilityLevel =
  | 'NONE'
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE';

/** Every compatibility level. */
export const COMPATIBILITY_LEVELS: readonly CompatibilityLevel[] = Object.freeze([
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
]);

/** A schema registered under a subject. */
export interface RegisteredSchema {
  readonly id: number;
  /** The version under the subject (undefined when the registry did not say). */
  readonly version: number | undefined;
}

/** One version of a subject, with its schema text. */
export interface SubjectVersion extends RegisteredSchema {
  readonly subject: string;
  readonly schema: string;
}

/** The registry's answer to a compatibility check. */
export interface CompatibilityAnswer {
  readonly compatible: boolean;
  /** The registry's reasons (`?verbose=true`); empty when it gave none. */
  readonly messages: readonly string[];
}
