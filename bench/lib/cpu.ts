import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { REPO_ROOT } from './versions.js';

/**
 * CPU time of the JS main thread (Linux: /proc/self/task/<pid>/stat, 10 ms ticks) and of the whole
 * process (process.cpuUsage: main thread + librdkafka's threads + libuv pool). On a small machine
 * shared with the broker, "main-thread CPU µs per message" shows a client's overhead more steadily
 * than throughput does.
 */
const CLK_TCK = 100;

function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state=0 ... utime=11, stime=12
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime (+ cutime + cstime with `children`) of /proc/<pid>/stat, in ms; NaN when unreadable. */
function procCpuMs(pid: number | 'self', children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(f[11]) + Number(f[12]);
    return ((children ? Number(f[13]) + Number(f[14]) : own) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/**
 * The broker JVMs of the project's local stack (.stack/run/state.json, written by scripts/stack.mjs):
 * their CPU per message shows how much of the 2 cores the broker took for each client's requests.
 * None (NaN) when the bench runs against brokers the stack did not start.
 */
function brokerCpuMs(): number {
  let pids: number[];
  try {
    const state = JSON.parse(readFileSync(path.join(REPO_ROOT, '.stack', 'run', 'state.json'), 'utf8')) as { nodes?: Record<string, { pid?: number }> };
    pids = Object.values(state.nodes ?? {}).flatMap((n) => (typeof n.pid === 'number' ? [n.pid] : []));
  } catch {
    return Number.NaN;
  }
  if (pids.length === 0) return Number.NaN;
  return pids.reduce((sum, pid) => sum + procCpuMs(pid), 0);
}

/** Garbage-collection pauses of the main thread (all kinds), summed since the observer started. */
const gcTotals = { ms: 0, count: 0 };
let gcObserver: PerformanceObserver | undefined;
function observeGc(): void {
  if (gcObserver !== undefined) return;
  gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcTotals.ms += e.duration;
      gcTotals.count++;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

export interface CpuUse {
  /** CPU µs per message of the JS main thread. */
  readonly mainCpuUsPerMsg: number;
  /** CPU µs per message of the whole process (main + librdkafka threads + V8 GC helpers). */
  readonly processCpuUsPerMsg: number;
  /** Main-thread GC pause µs per message (PerformanceObserver 'gc'). */
  readonly gcPauseUsPerMsg: number;
  /** CPU µs per message of the local stack's broker JVM(s) meanwhile (absent when unknown). */
  readonly brokerCpuUsPerMsg?: number;
}

/** The broker's CPU over a window, as an `extra` field (none when unknown). */
function brokerField(broker0: number, messages: number): { brokerCpuUsPerMsg?: number } {
  const ms = brokerCpuMs() - broker0;
  return Number.isFinite(ms) ? { brokerCpuUsPerMsg: r2((ms * 1000) / messages) } : {};
}

/**
 * For a client that runs as a child process (librdkafka-perf): the CPU of the children this process
 * waited for (/proc/self/stat cutime + cstime: the tool, once it exited) and of the broker, per
 * message. The window holds the tool's whole life (start-up, connection, its in-process warm-up):
 * divide by every message it produced.
 */
export function childCpuWindow(): { stop(messages: number): { processCpuUsPerMsg: number; brokerCpuUsPerMsg?: number } } {
  const child0 = procCpuMs('self', true);
  const broker0 = brokerCpuMs();
  return {
    stop(messages) {
      return { processCpuUsPerMsg: r2(((procCpuMs('self', true) - child0) * 1000) / messages), ...brokerField(broker0, messages) };
    },
  };
}

export interface CpuWindow {
  stop(messages: number): CpuUse;
}

const r2 = (n: number) => Math.round(n * 100) / 100;

export function cpuWindow(): CpuWindow {
  observeGc();
  const main0 = mainThreadCpuMs();
  const proc0 = process.cpuUsage();
  const gc0 = gcTotals.ms;
  const broker0 = brokerCpuMs();
  return {
    stop(messages) {
      const main = mainThreadCpuMs() - main0;
      const proc = process.cpuUsage(proc0);
      return {
        mainCpuUsPerMsg: r2((main * 1000) / messages),
        processCpuUsPerMsg: r2((proc.user + proc.system) / messages),
        gcPauseUsPerMsg: r2(((gcTotals.ms - gc0) * 1000) / messages),
        ...brokerField(broker0, messages),
      };
    },
  };
}
