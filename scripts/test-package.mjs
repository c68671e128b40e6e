#!/usr/bin/env node
// npm run test:package — the package as a user gets it, outside this repository.
//
//   1. `npm pack` (prepack builds dist/), and checks the tarball's file list: dist/ with JS and
//      .d.ts for the entry point, the CLI and the pool worker, LICENSE, schemas/, and no tests.
//   2. Installs the tarball into a scratch project in the OS temp folder with its production
//      dependencies only (node-rdkafka compiles librdkafka there, as it will for a user).
//   3. (a) type-checks a TypeScript file that uses the public API with module/moduleResolution
//      nodenext; (b) runs a plain-JS ESM file that publishes one event, consumes it back in process
//      and through the worker pool (a JS handler module), against the stack; (c) runs the installed
//      `gocoffee-kafka --version` and `gocoffee-kafka health`.
//
// Needs GOCOFFEE_KAFKA_BROKERS and GOCOFFEE_SCHEMA_REGISTRY_URL (`npm run test:package` runs this
// through scripts/with-stack.mjs, which starts the local stack when they are unset).
// Prints `N passed, N failed` at the end; exit 0 only if everything passed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KEEP = process.argv.includes('--keep');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
const devVersion = (name) => lock.packages[`node_modules/${name}`]?.version;

let passed = 0;
let failed = 0;
const say = (m) => console.log(`[test:package] ${m}`);

function run(cmd, args, opts = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  return { ...r, secs, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function check(name, fn) {
  try {
    const detail = fn();
    passed++;
    say(`ok   ${name}${detail ? ` — ${detail}` : ''}`);
  } catch (e) {
    failed++;
    say(`FAIL ${name}\n${String(e?.message ?? e).replace(/^/gm, '       ')}`);
  }
}

function mustSucceed(r, what) {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited ${r.status ?? r.signal}:\n${r.out.slice(-4000)}`);
  return r;
}

for (const v of ['GOCOFFEE_KAFKA_BROKERS', 'GOCOFFEE_SCHEMA_REGISTRY_URL']) {
  if (!process.env[v]) {
    console.error(`[test:package] ${v} is not set: run it as \`npm run test:package\` (starts the local stack) or set it`);
    process.exit(2);
  }
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gocoffee-package-'));
say(`scratch project: ${scratch}`);
let tarball;

check('npm pack builds dist/ and ships what a user needs (and no tests)', () => {
  const r = mustSucceed(run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: ROOT }), 'npm pack');
  const json = r.stdout.slice(r.stdout.indexOf('['));
  const [info] = JSON.parse(json);
  tarball = path.join(scratch, info.filename);
  const files = new Set(info.files.map((f) => f.path));
  const wanted = ['package.json', 'LICENSE', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/pool/worker.js',
    'schemas/BeverageCreated/v1.avsc', 'docs/configuration.md', 'docs/consumer.md'];
  const missing = wanted.filter((f) => !files.has(f));
  if (missing.length) throw new Error(`missing from the tarball: ${missing.join(', ')}`);
  const unwanted = [...files].filter((f) => /^(test|bench|scripts|\.ci|\.stack)\//.test(f) || f.endsWith('.test.js'));
  if (unwanted.length) throw new Error(`should not be shipped: ${unwanted.slice(0, 10).join(', ')}`);
  const maps = [...files].filter((f) => f.endsWith('.js.map'));
  const unmapped = maps.filter((m) => !files.has(`src/${m.slice('dist/'.length).replace(/\.js\.map$/, '.ts')}`));
  if (unmapped.length) throw new Error(`source maps without their sources: ${unmapped.slice(0, 5).join(', ')}`);
  return `${info.filename}, ${info.entryCount} files, ${(info.size / 1024).toFixed(0)} KiB packed`;
});
if (!tarball) {
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(1);
}

check('the tarball installs into a scratch project (production dependencies, native build)', () => {
  fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }, null, 2));
  const r = mustSucceed(run('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', tarball,
    `typescript@${devVersion('typescript')}`, `@types/node@${devVersion('@types/node')}`], { cwd: scratch }), 'npm install <tarball>');
  const installed = JSON.parse(fs.readFileSync(path.join(scratch, 'node_modules', pkg.name, 'package.json'), 'utf8'));
  if (installed.version !== pkg.version) throw new Error(`installed ${installed.version}, packed ${pkg.version}`);
  return `${r.secs} s`;
});

// The telemetry libraries are optional peers: without them the package loads, builds a client and
// its consumer (nothing loads pino, prom-client or @opentelemetry/api); asking for metrics names
// the missing package. Then the peers are installed, as a user of the telemetry adapters would.
check('without its optional peers (pino, prom-client, @opentelemetry/api) the package loads and builds a client', () => {
  for (const peer of ['pino', 'prom-client', '@opentelemetry/api']) {
    if (fs.existsSync(path.join(scratch, 'node_modules', peer))) throw new Error(`${peer} was installed although it is an optional peer`);
  }
  fs.writeFileSync(path.join(scratch, 'no-peers.mjs'), `
import { ConnectionManager, Consumer, loadConfig, newMessage } from '${pkg.name}';
const config = loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: '127.0.0.1:9092' } });
const cm = new ConnectionManager(config);
new Consumer(cm, {});
newMessage('t', 'v');
try {
  new ConnectionManager(config, { telemetry: { metrics: {} } });
  throw new Error('metrics without prom-client were accepted');
} catch (e) {
  if (!/prom-client/.test(e.message)) throw e;
}
console.log('ok');
`);
  const r = mustSucceed(run(process.execPath, ['no-peers.mjs'], { cwd: scratch }), 'node no-peers.mjs');
  if (!r.stdout.includes('ok')) throw new Error(r.stdout + r.stderr);
  return 'loads, builds a client and a consumer; metrics without prom-client name it';
});
check('the optional peers install next to it (as a user of the telemetry adapters does)', () => {
  mustSucceed(run('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', '--no-save', ...['pino', 'prom-client', '@opentelemetry/api'].map((p) => `${p}@${devVersion(p)}`)], { cwd: scratch }), 'npm install the optional peers');
  return 'pino, prom-client, @opentelemetry/api';
});

// (a) the public API type-checks for a nodenext TypeScript user.
fs.writeFileSync(path.join(scratch, 'tsconfig.json'), JSON.stringify({
  compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
  files: ['typed.ts'],
}, null, 2));
fs.writeFileSync(path.join(scratch, 'typed.ts'), `
import {
  loadConfig, Manager, ConnectionManager, Consumer, BaseMessageHandler, BeverageEventHandler, PermanentError,
  GoCoffeeKafkaError, NativeFeatureError, MessageBatch, type BatchSummary, type BeverageCreated, type ConsumedMessage, type KafkaConfig,
} from '${pkg.name}';

const config: KafkaConfig = loadConfig({ env: {} });
const manager = new Manager(config, { ensureTopics: true });
class Barista extends BeverageEventHandler {
  override onBeverageCreated(event: BeverageCreated): void {
    const name: string = event.name;
    void name;
  }
}
manager.registerHandler(new Barista(manager, 'typed'));
class Inventory extends BaseMessageHandler {
  constructor() { super(['beverage.created'], 'inventory'); }
  async handle(message: ConsumedMessage): Promise<void> {
    if (message.value === null) throw new PermanentError('empty');
  }
}
const cm = new ConnectionManager(config);
const consumer = new Consumer(cm, { ordering: 'key', workers: 2 });
consumer.registerHandler(new Inventory());
export function classify(e: unknown): string {
  if (e instanceof NativeFeatureError) return e.missing.join(',');
  if (e instanceof GoCoffeeKafkaError) return e.code;
  return 'other';
}
// @ts-expect-error publishBeverageCreated wants a BeverageCreated, not a number
void manager.publishBeverageCreated(42);
// Packed batches: add(topic, key, value, options?) → index; sendBatch → one BatchSummary.
const batch: MessageBatch = cm.producer.createBatch();
const index: number = batch.add('orders', 'k', Buffer.from('v'), { headers: [['source', 'typed']], partition: 0 });
void index;
export const summary: Promise<BatchSummary> = cm.producer.sendBatch(batch);
// @ts-expect-error a header is a [name, value] pair
batch.add('orders', null, 'v', { headers: [['only-a-name']] });
`);
check('(a) a TypeScript user (module/moduleResolution nodenext, strict) type-checks against dist/*.d.ts', () => {
  const tsc = path.join(scratch, 'node_modules', 'typescript', 'bin', 'tsc');
  // skipLibCheck on (what `tsc --init` writes): the whole program must be clean.
  mustSucceed(run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: scratch }), 'tsc (skipLibCheck: true)');
  // skipLibCheck off: this package's own declarations must be clean too. Third-party declarations
  // are not ours to fix (@confluentinc/schemaregistry refers to an optional peer's types, lru-cache
  // disagrees with @types/node 20); they are counted, not failed.
  const r = run(process.execPath, [tsc, '-p', 'tsconfig.json', '--skipLibCheck', 'false'], { cwd: scratch });
  const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
  const ours = errors.filter((l) => l.startsWith('typed.ts') || l.includes(`node_modules/${pkg.name}/`));
  if (ours.length) throw new Error(`errors in this package's declarations or the user's file:\n${ours.join('\n')}`);
  return `clean; with skipLibCheck off: 0 errors in ${pkg.name}, ${errors.length} in third-party declarations`;
});

// (b) plain JS, ESM: publish one event, consume it back in process and through the worker pool.
fs.writeFileSync(path.join(scratch, 'score-worker.mjs'), `
// A pool handler module: runs in a piscina worker thread of the installed package.
export default function handle(message) {
  const event = JSON.parse(message.text());
  if (typeof event.id !== 'string') throw new Error('no id');
}
`);
fs.writeFileSync(path.join(scratch, 'roundtrip.mjs'), `
import { loadConfig, Manager, ConnectionManager, Consumer, TopicManager, BeverageEventHandler, newMessage } from '${pkg.name}';
import { randomUUID } from 'node:crypto';

const runId = randomUUID();
// A topic of its own: a new consumer group reads from the earliest offset, and the shared
// beverage.created topic may hold millions of events from demo runs.
const config = loadConfig({ overrides: { topics: { beverageCreated: 'package-test-' + runId + '.beverage.created' } } });
const timeout = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(what + ': timed out')), ms).unref());

// Avro event through the Manager, consumed in process by a typed handler.
const manager = new Manager(config, { ensureTopics: true, autoRegisterSchemas: true });
let gotEvent;
const event = new Promise((resolve) => (gotEvent = resolve));
class Barista extends BeverageEventHandler {
  onBeverageCreated(e) { if (e.beverage_id === runId) gotEvent(e); }
}
manager.registerHandler(new Barista(manager, 'package-test-' + runId));
await manager.initialize();
await manager.startConsumer();
await manager.publishBeverageCreated({
  beverage_id: runId, name: 'Packaged Espresso', description: 'from the tarball', theme: 'CI',
  ingredients: [{ name: 'Coffee Beans', quantity: '18g', type: 'Base' }], created_by: 'test-package', created_at: new Date(),
});
const e = await Promise.race([event, timeout(60000, 'in-process consume')]);
if (e.name !== 'Packaged Espresso') throw new Error('wrong event ' + JSON.stringify(e));
await manager.close();

// A plain JSON message consumed by a worker-pool handler module (dist/pool/worker.js).
const topic = 'package-test-pool-' + runId;
const cm = new ConnectionManager(config);
await cm.initialize();
await new TopicManager(cm).ensureTopics([{ name: topic, partitions: 1 }]);
const consumer = new Consumer(cm, { workers: 1 });
consumer.registerHandler({ topics: [topic], groupId: 'package-test-pool-' + runId, workerModule: new URL('./score-worker.mjs', import.meta.url) });
await consumer.start();
await cm.producer.publish(newMessage(topic, { id: runId }).withKey(runId));
// And one more as a packed batch.
const batch = cm.producer.createBatch();
batch.add(topic, runId, JSON.stringify({ id: runId }));
const summary = await cm.producer.sendBatch(batch);
if (summary.delivered !== 1 || summary.failed.length !== 0) throw new Error('sendBatch: ' + JSON.stringify(summary));
const deadline = Date.now() + 60000;
const processed = () => consumer.stats().reduce((n, s) => n + s.processed, 0);
while (processed() < 2) {
  if (Date.now() > deadline) throw new Error('pool consume: timed out, stats ' + JSON.stringify(consumer.stats()));
  await new Promise((r) => setTimeout(r, 50));
}
const [stats] = consumer.stats();
if (stats.deadLettered !== 0 || stats.taskErrors !== 0) throw new Error('pool handler failed: ' + JSON.stringify(stats));
await consumer.stop();
await cm.close();
console.log('roundtrip ok: ' + e.beverage_id);
`);
check('(b) plain-JS ESM publishes an event and consumes it back (in process and in the worker pool) against the stack', () => {
  const r = mustSucceed(run(process.execPath, ['roundtrip.mjs'], { cwd: scratch, env: process.env, timeout: 150_000 }), 'node roundtrip.mjs');
  if (!r.stdout.includes('roundtrip ok')) throw new Error(r.out.slice(-2000));
  return `${r.secs} s`;
});

// (c) the installed binary.
const bin = path.join(scratch, 'node_modules', '.bin', 'gocoffee-kafka');
check('(c) gocoffee-kafka --version prints the packed version', () => {
  const r = mustSucceed(run(bin, ['--version'], { cwd: scratch }), 'gocoffee-kafka --version');
  if (!r.stdout.includes(pkg.version)) throw new Error(`printed ${JSON.stringify(r.stdout)}, expected ${pkg.version}`);
  return r.stdout.trim();
});
check('(c) gocoffee-kafka health reports a healthy broker and registry', () => {
  const r = mustSucceed(run(bin, ['health'], { cwd: scratch, env: process.env, timeout: 60_000 }), 'gocoffee-kafka health');
  const h = JSON.parse(r.stdout);
  if (h.healthy !== true || h.details?.registry?.reachable !== true) throw new Error(`not healthy:\n${r.stdout}`);
  return `healthy, ${h.details.brokers} broker(s), registry reachable`;
});

if (!KEEP && failed === 0) fs.rmSync(scratch, { recursive: true, force: true });
else say(`kept ${scratch}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
