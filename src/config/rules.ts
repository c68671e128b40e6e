/**
 * Rules that involve more than one field. Each rule runs only when the fields it reads were parsed
 * successfully (a field that already has an issue is not reported twice). Messages name the field
 * the way the user set it (YAML path or environment variable) and never contain a secret's value.
 */
import type { ConfigIssue } from './errors.js';
import { fieldByKey, formatDuration, howToSet } from './fields.js';
import { GROUP_INSTANCE_ID_EXPECTED, groupInstanceIdProblem } from './group.js';
import { MAX_TOPIC_LENGTH } from './parse.js';
import type { ConfigFieldKey } from './types.js';

/** The parsed fields, as the rules see them. */
export interface RuleContext {
  /** The parsed value (default applied); undefined when unset. */
  get(key: ConfigFieldKey): unknown;
  /** True when the field parsed (or defaulted) without an issue. */
  ok(...keys: ConfigFieldKey[]): boolean;
  /** Where the value came from: YAML path / env variable; the YAML path when defaulted. */
  label(key: ConfigFieldKey): string;
  /** Every topic key (`topics.<key>`): the Go Coffee ones and the application's own. */
  readonly topicKeys: readonly ConfigFieldKey[];
}

export function checkRules(c: RuleContext, issues: ConfigIssue[]): void {
  const issue = (key: ConfigFieldKey, message: string): void => {
    issues.push({ path: c.label(key), message });
  };
  const isSet = (key: ConfigFieldKey): boolean => c.ok(key) && c.get(key) !== undefined;
  const name = (key: ConfigFieldKey): string => fieldByKey(key).yamlKey;

  // SASL: credentials for PLAIN/SCRAM; no SASL settings without enable_sasl.
  if (c.ok('enableSasl', 'saslMechanism')) {
    const mechanism = c.get('saslMechanism') as string;
    if (c.get('enableSasl') === true) {
      if (mechanism !== 'OAUTHBEARER') {
        for (const key of ['saslUsername', 'saslPassword'] as const) {
          if (c.ok(key) && c.get(key) === undefined) {
            issue(key, `not set, expected a non-empty string: enable_sasl is true and sasl_mechanism ${mechanism} needs a username and password (set ${howToSet(fieldByKey(key))})`);
          }
        }
      }
    } else {
      for (const key of ['saslUsername', 'saslPassword'] as const) {
        if (isSet(key)) issue(key, `is set but enable_sasl is false, expected enable_sasl: true (${fieldByKey('enableSasl').env}=true) or no SASL credentials`);
      }
    }
  }

  // Static membership: the broker refuses an instance id that is not topic-name-like.
  if (isSet('groupInstanceId')) {
    const id = c.get('groupInstanceId');
    const problem = groupInstanceIdProblem(id);
    if (problem !== undefined) issue('groupInstanceId', `got ${JSON.stringify(id)} (${problem}), expected ${GROUP_INSTANCE_ID_EXPECTED}`);
  }

  // TLS: files only with enable_tls; certificate and key together; key password needs the key.
  if (c.ok('enableTls') && c.get('enableTls') !== true) {
    for (const key of ['tlsCaFile', 'tlsCertFile', 'tlsKeyFile', 'tlsKeyPassword'] as const) {
      if (isSet(key)) issue(key, `is set but enable_tls is false, expected enable_tls: true (${fieldByKey('enableTls').env}=true) or no TLS settings`);
    }
    if (c.ok('tlsSkipVerify') && c.get('tlsSkipVerify') === true) {
      issue('tlsSkipVerify', `is true but enable_tls is false, expected enable_tls: true (${fieldByKey('enableTls').env}=true) or tls_skip_verify: false`);
    }
  }
  const pair = [['tlsCertFile', 'tlsKeyFile'], ['tlsKeyFile', 'tlsCertFile']] as const;
  for (const [present, missing] of pair) {
    if (isSet(present) && c.ok(missing) && c.get(missing) === undefined) {
      issue(missing, `not set, expected a file path: ${name(present)} and ${name(missing)} must be given together for mutual TLS (set ${howToSet(fieldByKey(missing))})`);
    }
  }
  if (isSet('tlsKeyPassword') && c.ok('tlsKeyFile') && c.get('tlsKeyFile') === undefined) {
    issue('tlsKeyPassword', 'is set but tls_key_file is not, expected tls_key_file (the key it unlocks) or no tls_key_password');
  }

  // librdkafka: message.timeout.ms > linger.ms, and a delivery must outlive one produce request.
  if (c.ok('deliveryTimeoutMs', 'batchTimeoutMs', 'writeTimeoutMs')) {
    const delivery = c.get('deliveryTimeoutMs') as number;
    const minimum = (c.get('batchTimeoutMs') as number) + (c.get('writeTimeoutMs') as number);
    if (delivery < minimum) {
      issue('deliveryTimeoutMs', `got ${formatDuration(delivery)}, expected at least batch_timeout + write_timeout = ${formatDuration(minimum)} ` +
        '(librdkafka requires message.timeout.ms > linger.ms, and a delivery must outlive one produce request)');
    }
  }

  // Topic names stay valid with the suffix appended.
  if (c.ok('topicSuffix')) {
    const suffix = c.get('topicSuffix') as string;
    for (const key of c.topicKeys) {
      if (!c.ok(key)) continue;
      const full = (c.get(key) as string) + suffix;
      if (full.length > MAX_TOPIC_LENGTH) {
        issue(key, `with topic_suffix ${JSON.stringify(suffix)} the topic name has ${full.length} characters, expected at most ${MAX_TOPIC_LENGTH}`);
      }
    }
  }

  // Schema Registry basic auth: both or neither, and only with a URL.
  if (c.ok('schemaRegistryUrl', 'schemaRegistryUsername', 'schemaRegistryPassword')) {
    const user = c.get('schemaRegistryUsername') !== undefined;
    const password = c.get('schemaRegistryPassword') !== undefined;
    if (user !== password) {
      const missing = user ? 'schemaRegistryPassword' : 'schemaRegistryUsername';
      const present = user ? 'schema_registry_username' : 'schema_registry_password';
      issue(missing, `not set, expected a non-empty string: ${present} is set and basic auth needs both (set ${howToSet(fieldByKey(missing))})`);
    }
    if ((user || password) && c.get('schemaRegistryUrl') === undefined) {
      issue('schemaRegistryUrl', `not set, expected an http:// or https:// URL: Schema Registry credentials are set (set ${howToSet(fieldByKey('schemaRegistryUrl'))})`);
    }
  }
}
