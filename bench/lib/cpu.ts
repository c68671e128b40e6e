import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

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
  return {
    stop(messages) {
      const main = mainThreadCpuMs() - main0;
      const proc = process.cpuUsage(proc0);
      return {
        mainCpuUsPerMsg: r2((main * 1000) / messages),
        processCpuUsPerMsg: r2((proc.user + proc.system) / messages),
        gcPauseUsPerMsg: r2(((gcTotals.ms - gc0) * 1000) / messages),
      };
    },
  };
}
