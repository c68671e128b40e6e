/**
 * The scenario registry's contract. A scenario group (one module under bench/scenarios/) exports
 * scenarios; each scenario has several clients (this library, the raw node-rdkafka baseline,
 * later kafkajs, platformatic, java...). The runner measures every client `runs` times,
 * interleaved, and reduces the runs to medians.
 */
import type { KafkaConfig } from '../../src/config/index.js';
import type { TopicAdmin } from './kafka.js';

export interface BenchOptions {
  readonly quick: boolean;
  /** Measured runs per client. */
  readonly runs: number;
  /** Overrides the scenario's message count. */
  readonly messages: number | undefined;
  /** Distinct message keys (0 = keyless). */
  readonly keys: number;
  readonly partitions: number;
  /** Messages of an untimed warm-up run per client (0 = none). */
  readonly warmupMessages: number;
  /** Only these clients (undefined = all). */
  readonly clients: ReadonlySet<string> | undefined;
  /** Delete each run's topic afterwards (frees broker disk). */
  readonly deleteTopics: boolean;
  /** Poll interval of the library's producer (ConnectionManager option), ms. */
  readonly pollIntervalMs: number;
}

export interface BenchContext {
  readonly options: BenchOptions;
  readonly config: KafkaConfig;
  readonly admin: TopicAdmin;
  readonly replicationFactor: number;
  /** Records a peer client's version in the output's `versions.peers`. */
  notePeerVersion(name: string, version: string): void;
  log(message: string): void;
}

/** What one timed run of one client measured. */
export interface RunMeasurement {
  readonly messages: number;
  /** Payload bytes (values only) moved in the timed window. */
  readonly bytes: number;
  /** From the first send to the last acknowledgement. */
  readonly elapsedMs: number;
  /** Sampled per-message latencies (ms), if the client records them. */
  readonly latenciesMs?: ArrayLike<number>;
  /** Percentiles computed elsewhere (e.g. printed by a Java tool), when there are no samples. */
  readonly latencySummary?: { readonly p50Ms: number; readonly p95Ms: number; readonly p99Ms: number };
  /** Delivery failures (a run with failures is reported, and flagged). */
  readonly errors: number;
  /** Anything else worth keeping (queue-full retries, ...), reduced to medians. */
  readonly extra?: Readonly<Record<string, number>>;
}

export interface RunInput {
  /** A fresh topic, already created with every partition led. */
  readonly topic: string;
  readonly messages: number;
  /** 0 for the warm-up run. */
  readonly run: number;
  readonly warmup: boolean;
}

export interface ClientRunner {
  readonly client: string;
  /**
   * No separate warm-up run for this client (the runner logs why): e.g. a tool that starts a fresh
   * JVM per run, where a warm-up run cannot warm the measured one, and warms up in-process instead.
   */
  readonly skipWarmup?: string;
  /**
   * Work done once before the scenario's first run, outside any timed window (compile a tool,
   * install a package, start a helper process). If it throws, the client is not run and its result
   * is reported with `failed` (the reason); the other clients still run.
   */
  prepare?(): Promise<void>;
  /**
   * A run that throws marks only this client as failed (reported with the reason, its remaining
   * runs skipped) instead of ending the bench: for peers built or installed on demand.
   */
  readonly optional?: boolean;
  /** Called for every run (warm-up included) with a fresh topic; creates and closes its own clients. */
  run(input: RunInput): Promise<RunMeasurement>;
}

export interface Scenario {
  /** DESIGN.md §8 scenario name, e.g. `producer-100b`. */
  readonly name: string;
  readonly description: string;
  readonly messageBytes?: number;
  /** Message count for this run (quick vs full); `--messages` overrides it. */
  messages(options: BenchOptions): number;
  /**
   * Upper bound on the warm-up run's messages (besides `--warmup` and the run's own count), for
   * scenarios whose messages are slow (CPU handler, paced latency): absent = no extra bound.
   */
  warmupMessages?(options: BenchOptions): number;
  /** Settings of the fresh topic every run gets (absent = the scenario needs none). */
  topic?(options: BenchOptions): { readonly partitions: number; readonly config?: Record<string, string> };
  /** The client every ratio is computed against (`node-rdkafka`). */
  readonly baseline: string;
  /** Settings printed before the run and stored under `settings.scenarios[name]`. */
  settings(ctx: BenchContext): Record<string, unknown>;
  clients(ctx: BenchContext): ClientRunner[];
  /** Called once after the scenario's last run, also when a client failed (e.g. to drop a shared topic). */
  finish?(ctx: BenchContext): Promise<void>;
}

/** A module under bench/scenarios/ exports one group. */
export interface ScenarioGroup {
  readonly group: string;
  readonly scenarios: readonly Scenario[];
}

/** One line of the output's `results` (DESIGN.md §8; numbers are medians over `runs`). */
export interface BenchResult {
  scenario: string;
  client: string;
  messageBytes?: number;
  messages: number;
  msgsPerSec: number;
  mbPerSec?: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  runs: number;
  spread: { min: number; max: number };
  perRunMsgsPerSec: number[];
  elapsedMs: number;
  ratioVsRaw?: number;
  errors: number;
  extra?: Record<string, number>;
  /**
   * Set when the client could not be measured (its tool did not build, its package did not
   * install, a run threw): the reason. msgsPerSec etc. are 0 then, `runs` = the runs completed
   * before the failure (not reduced into medians).
   */
  failed?: string;
}
