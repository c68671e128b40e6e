/**
 * The batch-engine producer's in-flight window (ConnectionManager `maxInFlight`, default
 * DEFAULT_MAX_IN_FLIGHT in src/producer/engine.ts) against throughput and main-thread CPU, for
 * publish(), send() and publishBatch(), interleaved like the suite (bench/lib/runner.ts).
 *
 *   GOCOFFEE_KAFKA_BROKERS=127.0.0.1:9092 node --import tsx bench/experiments/engine-window.ts \
 *     [--bytes 100] [--messages 300000] [--runs 5] [--windows 3000,10000,20000] [--modes publish,send,batch]
 */
import { parseArgs } from 'node:util';
import { createContext } from '../lib/context.js';
import { machineInfo } from '../lib/machine.js';
import { runScenario } from '../lib/runner.js';
import { formatTable } from '../lib/table.js';
import type { BenchOptions, ClientRunner, Scenario } from '../lib/types.js';
import { collectVersions } from '../lib/versions.js';
import { gocoffeeRunner, payload } from '../scenarios/producer.js';

const { values } = parseArgs({
  options: {
    bytes: { type: 'string', default: '100' },
    messages: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '5' },
    keys: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '20000' },
    windows: { type: 'string', default: '3000,10000,20000' },
    modes: { type: 'string', default: 'publish,send,batch' },
  },
});

const bytes = Number(values.bytes);
const options: BenchOptions = {
  quick: false,
  runs: Number(values.runs),
  messages: Number(values.messages),
  keys: Number(values.keys),
  partitions: 6,
  warmupMessages: Number(values.warmup),
  clients: undefined,
  deleteTopics: true,
  pollIntervalMs: 5,
};
const windows = values.windows!.split(',').map(Number);
const modes = values.modes!.split(',') as Array<'publish' | 'send' | 'batch'>;

const versions = collectVersions();
const { ctx } = await createContext(options, 1, versions);
const value = payload(bytes);
const scenario: Scenario = {
  name: `window-${bytes}b`,
  description: `producer in-flight window, ${bytes} B`,
  messageBytes: bytes,
  messages: () => options.messages!,
  topic: (o) => ({ partitions: o.partitions }),
  baseline: `publish-w${windows[0]}`,
  settings: () => ({}),
  clients: (c) => {
    const list: ClientRunner[] = [];
    for (const w of windows) for (const m of modes) list.push(gocoffeeRunner(c, value, m, { client: `${m}-w${w}`, maxInFlight: w }));
    return list;
  },
};

console.log(`machine: ${machineInfo().cores} cores, load ${machineInfo().loadAverageAtStart.join(' ')}`);
try {
  const results = await runScenario(ctx, scenario);
  console.log('\n' + formatTable(results));
} finally {
  ctx.admin.close();
}
process.exit(0);
