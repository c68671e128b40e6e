/**
 * Serde micro-benchmarks (benny): `serde-encode` and `serde-decode` of one BeverageCreated event.
 *
 * Clients:
 *   gocoffee         EventSerde({ registry, autoRegister }).encoder(topic, 'BeverageCreated') once,
 *                    then the synchronous `encoder.encode(event)`; decode = `await serde.decode({ topic,
 *                    value, header })` (async API; the writer schema is cached after the first call).
 *   confluent-serde  @confluentinc/schemaregistry AvroSerializer({ useLatestVersion }) /
 *                    AvroDeserializer against the same registry (async API; timestamp-millis is a
 *                    number there, a Date for us).
 *   json             JSON.stringify → Buffer / JSON.parse of the same event (no schema, no registry).
 * Every timed run is one benny suite with one case; msgs/s = benny's ops/s (the registry is not on
 * the clock: both serdes cache schemas after the first call, which is made before timing).
 * ratioVsRaw here = ops/s ÷ confluent-serde's ops/s.
 */
import { createRequire } from 'node:module';
import { EventSerde } from '../../src/gocoffee/serde.js';
import { SchemaRegistry } from '../../src/schema/registry.js';
import { uniqueName } from '../lib/kafka.js';
import { packageVersion } from '../lib/versions.js';
import type { BenchContext, BenchOptions, ClientRunner, RunMeasurement, Scenario, ScenarioGroup } from '../lib/types.js';

const require = createRequire(import.meta.url);

export const REGISTRY_URL = process.env.GOCOFFEE_SCHEMA_REGISTRY_URL || 'http://127.0.0.1:8081/apis/ccompat/v7';

const T0 = new Date(1_700_000_000_000);
const EVENT = {
  beverage_id: 'bev-1',
  name: 'Cosmic Coffee',
  description: 'A stellar blend',
  theme: 'Mars Base',
  ingredients: [{ name: 'Coffee Beans', quantity: '200g', type: 'Base' }],
  created_by: 'beverage-inventor-agent',
  created_at: T0,
  metadata: { source: 'bench' },
  calories: 120,
  tags: ['seasonal'],
};
const EVENT_CONFLUENT = { ...EVENT, created_at: T0.getTime() };

type Op = () => unknown;
interface Fixture {
  topic: string;
  ours: { encode: Op; decode: Op; bytes: Buffer };
  confluent: { encode: Op; decode: Op };
  json: { encode: Op; decode: Op; bytes: Buffer };
}

let fixture: Promise<Fixture> | undefined;
function setup(ctx: BenchContext): Promise<Fixture> {
  return (fixture ??= (async () => {
    const topic = uniqueName('bench.serde.beverage.created');
    const serde = new EventSerde({ registry: new SchemaRegistry({ url: REGISTRY_URL }), autoRegister: true });
    const enc = await serde.encoder(topic, 'BeverageCreated');
    const bytes = enc.encode(EVENT);
    const view = { topic, value: bytes, header: () => undefined };
    await serde.decode(view);
    ctx.notePeerVersion('@confluentinc/schemaregistry', packageVersion('@confluentinc/schemaregistry'));
    const sr = require('@confluentinc/schemaregistry') as typeof import('@confluentinc/schemaregistry');
    const client = new sr.SchemaRegistryClient({ baseURLs: [REGISTRY_URL], createAxiosDefaults: { timeout: 10_000 }, maxRetries: 2 });
    // TopicNameStrategy, as this library: the client's default (ASSOCIATED) first asks the
    // /associations API, which Apicurio does not implement (one request, then cached per topic).
    const topicNames = { subjectNameStrategyType: sr.SubjectNameStrategyType.TOPIC };
    const ser = new sr.AvroSerializer(client, sr.SerdeType.VALUE, { useLatestVersion: true, ...topicNames });
    const de = new sr.AvroDeserializer(client, sr.SerdeType.VALUE, { ...topicNames });
    const theirs = await ser.serialize(topic, EVENT_CONFLUENT);
    await de.deserialize(topic, theirs);
    if (Buffer.compare(theirs.subarray(5), bytes.subarray(5)) !== 0) ctx.log('  serde: note: Avro bodies of the two serdes differ');
    const jsonBytes = Buffer.from(JSON.stringify(EVENT));
    return {
      topic,
      ours: { encode: () => enc.encode(EVENT), decode: () => serde.decode(view), bytes },
      confluent: { encode: () => ser.serialize(topic, EVENT_CONFLUENT), decode: () => de.deserialize(topic, theirs) },
      json: { encode: () => Buffer.from(JSON.stringify(EVENT)), decode: () => JSON.parse(jsonBytes.toString('utf8')) as unknown, bytes: jsonBytes },
    };
  })());
}

async function bennyOps(name: string, fn: Op, async: boolean, maxTime: number): Promise<{ ops: number; margin: number; samples: number }> {
  const b = (await import('benny')) as unknown as typeof import('benny');
  const mod = (b as unknown as { default?: typeof import('benny') }).default ?? b;
  const origLog = console.log;
  console.log = () => undefined; // benny prints its own progress
  try {
    const summary = await mod.suite(
      name,
      mod.add(name, async ? async () => void (await fn()) : () => void fn(), { minSamples: 5, maxTime }),
      mod.complete(),
    );
    const r = summary.results[0]!;
    return { ops: r.ops, margin: r.margin, samples: r.samples };
  } finally {
    console.log = origLog;
  }
}

/**
 * benny's maxTime per timed run (full 3 s, --quick 0.25 s) and per warm-up run (0.5 s, --quick
 * 0.1 s). benny (Benchmark.js) still takes its 5 samples and a calibration cycle, so a quick run
 * lasts ~0.5 s.
 */
function maxTimeSeconds(ctx: BenchContext, warmup: boolean): number {
  if (warmup) return ctx.options.quick ? 0.1 : 0.5;
  return ctx.options.quick ? 0.25 : 3;
}

function runner(ctx: BenchContext, client: string, kind: 'encode' | 'decode', pick: (f: Fixture) => Op, async: boolean): ClientRunner {
  return {
    client,
    async run({ warmup }): Promise<RunMeasurement> {
      const f = await setup(ctx);
      const r = await bennyOps(`${kind}-${client}`, pick(f), async, maxTimeSeconds(ctx, warmup));
      // Expressed as "messages in one second" so the runner's msgs/s = benny's ops/s.
      return { messages: Math.round(r.ops), bytes: 0, elapsedMs: 1000, errors: 0, extra: { marginPct: Math.round(r.margin * 100) / 100, benchSamples: r.samples } };
    },
  };
}

function serdeScenario(kind: 'encode' | 'decode'): Scenario {
  return {
    name: `serde-${kind}`,
    description: `${kind} one BeverageCreated event (benny ops/s): this library vs Confluent's serde vs JSON`,
    messages: (_o: BenchOptions) => 1,
    baseline: 'confluent-serde',
    settings: (ctx) => ({
      event: 'BeverageCreated (schemas/), 1 ingredient, 1 tag, 1 metadata entry',
      registry: REGISTRY_URL,
      benny: { minSamples: 5, maxTimeSeconds: maxTimeSeconds(ctx, false), warmupMaxTimeSeconds: maxTimeSeconds(ctx, true) },
      gocoffee: kind === 'encode' ? 'AvroEncoder.encode(event) (sync, after one encoder() lookup)' : 'await EventSerde.decode({ topic, value, header }) (async API, writer schema cached)',
      'confluent-serde': kind === 'encode' ? 'await AvroSerializer({ useLatestVersion: true, subjectNameStrategyType: TOPIC }).serialize(topic, event)' : 'await AvroDeserializer.deserialize(topic, bytes)',
      json: kind === 'encode' ? 'Buffer.from(JSON.stringify(event))' : 'JSON.parse(buffer.toString())',
      ratioVsRaw: 'here = ops/s ÷ confluent-serde ops/s',
    }),
    clients: (ctx) => [
      runner(ctx, 'confluent-serde', kind, (f) => f.confluent[kind], true),
      runner(ctx, 'gocoffee', kind, (f) => f.ours[kind], kind === 'decode'),
      runner(ctx, 'json', kind, (f) => f.json[kind], false),
    ],
  };
}

export const serdeGroup: ScenarioGroup = { group: 'serde', scenarios: [serdeScenario('encode'), serdeScenario('decode')] };
