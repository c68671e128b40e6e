/**
 * Shared CLI output: plain-text tables, usage errors, and error reports that never show a stack
 * trace unless asked (`--verbose`) and never show a secret.
 */
import { GoCoffeeKafkaError } from '../errors/index.js';
import { REDACTED, redactUrlCredentials } from '../config/index.js';

/** Bad command line (unknown option, missing or invalid value): exit code 2. */
export class CliUsageError extends GoCoffeeKafkaError {
  constructor(message: string) {
    super('GCK_CLI_USAGE', message);
  }
}

/** A left-aligned table with a header row; columns separated by two spaces, no trailing blanks. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/**
 * The text of an error for stderr: `[CODE] message` (our errors) or the message; with `verbose`
 * the stack trace of it and of every cause, each with secrets replaced.
 */
export function describeError(err: unknown, verbose: boolean, secrets: readonly (string | undefined)[] = []): string {
  const scrub = (text: string): string => {
    let out = redactUrlCredentials(text);
    for (const s of secrets) if (s !== undefined && s.length > 0) out = out.split(s).join(REDACTED);
    return out;
  };
  const head = err instanceof GoCoffeeKafkaError ? `[${err.code}] ${err.message}` : err instanceof Error ? err.message : String(err);
  if (!verbose) return scrub(head);
  const parts: string[] = [head];
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    // Only stacks (message + frames): never util.inspect, which would print request configs and headers.
    parts.push(depth === 0 ? (current.stack ?? '') : `caused by: ${current.stack ?? current.message}`);
    current = (current as { cause?: unknown }).cause;
  }
  return scrub(parts.join('\n'));
}
