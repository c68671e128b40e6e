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

export const TARGETS: readonly Target[] = [
  t('producer-100b', 'gocoffee', 'node-rdkafka', 0.95),
  t('producer-1kib', 'gocoffee', 'node-rdkafka', 0.95),
  t('producer-100b', 'gocoffee', 'kafkajs', 3),
  t('producer-1kib', 'gocoffee', 'kafkajs', 3),
  t('producer-100b', 'gocoffee', 'platformatic', 1.5),
  t('producer-1kib', 'gocoffee', 'platformatic', 1.5),
  t('producer-telemetry-on', 'gocoffee-telemetry', 'gocoffee', 0.9),
  t('consumer-trivial', 'gocoffee', 'node-rdkafka', 0.9),
  t('consumer-cpu', 'gocoffee', 'in-process', 1.6),
  t('serde-encode', 'gocoffee', 'confluent-serde', 5),
  t('serde-decode', 'gocoffee', 'confluent-serde', 5),
];
