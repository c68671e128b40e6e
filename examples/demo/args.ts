/** Command line of the demo: `npm run demo -- [flags]`. */

export interface DemoArgs {
  readonly durationS: number;
  /** Cap of the inventor in messages per second; undefined: as fast as the producer takes them. */
  readonly rate: number | undefined;
  readonly workers: number;
  /** 0: no metrics endpoint. */
  readonly metricsPort: number;
  readonly drainTimeoutS: number;
  /** Also print the summary as one JSON line (last line of stdout). */
  readonly json: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run demo -- [flags]
       node --conditions=gocoffee-source --import tsx examples/demo/main.ts [flags]

Runs the Go Coffee agents against Kafka and the Schema Registry: a beverage inventor publishing
BeverageCreated events, a task manager turning each into a TaskCreated in a worker pool, and a
notifier consuming the tasks. With no configuration it uses the local stack (npm run demo starts
or reuses it); otherwise GOCOFFEE_KAFKA_BROKERS, GOCOFFEE_SCHEMA_REGISTRY_URL and the other
GOCOFFEE_KAFKA_* variables (docs/configuration.md).

Flags:
  --duration <s>        seconds of publishing (default 30)
  --rate <msgs/s>       cap the inventor's rate (default: as fast as the producer takes them)
  --workers <n>         worker threads of the task manager's pool (default 2)
  --metrics-port <n>    serve Prometheus metrics on http://127.0.0.1:<n>/metrics (default 9464, 0 = off)
  --drain-timeout <s>   at the end, how long the consumers may catch up (default 10)
  --json                also print the summary as one JSON line at the end
  --help                this text

Ctrl-C (or SIGTERM) stops cleanly: publishing stops, every publish in flight is acknowledged,
the consumers catch up for up to --drain-timeout and commit. Press it again after 2 s to force.
Exit code: 0 when nothing was lost and no agent failed, 1 otherwise, 2 for a bad command line.`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Kind = 'seconds' | 'seconds0' | 'rate' | 'workers' | 'port';

const VALUE_FLAGS: Record<string, Kind> = {
  '--duration': 'seconds',
  '--rate': 'rate',
  '--workers': 'workers',
  '--metrics-port': 'port',
  '--drain-timeout': 'seconds0',
};
const BOOLEAN_FLAGS = new Set(['--json', '--help', '-h']);

function parseValue(flag: string, kind: Kind, raw: string): number {
  const n = /^\s*[+]?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
  switch (kind) {
    case 'seconds':
      if (n > 0 && n <= 86_400) return n;
      throw new UsageError(`${flag}: expected a number of seconds > 0 (up to 86400), got ${JSON.stringify(raw)}`);
    case 'seconds0':
      if (n >= 0 && n <= 3600) return n;
      throw new UsageError(`${flag}: expected a number of seconds >= 0 (up to 3600), got ${JSON.stringify(raw)}`);
    case 'rate':
      if (n > 0 && n <= 10_000_000) return n;
      throw new UsageError(`${flag}: expected messages per second > 0, got ${JSON.stringify(raw)}`);
    case 'workers':
      if (Number.isInteger(n) && n >= 1 && n <= 64) return n;
      throw new UsageError(`${flag}: expected a whole number of worker threads from 1 to 64, got ${JSON.stringify(raw)}`);
    case 'port':
      if (Number.isInteger(n) && n >= 0 && n <= 65_535) return n;
      throw new UsageError(`${flag}: expected a port number from 1 to 65535, or 0 for no metrics endpoint, got ${JSON.stringify(raw)}`);
  }
}

/** Throws UsageError naming the flag. Accepts `--flag value` and `--flag=value`. */
export function parseArgs(argv: readonly string[]): DemoArgs {
  const values: Record<string, number> = {};
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (BOOLEAN_FLAGS.has(flag)) {
      if (eq > 0) throw new UsageError(`${flag}: takes no value, got ${JSON.stringify(arg.slice(eq + 1))}`);
      if (flag === '--json') json = true;
      else help = true;
      continue;
    }
    const kind = VALUE_FLAGS[flag];
    if (kind === undefined) {
      throw new UsageError(arg.startsWith('-') ? `unknown flag ${flag}` : `unexpected argument ${JSON.stringify(arg)} (flags start with --)`);
    }
    let raw: string | undefined;
    if (eq > 0) raw = arg.slice(eq + 1);
    else {
      raw = argv[i + 1];
      if (raw === undefined || raw.startsWith('--')) throw new UsageError(`${flag}: missing value`);
      i++;
    }
    if (flag in values) throw new UsageError(`${flag}: given twice`);
    values[flag] = parseValue(flag, kind, raw);
  }
  return {
    durationS: values['--duration'] ?? 30,
    rate: values['--rate'],
    workers: values['--workers'] ?? 2,
    metricsPort: values['--metrics-port'] ?? 9464,
    drainTimeoutS: values['--drain-timeout'] ?? 10,
    json,
    help,
  };
}
