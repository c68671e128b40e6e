/**
 * Runs one scenario: an untimed warm-up per client, then `runs` timed runs per client,
 * interleaved (A B C, B C A, C A B, ...) so that drifts of a shared machine (the broker's
 * background work, other processes) hit every client alike. Every run gets a fresh topic.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { collectGarbage } from './gc.js';
import { uniqueName } from './kafka.js';
import { median, round, spread, summarizeLatency } from './stats.js';
import type { BenchContext, BenchResult, ClientRunner, RunMeasurement, Scenario } from './types.js';

/**
 * Pause before every timed run: lets the broker finish flushing the previous run's segments and
 * deleting its topic. In --quick mode (CI: the suite must not rot, figures are indicative) shorter,
 * and none for scenarios without a fresh topic per run (serde, the pre-filled consumer topics).
 */
const SETTLE_MS = 1000;
const QUICK_SETTLE_MS = 250;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export function msgsPerSec(m: RunMeasurement): number {
  return m.messages / (m.elapsedMs / 1000);
}

export function mbPerSec(m: RunMeasurement): number {
  return m.bytes / 2 ** 20 / (m.elapsedMs / 1000);
}

async function oneRun(ctx: BenchContext, scenario: Scenario, client: ClientRunner, messages: number, run: number): Promise<RunMeasurement> {
  const spec = scenario.topic?.(ctx.options);
  const settleMs = !ctx.options.quick ? SETTLE_MS : spec !== undefined ? QUICK_SETTLE_MS : 0;
  const warmup = run === 0;
  const safeClient = client.client.replace(/[^a-zA-Z0-9._-]/g, '_');
  const topic = uniqueName(`bench-${scenario.name}-${safeClient}-${warmup ? 'w' : `r${run}`}`);
  if (spec !== undefined) {
    await ctx.admin.create(topic, { partitions: spec.partitions, replicationFactor: ctx.replicationFactor, ...(spec.config ? { config: spec.config } : {}) });
  }
  collectGarbage();
  await sleep(warmup ? Math.min(200, settleMs) : settleMs);
  try {
    return await client.run({ topic, messages, run, warmup });
  } finally {
    if (spec !== undefined && ctx.options.deleteTopics) await ctx.admin.delete(topic);
  }
}

export async function runScenario(ctx: BenchContext, scenario: Scenario): Promise<BenchResult[]> {
  const { options } = ctx;
  const clients = scenario.clients(ctx).filter((c) => options.clients === undefined || options.clients.has(c.client));
  if (clients.length === 0) return [];
  const messages = options.messages ?? scenario.messages(options);
  const byClient = new Map<string, RunMeasurement[]>(clients.map((c) => [c.client, []]));

  const warmupMessages = Math.min(options.warmupMessages, messages, scenario.warmupMessages?.(options) ?? Number.POSITIVE_INFINITY);
  if (warmupMessages > 0) {
    for (const c of clients) {
      if (c.skipWarmup !== undefined) {
        ctx.log(`  warm-up  ${c.client.padEnd(16)} skipped: ${c.skipWarmup}`);
        continue;
      }
      const m = await oneRun(ctx, scenario, c, warmupMessages, 0);
      ctx.log(`  warm-up  ${c.client.padEnd(16)} ${fmt(msgsPerSec(m)).padStart(11)} msgs/s`);
    }
  }
  for (let r = 0; r < options.runs; r++) {
    const order = clients.map((_, i) => clients[(i + r) % clients.length]!);
    for (const c of order) {
      const m = await oneRun(ctx, scenario, c, messages, r + 1);
      byClient.get(c.client)!.push(m);
      const lat = latencyOf(m);
      ctx.log(
        `  run ${r + 1}/${options.runs} ${c.client.padEnd(16)} ${fmt(msgsPerSec(m)).padStart(11)} msgs/s  ${mbPerSec(m).toFixed(1).padStart(7)} MiB/s` +
          `  ${(m.elapsedMs / 1000).toFixed(2)} s` +
          (lat ? `  p50 ${lat.p50Ms.toFixed(1)} ms  p99 ${lat.p99Ms.toFixed(1)} ms` : '') +
          (m.errors ? `  ERRORS ${m.errors}` : '') +
          (m.extra ? `  ${Object.entries(m.extra).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''),
      );
    }
  }

  const results = clients.map((c) => reduce(scenario, c.client, messages, byClient.get(c.client)!));
  const base = results.find((r) => r.client === scenario.baseline);
  if (base !== undefined) for (const r of results) r.ratioVsRaw = round(r.msgsPerSec / base.msgsPerSec, 3);
  return results;
}

function latencyOf(m: RunMeasurement): { p50Ms: number; p95Ms: number; p99Ms: number } | undefined {
  if (m.latenciesMs !== undefined && m.latenciesMs.length > 0) return summarizeLatency(m.latenciesMs);
  return m.latencySummary;
}

function reduce(scenario: Scenario, client: string, messages: number, runs: RunMeasurement[]): BenchResult {
  const rates = runs.map(msgsPerSec);
  const lats = runs.map(latencyOf).filter((l) => l !== undefined);
  const s = spread(rates);
  const result: BenchResult = {
    scenario: scenario.name,
    client,
    ...(scenario.messageBytes !== undefined ? { messageBytes: scenario.messageBytes } : {}),
    messages,
    msgsPerSec: round(median(rates)),
    ...(scenario.messageBytes !== undefined ? { mbPerSec: round(median(runs.map(mbPerSec)), 2) } : {}),
    ...(lats.length > 0
      ? {
          p50Ms: round(median(lats.map((l) => l.p50Ms)), 2),
          p95Ms: round(median(lats.map((l) => l.p95Ms)), 2),
          p99Ms: round(median(lats.map((l) => l.p99Ms)), 2),
        }
      : {}),
    runs: runs.length,
    spread: { min: round(s.min), max: round(s.max) },
    perRunMsgsPerSec: rates.map((r) => round(r)),
    elapsedMs: round(median(runs.map((m) => m.elapsedMs)), 1),
    errors: runs.reduce((a, m) => a + m.errors, 0),
  };
  const extraKeys = new Set(runs.flatMap((m) => Object.keys(m.extra ?? {})));
  if (extraKeys.size > 0) {
    result.extra = {};
    for (const k of extraKeys) result.extra[k] = round(median(runs.map((m) => m.extra?.[k] ?? 0)));
  }
  return result;
}
