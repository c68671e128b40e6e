import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConsumedMessage } from '../../../src/message/consumed.js';
import { DecodeError } from '../../../src/schema/errors.js';
import { EVENTS, goCoffeeEvents, goCoffeeWorker, type BeverageCreated } from '../../../src/gocoffee/index.js';
import * as root from '../../../src/index.js';
import { resolveConfig } from '../../../src/config/index.js';

const goJson = (eventType: string, body: object): ConsumedMessage =>
  new ConsumedMessage({ topic: 'beverage.created', partition: 0, offset: 3, key: 'b-1', value: Buffer.from(JSON.stringify(body)), size: 1, headers: [{ content_type: 'application/json' }, { event_type: eventType }] });

describe('gocoffee: the Go Coffee domain on the generic typed events', () => {
  it('is one catalog of the generic facility: the seven events, their topic keys, entity-id keys and Go event types', () => {
    const c = goCoffeeEvents();
    assert.equal(goCoffeeEvents(), c, 'built once');
    assert.deepEqual(c.names, EVENTS.map((e) => e.name));
    const config = resolveConfig({ brokers: 'x:1', topicSuffix: '.dev' });
    for (const e of EVENTS) {
      const r = c.event(e.name);
      assert.equal(r.topicKey, e.topicKey);
      assert.equal(r.keyField, e.keyField);
      assert.equal(r.eventType, e.eventType);
      assert.equal(r.serialization, 'avro');
      assert.equal(c.eventNameOf(e.eventType), e.name);
      assert.equal(c.topicOf(e.name, config), `${config.topics[e.topicKey]}.dev`);
    }
  });

  it('goCoffeeWorker: a typed pool-worker module over the catalog; reads the Go services\' JSON (RFC 3339, durations)', async () => {
    const seen: Array<{ b: BeverageCreated; key: unknown }> = [];
    const mod = goCoffeeWorker({ registry: { url: 'http://127.0.0.1:1' }, handlers: { BeverageCreated: (b, ctx) => void seen.push({ b, key: ctx.key }) } });
    assert.deepEqual(mod.events, ['BeverageCreated']);
    await mod.handle(goJson('beverage.created', { beverage_id: 'b-1', name: 'Cosmic', description: '', theme: 'Mars', ingredients: [], created_by: 'agent', created_at: '2024-01-01T12:00:00Z', metadata: { n: 1 } }));
    assert.deepEqual(seen[0]?.b.created_at, new Date('2024-01-01T12:00:00Z'));
    assert.deepEqual(seen[0]?.b.metadata, { n: '1' }, 'Go JSON metadata values become strings (decodeJsonEvent)');
    assert.equal(seen[0]?.key, 'b-1');
    await assert.rejects(mod.handle(goJson('task.created', { task_id: 't' })), (e: unknown) => e instanceof DecodeError && /typedWorker does not handle TaskCreated events/.test(e.message));
  });

  it('is published as @gocoffee/kafka/gocoffee (same conditions as the root) and re-exported from the root', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, Record<string, string>> };
    assert.deepEqual(pkg.exports['./gocoffee'], { 'gocoffee-source': './src/gocoffee/index.ts', types: './dist/gocoffee/index.d.ts', import: './dist/gocoffee/index.js', default: './dist/gocoffee/index.js' });
    assert.deepEqual(Object.keys(pkg.exports['./gocoffee']!), Object.keys(pkg.exports['.']!));
    assert.equal(root.Manager, root.Manager);
    assert.equal(root.goCoffeeEvents, goCoffeeEvents);
    assert.equal(typeof root.defineEvents, 'function');
  });
});
