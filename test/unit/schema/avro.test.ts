import assert from 'node:assert/strict';
import { AvroEncoder, AvroReader } from '../../../src/schema/avro.js';
import { DecodeError, SchemaValidationError } from '../../../src/schema/errors.js';
import { latestOf, loadSchemaSet, schemaMap } from '../../../src/schema/schemas.js';
import { readSchemaId } from '../../../src/schema/wire.js';

const schemas = schemaMap(loadSchemaSet());
const systemV1 = schemas.get('SystemEvent')![0]!.type;
const bevV1 = schemas.get('BeverageCreated')![0]!.type;
const bevV2 = latestOf(schemas, 'BeverageCreated').type;

const SYSTEM_EVENT = {
  event_id: 'evt-1',
  event_type: 'agent.started',
  source: 'beverage-inventor-agent',
  severity: 'info',
  message: 'Agent started',
  occurred_at: new Date(1_700_000_000_000),
  metadata: { host: 'node-7' },
};

/**
 * Worked out independently of avsc (a hand-written Avro encoder following the spec: magic 0,
 * schema id 42 big-endian, zigzag varints, length-prefixed UTF-8 strings, a map as one block of 1
 * entry then a 0 block).
 */
const SYSTEM_EVENT_WIRE =
  '00' + '0000002a' + '0a6576742d31' + '1a6167656e742e73746172746564' + '2e62657665726167652d696e76656e746f722d6167656e74' + '08696e666f' + '1a4167656e742073746172746564' + '80a0abfef962' + '02' + '08686f7374' + '0c6e6f64652d37' + '00';

describe('schema/avro: AvroEncoder and AvroReader (no broker)', () => {
  it('writes the Confluent wire format byte for byte', () => {
    const enc = new AvroEncoder('SystemEvent', systemV1, 42);
    assert.equal(enc.encode(SYSTEM_EVENT).toString('hex'), SYSTEM_EVENT_WIRE);
    assert.equal(readSchemaId(Buffer.from(SYSTEM_EVENT_WIRE, 'hex')), 42);
  });

  it('reads the fixed vector back', () => {
    const v = new AvroReader(systemV1).decode(Buffer.from(SYSTEM_EVENT_WIRE, 'hex'), undefined, {}) as Record<string, unknown>;
    assert.deepEqual({ ...v }, SYSTEM_EVENT);
  });

  it('an event that does not match its schema names the field', () => {
    const enc = new AvroEncoder('SystemEvent', systemV1, 42);
    assert.throws(() => enc.encode({ ...SYSTEM_EVENT, severity: 3 }), (e: unknown) => e instanceof SchemaValidationError && e.field === 'severity' && /SystemEvent\.severity: got number 3, expected a string/.test(e.message));
    assert.throws(() => enc.encode({ ...SYSTEM_EVENT, occurred_at: 'now' }), /SystemEvent\.occurred_at: got a string "now", expected a Date/);
    const { source: _s, ...missing } = SYSTEM_EVENT;
    assert.throws(() => enc.encode(missing), /SystemEvent\.source: got nothing \(field missing\), expected a string/);
    assert.throws(() => enc.encode({ ...SYSTEM_EVENT, metadata: { a: 1 } }), /SystemEvent\.metadata\.a: got number 1/);
  });

  it('a field the schema does not have (a misspelled optional field) is refused, not dropped; nested records too', () => {
    const enc = new AvroEncoder('SystemEvent', systemV1, 42);
    assert.throws(
      () => enc.encode({ ...SYSTEM_EVENT, sevrity: 'warn' }),
      (e: unknown) => e instanceof SchemaValidationError && e.field === 'sevrity' && /SystemEvent\.sevrity: got a string "warn", expected one of the fields of .*SystemEvent \(.*severity.*\); a field the schema does not have would be dropped; nothing was sent/.test(e.message),
    );
    const beverage = latestOf(schemas, 'BeverageCreated').type;
    const bev = new AvroEncoder('BeverageCreated', beverage, 7);
    const event = {
      beverage_id: 'b-1', name: 'n', description: 'd', theme: 't', ingredients: [{ name: 'Beans', quantity: '1', type: 'Base' }],
      created_by: 'me', created_at: new Date(0), metadata: {}, calories: 1, tags: [],
    };
    bev.encode(event);
    assert.throws(() => bev.encode({ ...event, ingredients: [{ name: 'Beans', quantity: '1', type: 'Base', grams: 3 }] }), (e: unknown) => e instanceof SchemaValidationError && e.field === 'ingredients.0.grams');
  });

  it('a truncated body is a DecodeError (not retriable)', () => {
    const truncated = Buffer.from(SYSTEM_EVENT_WIRE.slice(0, 40), 'hex');
    assert.throws(() => new AvroReader(systemV1).decode(truncated, undefined, {}), (e: unknown) => e instanceof DecodeError && /truncated/.test(e.message) && e.retriable === false);
  });

  const bev = {
    beverage_id: 'b-1',
    name: 'Cosmic Coffee',
    description: 'A stellar blend',
    theme: 'Mars Base',
    ingredients: [{ name: 'Coffee Beans', quantity: '200g', type: 'Base' }],
    created_by: 'beverage-inventor-agent',
    created_at: new Date(1_700_000_000_000),
    metadata: {},
  };

  it('v2 reader reads v1 data (defaults filled) and v1 reader reads v2 data (new fields dropped)', () => {
    const v1bytes = new AvroEncoder('BeverageCreated', bevV1, 1).encode(bev);
    const asV2 = new AvroReader(bevV1).decode(v1bytes, bevV2, {}) as Record<string, unknown>;
    assert.equal(asV2['calories'], null);
    assert.deepEqual(asV2['tags'], []);
    assert.equal(asV2['name'], 'Cosmic Coffee');
    const v2bytes = new AvroEncoder('BeverageCreated', bevV2, 2).encode({ ...bev, calories: 120, tags: ['seasonal'] });
    const asV1 = new AvroReader(bevV2).decode(v2bytes, bevV1, {}) as Record<string, unknown>;
    assert.equal(asV1['calories'], undefined);
    assert.equal(asV1['theme'], 'Mars Base');
  });
});
