/**
 * Writes bench/RESULTS.md from one run's output (the same object as the JSON file): machine,
 * versions, settings, one table per scenario with every client (medians, spread, ratios vs raw
 * node-rdkafka and vs the Java tool), and one line per target (lib/targets.ts): met / missed by
 * how much; below a missed target, "where the time goes": the measured CPU/GC profile of both
 * clients side by side and the static notes of lib/profiles.ts.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { PROFILES } from './profiles.js';
import { TARGETS, type Target } from './targets.js';
import type { BenchResult } from './types.js';

interface Output {
  machine: object;
  versions: object;
  settings: Record<string, unknown>;
  results: BenchResult[];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const x = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : `${n.toFixed(2)}×`);

const num = (n: number | undefined, digits = 2) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));

/**
 * "Where the time goes" for a missed target: what the run measured for both clients, side by side
 * (per message: wall time, main-thread CPU, GC pauses, whole-process CPU; how busy the main thread
 * and the process were), the wall-time budget per message at the target rate, then the static
 * notes of lib/profiles.ts. Indented so it renders inside the target's list item.
 */
export function profileLines(target: Target, a: BenchResult, b: BenchResult): string[] {
  const rows: [string, (r: BenchResult) => string][] = [
    ['msgs/s (median)', (r) => int(r.msgsPerSec)],
    ['wall time µs/msg (1e6 ÷ msgs/s)', (r) => num(1e6 / r.msgsPerSec)],
    ['main-thread CPU µs/msg', (r) => num(r.extra?.mainCpuUsPerMsg)],
    ['main-thread GC pause µs/msg', (r) => num(r.extra?.gcPauseUsPerMsg)],
    ['process CPU µs/msg (main + librdkafka/libuv/GC threads)', (r) => num(r.extra?.processCpuUsPerMsg)],
    ['main thread busy (CPU ÷ wall)', (r) => (r.extra?.mainCpuUsPerMsg === undefined ? '-' : `${Math.round((100 * r.extra.mainCpuUsPerMsg * r.msgsPerSec) / 1e6)} %`)],
    ['process CPU, cores (CPU ÷ wall)', (r) => (r.extra?.processCpuUsPerMsg === undefined || r.extra.cpuWholeProcess === 1 ? '-' : num((r.extra.processCpuUsPerMsg * r.msgsPerSec) / 1e6))],
    ['broker JVM CPU µs/msg (the local stack\'s broker, meanwhile)', (r) => num(r.extra?.brokerCpuUsPerMsg)],
    [`client + broker CPU, cores (of the machine's ${os.availableParallelism()})`, (r) => (r.extra?.processCpuUsPerMsg === undefined || r.extra.brokerCpuUsPerMsg === undefined || r.extra.cpuWholeProcess === 1 ? '-' : num(((r.extra.processCpuUsPerMsg + r.extra.brokerCpuUsPerMsg) * r.msgsPerSec) / 1e6))],
    ['p50 / p99 ms', (r) => (r.p50Ms === undefined ? '-' : `${num(r.p50Ms, 1)} / ${num(r.p99Ms, 1)}`)],
  ];
  const diff = (k: 'mainCpuUsPerMsg' | 'gcPauseUsPerMsg' | 'processCpuUsPerMsg' | 'brokerCpuUsPerMsg'): string => {
    const x1 = a.extra?.[k];
    const x2 = b.extra?.[k];
    return x1 === undefined || x2 === undefined ? '' : `${x1 - x2 >= 0 ? '+' : ''}${num(x1 - x2)}`;
  };
  const diffs: Record<string, string> = {
    'main-thread CPU µs/msg': diff('mainCpuUsPerMsg'),
    'main-thread GC pause µs/msg': diff('gcPauseUsPerMsg'),
    'process CPU µs/msg (main + librdkafka/libuv/GC threads)': diff('processCpuUsPerMsg'),
    'broker JVM CPU µs/msg (the local stack\'s broker, meanwhile)': diff('brokerCpuUsPerMsg'),
    'wall time µs/msg (1e6 ÷ msgs/s)': `${1e6 / a.msgsPerSec - 1e6 / b.msgsPerSec >= 0 ? '+' : ''}${num(1e6 / a.msgsPerSec - 1e6 / b.msgsPerSec)}`,
  };
  const out: string[] = ['', '  Where the time goes (this run):', ''];
  out.push(`  | | ${target.client} | ${target.peer} | ${target.client} − ${target.peer} |`, '  |---|---:|---:|---:|');
  for (const [label, f] of rows) out.push(`  | ${label} | ${f(a)} | ${f(b)} | ${diffs[label] ?? ''} |`);
  const needed = target.min * b.msgsPerSec;
  const budget = 1e6 / needed;
  const mainCpu = a.extra?.mainCpuUsPerMsg;
  out.push(
    '',
    `  At the target rate (${target.min}× ${target.peer} = ${int(needed)} msgs/s) one message may take ${num(budget)} µs of wall time` +
      (mainCpu === undefined
        ? '.'
        : `; ${target.client}'s main thread spends ${num(mainCpu)} µs of CPU per message now` +
          (mainCpu > budget ? `, so it would need ${Math.round((100 * (mainCpu - budget)) / mainCpu)} % less main-thread CPU per message (or more of it on other threads).` : ' (within that budget: the limit is elsewhere — waiting, other threads, the broker).')),
  );
  const text = PROFILES[target.id];
  if (text !== undefined) out.push('', ...text.split('\n').map((l) => `  ${l}`));
  return out;
}

export function targetLines(results: readonly BenchResult[]): string[] {
  const lines: string[] = [];
  for (const target of TARGETS) {
    const { scenario, client, peer, min } = target;
    const a = results.find((r) => r.scenario === scenario && r.client === client);
    const b = results.find((r) => r.scenario === scenario && r.client === peer);
    if (a === undefined || b === undefined) {
      if (results.some((r) => r.scenario === scenario)) lines.push(`- ${scenario}: ${client} ≥ ${min}× ${peer} — **not measured** (${a === undefined ? client : peer} not in this run)`);
      continue;
    }
    const broken = [a, b].find((r) => r.failed !== undefined);
    if (broken !== undefined) {
      lines.push(`- ${scenario}: ${client} ≥ ${min}× ${peer} — **not measured** (${broken.client} FAILED: ${broken.failed})`);
      continue;
    }
    const ratio = a.msgsPerSec / b.msgsPerSec;
    const met = ratio >= min;
    lines.push(
      `- ${scenario}: ${client} ≥ ${min}× ${peer} — ${met ? '**met**' : '**MISSED**'}: ${ratio.toFixed(3)}× ` +
        (met ? '' : `(short by ${(min - ratio).toFixed(3)}×, ${((100 * (min - ratio)) / min).toFixed(1)}% below target) `) +
        `[${int(a.msgsPerSec)} vs ${int(b.msgsPerSec)} msgs/s; spreads ${int(a.spread.min)}..${int(a.spread.max)} / ${int(b.spread.min)}..${int(b.spread.max)}]`,
    );
    if (!met) lines.push(...profileLines(target, a, b), '');
  }
  return lines;
}

export function resultsMarkdown(out: Output, command: string): string {
  const { results } = out;
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  const md: string[] = [];
  md.push('# Benchmark results', '');
  md.push(`Generated by \`${command}\` on ${new Date().toISOString()} — regenerate with \`npm run bench\` (see bench/README.md).`);
  md.push('Numbers are medians over the runs; spread = min..max of the per-run msgs/s; all clients of a scenario ran interleaved in the same process, against the same broker.', '');
  md.push('## Targets', '', ...targetLines(results), '');
  md.push('## Machine', '', '```json', JSON.stringify(out.machine, null, 2), '```', '');
  md.push('## Versions', '', '```json', JSON.stringify(out.versions, null, 2), '```', '');
  for (const s of scenarios) {
    const rows = results.filter((r) => r.scenario === s);
    const java = rows.find((r) => r.client === 'java' && r.failed === undefined);
    md.push(`## ${s}`, '');
    md.push('| client | msgs/s (median) | MiB/s | spread (min..max) | p50 ms | p95 ms | p99 ms | runs | errors | vs baseline | vs java |');
    md.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      if (r.failed !== undefined) {
        md.push(`| ${r.client} | **FAILED** | - | - | - | - | - | ${r.runs} | - | - | - |`);
        continue;
      }
      const pct = ((100 * (r.spread.max - r.spread.min)) / 2 / r.msgsPerSec).toFixed(1);
      md.push(
        `| ${r.client} | ${int(r.msgsPerSec)} | ${r.mbPerSec?.toFixed(1) ?? '-'} | ${int(r.spread.min)}..${int(r.spread.max)} (±${pct}%) | ` +
          `${r.p50Ms?.toFixed(2) ?? '-'} | ${r.p95Ms?.toFixed(2) ?? '-'} | ${r.p99Ms?.toFixed(2) ?? '-'} | ${r.runs} | ${r.errors} | ${x(r.ratioVsRaw)} | ${java ? x(r.msgsPerSec / java.msgsPerSec) : '-'} |`,
      );
    }
    for (const r of rows.filter((x) => x.failed !== undefined)) md.push('', `**${r.client} failed**: ${r.failed}`);
    const settings = (out.settings.scenarios as Record<string, unknown> | undefined)?.[s];
    if (settings !== undefined) md.push('', '<details><summary>settings</summary>', '', '```json', JSON.stringify(settings, null, 2), '```', '</details>');
    md.push('');
  }
  const { scenarios: _omit, ...general } = out.settings;
  md.push('## Run settings', '', '```json', JSON.stringify(general, null, 2), '```', '');
  return md.join('\n');
}

export function writeResultsMarkdown(file: string, out: Output, command: string): void {
  writeFileSync(file, resultsMarkdown(out, command));
}
