/**
 * What the admin subcommands (`topics delete|partitions|configs`, `groups …`) share: the common
 * options, one connection for the run (ConnectionManager: the configured SASL/TLS settings; its
 * metadata tells partitions), error reporting with exit codes, and small value parsers.
 */
import { secretsOf } from '../../config/index.js';
import { ConnectionManager } from '../../client.js';
import type { ResetTarget } from '../../admin/index.js';
import { loadCliConfig } from '../config.js';
import { exitCodeOf } from '../command.js';
import { CliUsageError, describeError } from '../output.js';
import { EXIT, type CliIo } from '../types.js';

/** Options of every admin subcommand. */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

export const COMMON_HELP = `  --config <file>   YAML file with a kafka: section (GOCOFFEE_KAFKA_* variables apply on top).
  --json            Print the result as JSON.
  --verbose         Show stack traces of errors.
  -h, --help        Show this help.`;

export const EXIT_HELP = 'Exit codes: 0 done; 1 Kafka refused or failed (e.g. the group has active members); 2 bad usage or invalid configuration.';

/**
 * Checks the arguments (`parse`: a bad one is a usage error, exit 2, before any connection), then
 * connects (initialize: a metadata round trip with the configured security), runs `body`, prints
 * errors as `<name>: [CODE] message` and closes. Resolves to the exit code.
 */
export async function runAdmin<A>(
  name: string,
  values: { config?: string | undefined; verbose?: boolean | undefined },
  io: CliIo,
  parse: () => A,
  body: (cm: ConnectionManager, args: A) => Promise<number>,
): Promise<number> {
  let cm: ConnectionManager | undefined;
  let secrets: (string | undefined)[] = [];
  try {
    const args = parse();
    const cfg = loadCliConfig({ file: values.config, env: io.env });
    secrets = secretsOf(cfg);
    cm = new ConnectionManager(cfg);
    await cm.initialize();
    return await body(cm, args);
  } catch (err) {
    io.stderr(`gocoffee-kafka ${name}: ${describeError(err, values.verbose === true, secrets)}\n`);
    return exitCodeOf(err);
  } finally {
    await cm?.close().catch(() => undefined);
  }
}

/** Prints `value` as JSON or runs `text`. */
export function print(io: CliIo, json: boolean | undefined, value: unknown, text: () => string): number {
  io.stdout(json === true ? `${JSON.stringify(value, null, 2)}\n` : text());
  return EXIT.OK;
}

export function required(option: string, v: string | undefined): string {
  if (v === undefined || v === '') throw new CliUsageError(`--${option} is required`);
  return v;
}

export function positiveInt(option: string, v: string | undefined): number {
  const s = required(option, v);
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < 1) throw new CliUsageError(`--${option}: got ${JSON.stringify(s)}, expected a positive integer`);
  return n;
}

/** `earliest`, `latest`, an offset (digits) or an ISO 8601 time (with a date; e.g. 2026-12-07T10:00:00Z). */
export function parseResetTo(v: string | undefined): ResetTarget {
  const s = required('to', v);
  if (s === 'earliest' || s === 'latest') return s;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw new CliUsageError(`--to: offset ${s} is too large`);
    return { offset: n };
  }
  const ms = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : Number.NaN;
  if (Number.isNaN(ms) || ms < 0) throw new CliUsageError(`--to: got ${JSON.stringify(s)}, expected earliest, latest, an offset or an ISO time (e.g. 2026-12-07T10:00:00Z)`);
  return { timestamp: ms };
}

/** `key=value` pairs of a repeatable option. */
export function keyValues(option: string, list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new CliUsageError(`--${option}: got ${JSON.stringify(kv)}, expected key=value`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export const DRY_RUN_NOTE = 'dry run: nothing was changed\n';
