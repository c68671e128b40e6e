import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Manager, BeverageEventHandler, TaskEventHandler, NotificationEventHandler, AIEventHandler, SystemEventHandler, InvalidEventError, SchemaValidationError, EventSerde, type ConsumedMessage, type EventContext } from '../../../src/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer } from '../../../src/consumer/index.js';
import { BROKERS, REGISTRY_URL, readAll, testConfig, uniqueName } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';

const require = createRequire(import.meta.url);
const sr = require('@confluentinc/schemaregistry') as typeof import('@confluentinc/schemaregistry');

const T0 = new Date(1_700_000_000_000);
const EVENTS = {
  BeverageCreated: { beverage_id: 'bev-1', name: 'Cosmic Coffee', description: 'A stellar blend', theme: 'Mars Base', ingredients: [{ name: 'Coffee Beans', quantity: '200g', type: 'Base' }], created_by: 'beverage-inventor-agent', created_at: T0, metadata: { source: 'test' }, calories: 120, tags: ['seasonal'] },
  BeverageUpdated: null as unknown as Record<string, unknown>,
  TaskCreated: { task_id: 'task-1', title: 'Review recipe', description: 'Review Cosmic Coffee', assignee_id: 'user-123', project_id: 'project-456', priority: 'high', status: 'open', created_by: 'beverage-inventor-agent', created_at: T0, metadata: {} },
  NotificationSent: { notification_id: 'n-1', type: 'email', channel: 'email', recipient: 'user@example.com', subject: 'New Beverage', message: 'Cosmic Coffee created', status: 'sent', sent_at: T0, metadata: {} },
  AIRequestCompleted: { request_id: 'req-1', provider: 'openai', model: 'gpt', operation: 'generate_recipe', tokens_used: 512, duration_ms: 1500, success: true, error: null, completed_at: T0, metadata: {} },
  SystemEvent: { event_id: 'sys-1', event_type: 'agent.started', source: 'beverage-inventor-agent', severity: 'info', message: 'started', occurred_at: T0, metadata: { host: 'n7' } },
};

function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

describe('Avro domain events end to end (real broker + registry)', function () {
  this.timeout(120_000);
  const suffix = `.${uniqueName('ev')}`;
  let m: Manager;
  const got = new Map<string, unknown>();

  before(async () => {
    m = new Manager(testConfig({ topicSuffix: suffix, schemaRegistryUrl: REGISTRY_URL }), {
      registerSchemas: true,
      ensureTopics: { partitions: 3 },
      handlers: (ctx: EventContext) => {
        const g = uniqueName('events');
        class Bev extends BeverageEventHandler {
          override onBeverageCreated(e: unknown) { got.set('BeverageCreated', e); }
          override onBeverageUpdated(e: unknown) { got.set('BeverageUpdated', e); }
        }
        class Task extends TaskEventHandler {
          override onTaskCreated(e: unknown) { got.set('TaskCreated', e); }
          override onTaskUpdated(e: unknown) { got.set('TaskUpdated', e); }
        }
        class Note extends NotificationEventHandler {
          override onNotificationSent(e: unknown) { got.set('NotificationSent', e); }
        }
        class AI extends AIEventHandler {
          override onAIRequestCompleted(e: unknown, msg: ConsumedMessage) { got.set(`AIRequestCompleted:${msg.key?.toString()}`, e); }
        }
        class Sys extends SystemEventHandler {
          override onSystemEvent(e: unknown) { got.set('SystemEvent', e); }
        }
        return [new Bev(ctx, g), new Task(ctx, g), new Note(ctx, g), new AI(ctx, g), new Sys(ctx, g)];
      },
    });
    await m.initialize();
    await m.startConsumer();
  });
  after(async () => {
    await m.close();
  });

  it('registered every schema version at initialize (registerSchemas: true)', () => {
    assert.equal(m.registeredSchemas.length, 8);
    assert.ok(m.registeredSchemas.every((r) => r.status === 'registered'), JSON.stringify(m.registeredSchemas));
  });

  it('ensured every event topic and its dead-letter topic (idempotently)', async () => {
    assert.equal(m.ensuredTopics.length, 14);
    assert.ok(m.ensuredTopics.every((r) => r.status === 'created'));
    const again = await m.topics.ensureTopics(undefined, { partitions: 3 });
    assert.ok(again.every((r) => r.status === 'exists' && r.warnings.length === 0));
    const d = await m.topics.describeTopic(`beverage.created${suffix}`);
    assert.equal(d.partitions.length, 3);
    assert.ok((await m.topics.listTopics()).includes(`task.created${suffix}`));
  });

  it('every event round-trips publish → consume with equal values', async () => {
    const updated = { beverage_id: 'bev-1', changes: { name: 'Cosmic Coffee 2' }, updated_by: 'u', updated_at: T0, metadata: {} };
    const taskUpdated = { task_id: 'task-1', status: 'done', previous_status: 'open', updated_by: 'u', updated_at: T0, changes: { status: 'done' }, metadata: {} };
    await m.publishBeverageCreated(EVENTS.BeverageCreated as never);
    await m.publishBeverageUpdated(updated as never);
    await m.publishTaskCreated(EVENTS.TaskCreated as never);
    await m.publishTaskUpdated(taskUpdated as never);
    await m.publishNotificationSent(EVENTS.NotificationSent as never);
    await m.publishAIRequestCompleted(EVENTS.AIRequestCompleted as never);
    await m.publishSystemEvent(EVENTS.SystemEvent as never);
    await waitUntil(() => got.size >= 7, 60_000, () => `received ${[...got.keys()].join(', ')}`);
    assert.deepEqual(plain(got.get('BeverageCreated')), plain(EVENTS.BeverageCreated));
    assert.deepEqual(plain(got.get('TaskCreated')), plain(EVENTS.TaskCreated));
    assert.deepEqual(plain(got.get('NotificationSent')), plain(EVENTS.NotificationSent));
    assert.deepEqual(plain(got.get('AIRequestCompleted:req-1')), plain(EVENTS.AIRequestCompleted));
    assert.deepEqual(plain(got.get('SystemEvent')), plain(EVENTS.SystemEvent));
    assert.ok((got.get('BeverageCreated') as { created_at: unknown }).created_at instanceof Date);
    for (const k of ['BeverageUpdated', 'TaskUpdated']) assert.ok(got.has(k), k);
  });

  it('keys each event by its entity id', async () => {
    const r = await m.publishAIRequestCompleted({ ...EVENTS.AIRequestCompleted, request_id: 'req-key-test' } as never);
    const [msg] = (await readAll(r.topic, 1, 30_000, (m) => m.offset === r.offset && m.partition === r.partition)).filter((x) => x.offset === r.offset && x.partition === r.partition);
    assert.equal(msg?.key?.toString(), 'req-key-test');
  });

  it('a JSON event in the Go services format is consumed like an Avro one', async () => {
    const goJson = { request_id: 'req-go', provider: 'anthropic', model: 'claude', operation: 'chat', tokens_used: 42, duration: 2_000_000_000, success: false, error: 'rate limited', completed_at: '2024-01-01T12:00:00Z', metadata: { retry: true } };
    const topic = `ai.request.completed${suffix}`;
    await m.connection.producer.publish(
      newMessage(topic, JSON.stringify(goJson)).withKey('req-go').withHeader('content_type', 'application/json').withHeader('event_type', 'ai.request.completed').withHeader('entity_type', 'ai_request').withHeader('entity_id', 'req-go'),
    );
    await waitUntil(() => got.has('AIRequestCompleted:req-go'), 30_000, () => 'JSON event handled');
    const e = got.get('AIRequestCompleted:req-go') as Record<string, unknown>;
    assert.equal(e['duration_ms'], 2000);
    assert.equal(e['error'], 'rate limited');
    assert.deepEqual(e['metadata'], { retry: 'true' });
    assert.deepEqual(e['completed_at'], new Date('2024-01-01T12:00:00Z'));
  });

  it('a schema mismatch is a typed error naming the field, and nothing is sent', async () => {
    await assert.rejects(m.publishTaskCreated({ ...EVENTS.TaskCreated, priority: 7 } as never), (e: unknown) => e instanceof SchemaValidationError && e.field === 'priority');
  });

  it('EventBus: wrong event type or unknown action is a typed error, never a silent no-op', async () => {
    const bus = m.eventBus;
    await assert.rejects(bus.publishBeverageEvent('deleted' as never, 'bev-1', EVENTS.BeverageCreated as never), (e: unknown) => e instanceof InvalidEventError && /unknown action "deleted"/.test(e.message));
    await assert.rejects(bus.publishBeverageEvent('created', 'task-1', EVENTS.TaskCreated as never), (e: unknown) => e instanceof InvalidEventError && /no beverage_id; expected a BeverageCreated event/.test(e.message));
    await assert.rejects(bus.publishBeverageEvent('created', 'other-id', EVENTS.BeverageCreated as never), /does not match event.beverage_id/);
    await assert.rejects(bus.publishTaskEvent('created', 'task-1', 'not an event' as never), /expected an event object, got string/);
    await assert.rejects(bus.publishNotificationEvent(EVENTS.SystemEvent as never), /no notification_id/);
    const ok = await bus.publishBeverageEvent('created', 'bev-1', EVENTS.BeverageCreated as never);
    assert.ok(ok.offset >= 0);
  });

  it('interoperates with @confluentinc/schemaregistry AvroSerializer/AvroDeserializer in both directions', async () => {
    const topic = `system.event${suffix}`;
    // A request timeout (retried): a dropped keep-alive connection must not hang the test for 120 s.
    const client = new sr.SchemaRegistryClient({ baseURLs: [REGISTRY_URL], createAxiosDefaults: { timeout: 10_000 }, maxRetries: 2 });
    // their bytes → our decoder
    // TopicNameStrategy (what this library uses) set explicitly: the client's default (ASSOCIATED)
    // first asks the registry's /associations API, which Apicurio's Confluent-compatible API does
    // not implement — that extra request once timed out in CI (10 s) before the 404 fallback.
    const topicNames = { subjectNameStrategyType: sr.SubjectNameStrategyType.TOPIC };
    const ser = new sr.AvroSerializer(client, sr.SerdeType.VALUE, { useLatestVersion: true, ...topicNames });
    // Confluent's JS serde has no logical-type mapping: timestamp-millis is a plain number there.
    const theirs = await ser.serialize(topic, { ...EVENTS.SystemEvent, occurred_at: T0.getTime() });
    const ours = await m.serde.decode({ topic, value: theirs, header: () => undefined });
    assert.equal(ours.eventName, 'SystemEvent');
    assert.deepEqual(plain(ours.value), plain(EVENTS.SystemEvent));
    // our bytes → their deserializer
    const enc = await m.serde.encoder(topic, 'SystemEvent');
    const bytes = enc.encode(EVENTS.SystemEvent);
    const de = new sr.AvroDeserializer(client, sr.SerdeType.VALUE, { ...topicNames });
    const back = (await de.deserialize(topic, bytes)) as Record<string, unknown>;
    assert.equal(back['event_id'], 'sys-1');
    assert.equal(back['message'], 'started');
    assert.deepEqual(plain(back['metadata']), { host: 'n7' });
    assert.equal(new Date(back['occurred_at'] as never).getTime(), T0.getTime());
    assert.deepEqual(bytes.subarray(5), theirs.subarray(5), 'identical Avro bodies');
  });

  it('schema evolution through the registry: v1 writer → v2 reader', async () => {
    const topic = `beverage.created${suffix}`;
    const v1Serde = new EventSerde({ registry: m.registry, autoRegister: true, writerVersions: { BeverageCreated: 1 } });
    const { calories: _c, tags: _t, ...v1Event } = EVENTS.BeverageCreated;
    const enc = await v1Serde.encoder(topic, 'BeverageCreated');
    const bytes = enc.encode(v1Event);
    const latest = await m.serde.encoder(topic, 'BeverageCreated');
    assert.notEqual(enc.schemaId, latest.schemaId, 'v1 and v2 have different ids');
    const read = await m.serde.decode({ topic, value: bytes, header: () => undefined });
    assert.equal((read.value as Record<string, unknown>)['calories'], null);
    assert.deepEqual((read.value as Record<string, unknown>)['tags'], []);
  });
});

describe('global manager', function () {
  this.timeout(60_000);
  it('a failed init leaves no half-built global; concurrent inits share one', async () => {
    const { initGlobalManager, getGlobalManager, getGlobalEventBus, closeGlobalManager, StateError } = await import('../../../src/index.js');
    const bad = testConfig({ brokers: ['127.0.0.1:1'], connectTimeoutMs: 1000, schemaRegistryUrl: REGISTRY_URL });
    await assert.rejects(initGlobalManager(bad));
    assert.throws(() => getGlobalManager(), StateError);
    const good = testConfig({ brokers: BROKERS, schemaRegistryUrl: REGISTRY_URL });
    const [a, b] = await Promise.all([initGlobalManager(good), initGlobalManager(good)]);
    assert.equal(a, b);
    assert.equal(getGlobalManager(), a);
    assert.equal(getGlobalEventBus(), a.eventBus);
    await closeGlobalManager();
    assert.throws(() => getGlobalManager(), StateError);
  });
  it('health and statistics answer before initialize (unhealthy, with the reason)', async () => {
    const mm = new Manager(testConfig({ schemaRegistryUrl: REGISTRY_URL }));
    const h = await mm.healthCheck();
    assert.equal(h.healthy, false);
    assert.match(h.error!, /created: call initialize\(\) first/);
    assert.equal(mm.getStatistics().state, 'created');
    await mm.initialize();
    const h2 = await mm.healthCheck();
    assert.equal(h2.healthy, true, h2.error);
    assert.equal(h2.details.registry?.reachable, true);
    await mm.close();
  });
});
void ConnectionManager;
void Consumer;
