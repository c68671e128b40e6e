/**
 * Issue 16 item 2: events written as the Go services' encoding/json writes the seed's structs
 * (src/schema/go-json-writer.ts), chosen per topic by `serialization` / `topic_serialization`.
 *
 * The fixture check: the deterministic events of test/fixtures/go/ts-written-events.ts are
 * published through the EventPublisher (serialization: json) and compared with the committed
 * test/fixtures/go/ts-written.json; the Go program test/fixtures/go/check decodes them into the
 * seed's structs (DisallowUnknownFields) and its output must equal the committed verdict
 * ts-written.check.json (without Go on PATH the committed verdict is checked against the committed
 * messages instead). To rewrite the committed files after an intended change:
 * `GOCOFFEE_WRITE_GO_FIXTURES=1 npx mocha --config test/.mocharc.unit.json test/unit/schema/go-json-writer.test.ts`.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolveConfig, type KafkaConfigInput } from '../../../src/config/index.js';
import { InvalidArgumentError } from '../../../src/errors/base.js';
import { EVENTS, goCoffeeEvents, type EventName } from '../../../src/gocoffee/catalog.js';
import { EventPublisher } from '../../../src/gocoffee/publisher.js';
import { EventSerde, goJsonWriter } from '../../../src/gocoffee/serde.js';
import type { Producer } from '../../../src/producer/producer.js';
import { parseSchema } from '../../../src/schema/avro.js';
import { SchemaValidationError } from '../../../src/schema/errors.js';
import { GoJsonWriter, goString, goTime } from '../../../src/schema/go-json-writer.js';
import { JsonEncoder } from '../../../src/schema/json-codec.js';
import { SchemaRegistry } from '../../../src/schema/registry.js';
import { TypedEvents, TypedPublisher, defineEvents } from '../../../src/typed/index.js';
import type { EventInputTypes, EventTypes } from '../../fixtures/generic-project/events.js';
import {
  GO_EVENTS,
  VERDICT_FILE,
  WRITTEN_FILE,
  assertGoVerdict,
  goBinary,
  runGoCheck,
  type GoVerdict,
  type WrittenMessage,
} from '../../fixtures/go/ts-written-events.js';
import { FakeProducer, ORDER, SCHEMAS } from '../typed/helpers.js';

const REJECTED_FILE = VERDICT_FILE.replace(/\.check\.json$/, '.rejected.check.json');
const WRITE = process.env.GOCOFFEE_WRITE_GO_FIXTURES === '1';
const GO = goBinary();

const byEventType = new Map(EVENTS.map((e) => [e.eventType, e.name] as const));
const writerOf = (name: EventName): GoJsonWriter => {
  const versions = goCoffeeEvents().schemas.get(name)!;
  return goJsonWriter(name, versions[versions.length - 1]!) as GoJsonWriter;
};
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** Publishes through the Go Coffee EventPublisher into a fake producer; returns what it sent. */
async function publishAll(input: KafkaConfigInput, events: ReadonlyArray<readonly [EventName, Record<string, unknown>]>): Promise<{ sent: FakeProducer['sent']; serde: EventSerde; publisher: EventPublisher }> {
  const registry = new SchemaRegistry({ url: 'http://127.0.0.1:9' }); // JSON never asks it
  const serde = new EventSerde({ registry }, (t) => byEventType.get(t));
  const producer = new FakeProducer();
  const publisher = new EventPublisher(resolveConfig({ brokers: ['localhost:9092'], ...input }), serde, () => producer as unknown as Producer);
  try {
    for (const [name, e] of events) await publisher.publish(name, e);
  } finally {
    registry.close();
  }
  return { sent: producer.sent, serde, publisher };
}

function written(sent: FakeProducer['sent']): WrittenMessage[] {
  return sent.map((m, i) => ({
    event: GO_EVENTS[i]![0],
    topic: m.topic,
    key: typeof m.key === 'string' ? m.key : null,
    headers: Object.fromEntries((m.headers ?? []).map(([k, v]) => [k, String(v)])),
    payload: (m.value as Buffer).toString('utf8'),
  }));
}

describe('schema/go-json-writer: the Go services\' encoding/json rules', () => {
  it('strings: <, >, &, U+2028, U+2029 escaped as Go does; a lone surrogate as U+FFFD; control characters as Go ≥ 1.22', () => {
    assert.equal(goString('<a href="x">&</a>'), '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"');
    assert.equal(goString('a\u2028b\u2029c'), '"a\\u2028b\\u2029c"');
    assert.equal(goString('x\ud800y'), '"x\ufffdy"');
    assert.equal(goString('\n\t\r\b\f\u0001\u001f\u007f\\"'), '"\\n\\t\\r\\b\\f\\u0001\\u001f\u007f\\\\\\""');
    assert.equal(goString('caf\u00e9 \u{1F680}'), '"caf\u00e9 \u{1F680}"', 'other characters as UTF-8, unescaped');
  });

  it('times: time.Time MarshalJSON (RFC 3339, fraction without trailing zeros, Z for UTC)', () => {
    assert.equal(goTime(new Date('2024-01-01T12:00:00.000Z')), '2024-01-01T12:00:00Z');
    assert.equal(goTime(new Date('2024-01-01T12:00:00.100Z')), '2024-01-01T12:00:00.1Z');
    assert.equal(goTime(new Date('2024-01-01T12:00:00.120Z')), '2024-01-01T12:00:00.12Z');
    assert.equal(goTime(new Date('2024-01-01T12:00:00.123Z')), '2024-01-01T12:00:00.123Z');
    assert.equal(goTime(new Date('2024-01-01T12:00:00.010Z')), '2024-01-01T12:00:00.01Z');
    const year0 = new Date(0);
    year0.setUTCFullYear(0, 0, 1);
    assert.equal(goTime(year0), '0000-01-01T00:00:00Z');
  });

  it('AIRequestCompleted: duration_ms as `duration` in nanoseconds, error and metadata omitted when empty, in the struct\'s order', () => {
    const w = writerOf('AIRequestCompleted');
    const base = { request_id: 'r', provider: 'p', model: 'm', operation: 'o', tokens_used: 3, duration_ms: 1500, success: true, completed_at: new Date('2024-01-01T00:00:00.5Z') };
    assert.equal(w.encode(base).toString(), '{"request_id":"r","provider":"p","model":"m","operation":"o","tokens_used":3,"duration":1500000000,"success":true,"completed_at":"2024-01-01T00:00:00.5Z"}');
    assert.equal(w.encode({ ...base, error: '', metadata: {} }).toString(), w.encode(base).toString(), '"" and {} are empty for omitempty');
    assert.equal(
      w.encode({ ...base, duration_ms: 0, success: false, error: 'boom', metadata: { z: '1', a: '2' } }).toString(),
      '{"request_id":"r","provider":"p","model":"m","operation":"o","tokens_used":3,"duration":0,"success":false,"error":"boom","completed_at":"2024-01-01T00:00:00.5Z","metadata":{"a":"2","z":"1"}}',
    );
    assert.equal(w.entityType, 'ai_request');
    assert.equal(w.entityIdField, 'request_id');
  });

  it('validates like the Avro path: SchemaValidationError naming the field, also for a field the schema does not have; nothing is written', () => {
    const w = writerOf('TaskCreated');
    const task = GO_EVENTS.find(([n]) => n === 'TaskCreated')![1];
    assert.throws(() => w.encode({ ...task, priority: 7 }), (e: unknown) => e instanceof SchemaValidationError && e.field === 'priority' && /got number 7, expected a string/.test(e.message));
    assert.throws(() => w.encode({ ...task, prioirty: 'high' }), (e: unknown) => e instanceof SchemaValidationError && e.field === 'prioirty');
    assert.throws(() => w.encode({ ...task, created_at: 'yesterday' }), (e: unknown) => e instanceof SchemaValidationError && e.field === 'created_at');
    assert.throws(() => w.encode(null), SchemaValidationError);
    const b = writerOf('BeverageCreated');
    const bev = GO_EVENTS[0]![1];
    assert.throws(() => b.encode({ ...bev, ingredients: [{ name: 'x', quantity: 1, type: 't' }] }), (e: unknown) => e instanceof SchemaValidationError && e.field === 'ingredients.0.quantity');
  });

  it('refuses what the Go struct cannot carry instead of dropping it: a v2 field away from its default, a year outside 0..9999, a duration beyond int64 nanoseconds', () => {
    const b = writerOf('BeverageCreated');
    const bev = GO_EVENTS[0]![1];
    assert.throws(() => b.encode({ ...bev, calories: 120 }), (e: unknown) => e instanceof SchemaValidationError && e.field === 'calories' && /BeverageCreatedEvent has no field for it/.test(e.message));
    assert.throws(() => b.encode({ ...bev, tags: ['vegan'] }), (e: unknown) => e instanceof SchemaValidationError && e.field === 'tags');
    assert.doesNotThrow(() => b.encode({ ...bev, calories: null, tags: [] }));
    assert.throws(() => b.encode({ ...bev, created_at: new Date(Date.UTC(10000, 0, 1)) }), (e: unknown) => e instanceof SchemaValidationError && e.field === 'created_at' && /year 10000/.test(e.message));
    const a = writerOf('AIRequestCompleted');
    const ai = { request_id: 'r', provider: 'p', model: 'm', operation: 'o', tokens_used: 3, duration_ms: 9_223_372_036_855, success: true, completed_at: new Date(0) };
    assert.throws(() => a.encode(ai), (e: unknown) => e instanceof SchemaValidationError && e.field === 'duration_ms');
    assert.match(a.encode({ ...ai, duration_ms: -9_223_372_036_854 }).toString(), /"duration":-9223372036854000000,/);
  });

  it('the default layout writes every field of another schema (nullable, union, bytes, enum, float, nested record); NaN is refused', () => {
    const type = parseSchema({
      type: 'record', name: 'Thing', namespace: 't', fields: [
        { name: 'id', type: 'string' },
        { name: 'size', type: ['null', 'double'], default: null },
        { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
        { name: 'blob', type: 'bytes' },
        { name: 'either', type: ['string', 'int'] },
        { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'z', type: 'int' }, { name: 'a', type: 'boolean' }] } },
      ],
    });
    const w = new GoJsonWriter('Thing', type);
    const v = { id: 'x', size: 1.5e-7, kind: 'B', blob: Buffer.from([0, 255]), either: 7, inner: { z: 1, a: false } };
    assert.equal(w.encode(v).toString(), '{"id":"x","size":1.5e-7,"kind":"B","blob":"AP8=","either":7,"inner":{"z":1,"a":false}}');
    assert.equal(w.encode({ ...v, size: null }).toString().slice(0, 22), '{"id":"x","size":null,');
    assert.throws(() => w.encode({ ...v, size: Number.NaN }), (e: unknown) => e instanceof SchemaValidationError && e.field === 'size');
    assert.equal(w.entityType, undefined);
  });

  it('a layout naming a field the schema does not have is an InvalidArgumentError when the writer is made', () => {
    const versions = goCoffeeEvents().schemas.get('TaskCreated')!;
    assert.throws(() => new GoJsonWriter('TaskCreated', versions[0]!.type, { fields: [{ json: 'task_id' }, { json: 'taskId', from: 'task_ident' }] }), (e: unknown) => e instanceof InvalidArgumentError && /TaskCreated\.task_ident/.test(e.message));
    assert.throws(() => new GoJsonWriter('TaskCreated', versions[0]!.type, { fields: [{ json: 'title', encoding: 'durationNs' }] }), InvalidArgumentError);
  });
});

describe('Go JSON on the publish path (kafka.serialization / kafka.topic_serialization)', () => {
  it('serialization: json — the EventPublisher writes the Go headers (event_type, entity_type, entity_id, content_type), keyed by the entity id', async () => {
    const { sent } = await publishAll({ serialization: 'json' }, [GO_EVENTS[0]!, GO_EVENTS[9]!]);
    assert.deepEqual(sent[0]!.headers, [['event_type', 'beverage.created'], ['entity_type', 'beverage'], ['entity_id', '123e4567-e89b-12d3-a456-426614174000'], ['content_type', 'application/json']]);
    assert.equal(sent[0]!.key, '123e4567-e89b-12d3-a456-426614174000');
    assert.equal(sent[0]!.topic, 'beverage.created');
    assert.deepEqual(sent[1]!.headers, [['event_type', 'ai.request.completed'], ['entity_type', 'ai_request'], ['entity_id', 'req-ok'], ['content_type', 'application/json']]);
  });

  it('Avro stays the default; topic_serialization wins per topic key over serialization', async () => {
    const names = EVENTS.map((e) => e.name);
    const formats = async (input: KafkaConfigInput) => {
      const { publisher } = await publishAll(input, []);
      return Object.fromEntries(names.map((n) => [n, publisher.serializationOf(n)]));
    };
    assert.ok(Object.values(await formats({})).every((f) => f === 'avro'));
    const mixed = await formats({ serialization: 'JSON', topicSerialization: { task_created: 'avro', aiRequestCompleted: 'json' } });
    assert.equal(mixed['TaskCreated'], 'avro');
    assert.equal(mixed['BeverageCreated'], 'json');
    assert.equal(mixed['AIRequestCompleted'], 'json');
    const one = await formats({ topicSerialization: { beverage_created: 'json' } });
    assert.deepEqual(Object.entries(one).filter(([, f]) => f === 'json').map(([n]) => n), ['BeverageCreated']);
  });

  it('the generic path writes the same Go JSON: goCoffeeEvents().serde() equals the EventSerde; TypedEvents(goCoffeeEvents()) publishes the same bytes and headers', async () => {
    const { sent, serde } = await publishAll({ serialization: 'json' }, GO_EVENTS);
    const generic = goCoffeeEvents().serde(); // no registry: JSON only
    for (const [i, [name, event]] of GO_EVENTS.entries()) {
      const bytes = generic.jsonEncoder(name).encode(event).toString();
      assert.equal(bytes, serde.jsonEncoder(name).encode(event).toString(), name);
      assert.equal(bytes, (sent[i]!.value as Buffer).toString(), name);
      assert.doesNotMatch(bytes, /duration_ms|"error":null|\.000Z/, `${name}: Go's encodings, not natural JSON`);
    }
    // Every topic set to json: TypedEvents needs no registry and writes exactly what the EventPublisher writes.
    const config = resolveConfig({ brokers: ['localhost:9092'], topicSerialization: Object.fromEntries(EVENTS.map((e) => [e.topicKey, 'json'])) });
    const producer = new FakeProducer();
    const bus = new TypedEvents(goCoffeeEvents(), { config, producer });
    assert.equal(bus.registry, undefined);
    for (const [name, event] of GO_EVENTS) await bus.publish(name, event as never);
    assert.deepEqual(written(producer.sent), written(sent));
  });

  it('defineEvents({ jsonWriter }): your own events written for Go consumers (GoJsonWriter with a layout), with the entity headers; a bad jsonWriter is named', async () => {
    const shop = defineEvents<EventTypes, EventInputTypes>({
      schemasDir: SCHEMAS,
      serialization: 'json',
      events: { OrderPlaced: { topic: 'shop.orders', key: 'order_id' }, PaymentCaptured: { topic: 'shop.payments', key: 'order_id' } },
      jsonWriter: (name, w) => new GoJsonWriter(name, w.type, name === 'OrderPlaced' ? { entityType: 'order', entityIdField: 'order_id' } : {}),
    });
    const producer = new FakeProducer();
    await new TypedPublisher(shop, { producer, serde: shop.serde() }).publish('OrderPlaced', ORDER);
    const m = producer.sent[0]!;
    assert.deepEqual(m.headers, [['event_type', 'OrderPlaced'], ['entity_type', 'order'], ['entity_id', 'o-1'], ['content_type', 'application/json']]);
    const payload = (m.value as Buffer).toString();
    assert.match(payload, /"placed_at":"2023-11-14T22:13:20Z"/, 'time.Time MarshalJSON, not toISOString');
    assert.equal(payload, new GoJsonWriter('OrderPlaced', shop.serde().writerSchema('OrderPlaced').type).encode(ORDER).toString());
    assert.throws(() => defineEvents({ schemasDir: SCHEMAS, events: { OrderPlaced: { topic: 'a' }, PaymentCaptured: { topic: 'b' } }, jsonWriter: 'go' as never }), (e: unknown) => e instanceof InvalidArgumentError && /jsonWriter/.test(e.message));
  });

  it('a JSON publish that does not fit is a typed error naming the field, and nothing is sent', async () => {
    await assert.rejects(publishAll({ serialization: 'json' }, [['BeverageCreated', { ...GO_EVENTS[0]![1], calories: 99 }]]), (e: unknown) => e instanceof SchemaValidationError && e.field === 'calories');
  });

  it('your own catalog keeps its serialization; topic_serialization for its topic key switches it (natural JSON, no Go entity headers)', async () => {
    const shop = defineEvents<EventTypes, EventInputTypes>({ schemasDir: SCHEMAS, events: { OrderPlaced: { topicKey: 'orderPlaced', key: 'order_id' }, PaymentCaptured: { topic: 'shop.payments', key: 'order_id', serialization: 'json' } } });
    const make = (input: KafkaConfigInput) => {
      const producer = new FakeProducer();
      return { producer, pub: new TypedPublisher(shop, { producer, serde: shop.serde(), config: resolveConfig({ brokers: ['x:1'], topics: { order_placed: 'shop.orders' }, ...input }) }) };
    };
    assert.equal(make({ serialization: 'json' }).pub.serializationOf('OrderPlaced'), 'avro', 'kafka.serialization is the Go Coffee events\' default, not your catalog\'s');
    const { producer, pub } = make({ topicSerialization: { order_placed: 'json' } });
    assert.equal(pub.serializationOf('OrderPlaced'), 'json');
    assert.equal(pub.serializationOf('PaymentCaptured'), 'json');
    await pub.publish('OrderPlaced', ORDER);
    const m = producer.sent[0]!;
    assert.deepEqual(m.headers, [['event_type', 'OrderPlaced'], ['content_type', 'application/json']]);
    assert.equal((m.value as Buffer).toString(), new JsonEncoder('OrderPlaced', shop.serde().writerSchema('OrderPlaced').type).encode(ORDER).toString());
  });

  it('reads back: the Go JSON decodes through the same serde into the typed events (round trip)', async () => {
    const { sent, serde } = await publishAll({ serialization: 'json' }, GO_EVENTS);
    for (const [i, m] of sent.entries()) {
      const [name, event] = GO_EVENTS[i]!;
      const headers = new Map(m.headers ?? []);
      const got = await serde.decode({ topic: m.topic, value: m.value as Buffer, header: (h) => headers.get(h) as string | undefined });
      assert.equal(got.eventName, name);
      assert.equal(got.format, 'json');
      const expected: Record<string, unknown> = {};
      for (const f of (serde.readerType(name) as unknown as { fields: Array<{ name: string; defaultValue(): unknown }> }).fields) expected[f.name] = event[f.name] ?? f.defaultValue();
      if (expected['error'] === '') expected['error'] = null; // omitempty: Go leaves "" out, so it reads back as the default
      assert.deepEqual(plain(got.value), plain(expected), `message ${i} (${name})`);
    }
  });
});

/** Messages a Go service would not read: natural JSON (duration_ms), wrong headers, an unknown event type. */
function rejectedMessages(messages: readonly WrittenMessage[]): Array<Pick<WrittenMessage, 'headers' | 'payload'>> {
  const ai = messages.find((m) => m.event === 'AIRequestCompleted')!;
  const aiEvent = GO_EVENTS.find(([n]) => n === 'AIRequestCompleted')![1];
  const natural = new JsonEncoder('AIRequestCompleted', goCoffeeEvents().serde().writerSchema('AIRequestCompleted').type).encode(aiEvent).toString();
  return [
    { headers: ai.headers, payload: natural },
    { headers: { ...ai.headers, content_type: 'avro/binary', entity_id: 'someone-else' }, payload: ai.payload },
    { headers: { ...ai.headers, event_type: 'ai.request.completed.dev' }, payload: ai.payload },
  ];
}

describe('Go decoding of what the library writes (test/fixtures/go)', function () {
  this.timeout(240_000);
  let messages: WrittenMessage[];
  before(async () => {
    messages = written((await publishAll({ serialization: 'json' }, GO_EVENTS)).sent);
    if (WRITE) {
      writeFileSync(WRITTEN_FILE, `${JSON.stringify(messages, null, 2)}\n`);
      if (GO !== undefined) {
        writeFileSync(VERDICT_FILE, runGoCheck(GO, messages));
        writeFileSync(REJECTED_FILE, runGoCheck(GO, rejectedMessages(messages)));
      }
    }
  });
  const committedVerdict = (): GoVerdict => JSON.parse(readFileSync(VERDICT_FILE, 'utf8')) as GoVerdict;

  it('the library writes exactly the committed test/fixtures/go/ts-written.json', () => {
    assert.deepEqual(messages, JSON.parse(readFileSync(WRITTEN_FILE, 'utf8')));
  });

  it('the committed Go verdict decodes every committed message into its struct with the expected values', () => {
    assertGoVerdict(committedVerdict(), JSON.parse(readFileSync(WRITTEN_FILE, 'utf8')) as WrittenMessage[], GO_EVENTS);
  });

  it('the verdict check fails on a value Go decoded differently (the check can fail)', () => {
    const v = committedVerdict();
    const ai = v.results.findIndex((r) => r.event_type === 'ai.request.completed');
    const tampered = { results: v.results.map((r, i) => (i === ai ? { ...r, value: { ...r.value, duration: 1500 } } : r)) };
    assert.throws(() => assertGoVerdict(tampered, messages, GO_EVENTS), /duration|Go decoded other values/);
    const failed = { results: v.results.map((r, i) => (i === 0 ? { ...r, ok: false, errors: ['decode: json: unknown field "x"'] } : r)) };
    assert.throws(() => assertGoVerdict(failed, messages, GO_EVENTS), /Go reported errors/);
  });

  it(GO !== undefined ? 'go run ./check on the freshly written messages prints exactly the committed verdict' : 'no Go on PATH: the committed verdict is checked against the committed messages (above) and they equal what the library writes', () => {
    if (GO === undefined) {
      assertGoVerdict(committedVerdict(), messages, GO_EVENTS);
      return;
    }
    const out = runGoCheck(GO, messages);
    assertGoVerdict(JSON.parse(out) as GoVerdict, messages, GO_EVENTS);
    assert.equal(out, readFileSync(VERDICT_FILE, 'utf8'));
  });

  it('the Go check refuses what a Go service would not read: an unknown field (natural JSON\'s duration_ms), missing or wrong headers, an unknown event type', () => {
    const out = GO !== undefined ? runGoCheck(GO, rejectedMessages(messages)) : readFileSync(REJECTED_FILE, 'utf8');
    const r = (JSON.parse(out) as GoVerdict).results;
    assert.equal(r.length, 3);
    assert.ok(r.every((x) => !x.ok), JSON.stringify(r));
    assert.deepEqual(r.map((x) => x.value !== undefined), [false, true, false], 'decoded only where the payload fits the struct');
    assert.deepEqual(r[0]!.errors, ['decode: json: unknown field "duration_ms"']);
    assert.deepEqual(r[1]!.errors, ['header content_type: got "avro/binary", want "application/json"', 'header entity_id: got "someone-else", want the event\'s id "req-ok"']);
    assert.deepEqual(r[2]!.errors, ['header event_type: "ai.request.completed.dev" is no Go Coffee event type']);
    if (GO !== undefined) assert.equal(out, readFileSync(REJECTED_FILE, 'utf8'));
  });
});
