/**
 * The `ck-js` peer: @confluentinc/kafka-javascript, installed on demand into bench/peers/ (its own
 * package.json pins the version; package-lock.json is committed; node_modules/ is git-ignored) and
 * NOT a dependency of the library: its prebuilt binary comes from a host that is not always
 * reachable, so it is built from source at install with CKJS_LINKING=dynamic (against the system's
 * OpenSSL/zlib/zstd/lz4/SASL; about 1.5 minutes on 2 vCPUs).
 *
 * It runs in a CHILD PROCESS (scenarios/workers/ckjs-peer.ts, forked once per bench process and
 * reused by every ck-js run), not in the bench process: its librdkafka.so.1 (2.15.x) has the same
 * SONAME as node-rdkafka's (2.12.0), and the dynamic loader satisfies a library already loaded
 * under that SONAME, so loaded after node-rdkafka it would silently run on node-rdkafka's
 * librdkafka (measured: `librdkafkaVersion` 2.12.0 when node-rdkafka is required first, 2.15.1
 * when it is required alone). The child loads nothing but ck-js (and the bench's small timing
 * helpers), checks that the librdkafka it runs is the one ck-js bundles, and measures each run
 * itself (the same clock, latency sampler and CPU window as the in-process clients); a run is one
 * request over the IPC channel, so the runner's warm-up run warms the very process the timed runs
 * use.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CKJS_PACKAGE, install, PEERS_DIR, pinnedVersion, PKG_DIR } from '../peers/install.mjs';
import type { RunMeasurement } from './types.js';
import { REPO_ROOT } from './versions.js';

export { CKJS_PACKAGE, PEERS_DIR, pinnedVersion };
const CHILD = fileURLToPath(new URL('../scenarios/workers/ckjs-peer.ts', import.meta.url));

export interface CkjsInstall {
  version: string;
  /** librdkafka the package bundles (package.json "librdkafka"). */
  bundledLibrdkafka: string;
  /** Installed during this bench process (false: the existing copy was used). */
  installed: boolean;
  seconds: number;
}

let installing: Promise<CkjsInstall> | undefined;

/**
 * Makes bench/peers/node_modules hold the pinned version, built for this Node
 * (bench/peers/install.mjs: `npm ci` with CKJS_LINKING=dynamic unless set, output in
 * bench/peers/install.log; .ci/run runs it ahead, beside `npm ci`). Once per process: a failure
 * (thrown with npm's error lines) is not retried by the later scenarios of the same bench run.
 */
export function ensureCkjsInstalled(log: (m: string) => void): Promise<CkjsInstall> {
  return (installing ??= (async () => {
    const { version, installed, seconds } = await install(log);
    const bundled = (JSON.parse(readFileSync(path.join(PKG_DIR, 'package.json'), 'utf8')) as { librdkafka?: string }).librdkafka ?? 'unknown';
    return { version, bundledLibrdkafka: bundled, installed, seconds };
  })());
}

// ---------------------------------------------------------------------------------------------
// The child process and its protocol
// ---------------------------------------------------------------------------------------------

export interface CkjsProduceRequest {
  op: 'produce';
  topic: string;
  messages: number;
  partitions: number;
  /** The payload, base64. */
  value: string;
  keys: string[] | null;
  batch: number;
  concurrency: number;
  /** librdkafka properties (outer config of kafka.producer()). */
  config: Record<string, string | number | boolean>;
  /** KafkaJS-block settings of kafka.producer({ kafkaJS }). */
  kafkaJS: Record<string, unknown>;
}

export interface CkjsConsumeRequest {
  op: 'consume';
  topic: string;
  messages: number;
  messageBytes: number;
  groupId: string;
  partitionsConsumedConcurrently: number;
  config: Record<string, string | number | boolean>;
  kafkaJS: Record<string, unknown>;
  timeoutMs: number;
}

export interface CkjsHello {
  version: string;
  librdkafka: string;
  bundledLibrdkafka: string;
  pid: number;
}

export type CkjsRequest = ({ op: 'hello' } | CkjsProduceRequest | CkjsConsumeRequest) & { id: number };
export type CkjsResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
/** RunMeasurement over IPC (typed arrays become plain arrays). */
export type WireMeasurement = Omit<RunMeasurement, 'latenciesMs'> & { latenciesMs?: number[] };

class CkjsChild {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #nextId = 1;
  #exited: string | undefined;

  constructor() {
    // --import tsx: the child is TypeScript; --expose-gc: it collects garbage before every run, as
    // the runner does in the bench process; V8 heap flags the runner was started with (e.g.
    // --max-semi-space-size) apply to this client too, like to the in-process ones
    const heapFlags = process.execArgv.filter((a) => /^--(max|min)[-_]semi[-_]space[-_]size\b/.test(a));
    this.#child = fork(CHILD, [], { cwd: REPO_ROOT, execArgv: [...heapFlags, '--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (m: CkjsResponse) => {
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    this.#child.on('exit', (code, signal) => {
      this.#exited = `the ck-js child process exited (${code ?? signal})`;
      for (const p of this.#pending.values()) p.reject(new Error(this.#exited));
      this.#pending.clear();
      if (child === this) child = undefined;
    });
    this.#child.on('error', (e) => {
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    });
    // never keeps the bench alive; the child exits when the IPC channel closes
    this.#child.unref();
    (this.#child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  request<T>(req: { op: 'hello' } | CkjsProduceRequest | CkjsConsumeRequest): Promise<T> {
    if (this.#exited !== undefined) return Promise.reject(new Error(this.#exited));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // keep the channel referenced while a request is open, so the event loop waits for the reply
      (this.#child.channel as { ref?: () => void } | undefined)?.ref?.();
      this.#child.send({ ...req, id } satisfies CkjsRequest, (err) => {
        if (err) {
          this.#pending.delete(id);
          reject(err);
        }
      });
    }).finally(() => {
      if (this.#pending.size === 0) (this.#child.channel as { unref?: () => void } | undefined)?.unref?.();
    });
  }

  kill(): void {
    this.#child.kill();
  }
}

let child: CkjsChild | undefined;
let hello: Promise<CkjsHello> | undefined;

/**
 * The ck-js child process (installed first if needed), started once and reused; resolves with what
 * it runs. Rejects when the package cannot be installed or loaded, or runs another librdkafka than
 * the one it bundles.
 */
export function ckjsChild(log: (m: string) => void): Promise<{ child: { request<T>(req: CkjsProduceRequest | CkjsConsumeRequest): Promise<T> }; hello: CkjsHello }> {
  return (async () => {
    await ensureCkjsInstalled(log);
    if (child === undefined) {
      child = new CkjsChild();
      hello = undefined;
    }
    const c = child;
    const h = await (hello ??= c.request<CkjsHello>({ op: 'hello' }).catch((err: unknown) => {
      hello = undefined;
      throw err;
    }));
    if (h.librdkafka !== h.bundledLibrdkafka) {
      c.kill();
      throw new Error(`ck-js runs librdkafka ${h.librdkafka}, but bundles ${h.bundledLibrdkafka}: another librdkafka.so.1 was loaded first in its process`);
    }
    return { child: c, hello: h };
  })();
}

process.once('exit', () => child?.kill());
