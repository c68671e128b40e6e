import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, resolveConfig } from '../../../src/config/index.js';
import { InvalidArgumentError } from '../../../src/errors/base.js';
import { SchemaFileError } from '../../../src/schema/errors.js';
import { InvalidEventError, defineEvents, readOnlyCatalog, type EventSpecs } from '../../../src/typed/index.js';
import { shopEvents, type EventInputTypes, type EventTypes } from '../../fixtures/generic-project/events.js';
import { SCHEMAS } from './helpers.js';

const specs = (events: Record<string, unknown>): EventSpecs<EventInputTypes> => events as unknown as EventSpecs<EventInputTypes>;
const define = (events: Record<string, unknown>) => defineEvents<EventTypes, EventInputTypes>({ schemasDir: SCHEMAS, events: specs(events) });
const OK = { OrderPlaced: { topic: 'orders', key: 'order_id' }, PaymentCaptured: { topic: 'payments', key: 'payment_id' } };

describe('typed/catalog: defineEvents over your own schemas folder', () => {
  it('loads the folder (a path or a file: URL), resolves each spec, maps event types to names', () => {
    const c = defineEvents<EventTypes, EventInputTypes>({
      schemasDir: pathToFileURL(SCHEMAS),
      serialization: 'json',
      events: { OrderPlaced: { topic: 'orders', key: 'order_id', eventType: 'order.placed', serialization: 'avro', version: 1 }, PaymentCaptured: { topicKey: 'payments', key: (p) => p.payment_id, keySerde: 'uuid' } },
    });
    assert.deepEqual(c.names, ['OrderPlaced', 'PaymentCaptured']);
    assert.deepEqual(c.schemas.get('OrderPlaced')?.map((v) => v.version), [1, 2]);
    const o = c.event('OrderPlaced');
    assert.equal(o.serialization, 'avro');
    assert.equal(o.keyField, 'order_id');
    assert.equal(o.version, 1);
    assert.equal(o.keySerde?.name, 'string');
    const p = c.event('PaymentCaptured');
    assert.equal(p.serialization, 'json', 'the catalog default');
    assert.equal(p.keyField, undefined);
    assert.equal(p.keyOf?.({ payment_id: 'x' }), 'x');
    assert.equal(c.eventNameOf('order.placed'), 'OrderPlaced');
    assert.equal(c.eventNameOf('PaymentCaptured'), 'PaymentCaptured');
    assert.equal(c.eventNameOf('nope'), undefined);
    assert.deepEqual(c.writerVersions(), { OrderPlaced: 1 });
    assert.equal(c.usesRegistry, true);
  });

  it('topicOf: a literal topic as given; a topicKey from the configuration with topic_suffix; typed errors otherwise', () => {
    const config = resolveConfig({ brokers: 'x:1', topicSuffix: '.dev', topics: { orderPlaced: 'shop.orders', payments: 'shop.payments' } });
    assert.equal(shopEvents.topicOf('OrderPlaced', config), 'shop.orders.dev');
    assert.equal(shopEvents.topicOf('PaymentCaptured', config), 'shop.payments.dev');
    assert.equal(define(OK).topicOf('OrderPlaced', config), 'orders', 'a literal topic is used exactly as given');
    assert.throws(() => shopEvents.topicOf('OrderPlaced'), (e: unknown) => e instanceof InvalidArgumentError && /configured topic "orderPlaced": pass a configuration/.test(e.message));
    assert.throws(() => shopEvents.topicOf('OrderPlaced', resolveConfig({ brokers: 'x:1' })), (e: unknown) => e instanceof ConfigError && /kafka\.topics\.order_placed/.test(e.message));
    assert.throws(() => shopEvents.topicOf('OrderShipped' as never, config), (e: unknown) => e instanceof InvalidEventError && /unknown event "OrderShipped"; the catalog has OrderPlaced, PaymentCaptured/.test(e.message));
  });

  it('a bad spec is an InvalidArgumentError naming events.<Event>.<option>', () => {
    const bad = (events: Record<string, unknown>, pattern: RegExp): void => {
      assert.throws(() => define(events), (e: unknown) => e instanceof InvalidArgumentError && e.code === 'GCK_INVALID_ARGUMENT' && pattern.test(e.message), pattern.source);
    };
    bad({ ...OK, OrderPlaced: { key: 'order_id' } }, /^events\.OrderPlaced\.topic: give exactly one of topic .* or topicKey/);
    bad({ ...OK, OrderPlaced: { topic: 'a', topicKey: 'b' } }, /events\.OrderPlaced\.topic: give exactly one/);
    bad({ ...OK, OrderPlaced: { topic: 'bad topic!' } }, /events\.OrderPlaced\.topic: got "bad topic!", expected a Kafka topic name/);
    bad({ ...OK, OrderPlaced: { topic: 'o', key: 'orderid' } }, /events\.OrderPlaced\.key: "orderid" is not a field of OrderPlaced \(order_id, customer, lines, total_cents, placed_at, currency, notes\)/);
    bad({ ...OK, OrderPlaced: { topic: 'o', key: 5 } }, /events\.OrderPlaced\.key: got number/);
    bad({ ...OK, OrderPlaced: { topic: 'o', keySerde: 'int16' } }, /events\.OrderPlaced\.keySerde: got "int16", expected one of string, bytes, int32, int64, uuid, json/);
    bad({ ...OK, OrderPlaced: { topic: 'o', keySerde: { avro: '{"type": "nope"}' } } }, /events\.OrderPlaced\.keySerde: the Avro key schema is not valid/);
    bad({ ...OK, OrderPlaced: { topic: 'o', serialization: 'protobuf' } }, /events\.OrderPlaced\.serialization: got "protobuf", expected avro or json/);
    bad({ ...OK, OrderPlaced: { topic: 'o', version: 3 } }, /events\.OrderPlaced\.version: got 3, expected one of the versions in the schemas folder \(1, 2\)/);
    bad({ ...OK, PaymentCaptured: { topic: 'p', eventType: 'OrderPlaced' } }, /events\.PaymentCaptured\.eventType: "OrderPlaced" is already the event type of OrderPlaced/);
    assert.throws(() => defineEvents({ schemasDir: SCHEMAS, events: {} }), /events: expected one spec per event/);
  });

  it('the folder must hold exactly the defined events (SchemaFileError naming the folder)', () => {
    assert.throws(() => define({ OrderPlaced: OK.OrderPlaced }), (e: unknown) => e instanceof SchemaFileError && /unknown event folder\(s\) "PaymentCaptured"/.test(e.message));
    assert.throws(() => define({ ...OK, OrderShipped: { topic: 'x' } }), (e: unknown) => e instanceof SchemaFileError && /no schemas for OrderShipped/.test(e.message));
    const dir = mkdtempSync(join(tmpdir(), 'typed-'));
    try {
      cpSync(SCHEMAS, dir, { recursive: true });
      mkdirSync(join(dir, 'Empty'));
      assert.throws(() => readOnlyCatalog(dir), (e: unknown) => e instanceof SchemaFileError && /Empty: no v<N>\.avsc schema files/.test(e.message));
      rmSync(join(dir, 'Empty'), { recursive: true });
      const ro = readOnlyCatalog(dir);
      assert.deepEqual(ro.names, ['OrderPlaced', 'PaymentCaptured']);
      assert.throws(() => ro.topicOf('OrderPlaced'), (e: unknown) => e instanceof InvalidEventError && /has no topic/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
