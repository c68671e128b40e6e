import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/config/index.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { goCoffeeWorker, type BeverageCreated } from '../../../src/gocoffee/index.js';
import { ConsumedMessage } from '../../../src/message/consumed.js';
import { DecodeError } from '../../../src/schema/errors.js';

const body = { beverage_id: 'b-1', name: 'Cosmic', description: '', theme: 'Mars', ingredients: [], created_by: 'agent', created_at: '2024-01-01T12:00:00Z' };
const goJson = (eventType: string): ConsumedMessage =>
  new ConsumedMessage({ topic: 'beverage.created', partition: 0, offset: 3, key: 'b-1', value: Buffer.from(JSON.stringify(body)), size: 1, headers: [{ content_type: 'application/json' }, { event_type: eventType }] });
const registry = { url: 'http://127.0.0.1:1' };

describe('goCoffeeWorker: the reading side of the configuration (review items 2 and 3)', () => {
  it('event_type suffixes: the default (.dev, .staging, .test), the configuration\'s event_type_suffixes, or the option', async () => {
    const seen: BeverageCreated[] = [];
    const handlers = { BeverageCreated: (b: BeverageCreated) => void seen.push(b) };
    const byDefault = goCoffeeWorker({ registry, handlers });
    await byDefault.handle(goJson('beverage.created.dev'));
    await assert.rejects(byDefault.handle(goJson('beverage.created.qa')), (e: unknown) => e instanceof DecodeError && /unknown event_type "beverage\.created\.qa"/.test(e.message));

    const fromConfig = goCoffeeWorker({ registry, handlers, config: resolveConfig({ brokers: 'x:1', eventTypeSuffixes: ['.qa'] }) });
    await fromConfig.handle(goJson('beverage.created.qa'));
    await fromConfig.handle(goJson('beverage.created'));
    await assert.rejects(fromConfig.handle(goJson('beverage.created.dev')), (e: unknown) => e instanceof DecodeError && /unknown event_type "beverage\.created\.dev"/.test(e.message));

    const option = goCoffeeWorker({ registry, handlers, config: resolveConfig({ brokers: 'x:1', eventTypeSuffixes: ['.qa'] }), eventTypeSuffixes: [] });
    await assert.rejects(option.handle(goJson('beverage.created.qa')), DecodeError);
    assert.equal(seen.length, 3);
  });

  it('a registry is required only for events written as Avro: with serialization json none is needed, and an Avro message is a DecodeError naming the missing registry', async () => {
    assert.throws(() => goCoffeeWorker({ handlers: { BeverageCreated: () => undefined } }), (e: unknown) => e instanceof InvalidArgumentError && /BeverageCreated is Avro and needs a Schema Registry/.test(e.message));
    const avroTopic = resolveConfig({ brokers: 'x:1', serialization: 'json', topicSerialization: { beverageCreated: 'avro' } });
    assert.throws(() => goCoffeeWorker({ config: avroTopic, handlers: { BeverageCreated: () => undefined } }), InvalidArgumentError);
    const seen: string[] = [];
    const json = goCoffeeWorker({ config: resolveConfig({ brokers: 'x:1', serialization: 'json' }), handlers: { BeverageCreated: (b) => void seen.push(b.beverage_id) } });
    await json.handle(goJson('beverage.created'));
    assert.deepEqual(seen, ['b-1']);
    const avro = new ConsumedMessage({ topic: 'beverage.created', partition: 0, offset: 4, key: 'b-2', value: Buffer.from([0, 0, 0, 0, 9, 1, 2]), size: 1 });
    await assert.rejects(json.handle(avro), (e: unknown) => e instanceof DecodeError && /schema id 9.*no Schema Registry/.test(e.message));
  });
});
