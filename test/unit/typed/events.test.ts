import assert from 'node:assert/strict';
import { ConfigError, resolveConfig } from '../../../src/config/index.js';
import { InvalidArgumentError, StateError } from '../../../src/errors/base.js';
import { DecodeError, SchemaValidationError } from '../../../src/schema/errors.js';
import { SchemaRegistry } from '../../../src/schema/registry.js';
import { InvalidEventError, TypedEvents, TypedHandler, defineEvents, typedWorker, workerHandler, type HandlerContext } from '../../../src/typed/index.js';
import { shopEvents, type EventInputTypes, type EventTypes } from '../../fixtures/generic-project/events.js';
import { FakeProducer, ORDER, PAYMENT, SCHEMAS, consumed, memoryRegistry } from './helpers.js';

const config = resolveConfig({ brokers: 'x:1', topicSuffix: '.t', topics: { orderPlaced: 'shop.orders', payments: 'shop.payments' } });

describe('typed events: publish, handle in-process and in a worker module (fake producer, in-memory registry)', () => {
  let reg: Awaited<ReturnType<typeof memoryRegistry>>;
  let registry: SchemaRegistry;
  beforeEach(async () => {
    reg = await memoryRegistry();
    registry = new SchemaRegistry({ url: reg.url, retries: 0 });
  });
  afterEach(async () => {
    registry.close();
    await reg.close();
  });

  it('Avro: the schema id looked up once under <topic>-value, keyed, event_type header; a handler gets the typed event and key', async () => {
    const producer = new FakeProducer();
    const bus = new TypedEvents(shopEvents, { config, producer, registry, autoRegister: true });
    await bus.publish('OrderPlaced', ORDER, { correlationId: 'c-9', headers: { tenant: 'acme' } });
    await bus.publish('OrderPlaced', { ...ORDER, order_id: 'o-2', notes: 'ring twice' });
    const [m1, m2] = producer.sent;
    assert.equal(m1?.topic, 'shop.orders.t');
    assert.equal(m1?.key, 'o-1');
    assert.deepEqual(m1?.headers, [['event_type', 'OrderPlaced'], ['tenant', 'acme']]);
    assert.equal(m1?.correlationId, 'c-9');
    assert.equal((m1?.value as Buffer)[0], 0, 'Confluent wire format');
    assert.deepEqual([...reg.subjects.keys()], ['shop.orders.t-value']);
    assert.equal(reg.requests.filter((r) => r.startsWith('POST')).length, 1, 'one registry call for two publishes');

    const got: Array<{ id: string; ctx: HandlerContext }> = [];
    const h = bus.handler('billing').on('OrderPlaced', (order, ctx) => {
      const city: string = order.customer.address.city; // typed through the generated EventTypes
      const currency: string = order.currency;
      assert.equal(city, 'Lyon');
      assert.equal(currency, 'EUR');
      got.push({ id: order.order_id, ctx });
    });
    assert.deepEqual(h.topics, ['shop.orders.t']);
    assert.equal(h.groupId, 'billing');
    await h.handle(consumed(m1!, 0));
    await h.handle(consumed(m2!, 1));
    assert.deepEqual(got.map((g) => g.id), ['o-1', 'o-2']);
    assert.equal(got[0]?.ctx.key, 'o-1');
    assert.equal(got[0]?.ctx.format, 'avro');
    assert.equal(got[0]?.ctx.eventName, 'OrderPlaced');
    assert.equal(typeof got[0]?.ctx.schemaId, 'number');
    assert.throws(() => h.on('PaymentCaptured', () => undefined), (e: unknown) => e instanceof StateError, 'on() after the topics were read');
    bus.close();
  });

  it('JSON without a registry: content_type header, validated on publish (field named, nothing sent), read back typed with a uuid key', async () => {
    const jsonOnly = defineEvents<EventTypes, EventInputTypes>({
      schemasDir: SCHEMAS,
      serialization: 'json',
      events: { OrderPlaced: { topicKey: 'orderPlaced', key: 'order_id' }, PaymentCaptured: { topicKey: 'payments', key: 'payment_id', keySerde: 'uuid' } },
    });
    const producer = new FakeProducer();
    const bus = new TypedEvents(jsonOnly, { config, producer });
    assert.equal(bus.registry, undefined);
    await bus.publish('PaymentCaptured', PAYMENT);
    const m = producer.sent[0]!;
    assert.equal(m.key, '6f9619ff-8b86-d011-b42d-00c04fc964ff');
    assert.deepEqual(m.headers, [['event_type', 'PaymentCaptured'], ['content_type', 'application/json']]);
    assert.equal(JSON.parse((m.value as Buffer).toString()).receipt, PAYMENT.receipt.toString('base64'));

    await assert.rejects(bus.publish('PaymentCaptured', { ...PAYMENT, method: 'CASH' } as never), (e: unknown) => e instanceof SchemaValidationError && e.field === 'method' && /PaymentCaptured\.method: got a string "CASH"/.test(e.message));
    await assert.rejects(bus.publish('PaymentCaptured', { ...PAYMENT, payment_id: 'p-1' }), (e: unknown) => e instanceof InvalidEventError && /PaymentCaptured\.payment_id: expected a UUID string/.test(e.message));
    await assert.rejects(bus.publish('OrderPlaced', null as never), (e: unknown) => e instanceof InvalidEventError && /OrderPlaced: expected an event object, got null/.test(e.message));
    await assert.rejects(bus.publish('Nope' as never, {} as never), (e: unknown) => e instanceof InvalidEventError && /unknown event "Nope"/.test(e.message));
    assert.equal(producer.sent.length, 1, 'nothing else was sent');

    const seen: Array<{ payment: EventTypes['PaymentCaptured']; ctx: HandlerContext }> = [];
    const h = bus.handler('audit', { handlers: { PaymentCaptured: (payment, ctx) => void seen.push({ payment, ctx }) } });
    await h.handle(consumed(m));
    assert.deepEqual(seen[0]?.payment, { ...PAYMENT });
    assert.equal(seen[0]?.ctx.key, '6f9619ff-8b86-d011-b42d-00c04fc964ff');
    assert.equal(seen[0]?.ctx.format, 'json');
    assert.equal(seen[0]?.ctx.schemaId, undefined);
    // A JSON message without headers on a topic with one handled event is read as that event.
    await h.handle(consumed(m, 1, []));
    assert.equal(seen[1]?.payment.payment_id, PAYMENT.payment_id);
    assert.equal(seen[1]?.ctx.format, 'json');
  });

  it('the key is read on first use: a handler that never reads an unreadable key handles the event; one that reads it gets a DecodeError', async () => {
    const producer = new FakeProducer();
    const bus = new TypedEvents(shopEvents, { config, producer, registry, autoRegister: true });
    await bus.publish('PaymentCaptured', PAYMENT);
    const bad = consumed(producer.sent[0]!.withKey('not-a-uuid'));
    const amounts: number[] = [];
    await bus.handler('totals', { handlers: { PaymentCaptured: (p) => void amounts.push(p.amount_cents) } }).handle(bad);
    assert.deepEqual(amounts, [PAYMENT.amount_cents]);
    const reader = bus.handler('keys', { handlers: { PaymentCaptured: (_, ctx) => void ctx.key } });
    await assert.rejects(reader.handle(bad), (e: unknown) => e instanceof DecodeError && !e.retriable && /PaymentCaptured: .*UUID/i.test(e.message));
    bus.close();
  });

  it('unhandled events: DecodeError (dead-lettered) by default, or ignored; an Avro message without a registry is a DecodeError', async () => {
    const producer = new FakeProducer();
    const avroBus = new TypedEvents(shopEvents, { config, producer, registry, autoRegister: true });
    await avroBus.publish('OrderPlaced', ORDER);
    await avroBus.publish('PaymentCaptured', PAYMENT);
    const [order, payment] = producer.sent.map((m) => consumed(m));
    const strict = new TypedHandler(shopEvents, { groupId: 'g', serde: avroBus.serde, config, topics: ['shop.orders.t', 'shop.payments.t'], handlers: { OrderPlaced: () => undefined }, name: 'OrderHandler' });
    await assert.rejects(strict.handle(payment!), (e: unknown) => e instanceof DecodeError && !e.retriable && /OrderHandler does not handle PaymentCaptured events/.test(e.message));
    const lenient = avroBus.handler('g', { handlers: { OrderPlaced: () => undefined }, unhandled: 'ignore', topics: ['shop.orders.t', 'shop.payments.t'] });
    await lenient.handle(payment!);
    // The event is known before its value is decoded: an unhandled one is skipped even when its value is junk.
    const junk = consumed(producer.sent[1]!, 5, [['event_type', 'PaymentCaptured'], ['content_type', 'application/json']]);
    Object.defineProperty(junk, 'value', { value: Buffer.from('{"not": "a payment"}') });
    await lenient.handle(junk);
    await assert.rejects(strict.handle(junk), (e: unknown) => e instanceof DecodeError && /does not handle PaymentCaptured/.test(e.message));
    const noRegistry = shopEvents.serde({});
    const h = new TypedHandler(shopEvents, { groupId: 'g', serde: noRegistry, config, handlers: { OrderPlaced: () => undefined } });
    await assert.rejects(h.handle(order!), (e: unknown) => e instanceof DecodeError && /no Schema Registry/.test(e.message));
    assert.throws(() => avroBus.handler('g', { unhandled: 'drop' as never }), InvalidArgumentError);
  });

  it('Avro events need a registry: a ConfigError naming kafka.schema_registry_url; publish without a producer is a StateError', async () => {
    assert.throws(() => new TypedEvents(shopEvents, { config }), (e: unknown) => e instanceof ConfigError && /kafka\.schema_registry_url: not set.*OrderPlaced use Avro/.test(e.message));
    const bus = new TypedEvents(shopEvents, { config, registry });
    await assert.rejects(bus.publish('PaymentCaptured', PAYMENT), StateError);
  });

  it('the registry check follows topic_serialization, as publishing does: an event forced to Avro needs one (ConfigError), an Avro event forced to JSON does not', async () => {
    const topics = { orderPlaced: 'shop.orders', payments: 'shop.payments' };
    const allJson = defineEvents<EventTypes, EventInputTypes>({
      schemasDir: SCHEMAS,
      serialization: 'json',
      events: { OrderPlaced: { topicKey: 'orderPlaced', key: 'order_id' }, PaymentCaptured: { topicKey: 'payments', key: 'payment_id', keySerde: 'uuid' } },
    });
    assert.equal(new TypedEvents(allJson, { config }).registry, undefined, 'all JSON: no registry needed');
    const forcedAvro = resolveConfig({ brokers: 'x:1', topics, topicSerialization: { payments: 'avro' } });
    assert.throws(
      () => new TypedEvents(allJson, { config: forcedAvro, producer: new FakeProducer() }),
      (e: unknown) => e instanceof ConfigError && /kafka\.schema_registry_url: not set.*PaymentCaptured use Avro \(PaymentCaptured: Avro by kafka\.topic_serialization\)/.test(e.message) && !/OrderPlaced/.test(e.message),
    );
    assert.throws(() => typedWorker(allJson, { config: forcedAvro, handlers: { PaymentCaptured: () => undefined } }), (e: unknown) => e instanceof InvalidArgumentError && /PaymentCaptured is Avro and needs a Schema Registry/.test(e.message));
    assert.equal(new TypedEvents(allJson, { config: forcedAvro, registry }).registry, registry, 'with a registry: fine');

    // shopEvents' OrderPlaced is Avro; its topic set to json: no registry, published and read back as JSON.
    const forcedJson = resolveConfig({ brokers: 'x:1', topics, topicSerialization: { order_placed: 'json' } });
    const producer = new FakeProducer();
    const bus = new TypedEvents(shopEvents, { config: forcedJson, producer });
    assert.equal(bus.registry, undefined);
    await bus.publish('OrderPlaced', ORDER);
    assert.deepEqual(producer.sent[0]?.headers, [['event_type', 'OrderPlaced'], ['content_type', 'application/json']]);
    const seen: string[] = [];
    await bus.handler('billing', { handlers: { OrderPlaced: (o, ctx) => void seen.push(`${o.order_id}:${ctx.format}`) } }).handle(consumed(producer.sent[0]!));
    assert.deepEqual(seen, ['o-1:json']);
    assert.deepEqual(typedWorker(shopEvents, { config: forcedJson, handlers: { OrderPlaced: () => undefined } }).events, ['OrderPlaced']);
    // Still refused: an Avro event whose topic is not switched.
    assert.throws(() => new TypedEvents(shopEvents, { config: resolveConfig({ brokers: 'x:1', topics, topicSerialization: { payments: 'json' } }) }), (e: unknown) => e instanceof ConfigError && /OrderPlaced use Avro and need/.test(e.message));
  });

  it('other key serdes: int64 from a key function; Avro keys under <topic>-key in wire format, read back', async () => {
    const keyed = defineEvents<EventTypes, EventInputTypes>({
      schemasDir: SCHEMAS,
      events: {
        OrderPlaced: { topic: 'orders', key: (o) => BigInt(o.total_cents), keySerde: 'int64' },
        PaymentCaptured: { topic: 'payments', key: 'order_id', keySerde: { avro: 'string' }, serialization: 'json' },
      },
    });
    const producer = new FakeProducer();
    const bus = new TypedEvents(keyed, { producer, registry, autoRegister: true });
    await bus.publish('OrderPlaced', ORDER);
    await bus.publish('PaymentCaptured', PAYMENT);
    assert.deepEqual(producer.sent[0]?.key, Buffer.from([0, 0, 0, 0, 0, 0, 0x0e, 0x74]));
    const avroKey = producer.sent[1]?.key as Buffer;
    assert.equal(avroKey[0], 0);
    assert.ok(reg.subjects.has('payments-key'));
    const keys: unknown[] = [];
    const h = bus.handler('k', { handlers: { OrderPlaced: (_, ctx) => void keys.push(ctx.key), PaymentCaptured: (_, ctx) => void keys.push(ctx.key) }, topics: ['orders', 'payments'] });
    for (const m of producer.sent) await h.handle(consumed(m));
    assert.deepEqual(keys, [3700n, 'o-1']);
    await assert.rejects(bus.publish('PaymentCaptured', { ...PAYMENT, order_id: 5 as never }), (e: unknown) => e instanceof SchemaValidationError && /PaymentCaptured key/.test(e.message));
  });

  it('typedWorker: a worker module (handle, flush, events) with its own registry client; workerHandler for the main thread', async () => {
    const producer = new FakeProducer();
    const bus = new TypedEvents(shopEvents, { config, producer, registry, autoRegister: true });
    await bus.publish('OrderPlaced', ORDER);
    let flushed = 0;
    const seen: string[] = [];
    const mod = typedWorker(shopEvents, {
      registry: { url: reg.url },
      config,
      handlers: { OrderPlaced: (order, ctx) => void seen.push(`${order.order_id}@${ctx.message.topic}:${order.customer.address.country}`) },
      flush: () => void flushed++,
    });
    assert.deepEqual(mod.events, ['OrderPlaced']);
    await mod.handle(consumed(producer.sent[0]!));
    await mod.flush?.();
    assert.deepEqual(seen, ['o-1@shop.orders.t:FR']);
    assert.equal(flushed, 1);
    const ro = typedWorker<EventTypes>({ schemasDir: SCHEMAS }, { registry: { url: reg.url }, handlers: { OrderPlaced: (o) => void seen.push(o.order_id) } });
    await ro.handle(consumed(producer.sent[0]!));
    assert.equal(seen.at(-1), 'o-1');
    assert.throws(() => typedWorker(shopEvents, { handlers: { OrderPlaced: () => undefined } }), (e: unknown) => e instanceof InvalidArgumentError && /OrderPlaced is Avro and needs a Schema Registry in the worker/.test(e.message));
    assert.throws(() => typedWorker(shopEvents, { handlers: {} }), /at least one typed function/);
    assert.throws(() => typedWorker(shopEvents, { registry, handlers: { Refund: () => undefined } as never }), InvalidEventError);

    const main = workerHandler(shopEvents, { groupId: 'shipping', events: ['OrderPlaced', 'PaymentCaptured'], module: new URL('file:///srv/order-worker.js'), config });
    assert.deepEqual(main.topics, ['shop.orders.t', 'shop.payments.t']);
    assert.equal(String(main.workerModule), 'file:///srv/order-worker.js');
    assert.equal(bus.workerHandler('shipping', ['OrderPlaced'], '/srv/w.js').workerModule, '/srv/w.js');
  });

  it('type-checks publish() and on() against the generated types (compile-time)', () => {
    const bus = new TypedEvents(shopEvents, { config, producer: new FakeProducer(), registry });
    const never = (): void => {
      // @ts-expect-error: not an event of the catalog
      void bus.publish('OrderShipped', ORDER);
      // @ts-expect-error: total_cents is a number
      void bus.publish('OrderPlaced', { ...ORDER, total_cents: '3700' });
      // @ts-expect-error: a required field is missing
      void bus.publish('OrderPlaced', { order_id: 'o' });
      // @ts-expect-error: PaymentCaptured has no customer
      bus.handler('g').on('PaymentCaptured', (p) => p.customer);
    };
    assert.equal(typeof never, 'function');
  });
});
