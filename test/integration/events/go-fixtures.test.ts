import assert from 'node:assert/strict';
import { topicName } from '../../../src/config/index.js';
import { Manager, BeverageEventHandler, TaskEventHandler, NotificationEventHandler, AIEventHandler, type ConsumedMessage, type EventContext } from '../../../src/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { DLQ_HEADERS } from '../../../src/message/headers.js';
import { EVENT_OF_TOPIC_KEY, READABLE, readFixtures } from '../../fixtures/go/expected.js';
import { REGISTRY_URL, readAll, testConfig, uniqueName } from '../helpers.js';
import { headerMap, waitUntil } from '../consumer/util.js';

/**
 * Issue 16 item 1 end to end: every payload of test/fixtures/go/go-events.json (encoding/json
 * output of the seed's Go structs, test/fixtures/go/gen) is published raw, with the headers the Go
 * Manager sends, through the library's plain producer to the configured topics of a Manager with
 * typed handlers. Each readable one reaches its typed handler with exactly the expected value;
 * each unreadable one lands in the topic's dead-letter topic at once, its error naming the field.
 */
describe("Go services' JSON events (Go-produced fixtures) through a Manager's typed handlers (real broker)", function () {
  this.timeout(180_000);
  const FIXTURE_HEADER = 'x-go-fixture'; // test only: which fixture a message is
  const suffix = `.${uniqueName('gofx')}`;
  const group = uniqueName('go-fixtures');
  const fixtures = readFixtures();
  const readable = fixtures.filter((f) => f.error === undefined);
  const unreadable = fixtures.filter((f) => f.error !== undefined);
  const got = new Map<string, Array<{ event: string; value: unknown }>>();
  let m: Manager;

  before(async () => {
    const record = (event: string, value: unknown, msg: ConsumedMessage) => {
      const name = msg.header(FIXTURE_HEADER) ?? `(no ${FIXTURE_HEADER} header)`;
      got.set(name, [...(got.get(name) ?? []), { event, value }]);
    };
    m = new Manager(testConfig({ topicSuffix: suffix, schemaRegistryUrl: REGISTRY_URL }), {
      ensureTopics: { partitions: 1 },
      handlers: (ctx: EventContext) => {
        class Bev extends BeverageEventHandler {
          override onBeverageCreated(e: unknown, msg: ConsumedMessage) {
            record('BeverageCreated', e, msg);
          }
        }
        class Task extends TaskEventHandler {
          override onTaskCreated(e: unknown, msg: ConsumedMessage) {
            record('TaskCreated', e, msg);
          }
        }
        class Note extends NotificationEventHandler {
          override onNotificationSent(e: unknown, msg: ConsumedMessage) {
            record('NotificationSent', e, msg);
          }
        }
        class AI extends AIEventHandler {
          override onAIRequestCompleted(e: unknown, msg: ConsumedMessage) {
            record('AIRequestCompleted', e, msg);
          }
        }
        return [new Bev(ctx, group), new Task(ctx, group), new Note(ctx, group), new AI(ctx, group)];
      },
    });
    await m.initialize();
    await m.startConsumer();
    for (const f of fixtures) {
      const msg = newMessage(topicName(m.config, f.topic_key), f.payload);
      if (f.key !== '') msg.withKey(f.key);
      for (const [k, v] of Object.entries(f.headers)) msg.withHeader(k, v);
      await m.connection.producer.publish(msg.withHeader(FIXTURE_HEADER, f.name));
    }
  });
  after(async () => {
    await m?.close();
  });

  it('publishes to the topics a TS service with topic_suffix reads (the Go Manager writes <topic><suffix> too)', () => {
    assert.ok(readable.length >= 40 && unreadable.length >= 10, `${readable.length} readable, ${unreadable.length} unreadable`);
    assert.equal(topicName(m.config, 'beverage_created'), `beverage.created${suffix}`);
    assert.deepEqual(new Set(fixtures.map((f) => f.topic_key)), new Set(Object.keys(EVENT_OF_TOPIC_KEY)));
  });

  it('every readable fixture reaches its typed handler once, with exactly the expected value (environment-suffixed event types included)', async () => {
    await waitUntil(
      () => readable.every((f) => got.has(f.name)),
      90_000,
      () => `not handled: ${readable.filter((f) => !got.has(f.name)).map((f) => f.name).join(', ')}; consumer ${JSON.stringify(m.consumer.stats())}`,
    );
    for (const f of readable) {
      const want = READABLE[f.name]!;
      assert.equal(want.event, EVENT_OF_TOPIC_KEY[f.topic_key], f.name);
      assert.deepStrictEqual(got.get(f.name), [{ event: want.event, value: want.value }], f.name);
    }
    for (const f of unreadable) assert.equal(got.get(f.name), undefined, `${f.name} reached a handler`);
  });

  it('every unreadable fixture is dead-lettered at once (<topic>.dlq), with the original bytes and an error naming the field', async () => {
    const dlqTopics = [...new Set(unreadable.map((f) => `${topicName(m.config, f.topic_key)}.dlq`))];
    const dead = new Map<string, { headers: Record<string, string>; value: Buffer | null }>();
    await waitUntil(
      async () => {
        for (const t of dlqTopics) {
          for (const r of await readAll(t, Number.MAX_SAFE_INTEGER, 3000)) {
            const h = headerMap(r.headers);
            if (h[DLQ_HEADERS.group] === group && h[FIXTURE_HEADER] !== undefined) dead.set(h[FIXTURE_HEADER], { headers: h, value: r.value ?? null });
          }
        }
        return unreadable.every((f) => dead.has(f.name));
      },
      90_000,
      () => `not dead-lettered: ${unreadable.filter((f) => !dead.has(f.name)).map((f) => f.name).join(', ')}`,
    );
    for (const f of unreadable) {
      const d = dead.get(f.name)!;
      const message = d.headers[DLQ_HEADERS.errorMessage]!;
      assert.equal(d.headers[DLQ_HEADERS.errorType], 'DecodeError', `${f.name}: ${message}`);
      assert.equal(d.headers[DLQ_HEADERS.attempts], '1', `${f.name}: not retried`);
      assert.equal(d.headers[DLQ_HEADERS.topic], topicName(m.config, f.topic_key));
      assert.deepEqual(d.value, Buffer.from(f.payload), `${f.name}: the original bytes`);
      assert.equal(d.headers['event_type'], f.headers['event_type'], `${f.name}: the original headers`);
      if (f.error!.field !== undefined) assert.ok(message.includes(`: ${f.error!.field}: got `), `${f.name}: "${message}" does not name ${f.error!.field}`);
      if (f.error!.message !== undefined) assert.ok(message.includes(f.error!.message), `${f.name}: "${message}"`);
    }
    assert.equal(dead.size, unreadable.length);
  });
});
