import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  BeverageEventHandler,
  DLQ_HEADERS,
  InvalidEventError,
  Manager,
  SchemaValidationError,
  type BeverageCreated,
  type ConsumedMessage,
  type EventContext,
} from '../../../src/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { REGISTRY_URL, createTopic, readAll, testConfig, uniqueName } from '../helpers.js';
import { committedOffsets, headerMap, highWatermarks, waitUntil } from '../consumer/util.js';
import { escapeGuard, assertNoProblems, sleep } from './util.js';

const T0 = new Date(1_700_000_000_000);
const BEVERAGE: BeverageCreated = {
  beverage_id: 'bev-ok',
  name: 'Cosmic Coffee',
  description: 'A stellar blend',
  theme: 'Mars Base',
  ingredients: [{ name: 'Coffee Beans', quantity: '200g', type: 'Base' }],
  created_by: 'beverage-inventor-agent',
  created_at: T0,
  metadata: { source: 'bad-input-test' },
  calories: 120,
  tags: ['seasonal'],
};
/** The same event as a Go service writes it (JSON, RFC 3339 time). */
const BEVERAGE_JSON = { ...BEVERAGE, created_at: T0.toISOString() };
const TASK_JSON = { task_id: 't-1', title: 'x', description: 'y', assignee_id: 'u', project_id: 'p', priority: 'high', status: 'open', created_by: 'a', created_at: T0.toISOString(), metadata: {} };

/**
 * Issue 8 §3, events: an event that fails its schema is a SchemaValidationError naming the field
 * and nothing is sent; wrong-typed EventBus calls are InvalidEventErrors; corrupt payloads read by
 * a typed handler (BeverageEventHandler under a Manager with this test's topic suffix) go to
 * `<topic>.dlq` at once (attempts 1: decoding errors are not retriable) with the error type in
 * `dlq.error.type`, never crash the process and never block the partition: a valid event
 * published after them is handled and the group's committed offset passes them all.
 */
describe('Bad input: events that fail their schema, wrong-typed EventBus calls, corrupt payloads', function () {
  this.timeout(120_000);
  const suffix = `.${uniqueName('bad')}`;
  const topic = `beverage.created${suffix}`;
  const dlq = `${topic}.dlq`;
  const group = uniqueName('bad-events');
  let m: Manager;
  let guard: ReturnType<typeof escapeGuard>;
  const handled: Array<{ event: BeverageCreated; key: string | null; offset: number; kind: string }> = [];
  const consumerErrors: Error[] = [];
  const deadLettered: string[] = [];

  before(async function () {
    this.timeout(120_000);
    guard = escapeGuard();
    // One partition each: every corrupt message below sits in front of the valid one.
    await Promise.all([createTopic(topic, 1), createTopic(`beverage.updated${suffix}`, 1), createTopic(dlq, 1)]);
    m = new Manager(testConfig({ topicSuffix: suffix, schemaRegistryUrl: REGISTRY_URL, retryMax: 3, retryBackoffMs: 3000 }), {
      registerSchemas: true,
      consumerHooks: {
        onError: (e) => consumerErrors.push(e),
        onDeadLetter: (t) => deadLettered.push(t),
      },
      handlers: (ctx: EventContext) => {
        class Beverages extends BeverageEventHandler {
          override onBeverageCreated(event: BeverageCreated, msg: ConsumedMessage): void {
            handled.push({ event, key: msg.keyString(), offset: msg.offset, kind: 'BeverageCreated' });
          }
        }
        return [new Beverages(ctx, group)];
      },
    });
    await m.initialize();
    await m.startConsumer();
    await waitUntil(() => (m.consumer.stats()[0]?.assigned ?? 0) === 2, 60_000, () => `assignment ${JSON.stringify(m.consumer.stats())}`);
  });
  after(async () => {
    await m?.close();
    guard.dispose();
    assert.deepEqual(guard.escaped, [], 'nothing escaped as an unhandled rejection / uncaught exception');
  });

  const endOffset = async (t: string) => (await highWatermarks(m.connection, t, 1))[0]!;

  it('an event that fails its schema: SchemaValidationError naming the field; nothing is sent', async () => {
    const before = await endOffset(topic);
    const cases: Array<[string, Record<string, unknown>]> = [
      ['name', { ...BEVERAGE, name: 5 }], // a missing name is Go's zero value '' (src/gocoffee/zero.ts); a wrong type is refused,
      ['calories', { ...BEVERAGE, calories: 'lots' }],
      ['created_at', { ...BEVERAGE, created_at: 'yesterday' }],
      ['ingredients.0.quantity', { ...BEVERAGE, ingredients: [{ name: 'Milk', quantity: 200, type: 'Base' }] }],
      ['tags', { ...BEVERAGE, tags: 'seasonal' }],
      ['metadata.source', { ...BEVERAGE, metadata: { source: 42 } }],
    ];
    for (const [field, event] of cases) {
      await assert.rejects(m.publishBeverageCreated(event as never), (e: unknown) => {
        assert.ok(e instanceof SchemaValidationError, `${field}: ${String(e)}`);
        assert.equal(e.field, field);
        assert.equal(e.code, 'GCK_SCHEMA_VALIDATION');
        assert.equal(e.retriable, false);
        assert.match(e.message, /nothing was sent/);
        return true;
      });
      // The EventBus path validates the same way.
      await assert.rejects(m.eventBus.publishBeverageEvent('created', 'bev-ok', event as never), SchemaValidationError);
    }
    await sleep(500);
    assert.equal(await endOffset(topic), before, "the topic's end offset is unchanged");
  });

  it('wrong-typed EventBus calls: InvalidEventError, nothing sent', async () => {
    const before = await endOffset(topic);
    const bus = m.eventBus;
    const calls: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['null event', () => bus.publishBeverageEvent('created', 'bev-ok', null as never), /expected an event object, got null/],
      ['array event', () => bus.publishBeverageEvent('created', 'bev-ok', [] as never), /got an array/],
      ['string event', () => bus.publishTaskEvent('created', 't-1', 'task' as never), /got string/],
      ['number event', () => bus.publishSystemEvent(42 as never), /got number/],
      ['undefined event', () => bus.publishAIEvent(undefined as never), /got undefined/],
      ['unknown action', () => bus.publishBeverageEvent('deleted' as never, 'bev-ok', BEVERAGE as never), /unknown action "deleted"/],
      ['non-string action', () => bus.publishTaskEvent(1 as never, 't-1', TASK_JSON as never), /unknown action/],
      ['empty id', () => bus.publishBeverageEvent('created', '', BEVERAGE as never), /non-empty id/],
      ['numeric id', () => bus.publishBeverageEvent('created', 7 as never, BEVERAGE as never), /non-empty id/],
      ['id mismatch', () => bus.publishBeverageEvent('created', 'bev-other', BEVERAGE as never), /does not match event.beverage_id/],
      ['task event as a beverage', () => bus.publishBeverageEvent('created', 't-1', TASK_JSON as never), /no beverage_id/],
      ['beverage event as a task', () => bus.publishTaskEvent('updated', 'bev-ok', BEVERAGE as never), /no task_id/],
      ['beverage event as a notification', () => bus.publishNotificationEvent(BEVERAGE as never), /no notification_id/],
      ['beverage event as an AI event', () => bus.publishAIEvent(BEVERAGE as never), /no request_id/],
      ['beverage event as a system event', () => bus.publishSystemEvent(BEVERAGE as never), /no event_id/],
      ['non-string entity id in the event', () => m.publishBeverageCreated({ ...BEVERAGE, beverage_id: 42 } as never), /beverage_id: expected the beverage id/],
    ];
    for (const [what, call, message] of calls) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof InvalidEventError, `${what}: expected an InvalidEventError, got ${String(e)}`);
        assert.equal(e.code, 'GCK_INVALID_EVENT');
        assert.match(e.message, message, what);
        return true;
      });
    }
    await sleep(500);
    assert.equal(await endOffset(topic), before, 'nothing was sent');
  });

  describe('corrupt payloads consumed by a typed handler', () => {
    interface Case {
      readonly name: string;
      readonly value: Buffer | string | null;
      readonly headers?: Record<string, string>;
      /** The dlq.error.type expected (the error's class name). */
      readonly errorType: string;
    }
    let cases: Case[] = [];
    const offsets = new Map<string, number>();
    let validOffset = -1;
    let published = 0;
    let dlqRecords: Array<{ key: string | null; headers: Record<string, string>; value: Buffer | null; timestamp: number | undefined }> = [];
    let publishedAt = 0;

    before(async function () {
      this.timeout(120_000);
      const enc = await m.serde.encoder(topic, 'BeverageCreated');
      const avro = enc.encode(BEVERAGE);
      const otherEvent = (await m.serde.encoder(`system.event${suffix}`, 'SystemEvent')).encode({ event_id: 'sys-1', event_type: 'agent.started', source: 's', severity: 'info', message: 'm', occurred_at: T0, metadata: {} });
      const wrongMagic = Buffer.from(avro);
      wrongMagic[0] = 1;
      const random = randomBytes(64);
      random[0] = 0xab; // neither the magic byte nor '{'
      const unknownId = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), avro.subarray(5)]);
      unknownId.writeUInt32BE(999_999, 1);
      const json = { content_type: 'application/json', event_type: 'beverage.created' };
      cases = [
        { name: 'random-bytes', value: random, errorType: 'WireFormatError' },
        { name: 'wrong-magic-byte', value: wrongMagic, errorType: 'WireFormatError' },
        { name: 'unknown-schema-id', value: unknownId, errorType: 'UnknownSchemaError' },
        { name: 'truncated-avro', value: avro.subarray(0, Math.floor(avro.length / 2)), errorType: 'DecodeError' },
        { name: 'header-only', value: avro.subarray(0, 5), errorType: 'DecodeError' },
        { name: 'shorter-than-header', value: Buffer.from([0, 0, 1]), errorType: 'WireFormatError' },
        { name: 'empty-value', value: Buffer.alloc(0), errorType: 'WireFormatError' },
        { name: 'tombstone', value: null, errorType: 'WireFormatError' },
        { name: 'json-not-parsing', value: '{"beverage_id": "bev-x", "name": ', headers: json, errorType: 'DecodeError' },
        { name: 'json-not-an-object', value: '[1, 2, 3]', headers: json, errorType: 'DecodeError' },
        { name: 'json-time-not-rfc3339', value: JSON.stringify({ ...BEVERAGE_JSON, created_at: 'yesterday' }), headers: json, errorType: 'DecodeError' },
        { name: 'json-wrong-types', value: JSON.stringify({ ...BEVERAGE_JSON, ingredients: 'beans' }), headers: json, errorType: 'DecodeError' },
        { name: 'json-no-event-type-not-a-beverage', value: JSON.stringify(TASK_JSON), headers: { content_type: 'application/json' }, errorType: 'DecodeError' },
        { name: 'json-no-headers-not-a-beverage', value: JSON.stringify(TASK_JSON), errorType: 'DecodeError' },
        { name: 'json-of-another-event-type', value: JSON.stringify(TASK_JSON), headers: { content_type: 'application/json', event_type: 'task.created' }, errorType: 'DecodeError' },
        { name: 'avro-of-another-event', value: otherEvent, errorType: 'DecodeError' },
      ];
      publishedAt = Date.now();
      for (const c of cases) {
        const msg = newMessage(topic, c.value).withKey(c.name);
        for (const [k, v] of Object.entries(c.headers ?? {})) msg.withHeader(k, v);
        const r = await m.connection.producer.publish(msg);
        offsets.set(c.name, r.offset);
        published++;
      }
      // A valid event after all of them, on the same partition.
      validOffset = (await m.publishBeverageCreated(BEVERAGE)).offset;
      await waitUntil(() => handled.some((h) => h.offset === validOffset), 60_000, () => `the valid event was not handled; stats ${JSON.stringify(m.consumer.stats())}`);
      dlqRecords = (await readAll(dlq, cases.length, 60_000)).map((r) => ({
        key: r.key === null || r.key === undefined ? null : r.key.toString(),
        headers: headerMap(r.headers),
        value: r.value,
        timestamp: r.timestamp,
      }));
    });

    it('every corrupt payload is in <topic>.dlq with its error type, attempts 1 (at once), original coordinates and bytes', () => {
      const byOffset = new Map(dlqRecords.map((r) => [Number(r.headers[DLQ_HEADERS.offset]), r]));
      const summary: string[] = [];
      for (const c of cases) {
        const r = byOffset.get(offsets.get(c.name)!);
        assert.ok(r !== undefined, `${c.name}: not in the dead-letter topic (dlq has ${dlqRecords.length} record(s))`);
        summary.push(`${c.name}→${r.headers[DLQ_HEADERS.errorType]}`);
        assert.equal(r.headers[DLQ_HEADERS.errorType], c.errorType, `${c.name}: ${r.headers[DLQ_HEADERS.errorMessage]}`);
        assert.equal(r.headers[DLQ_HEADERS.attempts], '1', `${c.name}: not retried`);
        assert.equal(r.headers[DLQ_HEADERS.topic], topic);
        assert.equal(r.headers[DLQ_HEADERS.partition], '0');
        assert.equal(r.headers[DLQ_HEADERS.key], c.name);
        assert.equal(r.headers[DLQ_HEADERS.group], group);
        assert.equal(r.key, c.name);
        const original = c.value === null ? null : Buffer.from(c.value);
        if (original === null || original.length === 0) assert.ok(r.value === null || r.value.length === 0, `${c.name}: value kept`);
        else assert.deepEqual(r.value, original, `${c.name}: the original bytes are kept`);
        assert.ok(r.headers[DLQ_HEADERS.errorMessage]!.length > 0);
        assert.equal(r.headers[DLQ_HEADERS.firstFailure], r.headers[DLQ_HEADERS.lastFailure]);
      }
      assert.equal(dlqRecords.length, cases.length, 'one dead-letter record per corrupt payload');
      // "At once": with retry_backoff 3 s a single retry would take >= 1.5 s per message.
      const lastFailure = Math.max(...dlqRecords.map((r) => Date.parse(r.headers[DLQ_HEADERS.lastFailure]!)));
      const stats = m.consumer.stats()[0]!;
      console.log(`      [bad-input] ${summary.join(', ')}; all dead-lettered ${((lastFailure - publishedAt) / 1000).toFixed(2)} s after the first publish; consumer stats ${JSON.stringify(stats)}`);
      assert.equal(stats.retried, 0, 'nothing was retried');
      assert.ok(stats.deadLettered >= cases.length);
      assert.ok(lastFailure - publishedAt < 10_000);
    });

    it('the partition is not blocked: the valid event published after them was handled, and the committed offset passed them all', async () => {
      const valid = handled.filter((h) => h.offset === validOffset);
      assert.equal(valid.length, 1);
      assert.deepEqual(JSON.parse(JSON.stringify(valid[0]!.event)), JSON.parse(JSON.stringify(BEVERAGE)));
      assert.equal(valid[0]!.key, 'bev-ok');
      const corruptHandled = handled.filter((h) => [...offsets.values()].includes(h.offset));
      assert.deepEqual(corruptHandled.map((h) => h.offset), [], 'no corrupt payload reached the handler');
      await waitUntil(async () => (await committedOffsets(m.connection, group, topic, 1))[0] === validOffset + 1, 30_000, () => 'committed past every message');
      assert.equal(published, cases.length);
    });

    it('JSON without an event_type header is read as the event of its topic (a valid BeverageCreated is handled)', async () => {
      const r = await m.connection.producer.publish(newMessage(topic, JSON.stringify({ ...BEVERAGE_JSON, beverage_id: 'bev-json-no-type' })).withKey('bev-json-no-type').withHeader('content_type', 'application/json'));
      await waitUntil(() => handled.some((h) => h.offset === r.offset), 30_000, () => 'JSON without event_type handled');
      assert.equal(handled.find((h) => h.offset === r.offset)!.event.beverage_id, 'bev-json-no-type');
    });

    it('JSON with an UNKNOWN event_type header is dead-lettered, not read as the topic\'s event', async function () {
      const r = await m.connection.producer.publish(
        newMessage(topic, JSON.stringify({ ...BEVERAGE_JSON, beverage_id: 'bev-unknown-type' })).withKey('bev-unknown-type').withHeader('content_type', 'application/json').withHeader('event_type', 'beverage.deleted'),
      );
      const dead = () => readAll(dlq, cases.length + 1, 3000).then((all) => all.find((x) => headerMap(x.headers)[DLQ_HEADERS.offset] === String(r.offset)));
      await waitUntil(async () => handled.some((h) => h.offset === r.offset) || (await dead()) !== undefined, 30_000, () => 'the message was neither handled nor dead-lettered');
      const problems: string[] = [];
      const asBeverage = handled.find((h) => h.offset === r.offset);
      if (asBeverage !== undefined) problems.push('a JSON message whose event_type header is "beverage.deleted" (unknown) was decoded and handled as a BeverageCreated (the topic\'s event) instead of being dead-lettered');
      assertNoProblems(problems, 'a JSON event with an unknown event_type goes to the dead-letter topic');
    });

    it('nothing crashed: no consumer errors, no task errors, no unhandled rejections', () => {
      const stats = m.consumer.stats()[0]!;
      assert.equal(stats.taskErrors, 0);
      assert.deepEqual(consumerErrors.map((e) => e.message), []);
      assert.deepEqual(guard.escaped, []);
    });
  });
});
