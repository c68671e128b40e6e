import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { resolveConfig, type KafkaConfigInput } from '../../../src/config/index.js';
import { HandlerRegistrationError } from '../../../src/consumer/index.js';
import { ConfigError } from '../../../src/config/index.js';
import { InvalidArgumentError, StateError } from '../../../src/errors/index.js';
import { BeverageEventHandler, Manager, closeGlobalManager, getGlobalEventBus, getGlobalManager, initGlobalManager, type ManagerOptions } from '../../../src/gocoffee/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { ConsumerBinding } from '../consumer/fake-consumer.js';

const config = (over: KafkaConfigInput = {}) => resolveConfig({ brokers: 'fake:9092', groupId: 'svc', connectTimeoutMs: 1000, schemaRegistryUrl: 'http://registry.invalid:8081', ...over });
/** A JSON-only configuration without a Schema Registry. */
const jsonOnly = (over: KafkaConfigInput = {}): KafkaConfigInput => ({ schemaRegistryUrl: undefined, serialization: 'json', ...over });
const goEvent = { beverage_id: 'b-1', name: 'Cosmic Coffee', description: '', theme: 'Mars Base', ingredients: [], created_by: 'agent', created_at: '2024-01-01T12:00:00Z' };

function manager(options: ManagerOptions = {}, over: KafkaConfigInput = {}): { m: Manager; binding: ConsumerBinding } {
  const binding = new ConsumerBinding();
  const m = new Manager(config(over), { ...options, connection: { binding, closeTimeoutMs: 50, ...options.connection }, consumer: { stopTimeoutMs: 200 } });
  return { m, binding };
}

/** Group id → the topics its native consumer subscribed to. */
function subscriptions(binding: ConsumerBinding): Record<string, string> {
  return Object.fromEntries(binding.consumers.map((c) => [String(c.global['group.id']), c.calls.find((x) => x.startsWith('subscribe '))!.slice('subscribe '.length)]));
}

describe("gocoffee Manager: Go's default handlers (issue 16 item 3)", () => {
  it('initialize() then startConsumer() with no handler runs the default beverage and task handlers in the groups <group_id>-beverage / -task', async () => {
    const { m, binding } = manager({}, { topicSuffix: '.x' });
    await m.initialize();
    try {
      assert.equal(m.getStatistics().consumer.readersCount, 0);
      await m.startConsumer();
      assert.deepEqual(subscriptions(binding), { 'svc-beverage': 'beverage.created.x,beverage.updated.x', 'svc-task': 'task.created.x,task.updated.x' });
      assert.equal(m.getStatistics().consumer.readersCount, 4, 'one (topic, group) subscription per default topic');
      await m.stopConsumer();
      assert.equal(m.getStatistics().consumer.readersCount, 0, 'a stopped consumer reads nothing');
      await m.startConsumer();
      assert.equal(binding.consumers.length, 4, 'restarted with the same two groups, the defaults added once');
    } finally {
      await m.close();
    }
  });

  it('a Manager with handlers of its own (option or registerHandler) runs exactly those by default', async () => {
    const own = { topics: ['orders'], groupId: 'orders-g', handle: () => undefined };
    for (const options of [{ handlers: [own] }, {}] as ManagerOptions[]) {
      const { m, binding } = manager(options);
      await m.initialize();
      if (options.handlers === undefined) m.registerHandler(own);
      try {
        await m.startConsumer();
        assert.deepEqual(subscriptions(binding), { 'orders-g': 'orders' });
      } finally {
        await m.close();
      }
    }
  });

  it("defaultHandlers: true runs them next to yours, as Go does; a handler of yours for an event replaces the default one for it (also one registered on manager.consumer)", async () => {
    const { m, binding } = manager({ defaultHandlers: true });
    await m.initialize();
    try {
      class Mine extends BeverageEventHandler {}
      const mine = new Mine(m, 'inventory');
      m.consumer.registerHandler({ topics: ['task.updated'], groupId: 'audit', handle: () => undefined });
      m.registerHandler(mine);
      await m.startConsumer();
      assert.deepEqual(subscriptions(binding), { audit: 'task.updated', inventory: 'beverage.created,beverage.updated', 'svc-task': 'task.created' });
      assert.equal(m.getStatistics().consumer.readersCount, 4);
    } finally {
      await m.close();
    }
  });

  it('defaultHandlers: false: startConsumer() without a handler rejects with HandlerRegistrationError', async () => {
    const { m, binding } = manager({ defaultHandlers: false });
    await m.initialize();
    try {
      await assert.rejects(m.startConsumer(), HandlerRegistrationError);
      assert.equal(binding.consumers.length, 0);
    } finally {
      await m.close();
    }
  });

  it('a default handler logs each event at info (event type, entity id, topic, offset) and acknowledges it', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _e, cb) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); cb(); } }));
    const { m, binding } = manager({ connection: { telemetry: { logger } } });
    await m.initialize();
    try {
      await m.startConsumer();
      const fake = binding.consumers.find((c) => c.global['group.id'] === 'svc-beverage')!;
      fake.assign([{ topic: 'beverage.created', partition: 0 }]);
      const goEvent = { beverage_id: 'b-1', name: 'Cosmic Coffee', description: '', theme: 'Mars Base', ingredients: [], created_by: 'agent', created_at: '2024-01-01T12:00:00Z' };
      fake.logs.set('beverage.created/0', [
        { topic: 'beverage.created', partition: 0, offset: 0, key: 'b-1', value: Buffer.from(JSON.stringify(goEvent)), size: 1, headers: [{ event_type: 'beverage.created' }, { content_type: 'application/json' }] },
      ]);
      const end = Date.now() + 3000;
      while (!(m.consumer.stats().find((s) => s.groupId === 'svc-beverage')?.processed === 1) && Date.now() < end) await delay(10);
      const stats = m.consumer.stats().find((s) => s.groupId === 'svc-beverage')!;
      assert.equal(stats.processed, 1, JSON.stringify(stats));
      assert.equal(stats.deadLettered, 0);
      const line = lines.find((l) => l['msg'] === 'Processing beverage created event');
      assert.ok(line, lines.map((l) => l['msg']).join(' | '));
      assert.equal(line['level'], 30, 'info');
      assert.equal(line['entity_id'], 'b-1');
      assert.equal(line['event_type'], 'beverage.created');
      assert.equal(line['topic'], 'beverage.created');
      assert.equal(line['offset'], 0);
      assert.equal(line['group_id'], 'svc-beverage');
    } finally {
      await m.close();
    }
  });
});

describe('gocoffee Manager statistics count what runs (issue 16 item 3)', () => {
  it('writersCount: the topics written to (events, producer.publish, writers) plus unused getWriter views; readersCount adds open readers', async () => {
    const { m, binding } = manager();
    binding.configure = (p) => {
      p.autoDeliver = true;
    };
    await m.initialize();
    try {
      assert.equal(m.getStatistics().producer.writersCount, 0);
      await m.connection.producer.publish(newMessage('a', 'x'));
      await m.connection.producer.publish(newMessage('a', 'y'));
      await m.connection.getWriter('b').write('z');
      m.connection.getWriter('c');
      const s = m.getStatistics();
      assert.equal(s.producer.writersCount, 3, 'a, b (written through its writer), c (a writer view)');
      m.connection.getReader('a', 'g1');
      m.connection.getReader('a', 'g2');
      assert.equal(m.getStatistics().consumer.readersCount, 2);
    } finally {
      await m.close();
    }
  });
});

describe('global Manager lookups (issue 16 item 3)', () => {
  afterEach(() => closeGlobalManager());

  it("getGlobalManager({ optional: true }) / getGlobalEventBus({ optional: true }) answer undefined (Go: nil) where the plain forms throw", async () => {
    assert.equal(getGlobalManager({ optional: true }), undefined);
    assert.equal(getGlobalEventBus({ optional: true }), undefined);
    assert.throws(() => getGlobalManager(), StateError);
    assert.throws(() => getGlobalEventBus(), StateError);
    assert.throws(() => getGlobalManager({ optional: false }), StateError);
    const m = await initGlobalManager(config(), { connection: { binding: new ConsumerBinding(), closeTimeoutMs: 50 } });
    assert.equal(getGlobalManager({ optional: true }), m);
    assert.equal(getGlobalManager(), m);
    assert.equal(getGlobalEventBus({ optional: true }), m.eventBus);
    await closeGlobalManager();
    assert.equal(getGlobalManager({ optional: true }), undefined);
  });
});

/** Waits until the group has processed `n` messages (handled or dead-lettered); returns its stats. */
async function settled(m: Manager, groupId: string, n: number) {
  const end = Date.now() + 3000;
  const stats = () => m.consumer.stats().find((s) => s.groupId === groupId);
  while ((stats()?.processed ?? 0) < n && Date.now() < end) await delay(10);
  return stats()!;
}

/** The dead-letter copies the fake producer was handed, with their headers as one object. */
function deadLetters(binding: ConsumerBinding): Array<Record<string, string>> {
  return binding.producers.flatMap((p) => p.produced).filter((r) => r.topic.endsWith('.dlq')).map((r) => Object.fromEntries((r.headers ?? []).map((h) => Object.entries(h)[0]!).map(([k, v]) => [k, String(v)])));
}

describe('gocoffee Manager without a Schema Registry when every event is JSON (review item 3)', () => {
  it('a registry is required only when an event is written as Avro, or schemas are to be registered: a ConfigError naming kafka.schema_registry_url and why', () => {
    const noRegistry = (over: KafkaConfigInput, options: ManagerOptions = {}) => () => new Manager(config({ schemaRegistryUrl: undefined, ...over }), { ...options, connection: { binding: new ConsumerBinding() } });
    const message = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        assert.equal(e.issues.length, 1);
        assert.equal(e.issues[0]!.path, 'kafka.schema_registry_url');
        return e.issues[0]!.message;
      }
      return assert.fail('expected a ConfigError');
    };
    assert.match(message(noRegistry({})), /^not set, expected an http:\/\/ or https:\/\/ URL: every event is written as Avro \(kafka\.serialization; avro is the default\).*or write every event as JSON: kafka\.serialization: json\)$/);
    assert.match(message(noRegistry({ serialization: 'json', topicSerialization: { taskCreated: 'avro' } })), /: TaskCreated is written as Avro \(kafka\.serialization \/ kafka\.topic_serialization/);
    assert.match(message(noRegistry({ serialization: 'json' }, { registerSchemas: true })), /: the Manager option registerSchemas needs a Schema Registry \(set kafka\.schema_registry_url or GOCOFFEE_KAFKA_SCHEMA_REGISTRY_URL\)$/);
    assert.match(message(noRegistry({ serialization: 'json' }, { autoRegisterSchemas: true })), /autoRegisterSchemas/);
    // every event JSON (globally, or topic by topic): no registry needed
    const m = new Manager(config(jsonOnly()), { connection: { binding: new ConsumerBinding() } });
    assert.equal(m.hasRegistry, false);
    assert.throws(() => m.registry, (e: unknown) => e instanceof ConfigError && /kafka\.schema_registry_url/.test(e.message));
    const perTopic = { beverageCreated: 'json', beverageUpdated: 'json', taskCreated: 'json', taskUpdated: 'json', notificationSent: 'json', aiRequestCompleted: 'json', systemEvent: 'json' } as const;
    assert.equal(new Manager(config({ schemaRegistryUrl: undefined, topicSerialization: perTopic }), { connection: { binding: new ConsumerBinding() } }).hasRegistry, false);
    assert.equal(new Manager(config(), { connection: { binding: new ConsumerBinding() } }).hasRegistry, true);
  });

  it('a misspelt Go Coffee key under topics: is a ConfigError with "did you mean" (issue 19); keys of your own events pass', () => {
    const make = (over: KafkaConfigInput) => () => new Manager(config(over), { connection: { binding: new ConsumerBinding() } });
    assert.throws(
      make({ topics: { beverage_creatd: 'drinks', taskCreated: 'tasks', notifcationSent: 'notes', taks_updated: 'x' } } as KafkaConfigInput),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.issues.length === 3 &&
        e.issues[0]!.path === 'kafka.topics.beverage_creatd' &&
        /did you mean beverage_created\?/.test(e.issues[0]!.message) &&
        e.issues[1]!.path === 'kafka.topics.notifcation_sent' &&
        /did you mean notification_sent\?/.test(e.issues[1]!.message) &&
        e.issues[2]!.path === 'kafka.topics.taks_updated' &&
        /did you mean task_updated\?/.test(e.issues[2]!.message),
    );
    assert.equal(make({ topics: { orderPlaced: 'orders', beverageRated: 'ratings', taskArchived: 'a' } } as KafkaConfigInput)().hasRegistry, true, 'own keys more than one edit from every Go Coffee key');
  });

  it('publishes JSON, consumes JSON, health probes no registry; an Avro-framed message is dead-lettered with a DecodeError naming the missing registry', async () => {
    const { m, binding } = manager({}, jsonOnly());
    binding.configure = (p) => {
      p.autoDeliver = true;
    };
    await m.initialize();
    try {
      await m.publishBeverageCreated({ beverage_id: 'b-9', name: 'n', theme: 't', created_by: 'c', created_at: new Date('2024-01-01T00:00:00Z') });
      const sent = binding.producers.flatMap((p) => p.produced).find((r) => r.topic === 'beverage.created')!;
      assert.equal(JSON.parse(sent.value!.toString()).beverage_id, 'b-9');
      const health = await m.healthCheck();
      assert.equal(health.details.registry, undefined, 'no registry probed');
      await m.startConsumer();
      const fake = binding.consumers.find((c) => c.global['group.id'] === 'svc-beverage')!;
      fake.assign([{ topic: 'beverage.created', partition: 0 }]);
      const avro = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), Buffer.from('avro body')]);
      fake.logs.set('beverage.created/0', [
        { topic: 'beverage.created', partition: 0, offset: 0, key: 'b-1', value: Buffer.from(JSON.stringify(goEvent)), size: 1, headers: [{ event_type: 'beverage.created' }, { content_type: 'application/json' }] },
        { topic: 'beverage.created', partition: 0, offset: 1, key: 'b-2', value: avro, size: 1 },
      ]);
      const stats = await settled(m, 'svc-beverage', 2);
      assert.equal(stats.processed, 2, JSON.stringify(stats));
      assert.equal(stats.deadLettered, 1, `the Avro one only: ${JSON.stringify(stats)}`);
      const [dlq] = deadLetters(binding);
      assert.equal(dlq!['dlq.error.type'], 'DecodeError');
      assert.match(dlq!['dlq.error.message']!, /schema id 7.*no Schema Registry/);
    } finally {
      await m.close();
    }
  });
});

describe('gocoffee Manager: event_type suffixes from the configuration (review item 2)', () => {
  /** `processed`: handled by the default handler; `deadLettered`: refused. */
  async function run(over: KafkaConfigInput, eventTypes: string[]): Promise<{ processed: number; deadLettered: number; errors: string[] }> {
    const { m, binding } = manager({}, over);
    binding.configure = (p) => {
      p.autoDeliver = true;
    };
    await m.initialize();
    try {
      await m.startConsumer();
      const fake = binding.consumers.find((c) => c.global['group.id'] === 'svc-beverage')!;
      fake.assign([{ topic: 'beverage.created', partition: 0 }]);
      fake.logs.set('beverage.created/0', eventTypes.map((t, offset) => ({ topic: 'beverage.created', partition: 0, offset, key: 'b-1', value: Buffer.from(JSON.stringify(goEvent)), size: 1, headers: [{ event_type: t }, { content_type: 'application/json' }] })));
      const s = await settled(m, 'svc-beverage', eventTypes.length);
      return { processed: s.processed - s.deadLettered, deadLettered: s.deadLettered, errors: deadLetters(binding).map((h) => h['dlq.error.message']!) };
    } finally {
      await m.close();
    }
  }

  it('default (.dev, .staging, .test): beverage.created.dev is read as beverage.created; .qa is not', async () => {
    const r = await run({}, ['beverage.created.dev', 'beverage.created.test', 'beverage.created.qa']);
    assert.deepEqual([r.processed, r.deadLettered], [2, 1]);
    assert.match(r.errors[0]!, /unknown event_type "beverage\.created\.qa"/);
  });

  it('event_type_suffixes: [.qa] reads beverage.created.qa and no longer .dev; [] reads exact event types only', async () => {
    const qa = await run({ eventTypeSuffixes: ['.qa'] }, ['beverage.created.qa', 'beverage.created.dev', 'beverage.created']);
    assert.deepEqual([qa.processed, qa.deadLettered], [2, 1]);
    assert.match(qa.errors[0]!, /unknown event_type "beverage\.created\.dev"/);
    const none = await run({ eventTypeSuffixes: [] }, ['beverage.created', 'beverage.created.dev']);
    assert.deepEqual([none.processed, none.deadLettered], [1, 1]);
  });
});

describe('gocoffee Manager: defaultGroups (review item 4)', () => {
  it('names the default handlers\' consumer groups (default <group_id>-beverage / -task); a bad name is refused at construction', async () => {
    const { m, binding } = manager({ defaultGroups: { beverage: 'go-beverage-processor' } });
    await m.initialize();
    try {
      await m.startConsumer();
      assert.deepEqual(Object.keys(subscriptions(binding)).sort(), ['go-beverage-processor', 'svc-task']);
    } finally {
      await m.close();
    }
    assert.throws(() => manager({ defaultGroups: { task: ' ' } }), (e: unknown) => e instanceof InvalidArgumentError && /defaultGroups\.task/.test(e.message) && /svc-task|default/.test(e.message));
  });
});
