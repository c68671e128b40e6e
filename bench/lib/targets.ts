/**
 * The suite's targets: "client ≥ min × peer" in msgs/s (ops/s for serde), per scenario. RESULTS.md
 * prints every target as met / MISSED / not measured (lib/results-md.ts), and below a missed one
 * the measured profile of both clients and the static notes of lib/profiles.ts under the same id.
 */
export interface Target {
  /** Stable id, the key of PROFILES in lib/profiles.ts. */
  readonly id: string;
  readonly scenario: string;
  readonly client: string;
  readonly peer: string;
  /** Minimum ratio client / peer. */
  readonly min: number;
}

const t = (scenario: string, client: string, peer: string, min: number): Target => ({ id: `${scenario}:${client}-vs-${peer}`, scenario, client, peer, min });

/** Issue 14 (batch-native engine), same run, medians; serde targets from the serde issue. */
export const TARGETS: readonly Target[] = [
  ...['producer-100b', 'producer-1kib'].flatMap((sc) => [
    // gocoffee-batch-failures: publishBatch() with { results: 'failures' }; gocoffee-batch-packed: createBatch() / sendBatch()
    // (the "publishBatch() and a new batch API"), listed beside gocoffee-batch
    ...['gocoffee-batch', 'gocoffee-batch-failures', 'gocoffee-batch-packed', 'gocoffee-send'].flatMap((c) => [t(sc, c, 'librdkafka-perf', 0.5), t(sc, c, 'platformatic', 1.5), t(sc, c, 'node-rdkafka', 2.5)]),
    t(sc, 'gocoffee', 'platformatic', 1.2),
    t(sc, 'gocoffee', 'node-rdkafka', 2),
  ]),
  t('consumer-trivial', 'gocoffee', 'librdkafka-perf', 0.5),
  t('consumer-trivial', 'gocoffee', 'kafkajs', 1.2),
  t('consumer-trivial', 'gocoffee', 'node-rdkafka', 4),
  t('consumer-cpu', 'gocoffee', 'in-process', 1.7),
  // telemetry cost: metrics only ≤ 5 %, tracing at 1 % sampling ≤ 10 % (by the SDK's ratio sampler, and by the library's
  // head sampling traceSampleRatio); 100 % tracing is reported, not targeted
  t('producer-telemetry-on', 'gocoffee-metrics', 'gocoffee', 0.95),
  t('producer-telemetry-on', 'gocoffee-sampled-1pct', 'gocoffee', 0.9),
  t('producer-telemetry-on', 'gocoffee-headsampled-1pct', 'gocoffee', 0.9),
  t('serde-encode', 'gocoffee', 'confluent-serde', 5),
  t('serde-decode', 'gocoffee', 'confluent-serde', 5),
];
