import type { BenchResult } from './types.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** A readable table: one row per scenario and client, with the ratio to the raw baseline; failed clients (BenchResult.failed) as FAILED rows, their reasons below the table. */
export function formatTable(results: readonly BenchResult[]): string {
  const head = ['scenario', 'client', 'msgs/s (median)', 'MiB/s', 'spread msgs/s (min..max)', 'p50 ms', 'p99 ms', 'runs', 'main-thread CPU µs/msg', 'vs node-rdkafka'];
  const rows = results.map((r) =>
    r.failed !== undefined
      ? [r.scenario, r.client, 'FAILED', '-', '-', '-', '-', String(r.runs), '-', '-']
      : [
          r.scenario,
          r.client,
          int(r.msgsPerSec),
          r.mbPerSec !== undefined ? r.mbPerSec.toFixed(1) : '-',
          `${int(r.spread.min)}..${int(r.spread.max)} (±${((100 * (r.spread.max - r.spread.min)) / 2 / r.msgsPerSec).toFixed(1)}%)`,
          r.p50Ms !== undefined ? r.p50Ms.toFixed(1) : '-',
          r.p99Ms !== undefined ? r.p99Ms.toFixed(1) : '-',
          String(r.runs),
          r.extra?.mainCpuUsPerMsg !== undefined ? r.extra.mainCpuUsPerMsg.toFixed(2) : '-',
          r.ratioVsRaw !== undefined ? `${r.ratioVsRaw.toFixed(3)}x` : '-',
        ],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const right = new Set([2, 3, 4, 5, 6, 7, 8, 9]);
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const failures = results.filter((r) => r.failed !== undefined).map((r) => `FAILED ${r.scenario} ${r.client}: ${r.failed}`);
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ...failures].join('\n');
}
