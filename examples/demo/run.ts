/**
 * One run of the demo: start-up (connect, topics, schemas, consumer groups, metrics endpoint),
 * publishing for --duration, then the ordered stop, and the summary. Returns the exit code.
 *
 * Repeated runs on the same broker (and runs of other people on a shared one): every run has a
 * run id, carried in its events' metadata, and its own consumer groups, which start at the end of
 * the topics (auto.offset.reset=latest; barrier.ts makes sure they have their positions before
 * the first event is published). So a run counts exactly its own events: earlier runs' leftovers
 * are behind its groups' start, and what other producers write meanwhile is skipped by run id. The
 * topics themselves are the Go Coffee catalog's (topics.* in the configuration, with
 * GOCOFFEE_KAFKA_TOPIC_SUFFIX if set), as every other service uses them; fresh topics per run would
 * leave a trail of topics and registry subjects behind.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { Consumer, Manager, loadConfig, serveMetrics, topicName, type GroupHooks, type KafkaConfig } from '@gocoffee/kafka';
import type { DemoArgs } from './args.js';
import { awaitConsumersPositioned } from './barrier.js';
import { LiveDisplay, PlainDisplay, type AgentRow, type Display, type Frame } from './display.js';
import { Inventor } from './inventor.js';
import type { OffsetLedger } from './ledger.js';
import { Notifier } from './notifier.js';
import { RUN_ID_ENV } from './protocol.js';
import { renderSummary, summaryJson, verdict, type SummaryInput } from './report.js';
import { Rate } from './stats.js';
import { TaskBridge } from './task-bridge.js';

const LOCAL_BROKERS = '127.0.0.1:9092';
const LOCAL_REGISTRY = 'http://127.0.0.1:8081/apis/ccompat/v7';
/** How long the stop waits for the inventor's in-flight publishes to be acknowledged. */
const SETTLE_TIMEOUT_MS = 30_000;
const BARRIER_TIMEOUT_MS = 60_000;

async function until(cond: () => boolean, deadline: number): Promise<boolean> {
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

function errorText(e: unknown): string {
  const err = e as { message?: unknown; code?: unknown };
  return `${typeof err?.code === 'string' ? `${err.code}: ` : ''}${String(err?.message ?? e)}`;
}

/** Counts a group's dead letters and feeds its committed offsets to the ledger of its topic. */
function groupHooks(topic: string, ledger: () => OffsetLedger, counts: { deadLettered: number }, warn: (e: Error) => void): GroupHooks {
  return {
    onError: warn,
    onDeadLetter: () => void counts.deadLettered++,
    onOffsetsStored: (_group, offsets) => {
      for (const o of offsets) if (o.topic === topic) ledger().committed(o.partition, o.offset);
    },
  };
}

export async function runDemo(args: DemoArgs, signal: AbortSignal, stopReason: () => string): Promise<number> {
  const out = process.stdout;
  const runId = randomBytes(3).toString('hex');
  // With no configuration: the local stack (npm run demo sets these through scripts/with-stack.mjs).
  // Set in the environment because the task manager's worker threads read the configuration too.
  const localDefaults = process.env.GOCOFFEE_KAFKA_BROKERS === undefined;
  process.env.GOCOFFEE_KAFKA_BROKERS ??= LOCAL_BROKERS;
  if (process.env.GOCOFFEE_SCHEMA_REGISTRY_URL === undefined && process.env.GOCOFFEE_KAFKA_SCHEMA_REGISTRY_URL === undefined) process.env.GOCOFFEE_SCHEMA_REGISTRY_URL = LOCAL_REGISTRY;
  process.env[RUN_ID_ENV] = runId;
  let config: KafkaConfig;
  try {
    const base = loadConfig();
    config = loadConfig({ overrides: { clientId: process.env.GOCOFFEE_KAFKA_CLIENT_ID ?? 'gocoffee-demo', librdkafka: { ...base.librdkafka, 'auto.offset.reset': 'latest' } } });
  } catch (e) {
    process.stderr.write(`demo: ${errorText(e)}\n`);
    return 1;
  }
  const bevTopic = topicName(config, 'beverageCreated');
  const taskTopic = topicName(config, 'taskCreated');
  const tmGroup = `gocoffee-demo-task-manager-${runId}`;
  const notifierGroup = `gocoffee-demo-notifier-${runId}`;
  const display: Display = out.isTTY ? new LiveDisplay(out) : new PlainDisplay(out);
  const say = (s: string) => display.note(s);
  const warnings: string[] = [];
  const errors: string[] = [];
  const warn = (where: string) => (e: Error) => {
    const text = `${where}: ${errorText(e)}`;
    if ((e as { fatal?: unknown }).fatal === true) errors.push(text);
    else if (warnings.length < 20) warnings.push(text);
  };

  say(`Go Coffee demo · run ${runId} · Kafka ${config.brokers.join(',')} · Schema Registry ${config.schemaRegistryUrl ?? '(none)'}${localDefaults ? ' (local stack defaults)' : ''}`);
  const registry = new Registry();
  const manager = new Manager(config, {
    connection: { telemetry: { metrics: registry }, onError: warn('producer') },
    ensureTopics: true,
    registerSchemas: true,
  });
  let metrics: SummaryInput['metrics'] = { problem: 'off (--metrics-port 0)' };
  let metricsServer: { close(): Promise<void> } | undefined;
  const tmCounts = { deadLettered: 0 };
  const nCounts = { deadLettered: 0 };
  let inventor: Inventor | undefined;
  const taskConsumer = new Consumer(manager.connection, { workers: args.workers, stopTimeoutMs: 15_000 }, groupHooks(bevTopic, () => inventor!.ledger, tmCounts, warn('task-manager')));
  const notifierConsumer = new Consumer(manager.connection, { stopTimeoutMs: 15_000 }, groupHooks(taskTopic, () => bridge!.ledger, nCounts, warn('notifier')));
  let bridge: TaskBridge | undefined;
  let notifier: Notifier | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let publishStart = 0;
  let consumersStoppedAt = 0;

  const cleanup = async () => {
    if (ticker !== undefined) clearInterval(ticker);
    await taskConsumer.stop().catch(() => undefined);
    await notifierConsumer.stop().catch(() => undefined);
    await manager.close().catch((e: unknown) => errors.push(`close: ${errorText(e)}`));
    bridge?.close();
    await metricsServer?.close();
  };

  // ---- start-up ------------------------------------------------------------------------------
  try {
    say('  connecting, ensuring topics, registering schemas ...');
    await manager.initialize();
    const partitionsOf = (t: string) => manager.ensuredTopics.find((r) => r.topic === t)?.partitions ?? 0;
    const created = manager.ensuredTopics.filter((r) => r.status === 'created').length;
    const registered = manager.registeredSchemas.filter((r) => r.status === 'registered').length;
    say(`  topics: ${bevTopic} (${partitionsOf(bevTopic)} partitions), ${taskTopic} (${partitionsOf(taskTopic)} partitions)${created > 0 ? `, ${created} created now` : ''}; schemas: ${manager.registeredSchemas.length} in the registry${registered > 0 ? `, ${registered} registered now` : ''}`);
    if (args.metricsPort > 0) {
      try {
        const server = await serveMetrics(registry, { port: args.metricsPort });
        metricsServer = server;
        metrics = { url: `http://127.0.0.1:${server.port}/metrics` };
        say(`  Prometheus metrics: ${metrics.url}`);
      } catch (e) {
        const inUse = String((e as Error).message).includes('EADDRINUSE');
        const why = inUse ? `port ${args.metricsPort} was in use` : `could not listen on port ${args.metricsPort}: ${errorText(e)}`;
        metrics = { problem: `not served (${why})` };
        say(`  Prometheus metrics: ${why}; carrying on without a metrics endpoint (--metrics-port <n> picks another, 0 = off)`);
      }
    }
    inventor = new Inventor(manager.connection.producer, manager.serde, bevTopic, runId, args.rate);
    bridge = new TaskBridge(runId, manager.connection.producer, taskTopic);
    notifier = new Notifier(manager, notifierGroup, runId);
    taskConsumer.registerHandler({ topics: [bevTopic], groupId: tmGroup, workerModule: new URL('./task-worker.ts', import.meta.url) });
    notifierConsumer.registerHandler(notifier);
    say(`  consumer groups: ${tmGroup} (worker pool, ${args.workers} threads), ${notifierGroup} (in process)`);
    await Promise.all([taskConsumer.start(), notifierConsumer.start()]);
    const t0 = Date.now();
    const b = bridge;
    const n = notifier;
    const probes = await awaitConsumersPositioned(
      manager.connection.producer,
      manager.serde,
      runId,
      [
        { topic: bevTopic, event: 'BeverageCreated', partitions: partitionsOf(bevTopic), seen: () => b.probesSeen },
        { topic: taskTopic, event: 'TaskCreated', partitions: partitionsOf(taskTopic), seen: () => n.probesSeen },
      ],
      BARRIER_TIMEOUT_MS,
      signal,
      () => {
        // The worker module's flush() hands everything over; a library without that hook (e.g. a
        // dist/ built before it) runs handle() but never flush(): say so instead of timing out.
        const processed = taskConsumer.stats()[0]?.processed ?? 0;
        if (processed === 0 || b.batches > 0 || Date.now() - t0 < 5000) return undefined;
        return `the task manager's workers handled ${processed} messages but never called flush(): the @gocoffee/kafka in use (${import.meta.resolve('@gocoffee/kafka')}) lacks worker-module flush() support; run with --conditions=gocoffee-source (as npm run demo does) or rebuild dist/ (npm run build)`;
      },
    );
    say(`  consumer groups positioned in ${((Date.now() - t0) / 1000).toFixed(1)} s (${probes} probe events)`);
  } catch (e) {
    const aborted = signal.aborted;
    say(aborted ? `  stopped during start-up (${stopReason()}) before publishing any events` : `demo: start-up failed: ${errorText(e)}`);
    await cleanup();
    return aborted ? 0 : 1;
  }
  const inv = inventor;
  const br = bridge;
  const nt = notifier;

  // ---- publishing ----------------------------------------------------------------------------
  let phase = `publishing${args.rate !== undefined ? ` (capped at ${args.rate} msgs/s)` : ''}`;
  const rates = [new Rate(), new Rate(), new Rate()];
  const statsOf = (c: Consumer) => c.stats()[0];
  const frame = (): Frame => {
    const tm = statsOf(taskConsumer);
    const ns = statsOf(notifierConsumer);
    const rows: AgentRow[] = [
      { name: 'beverage-inventor', rate: rates[0]!.take(inv.acked), total: inv.acked, inFlight: inv.inFlight, p99: inv.latency.takeWindowP99(), p99Kind: 'ack', failed: inv.failed },
      { name: `task-manager (pool ×${args.workers})`, rate: rates[1]!.take(br.handled), total: br.handled, inFlight: tm?.inFlight ?? 0, lag: Math.max(0, inv.acked - br.handled), p99: br.latency.takeWindowP99(), p99Kind: 'e2e', deadLettered: tmCounts.deadLettered, failed: br.failed },
      { name: 'notifier', rate: rates[2]!.take(nt.handled), total: nt.handled, inFlight: ns?.inFlight ?? 0, lag: Math.max(0, br.tasksCreated - nt.handled), p99: nt.latency.takeWindowP99(), p99Kind: 'e2e', deadLettered: nCounts.deadLettered },
    ];
    const publishedS = inv.stoppedAt > 0 ? (inv.stoppedAt - inv.startedAt) / 1000 : undefined;
    return { runId, elapsedS: publishStart === 0 ? 0 : (performance.now() - publishStart) / 1000, durationS: args.durationS, publishedS, phase, rows };
  };
  const tickMs = out.isTTY ? 500 : Math.min(5000, Math.max(1000, (args.durationS * 1000) / 5));
  ticker = setInterval(() => display.update(frame()), tickMs);
  publishStart = performance.now();
  inv.start();
  const durationOver = sleep(args.durationS * 1000, undefined, { signal }).then(
    () => 'duration',
    () => stopReason(),
  );
  const stoppedBy = await durationOver;

  // ---- the ordered stop ----------------------------------------------------------------------
  // 1. Intake stops; every publish in flight is acknowledged (or fails) before anything else.
  phase = `stopping (${stoppedBy}): publishing stopped, waiting for ${inv.inFlight} in-flight publishes`;
  await inv.stopIntake();
  if (!(await inv.settled(SETTLE_TIMEOUT_MS))) errors.push(`${inv.inFlight} publishes were still unacknowledged after ${SETTLE_TIMEOUT_MS / 1000} s`);
  // 2. The consumers catch up with what was acknowledged, for a bounded time.
  const drainDeadline = Date.now() + args.drainTimeoutS * 1000;
  phase = `stopping (${stoppedBy}): task manager and notifier catching up (up to ${args.drainTimeoutS} s)`;
  await until(() => br.handled >= inv.acked, drainDeadline);
  // 3. The task manager stops first (its last tasks finish: their TaskCreated are acknowledged), commits.
  phase = `stopping (${stoppedBy}): stopping the task manager (commit)`;
  if (!(await taskConsumer.stop())) warnings.push('task manager: stop timed out; unfinished messages are delivered again to its group');
  await br.idle();
  // 4. The notifier catches up with the last TaskCreated (still bounded), then stops and commits.
  phase = `stopping (${stoppedBy}): notifier catching up`;
  await until(() => nt.handled >= br.tasksCreated, Math.max(drainDeadline, Date.now() + 2000));
  phase = `stopping (${stoppedBy}): stopping the notifier (commit)`;
  if (!(await notifierConsumer.stop())) warnings.push('notifier: stop timed out; unfinished messages are delivered again to its group');
  consumersStoppedAt = performance.now();
  clearInterval(ticker);
  ticker = undefined;
  phase = `stopped (${stoppedBy})`;
  display.finish(frame());
  await cleanup();

  // ---- summary -------------------------------------------------------------------------------
  const consumerS = (consumersStoppedAt - publishStart) / 1000;
  const summary: SummaryInput = {
    runId,
    publishS: (inv.stoppedAt - inv.startedAt) / 1000,
    stoppedBy,
    agents: [
      { name: 'beverage-inventor', messages: inv.acked, activeS: (inv.stoppedAt - inv.startedAt) / 1000, p99: inv.latency.total.percentile(0.99), p99Kind: 'ack', failed: inv.failed },
      { name: `task-manager (pool ×${args.workers})`, messages: br.handled, activeS: consumerS, p99: br.latency.total.percentile(0.99), p99Kind: 'e2e', deadLettered: tmCounts.deadLettered, failed: br.failed },
      { name: 'notifier', messages: nt.handled, activeS: consumerS, p99: nt.latency.total.percentile(0.99), p99Kind: 'e2e', deadLettered: nCounts.deadLettered },
    ],
    accounting: [
      { event: 'BeverageCreated', topic: bevTopic, acknowledged: inv.acked, handler: 'task-manager', handled: br.handled, leftInKafka: inv.ledger.leftInKafka(), group: tmGroup, committedOffsets: inv.ledger.committedOffsets() },
      { event: 'TaskCreated', topic: taskTopic, acknowledged: br.tasksCreated, handler: 'notifier', handled: nt.handled, leftInKafka: br.ledger.leftInKafka(), group: notifierGroup, committedOffsets: br.ledger.committedOffsets() },
    ],
    metrics,
    errors: [...errors, ...inv.errors, ...br.errors],
    foreign: br.foreign + nt.foreign,
  };
  const v = verdict(summary);
  out.write(renderSummary(summary, v));
  if (warnings.length > 0) out.write(`Warnings reported by the library (${warnings.length}${warnings.length >= 20 ? '+' : ''}):\n${warnings.map((w) => `  - ${w}`).join('\n')}\n`);
  const code = v.ok ? 0 : 1;
  if (args.json) out.write(summaryJson(summary, v, code) + '\n');
  return code;
}
