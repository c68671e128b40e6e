/**
 * Issue 16 item 2 against the real broker: a Manager with `serialization: json` publishes every
 * Go Coffee event (Manager.publishX and the EventBus); the raw records read back with a plain
 * consumer carry the Go services' headers and exactly the committed Go JSON
 * (test/fixtures/go/ts-written.json), the Go check program decodes them into the seed's structs
 * (when Go is on PATH), and the library's typed handlers read them back. Then per-topic
 * `topic_serialization`: one topic JSON, another Avro, and both formats read on one topic.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Manager, BeverageEventHandler, TaskEventHandler, NotificationEventHandler, AIEventHandler, SystemEventHandler, type ConsumedMessage, type EventContext } from '../../../src/index.js';
import type { EventName } from '../../../src/gocoffee/catalog.js';
import type { NativeMessage } from '../../../src/native/index.js';
import { GO_EVENTS, VERDICT_FILE, WRITTEN_FILE, assertGoVerdict, goBinary, runGoCheck, type GoVerdict, type WrittenMessage } from '../../fixtures/go/ts-written-events.js';
import { REGISTRY_URL, readAll, testConfig, uniqueName } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';

const GO = goBinary();
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** A received event: its name, value and the content_type it came with. */
interface Received {
  readonly name: EventName;
  readonly value: Record<string, unknown>;
  readonly contentType: string | undefined;
  readonly firstByte: number | undefined;
}

/** Typed handlers of every event, recording what they receive (in order, per event name). */
function recordingHandlers(got: Received[]) {
  return (ctx: EventContext) => {
    const g = uniqueName('go-json');
    const rec = (name: EventName, e: unknown, m: ConsumedMessage): void => {
      got.push({ name, value: e as Record<string, unknown>, contentType: m.header('content_type'), firstByte: m.value?.[0] });
    };
    class Bev extends BeverageEventHandler {
      override onBeverageCreated(e: unknown, m: ConsumedMessage) { rec('BeverageCreated', e, m); }
      override onBeverageUpdated(e: unknown, m: ConsumedMessage) { rec('BeverageUpdated', e, m); }
    }
    class Task extends TaskEventHandler {
      override onTaskCreated(e: unknown, m: ConsumedMessage) { rec('TaskCreated', e, m); }
      override onTaskUpdated(e: unknown, m: ConsumedMessage) { rec('TaskUpdated', e, m); }
    }
    class Note extends NotificationEventHandler {
      override onNotificationSent(e: unknown, m: ConsumedMessage) { rec('NotificationSent', e, m); }
    }
    class AI extends AIEventHandler {
      override onAIRequestCompleted(e: unknown, m: ConsumedMessage) { rec('AIRequestCompleted', e, m); }
    }
    class Sys extends SystemEventHandler {
      override onSystemEvent(e: unknown, m: ConsumedMessage) { rec('SystemEvent', e, m); }
    }
    return [new Bev(ctx, g), new Task(ctx, g), new Note(ctx, g), new AI(ctx, g), new Sys(ctx, g)];
  };
}

/** What a typed handler should receive for an event: every reader field, defaults filled; Go's omitempty turns error "" into null. */
function expectedRead(m: Manager, name: EventName, event: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {};
  for (const f of (m.serde.readerType(name) as unknown as { fields: Array<{ name: string; defaultValue(): unknown }> }).fields) out[f.name] = event[f.name] ?? f.defaultValue();
  if (out['error'] === '') out['error'] = null;
  return plain(out);
}

function headersOf(n: NativeMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of n.headers ?? []) for (const [k, v] of Object.entries(h)) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  return out;
}

/** Publishes through the Manager's publishX methods and, for beverages and tasks, through the EventBus. */
function publish(m: Manager, name: EventName, e: Record<string, unknown>): Promise<unknown> {
  switch (name) {
    case 'BeverageCreated':
      return m.eventBus.publishBeverageEvent('created', e['beverage_id'] as string, e as never);
    case 'BeverageUpdated':
      return m.eventBus.publishBeverageEvent('updated', e['beverage_id'] as string, e as never);
    case 'TaskCreated':
      return m.publishTaskCreated(e as never);
    case 'TaskUpdated':
      return m.eventBus.publishTaskEvent('updated', e['task_id'] as string, e as never);
    case 'NotificationSent':
      return m.eventBus.publishNotificationEvent(e as never);
    case 'AIRequestCompleted':
      return m.publishAIRequestCompleted(e as never);
    case 'SystemEvent':
      return m.publishSystemEvent(e as never);
  }
}

describe('Go-readable JSON writing end to end (serialization: json, real broker)', function () {
  this.timeout(300_000);
  const suffix = `.${uniqueName('gojson')}`;
  const got: Received[] = [];
  let m: Manager;

  before(async () => {
    m = new Manager(testConfig({ topicSuffix: suffix, schemaRegistryUrl: REGISTRY_URL, serialization: 'json' }), { ensureTopics: { partitions: 1 }, handlers: recordingHandlers(got) });
    await m.initialize();
    await m.startConsumer();
    for (const [name, e] of GO_EVENTS) await publish(m, name, e);
  });
  after(async () => {
    await m.close();
  });

  /** The records of every topic, read with a plain consumer, in GO_EVENTS order (one partition per topic: publish order). */
  async function readBack(): Promise<WrittenMessage[]> {
    const committed = JSON.parse(readFileSync(WRITTEN_FILE, 'utf8')) as WrittenMessage[];
    const byTopic = new Map<string, NativeMessage[]>();
    for (const topic of new Set(committed.map((c) => c.topic))) byTopic.set(topic, await readAll(`${topic}${suffix}`, committed.filter((c) => c.topic === topic).length));
    const next = new Map<string, number>();
    return committed.map((c) => {
      const i = next.get(c.topic) ?? 0;
      next.set(c.topic, i + 1);
      const r = byTopic.get(c.topic)![i];
      assert.ok(r !== undefined, `${c.topic}[${i}] was not read back`);
      return { event: c.event, topic: c.topic, key: r.key?.toString() ?? null, headers: headersOf(r), payload: r.value!.toString('utf8') };
    });
  }

  it('the raw records carry the Go services\' headers (event_type, entity_type, entity_id, content_type), the entity id as key, and exactly the committed Go JSON', async () => {
    const committed = JSON.parse(readFileSync(WRITTEN_FILE, 'utf8')) as WrittenMessage[];
    const raw = await readBack();
    raw.forEach((r, i) => {
      const c = committed[i]!;
      assert.equal(r.headers['content_type'], 'application/json', `${i} content_type`);
      for (const h of ['event_type', 'entity_type', 'entity_id']) assert.equal(r.headers[h], c.headers[h], `${i} ${h}`);
      assert.equal(r.key, c.key, `${i} key`);
      assert.equal(r.payload, c.payload, `${i} payload`);
    });
  });

  it(GO !== undefined ? 'the Go check program decodes every record read from the broker into the seed\'s structs' : 'no Go on PATH: the records equal the committed messages (above), and the committed Go verdict holds every event', async () => {
    const messages = await readBack();
    const verdict = GO !== undefined
      ? (JSON.parse(runGoCheck(GO, messages)) as GoVerdict)
      : (JSON.parse(readFileSync(VERDICT_FILE, 'utf8')) as GoVerdict);
    assertGoVerdict(verdict, messages, GO_EVENTS);
  });

  it('round trip: the library\'s typed handlers read every JSON event back with equal values', async () => {
    await waitUntil(() => got.length >= GO_EVENTS.length, 90_000, () => `received ${got.length} of ${GO_EVENTS.length}`);
    for (const name of new Set(GO_EVENTS.map(([n]) => n))) {
      const sent = GO_EVENTS.filter(([n]) => n === name).map(([, e]) => expectedRead(m, name, e));
      const received = got.filter((g) => g.name === name);
      assert.ok(received.every((g) => g.contentType === 'application/json'), name);
      assert.deepEqual(received.map((g) => plain(g.value)), sent, name);
    }
    for (const g of got) assert.ok(['created_at', 'updated_at', 'sent_at', 'completed_at', 'occurred_at'].some((f) => g.value[f] instanceof Date), `${g.name}: its time is a Date`);
  });
});

describe('topic_serialization: one topic JSON, another Avro (real broker + registry)', function () {
  this.timeout(300_000);
  const suffix = `.${uniqueName('gojson-mixed')}`;
  const got: Received[] = [];
  let mixed: Manager;
  let allJson: Manager;
  const task = GO_EVENTS.find(([n]) => n === 'TaskCreated')![1];
  const bev = GO_EVENTS[0]![1];

  before(async () => {
    mixed = new Manager(testConfig({ topicSuffix: suffix, schemaRegistryUrl: REGISTRY_URL, topicSerialization: { task_created: 'json' } }), {
      registerSchemas: true,
      ensureTopics: { partitions: 1 },
      handlers: recordingHandlers(got),
    });
    await mixed.initialize();
    await mixed.startConsumer();
    // The same topics, written by a service that publishes everything as JSON.
    allJson = new Manager(testConfig({ topicSuffix: suffix, schemaRegistryUrl: REGISTRY_URL, serialization: 'json' }));
    await allJson.initialize();
  });
  after(async () => {
    await allJson.close();
    await mixed.close();
  });

  it('task_created: json → Go JSON with the Go headers; beverage_created stays Avro (wire format, no content_type)', async () => {
    await mixed.publishTaskCreated(task as never);
    await mixed.publishBeverageCreated(bev as never);
    const [t] = await readAll(`task.created${suffix}`, 1);
    const [b] = await readAll(`beverage.created${suffix}`, 1);
    const th = headersOf(t!);
    assert.equal(th['content_type'], 'application/json');
    assert.equal(th['entity_type'], 'task');
    assert.equal(th['entity_id'], 'task-1');
    assert.equal(t!.value!.toString('utf8'), (JSON.parse(readFileSync(WRITTEN_FILE, 'utf8')) as WrittenMessage[]).find((w) => w.event === 'TaskCreated')!.payload);
    const bh = headersOf(b!);
    assert.equal(bh['content_type'], undefined);
    assert.equal(bh['event_type'], 'beverage.created');
    assert.equal(b!.value![0], 0, 'Avro in Confluent wire format (magic byte 0)');
    if (GO !== undefined) {
      const verdict = JSON.parse(runGoCheck(GO, [{ headers: th, payload: t!.value!.toString('utf8') }])) as GoVerdict;
      assert.equal(verdict.results[0]!.ok, true, JSON.stringify(verdict));
      assert.equal(verdict.results[0]!.identical, true);
    }
  });

  it('both formats on one topic: the typed handler reads the Avro and the Go JSON BeverageCreated alike', async () => {
    await allJson.publishBeverageCreated({ ...bev, beverage_id: 'bev-json' } as never);
    await waitUntil(() => got.filter((g) => g.name === 'BeverageCreated').length >= 2 && got.some((g) => g.name === 'TaskCreated'), 90_000, () => `received ${got.map((g) => g.name).join(', ')}`);
    const bevs = got.filter((g) => g.name === 'BeverageCreated');
    assert.deepEqual(bevs.map((g) => g.contentType), [undefined, 'application/json']);
    assert.equal(bevs[0]!.firstByte, 0);
    assert.deepEqual(plain(bevs[0]!.value), expectedRead(mixed, 'BeverageCreated', bev));
    assert.deepEqual(plain(bevs[1]!.value), expectedRead(mixed, 'BeverageCreated', { ...bev, beverage_id: 'bev-json' }));
    assert.deepEqual(plain(got.find((g) => g.name === 'TaskCreated')!.value), expectedRead(mixed, 'TaskCreated', task));
  });
});
