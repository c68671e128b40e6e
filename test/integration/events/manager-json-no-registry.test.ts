/**
 * Review item 3 of issue 16 against the real broker: a Manager whose events are all JSON
 * (`serialization: json`) needs no Schema Registry. It publishes and consumes the Go services'
 * JSON, its health check probes no registry, and an Avro-framed message on its topic is
 * dead-lettered with a DecodeError saying that no registry is configured (the consumer keeps going).
 */
import assert from 'node:assert/strict';
import { BeverageEventHandler, Manager, newMessage, type BeverageCreated, type ConsumedMessage } from '../../../src/index.js';
import { DLQ_HEADERS } from '../../../src/message/headers.js';
import { readAll, testConfig, uniqueName } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';

describe('Manager with serialization: json and no Schema Registry (real broker)', function () {
  this.timeout(120_000);
  const suffix = `.${uniqueName('json-noreg')}`;
  const topic = `beverage.created${suffix}`;
  const got: Array<{ event: BeverageCreated; contentType: string | undefined }> = [];
  let m: Manager;

  before(async () => {
    const config = testConfig({ topicSuffix: suffix, serialization: 'json', eventTypeSuffixes: ['.qa'] });
    assert.equal(config.schemaRegistryUrl, undefined);
    class Barista extends BeverageEventHandler {
      override onBeverageCreated(event: BeverageCreated, message: ConsumedMessage) {
        got.push({ event, contentType: message.header('content_type') });
      }
    }
    m = new Manager(config, { ensureTopics: { partitions: 1 }, handlers: (ctx) => [new Barista(ctx, uniqueName('barista'))] });
    await m.initialize();
    await m.startConsumer();
  });
  after(async () => {
    await m.close();
  });

  it('publishes the Go JSON and reads it back (also a Go event_type with a configured suffix); health is healthy without a registry probe', async () => {
    assert.equal(m.hasRegistry, false);
    await m.publishBeverageCreated({ beverage_id: 'b-1', name: 'Cosmic Coffee', theme: 'Mars Base', created_by: 'agent', created_at: new Date('2024-01-01T12:00:00Z') });
    const goEvent = { beverage_id: 'b-2', name: 'Nebula', description: '', theme: 'Moon', ingredients: null, created_by: 'go-agent', created_at: '2024-01-02T00:00:00.123456789Z' };
    await m.connection.producer.publish(newMessage(topic, JSON.stringify(goEvent)).withKey('b-2').withHeader('event_type', 'beverage.created.qa').withHeader('content_type', 'application/json'));
    await waitUntil(() => got.length >= 2, 60_000, () => `received ${got.length} of 2`);
    assert.deepEqual(got.map((g) => [g.event.beverage_id, g.contentType]), [['b-1', 'application/json'], ['b-2', 'application/json']]);
    assert.equal(got[0]!.event.description, '', "Go's zero value");
    assert.deepEqual(got[1]!.event.ingredients, []);
    const [raw] = await readAll(topic, 1);
    assert.equal(JSON.parse(raw!.value!.toString('utf8')).beverage_id, 'b-1');
    const health = await m.healthCheck();
    assert.equal(health.healthy, true, health.error);
    assert.equal(health.details.registry, undefined);
  });

  it('an Avro-framed message is dead-lettered with a DecodeError naming the missing registry; the next message is still handled', async () => {
    const avro = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from('some avro body')]);
    await m.connection.producer.publish(newMessage(topic, avro).withKey('b-3'));
    await m.publishBeverageCreated({ beverage_id: 'b-4', name: 'After', theme: 't', created_by: 'agent', created_at: new Date() });
    await waitUntil(() => got.some((g) => g.event.beverage_id === 'b-4'), 60_000, () => `b-4 not handled; got ${got.map((g) => g.event.beverage_id).join(',')}`);
    const [dead] = await readAll(`${topic}.dlq`, 1);
    assert.ok(dead !== undefined, 'a dead-letter copy');
    const headers = Object.fromEntries((dead.headers ?? []).flatMap((h) => Object.entries(h)).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : v]));
    assert.equal(headers[DLQ_HEADERS.errorType], 'DecodeError');
    assert.match(headers[DLQ_HEADERS.errorMessage]!, /schema id 42.*no Schema Registry/);
    assert.equal(dead.key?.toString(), 'b-3');
    assert.ok(!got.some((g) => g.event.beverage_id === 'b-3'));
  });
});
