import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { DecodeError, SchemaValidationError } from '../../../src/schema/errors.js';
import { JsonEncoder, decodeJsonValue } from '../../../src/schema/json-codec.js';
import { latestOf, loadSchemaSet, schemaMap } from '../../../src/schema/schemas.js';

const schemas = schemaMap(loadSchemaSet(fileURLToPath(new URL('../../fixtures/generic-project/schemas', import.meta.url))));
const order = latestOf(schemas, 'OrderPlaced').type;
const payment = latestOf(schemas, 'PaymentCaptured').type;

const ORDER = {
  order_id: 'o-1',
  customer: { customer_id: 'c-1', name: 'Ada', address: { street: '1 Main St', city: 'Lyon', country: 'FR' } },
  lines: [{ sku: 'BEANS-1KG', quantity: 2, unit_price_cents: 1_850 }],
  total_cents: 3_700,
  placed_at: new Date(1_700_000_000_000),
};

describe('schema/json-codec: events as plain JSON, validated against their Avro schema (no registry)', () => {
  it('writes natural JSON: ISO times, defaults filled, nested records as objects; reads it back to the same shape', () => {
    const bytes = new JsonEncoder('OrderPlaced', order).encode(ORDER);
    const json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    assert.equal(json['placed_at'], '2023-11-14T22:13:20.000Z');
    assert.equal(json['currency'], 'EUR', 'v2 default written');
    assert.equal(json['notes'], null);
    assert.deepEqual((json['customer'] as Record<string, unknown>)['address'], ORDER.customer.address);
    const back = decodeJsonValue(bytes, order, {}) as typeof ORDER & { currency: string; notes: string | null };
    assert.deepEqual(back, { ...ORDER, currency: 'EUR', notes: null });
    assert.ok(back.placed_at instanceof Date);
  });

  it('bytes as base64, an enum as its symbol, a union as its branch value', () => {
    const p = { payment_id: 'p-1', order_id: 'o-1', amount_cents: 5, method: 'WALLET', receipt: Buffer.from([0, 255, 7]), captured_at: new Date(0) };
    const bytes = new JsonEncoder('PaymentCaptured', payment).encode(p);
    const json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    assert.equal(json['receipt'], Buffer.from([0, 255, 7]).toString('base64'));
    assert.equal(json['method'], 'WALLET');
    const back = decodeJsonValue(bytes, payment, {}) as typeof p;
    assert.deepEqual(back.receipt, Buffer.from([0, 255, 7]));
    assert.deepEqual(back, p);
    const none = decodeJsonValue(new JsonEncoder('PaymentCaptured', payment).encode({ ...p, receipt: null }), payment, {}) as typeof p;
    assert.equal(none.receipt, null);
  });

  it('validates on encode like the Avro encoder: SchemaValidationError naming the (nested) field; unknown fields refused', () => {
    const enc = new JsonEncoder('OrderPlaced', order);
    const bad = (value: unknown, field: string, pattern: RegExp): void => {
      assert.throws(() => enc.encode(value), (e: unknown) => e instanceof SchemaValidationError && e.code === 'GCK_SCHEMA_VALIDATION' && e.field === field && pattern.test(e.message), field);
    };
    bad({ ...ORDER, total_cents: 'lots' }, 'total_cents', /OrderPlaced\.total_cents: got a string "lots", expected a long; nothing was sent/);
    bad({ ...ORDER, customer: { ...ORDER.customer, address: { ...ORDER.customer.address, city: 7 } } }, 'customer.address.city', /expected a string/);
    bad({ ...ORDER, lines: [{ sku: 'x', quantity: 1.5, unit_price_cents: 1 }] }, 'lines.0.quantity', /expected a int/);
    bad({ ...ORDER, placed_at: 'yesterday' }, 'placed_at', /expected a Date \(timestamp-millis\)/);
    bad({ ...ORDER, discount: 5 }, 'discount', /a field the schema does not have would be dropped/);
    const { order_id: _, ...noId } = ORDER;
    bad(noId, 'order_id', /got nothing \(field missing\)/);
  });

  it('reads hand-written JSON: epoch-millisecond times, missing defaulted fields; refuses what does not match, naming the fields', () => {
    const hand = { ...ORDER, placed_at: 1_700_000_000_000 };
    const v = decodeJsonValue(Buffer.from(JSON.stringify(hand)), order, {}) as Record<string, unknown>;
    assert.deepEqual(v['placed_at'], new Date(1_700_000_000_000));
    assert.equal(v['currency'], 'EUR');
    const where = { topic: 't', partition: 0, offset: 9 };
    assert.throws(() => decodeJsonValue(Buffer.from(JSON.stringify({ ...hand, total_cents: 'x', placed_at: 'not a time' })), order, where), (e: unknown) =>
      e instanceof DecodeError && !e.retriable && /does not match com\.example\.shop\.OrderPlaced: invalid or missing field\(s\) total_cents, placed_at/.test(e.message) && e.context['offset'] === 9);
    assert.throws(() => decodeJsonValue(Buffer.from('{nope'), order, {}), /not valid JSON/);
    assert.throws(() => decodeJsonValue(Buffer.from('[]'), order, {}), /must be an object/);
    assert.throws(() => decodeJsonValue(null, order, {}), /empty JSON payload/);
    assert.throws(() => decodeJsonValue(Buffer.alloc(0), order, {}), /empty JSON payload/);
  });
});
