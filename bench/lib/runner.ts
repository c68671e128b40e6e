/**
 * Runs one scenario: an untimed warm-up per client, then `runs` timed runs per client,
 * interleaved (A B C, B C A, C A B, ...) so that drifts of a shared machine (the broker's
 * background work, other processes) hit every client alike. Every run gets a fresh topic.
 * Clients with a prepare() step get it first; a client whose preparation fails, or an `optional`
 * one whose run throws, is reported as failed (BenchResult.failed) while the others go on.
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
  try {
    return await runClients(ctx, scenario);
  } finally {
    await scenario.finish?.(ctx);
  }
}

/** A failure reason on one line, at most 800 characters (an error's message, not its stack). */
function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.trim().replace(/\s*\n\s*/g, ' | ').slice(0, 800);
}

async function runClients(ctx: BenchContext, scenario: Scenario): Promise<BenchResult[]> {
  const { options } = ctx;
  const clients = scenario.clients(ctx).filter((c) => options.clients === undefined || options.clients.has(c.client));
  if (clients.length === 0) return [];
  const messages = options.messages ?? scenario.messages(options);
  const byClient = new Map<string, RunMeasurement[]>(clients.map((c) => [c.client, []]));
  /** Clients that could not be measured, with the reason (reported, never silently dropped). */
  const failed = new Map<string, string>();
  const fail = (c: ClientRunner, what: string, err: unknown): void => {
    const reason = `${what}: ${reasonOf(err)}`;
    failed.set(c.client, reason);
    ctx.log(`  ${c.client.padEnd(16)} FAILED (${reason}); the other clients go on`);
  };
  /** Runs one client's run; a throw of an optional client marks it failed instead of ending the bench. */
  const attempt = async (c: ClientRunner, n: number, run: number): Promise<RunMeasurement | undefined> => {
    try {
      return await oneRun(ctx, scenario, c, n, run);
    } catch (err) {
      if (c.optional !== true) throw err;
      fail(c, run === 0 ? 'warm-up run failed' : `run ${run} failed`, err);
      return undefined;
    }
  };

  for (const c of clients) {
    if (c.prepare === undefined) continue;
    try {
      await c.prepare();
    } catch (err) {
      fail(c, 'preparation failed', err);
    }
  }

  const warmupMessages = Math.min(options.warmupMessages, messages, scenario.warmupMessages?.(options) ?? Number.POSITIVE_INFINITY);
  if (warmupMessages > 0) {
    for (const c of clients) {
      if (failed.has(c.client)) continue;
      if (c.skipWarmup !== undefined) {
        ctx.log(`  warm-up  ${c.client.padEnd(16)} skipped: ${c.skipWarmup}`);
        continue;
      }
      const m = await attempt(c, warmupMessages, 0);
      if (m !== undefined) ctx.log(`  warm-up  ${c.client.padEnd(16)} ${fmt(msgsPerSec(m)).padStart(11)} msgs/s`);
    }
  }
  for (let r = 0; r < options.runs; r++) {
    const order = clients.map((_, i) => clients[(i + r) % clients.length]!);
    for (const c of order) {
      if (failed.has(c.client)) continue;
      const m = await attempt(c, messages, r + 1);
      if (m === undefined) continue;
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

  const results = clients.map((c) => {
    const reason = failed.get(c.client);
    return reason === undefined ? reduce(scenario, c.client, messages, byClient.get(c.client)!) : failedResult(scenario, c.client, messages, byClient.get(c.client)!.length, reason);
  });
  const base = results.find((r) => r.client === scenario.baseline && r.failed === undefined);
  if (base !== undefined) for (const r of results) if (r.failed === undefined) r.ratioVsRaw = round(r.msgsPerSec / base.msgsPerSec, 3);
  return results;
}

/** The result line of a client that could not be measured: zeros and the reason. */
function failedResult(scenario: Scenario, client: string, messages: number, runs: number, reason: string): BenchResult {
  return {
    scenario: scenario.name,
    client,
    ...(scenario.messageBytes !== undefined ? { messageBytes: scenario.messageBytes } : {}),
    messages,
    msgsPerSec: 0,
    runs,
    spread: { min: 0, max: 0 },
    perRunMsgsPerSec: [],
    elapsedMs: 0,
    errors: 0,
    failed: reason,
  };
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
    // Over the runs that measured it (e.g. the broker's CPU is absent when its JVM could not be read).
    for (const k of extraKeys) result.extra[k] = round(median(runs.flatMap((m) => (m.extra?.[k] === undefined ? [] : [m.extra[k]]))));
  }
  return result;
}
