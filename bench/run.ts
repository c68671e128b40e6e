/**
 * The benchmark suite: node --import tsx bench/run.ts [options]   (or `npm run bench -- [options]`,
 * which starts the local stack when GOCOFFEE_KAFKA_BROKERS is not set). See bench/README.md.
 *
 *   --quick             smaller per-scenario sizes (bench/README.md "Quick mode"), 3 runs (default: 5)
 *   --only a,b          scenarios or groups (producer-100b, producer-1kib, producer, consumer, ...)
 *   --clients a,b       only these clients (gocoffee, node-rdkafka, kafkajs, platformatic, java, librdkafka-perf, ck-js, ...)
 *   --out file          results JSON (default bench/results.json)
 *   --runs N            timed runs per client
 *   --messages N        messages per run (overrides the scenario's count)
 *   --keys N            distinct message keys, 0 = keyless (default 100)
 *   --partitions N      partitions of every fresh topic (default 6)
 *   --warmup N          messages of the untimed warm-up run per client (default 20,000; 0 = none)
 *   --poll-interval MS  the library producer's pollIntervalMs (default 5, the library default)
 *   --replication-factor N  of every fresh topic (default: min(3, brokers in the cluster))
 *   --keep-topics       do not delete each run's topic afterwards
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createContext } from './lib/context.js';
import { benchBrokers, closeWatermarkClient } from './lib/kafka.js';
import { machineInfo } from './lib/machine.js';
import { runScenario } from './lib/runner.js';
import { formatTable } from './lib/table.js';
import { writeResultsMarkdown } from './lib/results-md.js';
import type { BenchOptions, BenchResult } from './lib/types.js';
import { REPO_ROOT, collectVersions } from './lib/versions.js';
import { selectScenarios } from './scenarios/index.js';

/** Where results go without --out; its runs also rewrite bench/RESULTS.md. */
const DEFAULT_OUT = path.join(REPO_ROOT, 'bench', 'results.json');

function positiveInt(name: string, v: string | undefined, def: number, min = 1): number {
  if (v === undefined) return def;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function parseOptions(argv: string[]): { options: BenchOptions; rf: number | undefined; only: string[] | undefined; out: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      clients: { type: 'string' },
      out: { type: 'string' },
      runs: { type: 'string' },
      messages: { type: 'string' },
      keys: { type: 'string' },
      partitions: { type: 'string' },
      warmup: { type: 'string' },
      'poll-interval': { type: 'string' },
      'replication-factor': { type: 'string' },
      'keep-topics': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log('usage: node --import tsx bench/run.ts [--quick] [--only a,b] [--clients a,b] [--out file] [--runs N] [--messages N] [--keys N] [--partitions N] [--warmup N] [--poll-interval MS] [--replication-factor N] [--keep-topics]');
    process.exit(0);
  }
  const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));
  const quick = values.quick ?? false;
  const clients = list(values.clients);
  const options: BenchOptions = {
    quick,
    runs: positiveInt('runs', values.runs, quick ? 3 : 5),
    messages: values.messages === undefined ? undefined : positiveInt('messages', values.messages, 0),
    keys: positiveInt('keys', values.keys, 100, 0),
    partitions: positiveInt('partitions', values.partitions, 6),
    warmupMessages: positiveInt('warmup', values.warmup, 20_000, 0),
    clients: clients === undefined ? undefined : new Set(clients),
    deleteTopics: !(values['keep-topics'] ?? false),
    pollIntervalMs: positiveInt('poll-interval', values['poll-interval'], 5),
  };
  const rf = values['replication-factor'] === undefined ? undefined : positiveInt('replication-factor', values['replication-factor'], 1);
  return { options, rf, only: list(values.only), out: path.resolve(values.out ?? DEFAULT_OUT) };
}

async function main(): Promise<void> {
  const { options, rf, only, out } = parseOptions(process.argv.slice(2));
  const scenarios = selectScenarios(only);
  const machine = machineInfo();
  const versions = collectVersions();
  const log = (m: string) => console.log(m);

  log(`gocoffee bench: ${scenarios.map((s) => s.name).join(', ')} against ${benchBrokers()}`);
  log(`machine: ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, load ${machine.loadAverageAtStart.join(' ')}`);
  log(`versions: node ${versions.node}, librdkafka ${versions.librdkafka}, node-rdkafka ${versions['node-rdkafka']}, Kafka ${versions.kafka}`);

  const { ctx, brokers } = await createContext(options, rf, versions, log);
  const { admin, replicationFactor } = ctx;
  log(`cluster: ${brokers} broker(s); topics get replication factor ${replicationFactor}`);
  const settings: Record<string, unknown> = {
    quick: options.quick,
    runs: options.runs,
    messagesOverride: options.messages ?? null,
    warmupMessages: options.warmupMessages,
    order: 'per round every client once, order rotated each round (A B C, B C A, ...); one untimed warm-up run per client first',
    gcBetweenRuns: true,
    brokers: benchBrokers(),
    clusterBrokers: brokers,
    replicationFactor,
    partitions: options.partitions,
    keys: options.keys,
    pollIntervalMs: options.pollIntervalMs,
    mbPerSec: 'MiB (2^20 bytes) of message values per second',
    numbers: 'medians over runs; spread = min..max of per-run msgs/s',
    scenarios: {} as Record<string, unknown>,
  };

  const results: BenchResult[] = [];
  const wallSeconds: Record<string, number> = {};
  settings.wallSeconds = wallSeconds;
  const started = performance.now();
  try {
    for (const scenario of scenarios) {
      const t0 = performance.now();
      const s = scenario.settings(ctx);
      (settings.scenarios as Record<string, unknown>)[scenario.name] = s;
      log(`\n== ${scenario.name}: ${scenario.description}`);
      log(`   messages ${(options.messages ?? scenario.messages(options)).toLocaleString('en-US')} × ${options.runs} runs per client`);
      log(indent(JSON.stringify(s, null, 2), '   '));
      results.push(...(await runScenario(ctx, scenario)));
      wallSeconds[scenario.name] = Math.round((performance.now() - t0) / 100) / 10;
      log('');
      log(formatTable(results.filter((r) => r.scenario === scenario.name)));
      log(`   ${scenario.name}: ${wallSeconds[scenario.name]} s`);
    }
  } finally {
    await closeWatermarkClient();
    admin.close();
  }
  wallSeconds.total = Math.round((performance.now() - started) / 100) / 10;

  const output = { machine, versions, settings, results };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(output, null, 2) + '\n');
  log(`\n== summary (${options.runs} runs per client, medians; wall time ${Object.entries(wallSeconds).map(([k, v]) => `${k} ${v} s`).join(', ')})`);
  log(formatTable(results));
  log(`\nwrote ${path.relative(process.cwd(), out) || out}`);
  // The committed RESULTS.md comes from runs into the default JSON; with --out the markdown goes
  // beside that file (e.g. /tmp/p100.json → /tmp/p100.md), so a side measurement leaves it alone.
  const md = out === DEFAULT_OUT ? path.join(REPO_ROOT, 'bench', 'RESULTS.md') : out.replace(/\.json$/, '') + '.md';
  writeResultsMarkdown(md, output, `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim());
  log(`wrote ${path.relative(process.cwd(), md)}`);
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  },
);
