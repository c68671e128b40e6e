/**
 * `gocoffee-kafka schemas register`: the command-line face of registerSchemas (src/gocoffee/serde.ts,
 * the catalog's binding of src/schema/registration/register.ts), re-exported here for programmatic use.
 */
import { ConfigError, canonicalTopicKey, parseDuration, topicName } from '../../config/index.js';
import { EVENTS } from '../../gocoffee/catalog.js';
import { registerSchemaSet } from '../../schema/registration/register.js';
import { loadCliConfig } from '../config.js';
import { commandName, defineCommand, isUsageError, type CommandValues } from '../command.js';
import { CliUsageError, describeError, renderTable } from '../output.js';
import { SchemaFileError } from '../../schema/errors.js';
import { SchemaIncompatibleError, incompatibleMessage } from '../../schema/registration/errors.js';
import { registerSchemas, type RegisterSchemasOptions } from '../../gocoffee/serde.js';
import type { RegistrationResult, RegistrationStatus } from '../../schema/registration/types.js';
import { parseRegistryUrl } from '../../schema/registry.js';
import { displayPath, loadSchemaSet, packageSchemasDir } from '../../schema/schemas.js';
import { parseSubjectStrategy } from '../../schema/subjects.js';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel } from '../../schema/types.js';
import { EXIT, type CliIo } from '../types.js';

export { registerSchemas, type RegisterSchemasOptions, type RegistrationConfig } from '../../gocoffee/serde.js';
export type { RegistrationResult, RegistrationStatus, CompatibilityAction, ReasonSource } from '../../schema/registration/types.js';
export type { CompatibilityLevel } from '../../schema/types.js';
export type { SubjectStrategy } from '../../schema/subjects.js';
export { SchemaIncompatibleError } from '../../schema/registration/errors.js';
export { SchemaFileError, RegistryError } from '../../schema/errors.js';

const HELP = `Usage: gocoffee-kafka schemas register [options]

Registers every Avro schema under <schemas-dir>/<Event>/v<N>.avsc with the Schema Registry, in
version order, under each event's subject. Per subject it sets the compatibility level (when it
differs); a schema already registered is reported as "exists" (the command is idempotent); a new
version is checked against the subject's latest version first and an incompatible one is refused
with the reasons: exit code 1, nothing after it is registered.

Options:
  --registry-url <url>     Schema Registry base URL (Confluent-compatible API; Apicurio Registry:
                           http://<host>:<port>/apis/ccompat/v7). Default: GOCOFFEE_KAFKA_SCHEMA_REGISTRY_URL,
                           GOCOFFEE_SCHEMA_REGISTRY_URL, or kafka.schema_registry_url in --config.
  --config <file>          YAML file with a kafka: section; topics, topic_suffix and the
                           schema_registry_* settings are read from it (default: the default topic
                           names, no suffix). GOCOFFEE_KAFKA_* variables apply on top.
  --schemas-dir <dir>      Folder of <Event>/v<N>.avsc files (default: the package's schemas/). A
                           folder of your own events: each event is registered under the topic
                           configured for its camelCase name (OrderPlaced → topics.order_placed in
                           --config, or GOCOFFEE_KAFKA_TOPICS_ORDER_PLACED).
  --strategy <name>        Subject naming: topic = <topic>-value (default), record =
                           <namespace>.<name>, topic-record = <topic>-<namespace>.<name>.
  --compatibility <level>  Compatibility level set on every subject (default BACKWARD): NONE,
                           BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL,
                           FULL_TRANSITIVE.
  --username <user>        Basic-auth user (default: GOCOFFEE_SCHEMA_REGISTRY_USERNAME).
  --password <password>    Basic-auth password (default: GOCOFFEE_SCHEMA_REGISTRY_PASSWORD; prefer the
                           variable: command-line arguments are visible to other local users).
                           Never printed.
  --timeout <duration>     Per-request timeout, e.g. 5s (default 10s).
  --dry-run                Check everything, write nothing: statuses would-register / exists /
                           incompatible; compatibility levels are not changed.
  --json                   Print a JSON summary on stdout instead of the table.
  --verbose                Show stack traces of errors.
  -h, --help               Show this help.

Statuses: registered (written now, with its id), exists (already registered: same id),
would-register (dry run), incompatible (refused; the reasons follow the table).
Exit codes: 0 success; 1 incompatible schema, invalid schema file or registry error; 2 bad usage or
invalid configuration (nothing was attempted).

Examples:
  npm run schemas:register -- --registry-url http://127.0.0.1:8081/apis/ccompat/v7 --dry-run
  gocoffee-kafka schemas register --config config/kafka.yaml --strategy topic-record --json
`;

const OPTIONS = {
  'registry-url': { type: 'string' },
  config: { type: 'string' },
  'schemas-dir': { type: 'string' },
  strategy: { type: 'string' },
  compatibility: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  timeout: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

type Values = CommandValues<typeof OPTIONS>;
const PATH = ['schemas', 'register'];
const NAME = commandName(PATH);

interface ParsedCommand {
  readonly options: RegisterSchemasOptions & { registryUrl: string; schemasDir: string };
  readonly json: boolean;
  readonly verbose: boolean;
  readonly secrets: readonly (string | undefined)[];
}

export const schemasRegisterCommand = defineCommand({
  path: PATH,
  summary: 'Register the Avro event schemas with the Schema Registry (idempotent, compatibility-checked)',
  help: HELP,
  options: OPTIONS,
  async run(values, io) {
    const json = values.json === true;
    const verbose = values.verbose === true;
    const secrets = [values.password, io.env['GOCOFFEE_SCHEMA_REGISTRY_PASSWORD'], io.env['GOCOFFEE_KAFKA_SCHEMA_REGISTRY_PASSWORD']];

    let parsed: ParsedCommand;
    try {
      parsed = buildOptions(values, io, json, verbose, secrets);
    } catch (err) {
      return reportFailure(err, io, { json, verbose, secrets, results: [], usage: isUsageError(err) });
    }
    return execute(parsed, io);
  },
});

function buildOptions(
  values: Values,
  io: CliIo,
  json: boolean,
  verbose: boolean,
  secrets: readonly (string | undefined)[],
): ParsedCommand {
  const strategyText = values.strategy ?? 'topic';
  const strategy = parseSubjectStrategy(strategyText);
  if (strategy === undefined) throw new CliUsageError(`--strategy: got ${JSON.stringify(strategyText)}, expected topic, record or topic-record`);

  const levelText = (values.compatibility ?? 'BACKWARD').toUpperCase();
  if (!(COMPATIBILITY_LEVELS as readonly string[]).includes(levelText)) {
    throw new CliUsageError(`--compatibility: got ${JSON.stringify(values.compatibility)}, expected one of ${COMPATIBILITY_LEVELS.join(', ')}`);
  }

  let timeoutMs: number | undefined;
  const timeoutText = values.timeout;
  if (timeoutText !== undefined) {
    try {
      timeoutMs = parseDuration(timeoutText);
    } catch {
      throw new CliUsageError(`--timeout: got ${JSON.stringify(timeoutText)}, expected a duration such as 500ms, 5s or 1m`);
    }
    if (!(timeoutMs > 0)) throw new CliUsageError('--timeout: must be greater than 0');
  }

  const config = loadCliConfig({
    file: values.config,
    env: io.env,
    needBrokers: false,
    overrides: {
      schemaRegistryUrl: values['registry-url'],
      schemaRegistryUsername: values.username,
      schemaRegistryPassword: values.password,
    },
  });
  if (config.schemaRegistryUrl === undefined) {
    throw new CliUsageError(
      'no Schema Registry URL: pass --registry-url <url>, set GOCOFFEE_SCHEMA_REGISTRY_URL (or GOCOFFEE_KAFKA_SCHEMA_REGISTRY_URL), or set kafka.schema_registry_url in the --config file',
    );
  }
  const url = parseRegistryUrl(config.schemaRegistryUrl);
  const username = config.schemaRegistryUsername ?? url.username;
  const password = config.schemaRegistryPassword ?? url.password;
  if (username !== undefined && password === undefined) {
    throw new CliUsageError('a Schema Registry username is set but no password: pass --password or set GOCOFFEE_SCHEMA_REGISTRY_PASSWORD');
  }
  if (password !== undefined && username === undefined) {
    throw new CliUsageError('a Schema Registry password is set but no username: pass --username or set GOCOFFEE_SCHEMA_REGISTRY_USERNAME');
  }

  const schemasDir = values['schemas-dir'] ?? packageSchemasDir();
  return {
    options: {
      config,
      registryUrl: url.url,
      username,
      password,
      schemasDir,
      strategy,
      compatibility: levelText as CompatibilityLevel,
      dryRun: values['dry-run'] === true,
      timeoutMs,
    },
    json,
    verbose,
    secrets: [...secrets, password],
  };
}

async function execute(cmd: ParsedCommand, io: CliIo): Promise<number> {
  const { options, json } = cmd;
  const results: RegistrationResult[] = [];
  if (!json) {
    io.stdout(
      `Schema Registry ${options.registryUrl} · subjects: ${options.strategy} strategy · compatibility ${options.compatibility} · schemas: ${displayPath(options.schemasDir)}` +
        (options.dryRun === true ? '\nDry run: nothing is written.' : '') +
        '\n\n',
    );
  }
  try {
    await register({ ...options, onResult: (r) => results.push(r) });
  } catch (err) {
    return reportFailure(err, io, { json, verbose: cmd.verbose, secrets: cmd.secrets, results, usage: err instanceof ConfigError, header: header(cmd) });
  }
  const incompatible = results.filter((r) => r.status === 'incompatible');
  if (json) {
    io.stdout(JSON.stringify({ ok: incompatible.length === 0, ...header(cmd), results: results.map(jsonResult), summary: counts(results) }, null, 2) + '\n');
  } else {
    io.stdout(table(results) + '\n' + footer(results, options.dryRun === true));
    for (const r of incompatible) io.stderr(`\nerror [GCK_SCHEMA_INCOMPATIBLE]: ${incompatibleMessage(r)}\n`);
  }
  return incompatible.length === 0 ? EXIT.OK : EXIT.FAILED;
}

/**
 * The package's seven events (the Go Coffee catalog), or an application's own folder: every event
 * folder in name order, each under the topic configured for its camelCase name (OrderPlaced →
 * topics.order_placed, GOCOFFEE_KAFKA_TOPICS_ORDER_PLACED); the record strategy needs no topics.
 */
function register(options: ParsedCommand['options'] & { onResult: (r: RegistrationResult) => void }): Promise<RegistrationResult[]> {
  const names = loadSchemaSet(options.schemasDir).map((e) => e.event);
  const own = names.length !== EVENTS.length || names.some((n) => !EVENTS.some((e) => e.name === n));
  if (!own) return registerSchemas(options);
  const { config, ...rest } = options;
  const topicOf = (event: string): string => (options.strategy === 'record' && config?.topics[canonicalTopicKey(event)] === undefined ? event : topicName(config!, event));
  return registerSchemaSet({ ...rest, events: names.map((name) => ({ name, topic: topicOf(name) })) });
}

function header(cmd: ParsedCommand): Record<string, unknown> {
  return {
    dryRun: cmd.options.dryRun === true,
    registryUrl: cmd.options.registryUrl,
    schemasDir: displayPath(cmd.options.schemasDir),
    strategy: cmd.options.strategy,
    compatibility: cmd.options.compatibility,
  };
}

function reportFailure(
  err: unknown,
  io: CliIo,
  o: { json: boolean; verbose: boolean; secrets: readonly (string | undefined)[]; results: readonly RegistrationResult[]; usage: boolean; header?: Record<string, unknown> },
): number {
  const code = o.usage ? EXIT.USAGE : EXIT.FAILED;
  const results = err instanceof SchemaIncompatibleError ? err.results : o.results;
  if (o.json) {
    const error = {
      code: (err as { code?: unknown }).code ?? 'GCK_UNEXPECTED',
      message: describeError(err, false, o.secrets).replace(/^\[[A-Z_]+\] /, ''),
      ...(err instanceof SchemaIncompatibleError ? { subject: err.result.subject, version: err.result.version, file: err.result.file, reasons: err.result.reasons, reasonSource: err.result.reasonSource ?? null } : {}),
    };
    io.stdout(JSON.stringify({ ok: false, ...(o.header ?? {}), results: results.map(jsonResult), summary: counts(results), error }, null, 2) + '\n');
    if (o.verbose) io.stderr(describeError(err, true, o.secrets) + '\n');
    return code;
  }
  if (results.length > 0) io.stdout(table(results) + '\n');
  const expected = err instanceof SchemaIncompatibleError || err instanceof SchemaFileError || err instanceof ConfigError;
  const hint = o.usage ? `\nRun "${NAME} --help" for the options.` : o.verbose || expected ? '' : '\n(run with --verbose for the stack trace)';
  io.stderr(`${NAME}: error ${describeError(err, o.verbose, o.secrets)}${hint}\n`);
  return code;
}

function table(results: readonly RegistrationResult[]): string {
  return renderTable(
    ['SUBJECT', 'VERSION', 'ID', 'STATUS'],
    results.map((r) => [r.subject, `v${r.version}`, r.id === undefined ? '-' : String(r.id), r.status]),
  );
}

function footer(results: readonly RegistrationResult[], dryRun: boolean): string {
  const lines: string[] = [];
  const subjects = new Map<string, RegistrationResult>();
  for (const r of results) if (!subjects.has(r.subject)) subjects.set(r.subject, r);
  const changed = [...subjects.values()].filter((r) => r.compatibilityAction !== 'unchanged');
  const level = results[0]?.compatibility;
  if (level !== undefined) {
    if (changed.length === 0) lines.push(`Compatibility: ${level} already on all ${subjects.size} subject(s).`);
    else lines.push(`Compatibility: ${level} ${dryRun ? 'would be set' : 'set'} on ${changed.length} of ${subjects.size} subject(s).`);
  }
  const c = counts(results);
  const parts = (Object.keys(c) as RegistrationStatus[]).filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`);
  lines.push(`${results.length} schema(s): ${parts.join(', ') || 'none'}.`);
  return lines.join('\n') + '\n';
}

function counts(results: readonly RegistrationResult[]): Record<RegistrationStatus, number> {
  const c: Record<RegistrationStatus, number> = { registered: 0, exists: 0, 'would-register': 0, incompatible: 0 };
  for (const r of results) c[r.status]++;
  return c;
}

function jsonResult(r: RegistrationResult): Record<string, unknown> {
  return {
    event: r.event,
    subject: r.subject,
    version: r.version,
    file: r.file,
    status: r.status,
    id: r.id ?? null,
    registryVersion: r.registryVersion ?? null,
    compatibility: r.compatibility,
    compatibilityAction: r.compatibilityAction,
    previousCompatibility: r.previousCompatibility ?? null,
    reasons: r.reasons,
    reasonSource: r.reasonSource ?? null,
  };
}
