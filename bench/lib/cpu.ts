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

/** The fields of /proc/<proc>/stat after "pid (comm) " (0: state, 11/12: utime/stime, 13/14: cutime/cstime, 19: starttime). */
function statFields(proc: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${proc}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime (cutime + cstime with `children`) of /proc/<proc>/stat, in ms; NaN when unreadable. */
function procCpuMs(proc: number | string, children = false): number {
  const f = statFields(String(proc));
  if (f === undefined) return Number.NaN;
  return ((children ? Number(f[13]) + Number(f[14]) : Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

/** The stack's folder (scripts/stack-lib.mjs STACK_DIR). */
const STACK_DIR = path.resolve(process.env.GOCOFFEE_STACK_DIR || path.join(REPO_ROOT, '.stack'));

/** A broker JVM of the local stack: its pid and its start time (field 19 of its stat: a reused pid differs). */
interface BrokerProc {
  readonly pid: number;
  readonly start: string;
}

function startTime(pid: number): string | undefined {
  return statFields(String(pid))?.[19];
}

/**
 * The broker JVMs of the project's local stack (pids in <stack>/run/state.json, written by
 * scripts/stack.mjs; each checked to be a JVM of this stack by its command line), when the bench
 * talks to the stack's address; undefined otherwise (other brokers: their CPU is not ours to read).
 */
function stackBrokers(): BrokerProc[] | undefined {
  const brokers = process.env.GOCOFFEE_KAFKA_BROKERS;
  if (brokers !== undefined && brokers !== '' && !/^(127\.0\.0\.1|localhost):909[2-4](,(127\.0\.0\.1|localhost):909[2-4])*$/.test(brokers)) return undefined;
  try {
    const state = JSON.parse(readFileSync(path.join(STACK_DIR, 'run', 'state.json'), 'utf8')) as { nodes?: Record<string, { pid?: number }> };
    const out: BrokerProc[] = [];
    for (const n of Object.values(state.nodes ?? {})) {
      if (typeof n.pid !== 'number') continue;
      const cmdline = readFileSync(`/proc/${n.pid}/cmdline`, 'utf8');
      const start = startTime(n.pid);
      if (!cmdline.includes(`-Dgocoffee.stack.dir=${STACK_DIR}`) || start === undefined) return undefined;
      out.push({ pid: n.pid, start });
    }
    return out.length > 0 ? out : undefined;
  } catch {
    return undefined;
  }
}

/** CPU ms of those JVMs; NaN when unknown or when one of them is not the same process any more. */
function brokerCpuMs(procs: readonly BrokerProc[] | undefined): number {
  if (procs === undefined) return Number.NaN;
  let sum = 0;
  for (const p of procs) {
    if (startTime(p.pid) !== p.start) return Number.NaN;
    sum += procCpuMs(p.pid);
  }
  return sum;
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
function brokerField(procs: readonly BrokerProc[] | undefined, broker0: number, messages: number): { brokerCpuUsPerMsg?: number } {
  const us = ((brokerCpuMs(procs) - broker0) * 1000) / messages;
  return Number.isFinite(us) ? { brokerCpuUsPerMsg: r2(us) } : {};
}

/**
 * For a client that runs as a child process (librdkafka-perf): the CPU of the children this process
 * waited for (/proc/self/stat cutime + cstime: the tool, once it exited) and of the broker, per
 * message. The window holds the tool's whole life (start-up, connection, its in-process warm-up):
 * divide by every message it produced.
 */
export function childCpuWindow(): { stop(messages: number): { processCpuUsPerMsg: number; brokerCpuUsPerMsg?: number; cpuWholeProcess: 1 } } {
  const child0 = procCpuMs('self', true);
  const procs = stackBrokers();
  const broker0 = brokerCpuMs(procs);
  return {
    stop(messages) {
      // cpuWholeProcess: the window is not the timed one, so "cores" (CPU × timed rate) is not shown for it.
      return { processCpuUsPerMsg: r2(((procCpuMs('self', true) - child0) * 1000) / messages), ...brokerField(procs, broker0, messages), cpuWholeProcess: 1 };
    },
  };
}

export interface CpuWindow {
  stop(messages: number): CpuUse;
}

const r2 = (n: number) => Math.round(n * 100) / 100;

export function cpuWindow(): CpuWindow {
  observeGc();
  const main0 = procCpuMs(`self/task/${process.pid}`);
  const proc0 = process.cpuUsage();
  const gc0 = gcTotals.ms;
  const procs = stackBrokers();
  const broker0 = brokerCpuMs(procs);
  return {
    stop(messages) {
      const main = procCpuMs(`self/task/${process.pid}`) - main0;
      const proc = process.cpuUsage(proc0);
      return {
        mainCpuUsPerMsg: r2((main * 1000) / messages),
        processCpuUsPerMsg: r2((proc.user + proc.system) / messages),
        gcPauseUsPerMsg: r2(((gcTotals.ms - gc0) * 1000) / messages),
        ...brokerField(procs, broker0, messages),
      };
    },
  };
}
