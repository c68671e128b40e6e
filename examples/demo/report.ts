/** The end-of-run summary: per-agent table, the "nothing lost" accounting, where to look next. */
import { LEGEND, fmt, fmtMs } from './display.js';

export interface AgentTotals {
  readonly name: string;
  readonly messages: number;
  /** Seconds the agent was active (the average rate's denominator). */
  readonly activeS: number;
  readonly p99: number | undefined;
  readonly p99Kind: 'ack' | 'e2e';
  readonly deadLettered?: number | undefined;
  /** Publishes that failed; undefined for an agent that publishes nothing. */
  readonly failed?: number | undefined;
}

/** acknowledged = handled + left in Kafka (at or above the group's committed offsets). */
export interface Accounting {
  readonly event: string;
  readonly topic: string;
  readonly acknowledged: number;
  readonly handler: string;
  readonly handled: number;
  readonly leftInKafka: number;
  readonly group: string;
  readonly committedOffsets: Record<string, number>;
}

export interface SummaryInput {
  readonly runId: string;
  readonly publishS: number;
  readonly stoppedBy: string;
  readonly agents: readonly AgentTotals[];
  readonly accounting: readonly Accounting[];
  /** The metrics endpoint served during the run, or why there was none. */
  readonly metrics: { readonly url?: string; readonly problem?: string };
  readonly errors: readonly string[];
  /** Events of other producers / earlier runs that the agents skipped. */
  readonly foreign: number;
}

export interface Verdict {
  readonly ok: boolean;
  /** Acknowledged events neither handled nor left in Kafka, per event. */
  readonly lost: Record<string, number>;
  readonly reasons: readonly string[];
}

export function verdict(s: SummaryInput): Verdict {
  const reasons: string[] = [];
  const lost: Record<string, number> = {};
  for (const a of s.accounting) {
    const missing = a.acknowledged - a.handled - a.leftInKafka;
    lost[a.event] = Math.max(0, missing);
    if (missing > 0) reasons.push(`${fmt(missing)} acknowledged ${a.event} events were neither handled nor left in Kafka`);
  }
  for (const a of s.agents) {
    if ((a.failed ?? 0) > 0) reasons.push(`${a.name}: ${fmt(a.failed ?? 0)} publishes failed`);
    if ((a.deadLettered ?? 0) > 0) reasons.push(`${a.name}: ${fmt(a.deadLettered ?? 0)} dead-lettered`);
  }
  for (const e of s.errors) reasons.push(e);
  return { ok: reasons.length === 0, lost, reasons };
}

const DOC_PAGES = [
  'docs/producer.md (send(), backpressure, delivery semantics)',
  'docs/consumer.md (worker pool, ordering, at-least-once, dead letters)',
  'docs/events.md (schemas, registration; Manager, EventBus, typed handlers)',
  'docs/observability.md (metrics, tracing, logs, health and statistics)',
];

export function renderSummary(s: SummaryInput, v: Verdict): string {
  const out: string[] = [];
  out.push('', `Summary · run ${s.runId} · published for ${s.publishS.toFixed(1)} s · stopped by ${s.stoppedBy}`);
  const cols: ReadonlyArray<readonly [string, number]> = [
    ['agent', -24],
    ['messages', 12],
    ['msgs/s avg', 12],
    ['p99 ms', 13],
    ['dead-lettered', 15],
    ['failed', 8],
  ];
  const line = (cells: readonly string[]) => '  ' + cells.map((c, i) => (cols[i]![1] < 0 ? c.padEnd(-cols[i]![1]) : c.padStart(cols[i]![1]))).join('');
  out.push(line(cols.map((c) => c[0])));
  for (const a of s.agents) {
    const avg = a.activeS > 0 ? a.messages / a.activeS : 0;
    out.push(line([a.name, fmt(a.messages), fmt(avg), `${a.p99Kind} ${fmtMs(a.p99)}`, a.deadLettered === undefined ? '-' : fmt(a.deadLettered), a.failed === undefined ? '-' : fmt(a.failed)]));
  }
  out.push(
    ...LEGEND.map((l) => `  ${l}`),
    '  msgs/s avg: messages / the time the agent ran (inventor: while publishing; consumers: from the first',
    '              publish until they stopped).',
  );
  if (s.foreign > 0) out.push(`  ${fmt(s.foreign)} events of other producers or earlier runs on the same topics were skipped (not counted).`);

  out.push('', 'Accounting (nothing acknowledged may be lost):');
  const w = Math.max(...s.accounting.map((a) => a.event.length));
  for (const a of s.accounting) {
    const diff = a.handled + a.leftInKafka - a.acknowledged;
    const mark = diff === 0 ? '✓' : diff > 0 ? `✓ (${fmt(diff)} handled more than once: at least once)` : `✗ ${fmt(-diff)} LOST`;
    out.push(`  ${a.event.padEnd(w)} acknowledged ${fmt(a.acknowledged)} = handled by ${a.handler} ${fmt(a.handled)} + left in Kafka ${fmt(a.leftInKafka)}  ${mark}`);
  }
  const left = s.accounting.filter((a) => a.leftInKafka > 0);
  if (left.length > 0) {
    out.push(
      '  "left in Kafka": acknowledged events at or above the committed offsets of the agent\'s group when it stopped',
      `  (--drain-timeout ran out): ${left.map((a) => a.group).join(', ')}. They stay in Kafka; a consumer of that`,
      '  group resumes there (each run of the demo uses new groups, starting at the end of the topics).',
    );
  }
  if (!v.ok) out.push('', 'Problems:', ...v.reasons.map((r) => `  - ${r}`));

  out.push('', 'Where to look next:');
  if (s.metrics.url !== undefined) {
    out.push(
      `  Prometheus metrics were served during the run at ${s.metrics.url}`,
      '    (serveMetrics(); e.g. kafka_messages_total, kafka_publish_duration_seconds, kafka_consume_duration_seconds,',
      '    kafka_consumer_lag, kafka_pool_utilization, kafka_dead_lettered_total; docs/observability.md).',
    );
  } else out.push(`  Prometheus metrics: ${s.metrics.problem ?? 'off (--metrics-port 0)'}.`);
  out.push('  Read more:', ...DOC_PAGES.map((r) => `    ${r}`));
  out.push('  The agents: examples/demo/ (inventor.ts, task-worker.ts + task-bridge.ts, notifier.ts).', '');
  return out.join('\n');
}

export function summaryJson(s: SummaryInput, v: Verdict, exitCode: number): string {
  return JSON.stringify({
    runId: s.runId,
    stoppedBy: s.stoppedBy,
    publishSeconds: Number(s.publishS.toFixed(3)),
    agents: s.agents.map(({ p99, ...a }) => ({ ...a, msgsPerSec: a.activeS > 0 ? Math.round(a.messages / a.activeS) : 0, p99Ms: p99 === undefined ? null : Number(p99.toFixed(2)) })),
    accounting: s.accounting,
    foreign: s.foreign,
    metrics: s.metrics,
    ok: v.ok,
    lost: v.lost,
    problems: v.reasons,
    exitCode,
  });
}
