/**
 * examples/seed/: the TypeScript twin of every Go snippet of the seed README runs against the real
 * broker and registry as a child process (as a user runs it), exits 0, and its effect is checked
 * independently: what it published is read back from the topic (and decoded), what it consumed was
 * handled, health was healthy and the statistics counted what ran. Each run gets its own topics
 * (GOCOFFEE_KAFKA_TOPIC_SUFFIX / GOCOFFEE_KAFKA_TOPICS_CUSTOM_EVENT) and group id.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConsumedMessage, DLQ_HEADERS } from '../../../src/consumer/index.js';
import { EventSerde, Manager, SchemaValidationError, SchemaRegistry, goCoffeeEvents } from '../../../src/index.js';
import type { NativeMessage } from '../../../src/native/index.js';
import { REGISTRY_URL, readAll, testConfig, uniqueName } from '../helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The JSON (pino) lines of stdout. */
  readonly logs: ReadonlyArray<Record<string, unknown>>;
  /** The other lines of stdout (what the example prints). */
  readonly printed: string;
}

/** Runs examples/seed/<file>.ts with the given environment on top of this process's (brokers, registry). */
function runExample(file: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=gocoffee-source', '--import', 'tsx', `examples/seed/${file}.ts`], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((l) => l !== '');
      const logs = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ status, stdout, stderr, logs, printed: lines.filter((l) => !l.startsWith('{')).join('\n') });
    });
  });
}

function ok(r: Run): void {
  assert.equal(r.status, 0, `exit ${r.status}\nprinted: ${r.printed}\nstderr: ${r.stderr}\nlast log lines: ${r.logs.slice(-5).map((l) => JSON.stringify(l)).join('\n')}`);
}

function match(r: Run, re: RegExp): RegExpMatchArray {
  const m = r.printed.match(re);
  assert.ok(m, `expected ${re} in:\n${r.printed}`);
  return m;
}

function headersOf(m: NativeMessage): Record<string, string> {
  return Object.fromEntries((m.headers ?? []).flatMap((h) => Object.entries(h)).map(([k, v]) => [k, v.toString()]));
}

const keyOf = (m: NativeMessage) => m.key?.toString();

describe('examples/seed: the twin of every Go snippet of the seed runs against the real stack', function () {
  this.timeout(180_000);
  const registry = new SchemaRegistry({ url: REGISTRY_URL });
  const serde = new EventSerde({ registry }, (t) => goCoffeeEvents().eventNameOf(t));
  const decode = async (m: NativeMessage) => (await serde.decode(new ConsumedMessage(m))).value as Record<string, unknown>;
  /** A fresh topic suffix and group id for one example run. */
  const fresh = () => {
    const id = uniqueName('seed');
    return { suffix: `.${id}`, env: { GOCOFFEE_KAFKA_TOPIC_SUFFIX: `.${id}`, GOCOFFEE_KAFKA_GROUP_ID: id } };
  };
  after(() => registry.close());

  it('connection-manager.ts: getWriter / getReader; the message the writer wrote is on the topic and the reader read it', async () => {
    const { suffix, env } = fresh();
    const r = await runExample('connection-manager', env);
    ok(r);
    const [, topic, id] = match(r, /^writer (\S+): wrote ([0-9a-f-]{36}) at offset \d+; reader (\S+)\/beverage-processor read it back$/m);
    assert.equal(topic, `beverage.created${suffix}`);
    const [m] = await readAll(topic!, 1);
    assert.equal(keyOf(m!), id);
    assert.deepEqual(JSON.parse(m!.value!.toString()), { beverage_id: id, name: 'Cosmic Coffee' });
  });

  it('producer.ts: Publish (key, event_type header, source metadata) and PublishBatch; all four are on the topic', async () => {
    const { suffix, env } = fresh();
    const r = await runExample('producer', env);
    ok(r);
    const [, topic, single, batch] = match(r, /^published to (\S+): ([0-9a-f-]{36}) \(single\), (.+) \(batch\)$/m);
    assert.equal(topic, `beverage.created${suffix}`);
    const ids = [single!, ...batch!.split(', ')];
    const got = await readAll(topic!, 4);
    assert.deepEqual(got.map(keyOf).sort(), [...ids].sort());
    const first = got.find((m) => keyOf(m) === single)!;
    const h = headersOf(first);
    assert.equal(h['event_type'], 'beverage.created');
    assert.deepEqual(JSON.parse(h['metadata']!), { source: 'beverage-inventor-agent' });
    assert.deepEqual(JSON.parse(first.value!.toString()), { beverage_id: single, name: 'Cosmic Coffee', theme: 'Mars Base' });
    for (const m of got) assert.equal(headersOf(m)['event_type'], 'beverage.created');
  });

  it('consumer.ts: a Consumer with a BeverageEventHandler in group beverage-processor handles the Go JSON event on the topic', async () => {
    const { suffix, env } = fresh();
    const r = await runExample('consumer', env);
    ok(r);
    const [, topic, id] = match(r, /^handled (\S+) ([0-9a-f-]{36}) \(Cosmic Coffee, created \d{4}-\d\d-\d\dT[\d:.]+Z\) in group beverage-processor$/m);
    assert.equal(topic, `beverage.created${suffix}`);
    assert.ok(r.logs.some((l) => l['msg'] === 'Processing beverage created event' && l['beverage_id'] === id), 'the handler logged it');
    assert.ok(!r.logs.some((l) => l['msg'] === 'message dead-lettered'), 'nothing dead-lettered');
    const [m] = await readAll(topic!, 1);
    assert.equal(headersOf(m!)['content_type'], 'application/json');
    assert.equal(keyOf(m!), id);
  });

  it("manager.ts: initialize() + startConsumer() run Go's default handlers; the event without description/ingredients went out with Go's zero values", async () => {
    const { suffix, env } = fresh();
    const r = await runExample('manager', env);
    ok(r);
    const group = `${env.GOCOFFEE_KAFKA_GROUP_ID}-beverage`;
    match(r, new RegExp(`^default handler ${group} processed 1 event\\(s\\); groups: ${group}, ${env.GOCOFFEE_KAFKA_GROUP_ID}-task$`, 'm'));
    const line = r.logs.find((l) => l['msg'] === 'Processing beverage created event');
    assert.ok(line, 'the default handler logged the event at info');
    assert.equal(line['level'], 30);
    assert.equal(line['entity_id'], '123e4567-e89b-12d3-a456-426614174000');
    assert.equal(line['group_id'], group);
    const [m] = await readAll(`beverage.created${suffix}`, 1);
    const e = await decode(m!);
    assert.equal(keyOf(m!), '123e4567-e89b-12d3-a456-426614174000');
    assert.equal(e['name'], 'Cosmic Coffee');
    assert.equal(e['theme'], 'Mars Base');
    assert.equal(e['description'], '', "Go's zero string");
    assert.deepEqual(e['ingredients'], [], "Go's nil slice");
    assert.deepEqual(e['metadata'], {});
  });

  it('custom-handler.ts: a BaseMessageHandler subclass processes a JSON event; a value that is not JSON is dead-lettered at once', async () => {
    const { suffix, env } = fresh();
    const topic = `custom.event.topic${suffix}`; // topics.custom_event, with the run's topic_suffix
    const r = await runExample('custom-handler', { ...env, GOCOFFEE_KAFKA_TOPICS_CUSTOM_EVENT: 'custom.event.topic' });
    ok(r);
    const [, usedTopic, id] = match(r, /^CustomEventHandler on (\S+): processed ([0-9a-f-]{36}) \(order\.placed\); dead-lettered 1 value/m);
    assert.equal(usedTopic, topic);
    const [dead] = await readAll(`${topic}.dlq`, 1);
    assert.equal(dead!.value!.toString(), '{ not json');
    const dh = headersOf(dead!);
    assert.equal(dh[DLQ_HEADERS.errorType], 'PermanentError');
    assert.equal(dh[DLQ_HEADERS.errorMessage], 'failed to unmarshal event');
    assert.equal(dh[DLQ_HEADERS.attempts], '1', 'dead-lettered at once, without retries');
    const good = (await readAll(topic, 2)).find((m) => keyOf(m) === id);
    assert.ok(good, 'the processed event is on the topic');
  });

  it('publishing-events.ts: getGlobalManager() publishes BeverageCreated and TaskCreated, read back and decoded field for field', async () => {
    const { suffix, env } = fresh();
    const r = await runExample('publishing-events', env);
    ok(r);
    const [, beverageId, taskId] = match(r, /^published BeverageCreated ([0-9a-f-]{36}) and TaskCreated ([0-9a-f-]{36})$/m);
    const [b] = await readAll(`beverage.created${suffix}`, 1);
    assert.equal(keyOf(b!), beverageId);
    const bev = await decode(b!);
    assert.equal(bev['description'], 'A stellar blend for space explorers');
    assert.deepEqual(JSON.parse(JSON.stringify(bev['ingredients'])), [{ name: 'Coffee Beans', quantity: '200g', type: 'Base' }]);
    assert.equal(bev['created_by'], 'beverage-inventor-agent');
    const [t] = await readAll(`task.created${suffix}`, 1);
    assert.equal(keyOf(t!), taskId);
    const task = await decode(t!);
    assert.deepEqual([task['title'], task['assignee_id'], task['project_id'], task['priority'], task['status']], ['Review Cosmic Coffee Recipe', 'user-123', 'project-456', 'high', 'open']);
    assert.equal(headersOf(t!)['event_type'], 'task.created');
  });

  it('event-bus.ts: getGlobalEventBus() publishes a beverage and a notification event, read back and decoded', async () => {
    const { suffix, env } = fresh();
    const r = await runExample('event-bus', env);
    ok(r);
    const [, beverageId, notificationId] = match(r, /^published BeverageCreated ([0-9a-f-]{36}) and NotificationSent ([0-9a-f-]{36}) through the EventBus$/m);
    const [b] = await readAll(`beverage.created${suffix}`, 1);
    assert.equal((await decode(b!))['beverage_id'], beverageId);
    const [n] = await readAll(`notification.sent${suffix}`, 1);
    assert.equal(keyOf(n!), notificationId);
    const note = await decode(n!);
    assert.deepEqual([note['type'], note['channel'], note['recipient'], note['subject'], note['status']], ['email', 'email', 'user@example.com', 'New Beverage Created', 'sent']);
    assert.equal(note['message'], "A new beverage 'Cosmic Coffee' has been created");
  });

  it('health.ts: not initialized → reported (no throw); then healthy, and the statistics count the written topic and the default handlers\' subscriptions', async () => {
    const { env } = fresh();
    const r = await runExample('health', env);
    ok(r);
    assert.match(r.printed, /^Health check failed: Kafka manager not initialized$/m);
    assert.doesNotMatch(r.printed, /Kafka unhealthy/);
    // 7 configured event topics; 1 writer (beverage.created: the one event published); 4 readers (the default handlers' topics)
    match(r, /^Kafka stats: 7 topics, 1 writers, 4 readers$/m);
  });

  it('tracing.ts: publish() under an application span: its PRODUCER span is a child, and traceparent, trace_id, span_id and correlation_id travel', async () => {
    const { suffix, env } = fresh();
    const r = await runExample('tracing', env);
    ok(r);
    const topic = `beverage.created${suffix}`;
    const [, traceId, sendSpan, correlationId, key] = match(r, new RegExp(`^trace ([0-9a-f]{32}): send ${topic.replace(/\./g, '\\.')} \\(span ([0-9a-f]{16})\\), PUBLISH \\S+ \\(span [0-9a-f]{16}\\); correlation_id ([0-9a-f-]{36}); key ([0-9a-f-]{36})$`, 'm'));
    const [m] = await readAll(topic, 1);
    assert.equal(keyOf(m!), key);
    const h = headersOf(m!);
    assert.equal(h['traceparent'], `00-${traceId}-${sendSpan}-01`);
    assert.equal(h['trace_id'], traceId, "Go's trace_id header");
    assert.equal(h['span_id'], sendSpan, "Go's span_id header");
    assert.equal(h['correlation_id'], correlationId);
  });

  it('zero values stop at the timestamps: publishBeverageCreated without created_at is a SchemaValidationError naming it; nothing is sent', async () => {
    const suffix = `.${uniqueName('seedz')}`;
    const m = new Manager(testConfig({ topicSuffix: suffix, schemaRegistryUrl: REGISTRY_URL }), { ensureTopics: true, autoRegisterSchemas: true });
    await m.initialize();
    try {
      await assert.rejects(
        m.publishBeverageCreated({ beverage_id: 'b-1', name: 'Cosmic Coffee' } as never),
        (e: unknown) => e instanceof SchemaValidationError && /created_at/.test(e.message),
      );
      assert.equal(m.getStatistics().producer.writersCount, 0, 'nothing was handed to the producer');
    } finally {
      await m.close();
    }
  });
});
