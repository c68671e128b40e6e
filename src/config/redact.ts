/**
 * Secret-free views of a configuration, for logs, health output and error context.
 */
import { CONFIG_FIELDS, formatDuration } from './fields.js';
import { redactUrlCredentials } from './parse.js';
import { isSecretProperty } from './properties.js';
import { deepFreeze } from './resolve.js';
import { userTopicField } from './topics.js';
import type { KafkaConfig, LibrdkafkaValue } from './types.js';

export const REDACTED = '[REDACTED]';

/**
 * A frozen copy with every secret replaced by '[REDACTED]': the secret fields, credentials inside
 * the Schema Registry URL, and librdkafka overrides whose name marks a secret (password, secret,
 * token, *.pem, sasl.oauthbearer.config, ...). Unset secrets stay undefined.
 */
export function redactConfig(config: KafkaConfig): KafkaConfig {
  const copy: Record<string, unknown> = { ...config };
  for (const field of CONFIG_FIELDS) {
    if (field.secret && copy[field.key] !== undefined) copy[field.key] = REDACTED;
  }
  if (config.schemaRegistryUrl !== undefined) copy['schemaRegistryUrl'] = redactUrlCredentials(config.schemaRegistryUrl);
  const overrides: Record<string, LibrdkafkaValue> = {};
  for (const [property, value] of Object.entries(config.librdkafka)) {
    overrides[property] = isSecretProperty(property) ? REDACTED : value;
  }
  copy['librdkafka'] = overrides;
  copy['brokers'] = [...config.brokers];
  copy['topics'] = { ...config.topics };
  return deepFreeze(copy) as unknown as KafkaConfig;
}

/**
 * A human-readable, secret-free summary, one `yaml.path = value` line per field (durations as
 * "10s"), e.g. for a CLI `health` command or a start-up log line.
 */
export function describeConfig(config: KafkaConfig): string {
  const safe = redactConfig(config);
  const lines: string[] = [];
  for (const field of CONFIG_FIELDS) {
    const value = field.key.startsWith('topics.')
      ? safe.topics[field.key.slice('topics.'.length)]
      : safe[field.key as keyof KafkaConfig];
    let text: string;
    if (value === undefined) text = '(unset)';
    else if (field.kind === 'duration') text = formatDuration(value as number);
    else if (field.kind === 'brokers') text = (value as readonly string[]).join(',');
    else if (field.kind === 'suffixes') text = (value as readonly string[]).length === 0 ? 'none' : (value as readonly string[]).join(',');
    else if (field.kind === 'librdkafka' || field.kind === 'serializations') text = JSON.stringify(value);
    else if (typeof value === 'string' && field.kind !== 'secret') text = value === '' ? '""' : value;
    else text = String(value);
    lines.push(`${field.path} = ${text}`);
  }
  const known = new Set(CONFIG_FIELDS.map((f) => f.key));
  for (const [key, value] of Object.entries(safe.topics)) {
    if (!known.has(`topics.${key}`)) lines.push(`${userTopicField(key).path} = ${value}`);
  }
  return lines.join('\n');
}

/** The secret values of a configuration (for scrubbing text that must never show them). */
export function secretsOf(config: KafkaConfig): Array<string | undefined> {
  return [config.saslPassword, config.tlsKeyPassword, config.schemaRegistryPassword];
}
