/**
 * The `librdkafka-perf` peer: librdkafka's own benchmark tool, `rdkafka_performance`
 * (examples/rdkafka_performance.c of the librdkafka source tree that node-rdkafka bundles), compiled
 * on demand with the system C compiler against node-rdkafka's own build (build/deps/librdkafka.so.1
 * and its rdkafka.h, linked with an $ORIGIN-relative rpath), so it runs the very librdkafka the other
 * librdkafka clients of the run use. The binary is cached in bench/.peers/bin/ (git-ignored) and
 * rebuilt only when the source, the shared library or the patch below changed.
 *
 * The tool is compiled with a small patch (PATCHES below; printed under `settings`), two things it
 * cannot do by itself:
 *   - keys: it sends one fixed key (-k) or none; with GOCOFFEE_PERF_KEYS=N it sends the bench's N
 *     keys ("customer-00000"..) round-robin, as the other clients do;
 *   - warm-up: its clock starts right after rd_kafka_new(), so the first connection, the metadata
 *     and the idempotent producer's PID (librdkafka's PID timer retries 500 ms after start when the
 *     broker is not up yet: a fixed ~0.5 s) would all be inside the timed window — at 50,000
 *     messages that is 90 % of it. With GOCOFFEE_PERF_WARMUP=W it produces W messages first, waits
 *     until they are delivered (rd_kafka_flush) and only then resets its counters and starts the
 *     clock, like the Java tool's --warmup-records.
 * Without those variables the patched binary behaves exactly as the stock tool.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './versions.js';

const RDKAFKA = path.join(REPO_ROOT, 'node_modules', 'node-rdkafka');
export const PERF_SOURCE = path.join(RDKAFKA, 'deps', 'librdkafka', 'examples', 'rdkafka_performance.c');
const LIB_DIR = path.join(RDKAFKA, 'build', 'deps');
const LIB = path.join(LIB_DIR, 'librdkafka.so.1');
/** rdkafka.h of node-rdkafka's build (the public header of the .so we link). */
const INCLUDE = path.join(LIB_DIR, 'include', 'librdkafka');
/** rd.h / rdtime.h: internal helpers the example includes (clock, macros), from the same source tree. */
const INTERNAL_INCLUDE = path.join(RDKAFKA, 'deps', 'librdkafka', 'src');
const CACHE = path.join(REPO_ROOT, 'bench', '.peers');
const PATCHED = path.join(CACHE, 'src', 'rdkafka_performance.c');
export const PERF_BIN = path.join(CACHE, 'bin', 'rdkafka_performance');

/** [anchor in the original source, text that replaces it]; every anchor must occur exactly once. */
const PATCHES: readonly (readonly [string, string])[] = [
  [
    'static int read_hdrs        = 0;\n',
    `static int read_hdrs        = 0;
/* gocoffee bench patch (bench/lib/librdkafka-perf.ts): GOCOFFEE_PERF_KEYS=N sends the keys
 * "customer-00000".. round-robin; GOCOFFEE_PERF_WARMUP=W produces W messages and waits for their
 * delivery before the clock starts. Unset: the stock tool. */
static char (*gc_keys)[32];
static size_t *gc_keylens;
static int gc_nkeys  = 0;
static int gc_warmup = 0;
`,
  ],
  [
    'msgsize, key, keylen, hdrs))) {',
    `msgsize,
                                           gc_nkeys ? gc_keys[cnt.msgs % gc_nkeys] : key,
                                           gc_nkeys ? gc_keylens[cnt.msgs % gc_nkeys] : (size_t)keylen,
                                           hdrs))) {`,
  ],
  [
    '                cnt.t_start = cnt.t_last = rd_clock();\n\n                msgs_wait_produce_cnt = msgcnt;\n',
    `                /* gocoffee bench patch: keys, then the untimed warm-up */
                {
                        const char *e;
                        if ((e = getenv("GOCOFFEE_PERF_KEYS")) && atoi(e) > 0) {
                                int i;
                                gc_nkeys   = atoi(e);
                                gc_keys    = calloc((size_t)gc_nkeys, sizeof(*gc_keys));
                                gc_keylens = calloc((size_t)gc_nkeys, sizeof(*gc_keylens));
                                for (i = 0; i < gc_nkeys; i++) {
                                        snprintf(gc_keys[i], sizeof(gc_keys[i]), "customer-%05d", i);
                                        gc_keylens[i] = strlen(gc_keys[i]);
                                }
                        }
                        if ((e = getenv("GOCOFFEE_PERF_WARMUP")))
                                gc_warmup = atoi(e);
                }
                if (gc_warmup > 0) {
                        int w;
                        rd_kafka_resp_err_t werr;
                        /* no end-of-run detection in msg_delivered() while warming up */
                        msgs_wait_produce_cnt = -1;
                        for (w = 0; run && w < gc_warmup; w++) {
                                while ((werr = do_produce(
                                            rk, rkt, partition, 0, sbuf, msgsize,
                                            gc_nkeys ? gc_keys[w % gc_nkeys] : key,
                                            gc_nkeys ? gc_keylens[w % gc_nkeys] : (size_t)keylen,
                                            hdrs))) {
                                        if (werr != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                                                fprintf(stderr, "%% warm-up produce failed: %s\\n",
                                                        rd_kafka_err2str(werr));
                                                exit(1);
                                        }
                                        rd_kafka_poll(rk, 10);
                                }
                                msgs_wait_cnt++;
                                if (w % 1000 == 0)
                                        rd_kafka_poll(rk, 0);
                        }
                        werr = rd_kafka_flush(rk, 60000);
                        if (werr || cnt.msgs_dr_err) {
                                fprintf(stderr, "%% warm-up: %s, %" PRIu64 " delivery failures\\n",
                                        rd_kafka_err2str(werr), cnt.msgs_dr_err);
                                exit(1);
                        }
                        printf("%% gocoffee bench warm-up: %d messages delivered before the clock started\\n",
                               gc_warmup);
                        memset(&cnt, 0, sizeof(cnt));
                        msgs_wait_cnt = 0;
                        t_end         = 0;
                }

                cnt.t_start = cnt.t_last = rd_clock();

                msgs_wait_produce_cnt = msgcnt;
`,
  ],
];

function patchedSource(): string {
  let text = readFileSync(PERF_SOURCE, 'utf8');
  for (const [anchor, replacement] of PATCHES) {
    const at = text.indexOf(anchor);
    if (at < 0 || text.indexOf(anchor, at + 1) >= 0) {
      throw new Error(`rdkafka_performance.c changed: the patch anchor ${JSON.stringify(anchor.trim().slice(0, 60))} is not found exactly once (update PATCHES in bench/lib/librdkafka-perf.ts)`);
    }
    text = text.slice(0, at) + replacement + text.slice(at + anchor.length);
  }
  return text;
}

const mtime = (f: string): number => statSync(f).mtimeMs;

export interface PerfBuild {
  bin: string;
  /** Compiled now (false: the cached binary was up to date). */
  built: boolean;
  seconds: number;
  /** librdkafka the binary runs, from its usage text ("librdkafka version 2.12.0 (0x020c00ff)"). */
  librdkafka: string;
}

/** The librdkafka version the binary loads (it prints it in its usage text, exit 1). */
function binaryLibrdkafka(bin: string): string {
  const r = spawnSync(bin, ['-h'], { encoding: 'utf8' });
  return /librdkafka version (\S+)/.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? 'unknown';
}

let built: Promise<PerfBuild> | undefined;

/**
 * Compiles the patched tool into bench/.peers/bin/ unless the binary is newer than the patched
 * source and the shared library (the patched copy is rewritten only when its text changes, so its
 * mtime moves only with the source or the patch). Once per process (a failure is not retried by
 * the later scenarios of the same bench run).
 */
export function ensureRdkafkaPerformance(log: (m: string) => void): Promise<PerfBuild> {
  return (built ??= (async () => {
    for (const [what, f] of [
      ['the tool\'s source', PERF_SOURCE],
      ['node-rdkafka\'s librdkafka.so.1', LIB],
      ['node-rdkafka\'s rdkafka.h', path.join(INCLUDE, 'rdkafka.h')],
    ] as const) {
      if (!existsSync(f)) throw new Error(`${what} is missing (${path.relative(REPO_ROOT, f)}): is node-rdkafka installed and built (npm ci)?`);
    }
    const text = patchedSource();
    mkdirSync(path.dirname(PATCHED), { recursive: true });
    mkdirSync(path.dirname(PERF_BIN), { recursive: true });
    if (!existsSync(path.join(CACHE, '.gitignore'))) writeFileSync(path.join(CACHE, '.gitignore'), '# built on demand by the bench (lib/librdkafka-perf.ts); nothing here is committed\n*\n');
    if (!existsSync(PATCHED) || readFileSync(PATCHED, 'utf8') !== text) writeFileSync(PATCHED, text);
    if (existsSync(PERF_BIN) && mtime(PERF_BIN) > mtime(PATCHED) && mtime(PERF_BIN) > mtime(LIB)) {
      return { bin: PERF_BIN, built: false, seconds: 0, librdkafka: binaryLibrdkafka(PERF_BIN) };
    }
    const cc = process.env.CC || 'cc';
    const rpath = `$ORIGIN/${path.relative(path.dirname(PERF_BIN), LIB_DIR)}`;
    const args = ['-O2', '-o', PERF_BIN, PATCHED, `-I${INCLUDE}`, `-I${INTERNAL_INCLUDE}`, `-L${LIB_DIR}`, '-l:librdkafka.so.1', `-Wl,-rpath,${rpath}`, '-lpthread', '-lm'];
    log(`  librdkafka-perf: compiling ${path.relative(REPO_ROOT, PERF_SOURCE)} (patched) → ${path.relative(REPO_ROOT, PERF_BIN)}`);
    const t0 = performance.now();
    const r = spawnSync(cc, args, { encoding: 'utf8' });
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    if (r.error !== undefined || r.status !== 0) {
      rmSync(PERF_BIN, { force: true });
      const stderr = (r.stderr ?? '').trim().split('\n').filter((l) => /error|undefined reference|not found/i.test(l)).slice(0, 6).join(' | ');
      throw new Error(`compiling rdkafka_performance with ${cc} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})${stderr ? `: ${stderr}` : ''}; set CC to another C compiler, or see ${path.relative(REPO_ROOT, PATCHED)}`);
    }
    const librdkafka = binaryLibrdkafka(PERF_BIN);
    log(`  librdkafka-perf: compiled in ${seconds} s (runs librdkafka ${librdkafka})`);
    return { bin: PERF_BIN, built: true, seconds, librdkafka };
  })());
}

/** A short description of the patch, for `settings`. */
export function patchSummary(): { source: string; sha256: string; patch: string } {
  return {
    source: path.relative(REPO_ROOT, PERF_SOURCE),
    sha256: existsSync(PERF_SOURCE) ? createHash('sha256').update(readFileSync(PERF_SOURCE)).digest('hex').slice(0, 16) : 'missing',
    patch: 'GOCOFFEE_PERF_KEYS=N: the bench keys round-robin instead of one fixed -k key; GOCOFFEE_PERF_WARMUP=W: W messages produced and delivered (rd_kafka_flush) before the counters reset and the clock starts; nothing else changed (bench/lib/librdkafka-perf.ts PATCHES)',
  };
}

/**
 * Writes librdkafka properties to a 0600 temporary file for `-X file=` (keeps SASL/TLS secrets of a
 * GOCOFFEE_KAFKA_* configuration off the command line); returns its path and a remover.
 */
export function propertiesFile(props: Record<string, string | number | boolean>): { file: string; remove(): void } {
  const file = path.join(tmpdir(), `gocoffee-bench-rdkperf-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.conf`);
  const lines = Object.entries(props).map(([k, v]) => {
    const s = String(v);
    if (/[\r\n]/.test(s)) throw new Error(`librdkafka property ${k}: a value with a line break cannot go through -X file=`);
    return `${k}=${s}`;
  });
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  return { file, remove: () => rmSync(file, { force: true }) };
}

/** Runs the tool to completion; resolves with stdout/stderr (rejects on a non-zero exit or a timeout). */
export function runRdkafkaPerformance(bin: string, args: string[], env: Record<string, string>, timeoutMs = 300_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout: out, stderr: err });
      else reject(new Error(`rdkafka_performance ${timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${code ?? signal}`}: ${(out.slice(-1000) + '\n' + stderrTail(err)).trim()}`));
    });
  });
}

/** stderr without librdkafka's CONFWARN lines (the tool sets consumer defaults a producer ignores). */
export function stderrTail(stderr: string, chars = 1500): string {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/\|CONFWARN\|/.test(l))
    .join('\n')
    .slice(-chars);
}

/** "% N messages produced (B bytes), D delivered (offset O, F failed) in Tms: R msgs/s and M MB/s, Q produce failures, I in queue, C compression" */
const PRODUCER_SUMMARY = /^% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset (-?\d+), (\d+) failed\) in (\d+)ms: (\d+) msgs\/s and ([\d.]+) MB\/s, (\d+) produce failures, (-?\d+) in queue, (\S+) compression/;
/** "% N messages (B bytes) consumed in Tms: R msgs/s (M MB/s)" */
const CONSUMER_SUMMARY = /^% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms: (\d+) msgs\/s \(([\d.]+) MB\/s\)/;

export interface PerfProducerSummary {
  produced: number;
  bytes: number;
  delivered: number;
  failed: number;
  ms: number;
  msgsPerSec: number;
  /** The tool's MB/s: 10^6 bytes per second. */
  mbPerSec: number;
  /** QUEUE_FULL backpressure retries of produce() (not failures). */
  queueFull: number;
  inQueue: number;
  compression: string;
}

/** The last (final, forced) producer summary line of the tool's stdout. */
export function parseProducerSummary(stdout: string): PerfProducerSummary {
  for (const line of stdout.split('\n').reverse()) {
    const m = PRODUCER_SUMMARY.exec(line.trim());
    if (m === null) continue;
    return {
      produced: Number(m[1]),
      bytes: Number(m[2]),
      delivered: Number(m[3]),
      failed: Number(m[5]),
      ms: Number(m[6]),
      msgsPerSec: Number(m[7]),
      mbPerSec: Number(m[8]),
      queueFull: Number(m[9]),
      inQueue: Number(m[10]),
      compression: m[11]!,
    };
  }
  throw new Error(`rdkafka_performance: no producer summary line in its output:\n${stdout.slice(-1500)}`);
}

export function parseConsumerSummary(stdout: string): { messages: number; bytes: number; ms: number; msgsPerSec: number; mbPerSec: number } {
  for (const line of stdout.split('\n').reverse()) {
    const m = CONSUMER_SUMMARY.exec(line.trim());
    if (m === null) continue;
    return { messages: Number(m[1]), bytes: Number(m[2]), ms: Number(m[3]), msgsPerSec: Number(m[4]), mbPerSec: Number(m[5]) };
  }
  throw new Error(`rdkafka_performance: no consumer summary line in its output:\n${stdout.slice(-1500)}`);
}
