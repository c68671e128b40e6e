/**
 * The scenario registry. Add a group by writing bench/scenarios/<group>.ts that exports a
 * ScenarioGroup and listing it here; `--only` selects scenarios by name or whole groups by group
 * name. Groups: producer (producer-100b, producer-1kib, with the kafkajs / platformatic / java /
 * librdkafka-perf / ck-js peers of producer-peers.ts), telemetry, consumer (consumer-trivial with
 * its peers, consumer-cpu), latency, serde (DESIGN.md §8 names).
 */
import type { Scenario, ScenarioGroup } from '../lib/types.js';
import { producerGroup } from './producer.js';
import { consumerGroup } from './consumer.js';
import { serdeGroup } from './serde.js';
import { latencyGroup } from './latency.js';
import { telemetryGroup } from './telemetry.js';

export const GROUPS: readonly ScenarioGroup[] = [producerGroup, telemetryGroup, consumerGroup, latencyGroup, serdeGroup];

export function allScenarios(): Scenario[] {
  return GROUPS.flatMap((g) => g.scenarios);
}

/** Scenarios selected by `--only a,b` (scenario or group names); all when `only` is undefined. */
export function selectScenarios(only: readonly string[] | undefined): Scenario[] {
  if (only === undefined || only.length === 0) return allScenarios();
  const known = new Set([...GROUPS.map((g) => g.group), ...allScenarios().map((s) => s.name)]);
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  const wanted = new Set(only);
  return GROUPS.flatMap((g) => (wanted.has(g.group) ? g.scenarios : g.scenarios.filter((s) => wanted.has(s.name))));
}
