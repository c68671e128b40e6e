/**
 * The one validation pass: parse every collected value by its field's kind, apply defaults, run
 * the cross-field rules, and either throw one ConfigError listing every issue or return the
 * deeply frozen KafkaConfig.
 */
import { ConfigError, type ConfigIssue } from './errors.js';
import { CONFIG_FIELDS, fieldByKey, howToSet, type ConfigField } from './fields.js';
import { brokerItems, describeValue, parseBroker, parseScalar, parseSuffix, suffixItems, type Parsed } from './parse.js';
import { groupProtocolIssues } from './group.js';
import { checkRules } from './rules.js';
import { snakeTopicKey, userTopicField } from './topics.js';
import { collectEnv, collectInput, newCollected, type Collected } from './sources.js';
import type { ConfigFieldKey, GroupProtocol, KafkaConfig, KafkaConfigInput, LibrdkafkaValue, Serialization } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves a programmatic configuration: defaults, then the `GOCOFFEE_KAFKA_*` variables of `env`
 * when one is passed (process.env is never read implicitly), then `input`; validated once.
 * @throws ConfigError listing every problem found.
 */
export function resolveConfig(input: KafkaConfigInput, env?: Env): KafkaConfig {
  const issues: ConfigIssue[] = [];
  const collected = newCollected();
  if (env !== undefined) collectEnv(env, issues, collected);
  collectInput(input, issues, collected);
  return finishConfig(collected, issues);
}

/** Validates the collected layers; throws ConfigError with `issues` plus every new one. */
export function finishConfig(collected: Collected, issues: ConfigIssue[]): KafkaConfig {
  const values = new Map<ConfigFieldKey, unknown>();
  const bad = new Set<ConfigFieldKey>();
  const labels = new Map<ConfigFieldKey, string>();

  // The Go Coffee fields, then the topic keys of the application's own (no default).
  const known = new Set<string>(CONFIG_FIELDS.map((f) => f.key));
  const ownTopics = [...collected.scalars.keys()].filter((k) => !known.has(k)).map((k) => userTopicField(k.slice('topics.'.length)));
  for (const field of [...CONFIG_FIELDS, ...ownTopics]) {
    if (field.kind === 'librdkafka' || field.kind === 'serializations') continue;
    const key = field.key as ConfigFieldKey;
    const entry = collected.scalars.get(key);
    if (entry !== undefined && 'failed' in entry) {
      issues.push(...entry.failed);
      bad.add(key);
      continue;
    }
    if (entry !== undefined) labels.set(key, entry.label);
    const before = issues.length;
    const value = entry === undefined ? defaultValue(field, issues) : parseField(field, entry.value, entry.label, entry.baseDir, issues);
    if (issues.length > before) bad.add(key);
    else values.set(key, value);
  }

  splitRegistryCredentials(values);

  const overrides: Record<string, LibrdkafkaValue> = {};
  for (const [property, entry] of collected.librdkafka) {
    if ('failed' in entry) issues.push(...entry.failed);
    else overrides[property] = entry.value as LibrdkafkaValue;
  }

  // The group protocol decides which group properties librdkafka accepts at all.
  if (!bad.has('groupProtocol')) issues.push(...groupProtocolIssues(values.get('groupProtocol') as GroupProtocol, overrides, fieldByKey('librdkafka').path));

  const serializations = parseSerializations(collected, new Set([...values.keys(), ...bad].filter((k) => k.startsWith('topics.'))), issues);

  checkRules(
    {
      get: (key) => values.get(key),
      ok: (...keys) => keys.every((k) => !bad.has(k)),
      label: (key) => labels.get(key) ?? CONFIG_FIELDS.find((f) => f.key === key)?.path ?? key,
      topicKeys: [...values.keys(), ...bad].filter((k) => k.startsWith('topics.')),
    },
    issues,
  );

  if (issues.length > 0) throw new ConfigError(dedupe(issues));
  return build(values, overrides, serializations);
}

/**
 * topic_serialization: each value avro or json (case-insensitive), each key a topic key that is
 * configured (a Go Coffee key or one set under topics:), so a misspelled key is an error, not a
 * setting that silently does nothing.
 */
function parseSerializations(collected: Collected, topicKeys: ReadonlySet<string>, issues: ConfigIssue[]): Record<string, Serialization> {
  const out: Record<string, Serialization> = {};
  const format = fieldByKey('serialization');
  for (const [key, entry] of collected.serializations) {
    if ('failed' in entry) {
      issues.push(...entry.failed);
      continue;
    }
    const parsed = parseScalar(format, entry.value, entry.baseDir);
    if (!parsed.ok) {
      issues.push({ path: entry.label, message: `got ${describeValue(entry.value, false)}, expected ${format.expected}` });
      continue;
    }
    if (!topicKeys.has(`topics.${key}`)) {
      const known = [...topicKeys].map((k) => snakeTopicKey(k.slice('topics.'.length))).join(', ');
      issues.push({ path: entry.label, message: `names no configured topic key, expected one of the keys under topics: (${known}); set the topic under topics: first` });
      continue;
    }
    out[key] = parsed.value as Serialization;
  }
  return out;
}

/**
 * `http://user:password@host/...`: the credentials move to schema_registry_username/_password
 * (explicit settings win) and the URL keeps none, so it can be logged and reported safely.
 */
function splitRegistryCredentials(values: Map<ConfigFieldKey, unknown>): void {
  const raw = values.get('schemaRegistryUrl');
  if (typeof raw !== 'string') return;
  const url = new URL(raw);
  if (url.username === '' && url.password === '') return;
  if (values.get('schemaRegistryUsername') === undefined && url.username !== '') values.set('schemaRegistryUsername', decodeUserInfo(url.username));
  if (values.get('schemaRegistryPassword') === undefined && url.password !== '') values.set('schemaRegistryPassword', decodeUserInfo(url.password));
  url.username = '';
  url.password = '';
  values.set('schemaRegistryUrl', url.toString().replace(/\/+$/, ''));
}

/** Percent-decoded user info; a `%` that starts no valid escape (`50%off`) is taken literally. */
function decodeUserInfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function defaultValue(field: ConfigField, issues: ConfigIssue[]): unknown {
  if (field.required) {
    issues.push({ path: field.path, message: `not set, expected ${field.expected} (set ${howToSet(field)})` });
  }
  return field.default;
}

function problem(field: ConfigField, label: string, value: unknown, parsed: Parsed<unknown> & { ok: false }): ConfigIssue {
  const got = parsed.got ?? describeValue(value, field.secret);
  const detail = parsed.detail === undefined ? '' : ` (${parsed.detail})`;
  return { path: label, message: `got ${got}, expected ${field.expected}${detail}` };
}

function parseField(field: ConfigField, value: unknown, label: string, baseDir: string, issues: ConfigIssue[]): unknown {
  if (field.kind === 'suffixes') return parseSuffixList(field, value, label, issues);
  if (field.kind !== 'brokers') {
    const parsed = parseScalar(field, value, baseDir);
    if (!parsed.ok) issues.push(problem(field, label, value, parsed));
    return parsed.ok ? parsed.value : undefined;
  }
  const items = brokerItems(value);
  if (items === undefined) {
    issues.push(problem(field, label, value, { ok: false }));
    return undefined;
  }
  if (items.length === 0) {
    issues.push({ path: label, message: `got an empty list, expected ${field.expected}` });
    return undefined;
  }
  const brokers: string[] = [];
  items.forEach((item, index) => {
    const parsed = parseBroker(item);
    if (parsed.ok) brokers.push(parsed.value);
    else issues.push(problem(field, `${label}[${index}]`, item, parsed));
  });
  return brokers;
}

/** A suffix list (event_type_suffixes): each item checked, duplicates dropped, order kept; may be empty. */
function parseSuffixList(field: ConfigField, value: unknown, label: string, issues: ConfigIssue[]): readonly string[] | undefined {
  const items = suffixItems(value);
  if (items === undefined) {
    issues.push(problem(field, label, value, { ok: false }));
    return undefined;
  }
  const out: string[] = [];
  const before = issues.length;
  items.forEach((item, index) => {
    const parsed = parseSuffix(item);
    if (!parsed.ok) issues.push(problem(field, `${label}[${index}]`, item, parsed));
    else if (!out.includes(parsed.value)) out.push(parsed.value);
  });
  return issues.length > before ? undefined : out;
}

function dedupe(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const id = `${i.path}\u0000${i.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function build(values: ReadonlyMap<ConfigFieldKey, unknown>, overrides: Record<string, LibrdkafkaValue>, serializations: Record<string, Serialization>): KafkaConfig {
  const config: Record<string, unknown> = {};
  const topics: Record<string, unknown> = {};
  for (const [key, value] of values) {
    if (key.startsWith('topics.')) topics[key.slice('topics.'.length)] = value;
    else config[key] = value;
  }
  config['topics'] = topics;
  config['librdkafka'] = overrides;
  config['topicSerialization'] = serializations;
  return deepFreeze(config) as unknown as KafkaConfig;
}

/** Freezes an object graph of plain objects and arrays. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
