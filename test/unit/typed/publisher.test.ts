import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { TypedPublisher, defineEvents } from '../../../src/typed/index.js';
import type { SchemaSerde } from '../../../src/typed/serde.js';
import type { EventInputTypes, EventTypes } from '../../fixtures/generic-project/events.js';
import { FakeProducer, ORDER, PAYMENT, SCHEMAS } from './helpers.js';

describe('TypedPublisher call order (issue 17 item 3)', () => {
  // Two event types on one topic, keyed by the same order id.
  const sameTopic = defineEvents<EventTypes, EventInputTypes>({
    schemasDir: SCHEMAS,
    events: { OrderPlaced: { topic: 'shop', key: 'order_id' }, PaymentCaptured: { topic: 'shop', key: 'order_id' } },
  });
  const encoder = (tag: string) => ({ encode: () => Buffer.from(tag) });

  it('an event whose encoder is cold (registry lookup under way) is not overtaken by a later same-key event whose encoder is warm', async () => {
    let lookups = 0;
    const serde = {
      // OrderPlaced: cold, its schema id takes 30 ms to look up; PaymentCaptured: warm.
      encoderSync: (_topic: string, name: string) => (name === 'PaymentCaptured' ? encoder('payment') : undefined),
      encoder: async (_topic: string, name: string) => {
        lookups++;
        await delay(30);
        return encoder(name === 'OrderPlaced' ? 'order' : 'payment');
      },
    } as unknown as SchemaSerde;
    const producer = new FakeProducer();
    const pub = new TypedPublisher(sameTopic, { producer, serde });
    const a = pub.publish('OrderPlaced', ORDER);
    const b = pub.publish('PaymentCaptured', PAYMENT);
    await Promise.all([a, b]);
    assert.equal(lookups, 1);
    assert.deepEqual(producer.sent.map((m) => String(m.value)), ['order', 'payment'], 'call order kept');
  });

  it('a publish that fails before sending (bad event) does not hold up or reorder the ones after it', async () => {
    const serde = { encoderSync: () => encoder('x'), encoder: async () => encoder('x') } as unknown as SchemaSerde;
    const producer = new FakeProducer();
    const pub = new TypedPublisher(sameTopic, { producer, serde });
    const bad = pub.publish('OrderPlaced', null as never);
    const ok1 = pub.publish('OrderPlaced', ORDER);
    const ok2 = pub.publish('PaymentCaptured', PAYMENT);
    await assert.rejects(bad, /expected an event object/);
    await Promise.all([ok1, ok2]);
    assert.equal(producer.sent.length, 2);
  });

  it('a cold encoder holds back only later events of its key: another key goes first', async () => {
    const serde = {
      encoderSync: (_topic: string, name: string) => (name === 'PaymentCaptured' ? encoder('payment') : undefined),
      encoder: async () => {
        await delay(30);
        return encoder('order');
      },
    } as unknown as SchemaSerde;
    const producer = new FakeProducer();
    const pub = new TypedPublisher(sameTopic, { producer, serde });
    const a = pub.publish('OrderPlaced', ORDER); // key o-1, cold
    const b = pub.publish('PaymentCaptured', { ...PAYMENT, order_id: 'o-2' }); // key o-2, warm
    await b;
    assert.deepEqual(producer.sent.map((m) => String(m.value)), ['payment'], 'the other key was not held');
    await a;
    assert.deepEqual(producer.sent.map((m) => String(m.value)), ['payment', 'order']);
  });
});
