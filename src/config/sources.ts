/**
 * Collects raw values from the three layers — YAML `kafka:` section, environment variables,
 * programmatic input — into one `Collected` (later layers replace earlier ones per field; librdkafka
 * overrides merge per property). Nothing is parsed here except structure: unknown keys, placeholder
 * expansion, and the shape of the librdkafka map (including the managed-property check).
 */
import type { ConfigIssue } from './errors.js';
import { childPath, expandDeep, isPlainObject } from './expand.js';
import { CONFIG_FIELDS, fieldByKey, fieldByYamlKey, YAML_SECTION, type ConfigField } from './fields.js';
import { describeValue } from './parse.js';
import { managedPropertyMessage } from './properties.js';
import { SERIALIZATION_ENV_PREFIX, TOPIC_ENV_PREFIX, topicField, topicKeyProblem } from './topics.js';
import type { ConfigFieldKey, KafkaConfigInput } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A value and where it came from: `label` names it in messages, `baseDir` resolves relative paths. */
export type RawEntry =
  | { readonly value: unknown; readonly label: string; readonly baseDir: string }
  | { readonly failed: readonly ConfigIssue[] };

export interface Collected {
  readonly scalars: Map<ConfigFieldKey, RawEntry>;
  readonly librdkafka: Map<string, RawEntry>;
  /** topic_serialization entries by camelCase topic key (later layers replace earlier ones per key). */
  readonly serializations: Map<string, RawEntry>;
}

export function newCollected(): Collected {
  return { scalars: new Map(), librdkafka: new Map(), serializations: new Map() };
}

const LIBRDKAFKA = fieldByKey('librdkafka');
const SERIALIZATIONS = fieldByKey('topicSerialization');

/** The camelCase topic key of a topic field (`topics.orderPlaced` → `orderPlaced`). */
const topicKeyOf = (field: ConfigField): string => field.key.slice('topics.'.length);

// ---------------------------------------------------------------- YAML

/** The `kafka:` section of a parsed YAML document (`${VAR}` expanded from `env`). */
export function collectYaml(section: Record<string, unknown>, env: Env, baseDir: string, issues: ConfigIssue[], into: Collected): void {
  for (const [key, value] of Object.entries(section)) {
    if (key === 'topics') {
      collectTopicsYaml(value, env, baseDir, issues, into);
    } else if (key === SERIALIZATIONS.yamlKey) {
      collectSerializationMap(value, SERIALIZATIONS.path, issues, into, baseDir, env);
    } else if (key === 'librdkafka') {
      const pending: ConfigIssue[] = [];
      const expanded = expandDeep(value, LIBRDKAFKA.path, env, pending, 'bracket');
      collectOverrideMap(expanded.value, LIBRDKAFKA.path, issues, into, pending);
    } else {
      const field = fieldByYamlKey(key);
      if (!field || field.key.startsWith('topics.')) {
        issues.push({ path: `${YAML_SECTION}.${key}`, message: `unknown key${suggest(key, TOP_LEVEL_KEYS)}` });
      } else {
        setYamlValue(field, value, env, baseDir, into);
      }
    }
  }
}

const TOP_LEVEL_KEYS = [...CONFIG_FIELDS.map((f) => f.yamlKey).filter((k) => !k.startsWith('topics.')), 'topics'];

/**
 * The topic keys of one layer (YAML mapping or program object): the Go Coffee keys and any of the
 * application's own, each normalised to its camelCase key (src/config/topics.ts). Two spellings of
 * one key in the same layer are an issue.
 */
function collectTopicMap(value: Record<string, unknown>, base: string, issues: ConfigIssue[], set: (field: ConfigField, item: unknown, label: string) => void): void {
  const seen = new Map<string, string>();
  for (const [key, item] of Object.entries(value)) {
    const label = `${base}.${key}`;
    const problem = topicKeyProblem(key);
    if (problem !== undefined) {
      issues.push({ path: label, message: problem });
      continue;
    }
    const field = topicField(key);
    const first = seen.get(field.key);
    if (first !== undefined) {
      issues.push({ path: label, message: `names the same topic key as ${first} (keys are compared in camelCase: ${field.key.slice('topics.'.length)}); keep one of them` });
      continue;
    }
    seen.set(field.key, label);
    set(field, item, label);
  }
}

function collectTopicsYaml(value: unknown, env: Env, baseDir: string, issues: ConfigIssue[], into: Collected): void {
  const path = `${YAML_SECTION}.topics`;
  if (value === null || value === undefined) return;
  if (!isPlainObject(value)) {
    issues.push({ path, message: `got ${describeValue(value, false)}, expected a mapping of topic keys to topic names (e.g. task_created: task.created, order_placed: orders.placed)` });
    return;
  }
  collectTopicMap(value, path, issues, (field, item, label) => setYamlValue(field, item, env, baseDir, into, label));
}

/**
 * One layer's topic_serialization map: topic keys (spelled as under topics:, two spellings of one
 * key refused) to raw values; `env` given (YAML): `${VAR}` placeholders expanded. Entries are
 * labelled like librdkafka's, `kafka.topic_serialization["beverage_created"]`.
 */
function collectSerializationMap(value: unknown, base: string, issues: ConfigIssue[], into: Collected, baseDir: string, env?: Env): void {
  if (value === null || value === undefined) return;
  if (!isPlainObject(value)) {
    issues.push({ path: base, message: `got ${describeValue(value, false)}, expected ${SERIALIZATIONS.expected} (e.g. beverage_created: json)` });
    return;
  }
  const seen = new Map<string, string>();
  for (const [key, item] of Object.entries(value)) {
    const label = childPath(base, key, 'bracket');
    const problem = topicKeyProblem(key);
    if (problem !== undefined) {
      issues.push({ path: label, message: problem });
      continue;
    }
    const topicKey = topicKeyOf(topicField(key));
    const first = seen.get(topicKey);
    if (first !== undefined) {
      issues.push({ path: label, message: `names the same topic key as ${first} (keys are compared in camelCase: ${topicKey}), expected each topic key once` });
      continue;
    }
    seen.set(topicKey, label);
    if (item === null || item === undefined) continue;
    let raw: unknown = item;
    if (env !== undefined) {
      const pending: ConfigIssue[] = [];
      const expanded = expandDeep(item, label, env, pending);
      if (expanded.failed) {
        into.serializations.set(topicKey, { failed: pending });
        continue;
      }
      raw = expanded.value;
    }
    if (raw !== '') into.serializations.set(topicKey, { value: raw, label, baseDir });
  }
}

function setYamlValue(field: ConfigField, value: unknown, env: Env, baseDir: string, into: Collected, label: string = field.path): void {
  if (value === null || value === undefined) return; // `key:` with no value = not set
  const pending: ConfigIssue[] = [];
  const expanded = expandDeep(value, label, env, pending);
  if (expanded.failed) into.scalars.set(field.key as ConfigFieldKey, { failed: pending });
  else if (expanded.value !== '') into.scalars.set(field.key as ConfigFieldKey, { value: expanded.value, label, baseDir });
}

// ---------------------------------------------------------------- environment

/**
 * `GOCOFFEE_KAFKA_<YAML_KEY>` for every field (topics as `GOCOFFEE_KAFKA_TOPICS_<NAME>`, librdkafka
 * overrides as a JSON object in `GOCOFFEE_KAFKA_LIBRDKAFKA`). Exactly one prefix; an empty variable
 * counts as unset. A field's `envAliases` are read only when its own variable is unset.
 */
export function collectEnv(env: Env, issues: ConfigIssue[], into: Collected): void {
  const cwd = process.cwd();
  for (const field of CONFIG_FIELDS) {
    const name = [field.env, ...field.envAliases].find((n) => env[n] !== undefined && env[n] !== '');
    if (name === undefined) continue;
    const value = env[name] as string;
    if (field.kind !== 'librdkafka' && field.kind !== 'serializations') {
      into.scalars.set(field.key as ConfigFieldKey, { value, label: name, baseDir: cwd });
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      const shown = field.kind === 'librdkafka' ? '(value hidden)' : describeValue(value, false);
      issues.push({ path: name, message: `got a value that is not valid JSON ${shown}, expected a JSON object: ${field.expected}` });
      continue;
    }
    if (field.kind === 'serializations') collectSerializationMap(parsed, name, issues, into, cwd);
    else collectOverrideMap(parsed, name, issues, into, []);
  }
  // Topic keys of the application's own: GOCOFFEE_KAFKA_TOPICS_<KEY> (ORDER_PLACED → orderPlaced).
  const known = new Set(CONFIG_FIELDS.flatMap((f) => [f.env, ...f.envAliases]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(TOPIC_ENV_PREFIX) || known.has(name) || value === undefined || value === '') continue;
    const key = name.slice(TOPIC_ENV_PREFIX.length);
    const problem = topicKeyProblem(key);
    if (problem !== undefined) {
      issues.push({ path: name, message: problem });
      continue;
    }
    into.scalars.set(topicField(key.toLowerCase()).key as ConfigFieldKey, { value, label: name, baseDir: cwd });
  }
  // Per-topic serialization, one variable per key (after the JSON object, so it wins for its key):
  // GOCOFFEE_KAFKA_TOPIC_SERIALIZATION_<KEY> (BEVERAGE_CREATED → beverageCreated).
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(SERIALIZATION_ENV_PREFIX) || value === undefined || value === '') continue;
    const key = name.slice(SERIALIZATION_ENV_PREFIX.length);
    const problem = topicKeyProblem(key);
    if (problem !== undefined) {
      issues.push({ path: name, message: problem });
      continue;
    }
    into.serializations.set(topicKeyOf(topicField(key.toLowerCase())), { value, label: name, baseDir: cwd });
  }
}

// ---------------------------------------------------------------- programmatic input

const INPUT_KEYS = CONFIG_FIELDS.map((f) => f.key).filter((k) => !k.startsWith('topics.'));
const FIELD_BY_INPUT_KEY = new Map<string, ConfigField>(CONFIG_FIELDS.map((f) => [f.key, f]));

/** A `KafkaConfigInput` (camelCase keys; undefined and '' mean "not set"). */
export function collectInput(input: KafkaConfigInput, issues: ConfigIssue[], into: Collected): void {
  if (!isPlainObject(input)) {
    issues.push({ path: 'input', message: `got ${describeValue(input, false)}, expected an object of configuration options` });
    return;
  }
  const cwd = process.cwd();
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (key === 'librdkafka') {
      collectOverrideMap(value, LIBRDKAFKA.path, issues, into, []);
    } else if (key === SERIALIZATIONS.key) {
      collectSerializationMap(value, SERIALIZATIONS.path, issues, into, cwd);
    } else if (key === 'topics') {
      if (!isPlainObject(value)) {
        issues.push({ path: `${YAML_SECTION}.topics`, message: `got ${describeValue(value, false)}, expected an object of topic names` });
        continue;
      }
      collectTopicMap(value, 'topics', issues, (field, item) => {
        if (item !== undefined && item !== '') into.scalars.set(field.key as ConfigFieldKey, { value: item, label: field.path, baseDir: cwd });
      });
    } else {
      const field = FIELD_BY_INPUT_KEY.get(key);
      if (!field) issues.push({ path: key, message: `unknown option${suggest(key, [...INPUT_KEYS, 'topics'])}` });
      else if (value !== '') into.scalars.set(field.key as ConfigFieldKey, { value, label: field.path, baseDir: cwd });
    }
  }
}

// ---------------------------------------------------------------- librdkafka overrides

const PROPERTY_NAME = /^[a-zA-Z0-9._-]+$/;

/** One layer's librdkafka map: structure, value types and the managed-property check. */
function collectOverrideMap(value: unknown, base: string, issues: ConfigIssue[], into: Collected, pending: ConfigIssue[]): void {
  if (value === null || value === undefined) return;
  if (!isPlainObject(value)) {
    issues.push({ path: base, message: `got ${describeValue(value, false)}, expected ${LIBRDKAFKA.expected}` });
    return;
  }
  for (const [property, item] of Object.entries(value)) {
    const path = childPath(base, property, 'bracket');
    const managed = managedPropertyMessage(property);
    if (!PROPERTY_NAME.test(property)) {
      issues.push({ path, message: 'invalid property name, expected a librdkafka property such as "statistics.interval.ms"' });
    } else if (managed !== undefined) {
      issues.push({ path, message: managed });
    } else if (pending.some((i) => i.path === path)) {
      into.librdkafka.set(property, { failed: pending.filter((i) => i.path === path) });
    } else if (typeof item === 'string' || typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item))) {
      into.librdkafka.set(property, { value: item, label: path, baseDir: '' });
    } else {
      // Values of unknown properties may be secrets: never shown.
      issues.push({ path, message: `got ${describeValue(item, true)}, expected a string, number or boolean value` });
    }
  }
}

// ---------------------------------------------------------------- did you mean

/** `; did you mean "batch_size"?` when a known key is close (case, separators, typos), else ''. */
export function suggest(key: string, known: readonly string[]): string {
  const norm = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[-_.\s]/g, '');
  const wanted = norm(key);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const normalized = norm(candidate);
    const prefix = normalized.length >= 4 && (wanted.startsWith(normalized) || normalized.startsWith(wanted)) && wanted.length >= 4;
    const distance = normalized === wanted ? 0 : prefix ? 1 : levenshtein(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = key.length <= 4 ? 1 : key.length <= 10 ? 2 : 3;
  return best !== undefined && bestDistance <= limit ? `; did you mean "${best}"?` : '';
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
