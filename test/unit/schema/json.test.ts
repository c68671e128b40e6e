import assert from 'node:assert/strict';
import { parseSchema } from '../../../src/schema/avro.js';
import { DecodeError } from '../../../src/schema/errors.js';
import { GO_ZERO_TIME_MS, goDurationMillis, goDurationMillisOfText, parseGoDurationNanos, parseRfc3339Millis } from '../../../src/schema/go-values.js';
import { decodeJsonEvent } from '../../../src/schema/json.js';
import { exactJsonText, JsonNumber, mayHaveInexactNumbers, parseExact } from '../../../src/schema/json-exact.js';
import { JsonEncoder } from '../../../src/schema/json-codec.js';
import { latestOf, loadSchemaSet, schemaMap } from '../../../src/schema/schemas.js';

const schemas = schemaMap(loadSchemaSet());
const decode = (json: string, type: Parameters<typeof decodeJsonEvent>[1]) => decodeJsonEvent(Buffer.from(json), type, { topic: 't' }) as Record<string, unknown>;
const errorOf = (f: () => unknown): DecodeError => {
  try {
    f();
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe("schema/json: Go services' JSON events", () => {
  it('reads a Go service JSON event (RFC 3339 times, Go duration nanoseconds, any-typed metadata)', () => {
    const go = {
      request_id: 'req-1',
      provider: 'openai',
      model: 'gpt',
      operation: 'generate_recipe',
      tokens_used: 512,
      duration: 1_500_000_000,
      success: true,
      completed_at: '2024-01-01T12:00:00Z',
      metadata: { attempt: 2, source: 'gateway' },
    };
    const reader = latestOf(schemas, 'AIRequestCompleted').type;
    const v = decode(JSON.stringify(go), reader);
    assert.equal(v['duration_ms'], 1500);
    assert.deepEqual(v['completed_at'], new Date('2024-01-01T12:00:00Z'));
    assert.deepEqual(v['metadata'], { attempt: '2', source: 'gateway' });
    assert.equal(v['error'], null);
    assert.throws(() => decode('{not json', reader), (e: unknown) => e instanceof DecodeError && /not valid JSON/.test(e.message));
    const e = errorOf(() => decode('{"request_id": 5, "success": "no"}', reader));
    assert.equal(e.message, 'JSON event does not match com.gocoffee.events.AIRequestCompleted: request_id: got number 5, expected a string; success: got string "no", expected true or false');
    assert.deepEqual(e.context['fields'], ['request_id', 'success']);
    assert.equal(e.context['topic'], 't');
  });

  it('an empty payload or a JSON value that is not an object is a DecodeError', () => {
    const reader = latestOf(schemas, 'AIRequestCompleted').type;
    assert.throws(() => decodeJsonEvent(null, reader, {}), (e: unknown) => e instanceof DecodeError && /empty JSON payload/.test(e.message));
    assert.throws(() => decodeJsonEvent(Buffer.alloc(0), reader, {}), /empty JSON payload/);
    assert.throws(() => decodeJsonEvent(Buffer.from('[1, 2]'), reader, {}), /JSON event must be an object, got an array/);
    assert.throws(() => decodeJsonEvent(Buffer.from('null'), reader, {}), /JSON event must be an object, got null/);
  });

  it('null and missing fields: the default, else Go\'s zero value (an empty object is the zero event)', () => {
    const v = decode('{"ingredients": null, "metadata": null, "calories": null, "name": null}', latestOf(schemas, 'BeverageCreated').type);
    assert.deepStrictEqual(v, { beverage_id: '', name: '', description: '', theme: '', ingredients: [], created_by: '', created_at: new Date(GO_ZERO_TIME_MS), metadata: {}, calories: null, tags: [] });
    const u = decode('{"beverage_id": "b", "ingredients": null}', latestOf(schemas, 'BeverageUpdated').type);
    assert.equal(u['ingredients'], null, 'an optional field stays null');
    assert.deepEqual(u['changes'], {});
  });

  it('an object lacking fields of the event and carrying keys it does not know is another event, not read as this one', () => {
    const task = { task_id: 't-1', title: 'x', description: 'y', assignee_id: 'u', project_id: 'p', priority: 'high', status: 'open', created_by: 'a', created_at: '2024-01-01T00:00:00Z' };
    const e = errorOf(() => decode(JSON.stringify(task), latestOf(schemas, 'BeverageCreated').type));
    assert.deepEqual(e.context['fields'], ['beverage_id', 'name', 'theme', 'ingredients']);
    assert.match(e.message, /missing beverage_id, name, theme, ingredients and has task_id, title, assignee_id, project_id, priority, status, which com\.gocoffee\.events\.BeverageCreated does not have/);
    // Only missing fields (an older struct) or only extra keys (a newer one): read.
    assert.equal(decode('{"beverage_id": "b"}', latestOf(schemas, 'BeverageCreated').type)['beverage_id'], 'b');
    const newer = decode(JSON.stringify({ ...task, sla_hours: 4 }), latestOf(schemas, 'TaskCreated').type);
    assert.equal(newer['task_id'], 't-1');
    assert.equal(Object.hasOwn(newer, 'sla_hours'), false);
  });

  it('what the library itself writes as JSON (serialization: json) reads back unchanged', () => {
    for (const [event, value] of [
      ['AIRequestCompleted', { request_id: 'r', provider: 'p', model: 'm', operation: 'o', tokens_used: 3, duration_ms: 1234, success: false, error: 'boom', completed_at: new Date(1_700_000_000_123), metadata: { a: 'b' } }],
      ['BeverageCreated', { beverage_id: 'b', name: 'n', description: '', theme: 't', ingredients: [{ name: 'x', quantity: '1', type: 'y' }], created_by: 'c', created_at: new Date(0), metadata: {}, calories: 90, tags: ['vegan'] }],
    ] as const) {
      const type = latestOf(schemas, event).type;
      const bytes = new JsonEncoder(event, type).encode(value);
      assert.deepStrictEqual(decodeJsonEvent(bytes, type, {}), value, event);
    }
  });

  it('the rules follow the reader schema, not the Go Coffee events: <x>_ms from <x>, records of strings from free-form values, JSON text in maps of strings', () => {
    const type = parseSchema({
      type: 'record',
      name: 'Shipment',
      namespace: 'acme',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'took_ms', type: 'long' },
        { name: 'parts', type: { type: 'array', items: { type: 'record', name: 'Part', fields: [{ name: 'sku', type: 'string' }, { name: 'label', type: 'string' }] } } },
        { name: 'counts', type: { type: 'map', values: 'int' } },
        { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
        { name: 'blob', type: 'bytes', default: '' },
        { name: 'metadata', type: { type: 'map', values: 'string' }, default: {} },
      ],
    });
    const v = decode('{"id": "s", "took": "2m0.5s", "parts": ["p-1", {"SKU": "p-2", "label": 7, "x": 1}], "counts": {"a": 1}, "kind": "B", "blob": "AQI=", "metadata": {"__proto__": 1, "parts.1": "mine"}}', type);
    assert.equal(v['took_ms'], 120_500);
    assert.deepStrictEqual(v['parts'], [{ sku: 'p-1', label: '' }, { sku: 'p-2', label: '7' }]);
    assert.deepEqual(v['counts'], { a: 1 });
    assert.deepEqual(v['blob'], Buffer.from([1, 2]));
    const metadata = v['metadata'] as Record<string, string>;
    assert.ok(Object.hasOwn(metadata, '__proto__'), 'a "__proto__" key stays an own key');
    assert.equal(metadata['__proto__'], '1');
    assert.equal(metadata['parts.1'], 'mine', "a key the service wrote itself is not replaced by a kept element");
    assert.equal(Object.getPrototypeOf(metadata), Object.prototype);

    const e = errorOf(() => decode('{"id": "s", "took_ms": 1.5, "counts": {"a": "x"}}', type));
    assert.deepEqual(e.context['fields'], ['took_ms', 'counts.a', 'kind']);
    assert.match(e.message, /kind: missing, and enum acme\.Kind has neither a default nor a Go zero value/);
    assert.match(e.message, /counts\.a: got string "x", expected an integer/);
  });

  it('an element that does not map completely needs a metadata map of strings to be kept in, else it is an error naming it', () => {
    const type = parseSchema({ type: 'record', name: 'Box', fields: [{ name: 'items', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'name', type: 'string' }] } } }] });
    assert.deepEqual(decode('{"items": ["a", {"name": "b"}, null]}', type), { items: [{ name: 'a' }, { name: 'b' }, { name: '' }] });
    const e = errorOf(() => decode('{"items": ["a", 5]}', type));
    assert.deepEqual(e.context['fields'], ['items.1']);
    assert.match(e.message, /items\.1: does not map completely to a record of strings, and the event has no metadata map/);
  });
});

describe('schema/go-values: Go time and duration encodings', () => {
  it('RFC 3339 as Go writes it: up to nine fractional digits (floored to ms), Z or ±hh:mm, years 0001..9999', () => {
    const ok: Array<[string, number]> = [
      ['2024-03-10T08:15:30Z', Date.UTC(2024, 2, 10, 8, 15, 30)],
      ['2024-03-10T08:15:30.123456789Z', Date.UTC(2024, 2, 10, 8, 15, 30, 123)],
      ['2024-03-10T08:15:30.9999999Z', Date.UTC(2024, 2, 10, 8, 15, 30, 999)],
      ['2024-03-10T08:15:30.5+05:30', Date.UTC(2024, 2, 10, 2, 45, 30, 500)],
      ['2024-03-10T08:15:30-08:00', Date.UTC(2024, 2, 10, 16, 15, 30)],
      ['2024-02-29t00:00:00z', Date.UTC(2024, 1, 29)],
      ['1969-12-31T23:59:59.9999Z', -1],
      ['0001-01-01T00:00:00Z', GO_ZERO_TIME_MS],
      ['0001-01-01T00:00:00+00:30', GO_ZERO_TIME_MS - 1_800_000],
      ['0000-01-01T00:00:00Z', Date.parse('0000-01-01T00:00:00Z')],
      ['9999-12-31T23:59:59.999999999Z', Date.parse('9999-12-31T23:59:59.999Z')],
    ];
    for (const [text, ms] of ok) assert.equal(parseRfc3339Millis(text), ms, text);
    assert.equal(new Date(GO_ZERO_TIME_MS).toISOString(), '0001-01-01T00:00:00.000Z');
    for (const bad of ['2024-03-10T08:15:30', '2024-03-10 08:15:30Z', '2023-02-29T00:00:00Z', '2024-04-31T00:00:00Z', '2024-13-01T00:00:00Z', '2024-03-10T24:00:00Z', '2024-03-10T08:60:00Z', '2024-03-10T08:15:60Z', '2024-03-10T08:15:30+24:00', '2024-03-10T08:15:30.Z', '2024-03-10', 'yesterday', '+002024-03-10T08:15:30Z']) {
      assert.equal(parseRfc3339Millis(bad), undefined, bad);
    }
  });

  it("Go duration text (time.ParseDuration's grammar) in nanoseconds, within int64", () => {
    const ok: Array<[string, bigint]> = [
      ['0', 0n],
      ['-0', 0n],
      ['0s', 0n],
      ['1.5s', 1_500_000_000n],
      ['150ms', 150_000_000n],
      ['1h2m0s', 3_720_000_000_000n],
      ['2h45m', 9_900_000_000_000n],
      ['-1.5h', -5_400_000_000_000n],
      ['+3s', 3_000_000_000n],
      ['.5s', 500_000_000n],
      ['1.s', 1_000_000_000n],
      ['1µs', 1_000n],
      ['1μs', 1_000n],
      ['1us', 1_000n],
      ['7ns', 7n],
      ['1.0000000001s', 1_000_000_000n],
      ['2562047h47m16.854775807s', 9_223_372_036_854_775_807n],
      ['-2562047h47m16.854775808s', -9_223_372_036_854_775_808n],
    ];
    for (const [text, ns] of ok) assert.equal(parseGoDurationNanos(text), ns, text);
    for (const bad of ['', '1', 's', '.s', '1e3s', '1d', '1 s', '1s ', '2562047h47m16.854775808s', '--1s', '1..5s']) assert.equal(parseGoDurationNanos(bad), undefined, bad);
  });

  it('durations to milliseconds truncate toward zero (Duration.Milliseconds()); fractions of a nanosecond are not Go', () => {
    assert.equal(goDurationMillis(1_999_999), 1);
    assert.equal(goDurationMillis(1500), 0);
    assert.ok(Object.is(goDurationMillis(-1500), 0), 'no -0');
    assert.equal(goDurationMillis(-1_500_000), -1);
    // 2^63 (what 9223372036854775807 rounds to) is beyond int64: the exact text is read by goDurationMillisOfText.
    assert.equal(goDurationMillis(2 ** 63), undefined);
    assert.equal(goDurationMillis(-(2 ** 63)), -9_223_372_036_854);
    assert.equal(goDurationMillis(1e19), undefined);
    assert.equal(goDurationMillis(1_152_921_504_605_999_744), 1_152_921_504_605, 'beyond 2^53: exact, not a float64 division');
    assert.equal(goDurationMillisOfText('9223372036854775807'), 9_223_372_036_854);
    assert.equal(goDurationMillisOfText('1152921504605999999'), 1_152_921_504_605);
    assert.ok(Object.is(goDurationMillisOfText('-0'), 0), 'no -0');
    for (const bad of ['9223372036854775808', '-9223372036854775809', '1e19', '1.5e9', '1e3', '1.0', '1E3']) assert.equal(goDurationMillisOfText(bad), undefined, bad);
    assert.equal(goDurationMillis('-1.5ms'), -1);
    assert.equal(goDurationMillis(1.5), undefined);
    assert.equal(goDurationMillis('forever'), undefined);
    assert.equal(goDurationMillis(true), undefined);
  });
});

describe('schema/json: numbers as Go wrote them (json-exact.ts)', () => {
  const bev = () => latestOf(schemas, 'BeverageCreated').type;
  const ai = () => latestOf(schemas, 'AIRequestCompleted').type;

  it('metadata keeps the exact text of numbers JSON.parse would change (UnixNano, uint64, 1.0, -0, exponents), nested ones too', () => {
    const v = decode(
      '{"beverage_id": "b", "metadata": {"id": 12345678901234567890, "nanos": 1710058530123456789, "one": 1.0, "neg_zero": -0, "exp": 1.5e300, "big_e": 1E3, ' +
        '"plain": 42, "frac": 0.25, "nested": {"id": 12345678901234567890, "list": [1.50, -0, "x"]}, "text": "a: 1.5 cups"}}',
      bev(),
    );
    assert.deepStrictEqual(v['metadata'], {
      id: '12345678901234567890',
      nanos: '1710058530123456789',
      one: '1.0',
      neg_zero: '-0',
      exp: '1.5e300',
      big_e: '1E3',
      plain: '42',
      frac: '0.25',
      nested: '{"id":12345678901234567890,"list":[1.50,-0,"x"]}',
      text: 'a: 1.5 cups',
    });
    // The changes map of strings too, and a number in an ingredient field.
    const u = decode('{"beverage_id": "b", "changes": {"price": 4.50}, "ingredients": [{"name": "Milk", "quantity": 150.0}]}', latestOf(schemas, 'BeverageUpdated').type);
    assert.deepEqual(u['changes'], { price: '4.50' });
    assert.deepEqual(u['ingredients'], [{ name: 'Milk', quantity: '150.0', type: '' }]);
  });

  it('the re-parse runs only for payloads that may hold such a number (never for times with fractions)', () => {
    const common = JSON.stringify({ beverage_id: 'b', created_at: '2024-03-10T08:15:30.123456789+05:30', ingredients: [{ name: 'x', quantity: '1.5 tbsp' }], metadata: { attempt: 2, big: 999_999_999_999_999, t: '12:30.5' }, duration: 1_500_000_000 });
    assert.equal(mayHaveInexactNumbers(common), false);
    for (const text of ['{"a":1.0}', '{"a" : 1e3}', '{"a":[2, 1.5]}', '{"a":12345678901234567}', '{"a":-0}', '{"a":\n-0.0}', '{"a":[0,-1E+2]}']) assert.equal(mayHaveInexactNumbers(text), true, text);
  });

  it('parseExact gives what JSON.parse gives, but numbers it would change are JsonNumbers with their text', () => {
    const text = ' { "s": "a\\"b\\u003c\\\\", "t": true, "f": false, "n": null, "e": {}, "l": [], "x": [1, [2, {"y": -3.5e-7}]], "__proto__": {"p": 1}, "d": 1, "d": 2, "big": 12345678901234567890, "one": 1.0 } ';
    const exact = parseExact(text) as Record<string, unknown>;
    const plain = JSON.parse(text) as Record<string, unknown>;
    assert.ok(exact['big'] instanceof JsonNumber && exact['big'].text === '12345678901234567890' && exact['big'].value === 12345678901234567000);
    assert.ok(exact['one'] instanceof JsonNumber && exact['one'].text === '1.0' && exact['one'].value === 1);
    assert.deepStrictEqual({ ...exact, big: plain['big'], one: plain['one'] }, { ...plain });
    assert.deepStrictEqual(Object.keys(exact), Object.keys(plain));
    assert.ok(Object.hasOwn(exact, '__proto__'));
    assert.equal(exactJsonText(exact), '{"s":"a\\"b<\\\\","t":true,"f":false,"n":null,"e":{},"l":[],"x":[1,[2,{"y":-3.5e-7}]],"__proto__":{"p":1},"d":2,"big":12345678901234567890,"one":1.0}');
    const deep = `${'['.repeat(50_000)}1.0${']'.repeat(50_000)}`;
    let d: unknown = parseExact(deep);
    for (let i = 0; i < 50_000; i++) d = (d as unknown[])[0];
    assert.ok(d instanceof JsonNumber && d.text === '1.0', 'no recursion: any depth');
    for (const bad of ['{"a":1', '{"a" 1}', '[1,]', '{"a":1}x', '"x']) assert.throws(() => parseExact(bad), SyntaxError, bad);
  });

  it('integer fields take what Go\'s Unmarshal takes: digits only, within range (1e3, 1.0, 1.5e9, 1e19 and beyond int64 are DecodeErrors naming the field)', () => {
    const base = '"request_id": "r", "completed_at": "2024-01-01T00:00:00Z"';
    const read = (fields: string) => decode(`{${base}, ${fields}}`, ai());
    assert.equal(read('"duration": 9223372036854775807')['duration_ms'], 9_223_372_036_854);
    assert.equal(read('"duration": -9223372036854775808')['duration_ms'], -9_223_372_036_854);
    assert.equal(read('"duration": 1152921504605999999')['duration_ms'], 1_152_921_504_605);
    assert.equal(read('"tokens_used": -0, "duration": -0')['tokens_used'], 0);
    const cases: Array<[string, string, RegExp]> = [
      ['"tokens_used": 1e3', 'tokens_used', /tokens_used: got number 1e3, expected an integer \(digits only: Go's encoding\/json refuses a fraction or an exponent/],
      ['"tokens_used": 512.0', 'tokens_used', /tokens_used: got number 512\.0, expected an integer/],
      ['"tokens_used": 1.5', 'tokens_used', /tokens_used: got number 1\.5, expected an integer/],
      ['"tokens_used": 1e+21', 'tokens_used', /tokens_used: got number 1e\+21, expected an integer/],
      ['"tokens_used": 2147483648', 'tokens_used', /tokens_used: got 2147483648, beyond the schema's int/],
      ['"duration": 1.5e9', 'duration', /duration: got number 1\.5e9, expected a Go time\.Duration: integer nanoseconds/],
      ['"duration": 1e19', 'duration', /duration: got number 1e19, expected a Go time\.Duration: integer nanoseconds/],
      ['"duration": 10000000000000000000', 'duration', /duration: got 10000000000000000000, beyond a Go time\.Duration \(int64 nanoseconds/],
      ['"duration": 9223372036854775808', 'duration', /duration: got 9223372036854775808, beyond a Go time\.Duration/],
      ['"duration": -9223372036854775809', 'duration', /duration: got -9223372036854775809, beyond a Go time\.Duration/],
      ['"duration": 1500000000.0', 'duration', /duration: got number 1500000000\.0, expected a Go time\.Duration/],
    ];
    for (const [fields, field, message] of cases) {
      const e = errorOf(() => read(fields));
      assert.deepEqual(e.context['fields'], [field], fields);
      assert.match(e.message, message, fields);
    }
    // A long field of another schema: beyond 2^53 is refused (its value would not be exact), its digits named.
    const type = parseSchema({ type: 'record', name: 'Tick', fields: [{ name: 'at_ns', type: 'long' }, { name: 'ratio', type: 'double' }] });
    assert.deepEqual(decode('{"at_ns": 9007199254740990, "ratio": 1.0}', type), { at_ns: 9_007_199_254_740_990, ratio: 1 });
    assert.match(errorOf(() => decode('{"at_ns": 1710058530123456789, "ratio": 1}', type)).message, /at_ns: got 1710058530123456789, beyond a safe integer/);
    assert.match(errorOf(() => decode('{"at_ns": 1e3, "ratio": 1}', type)).message, /at_ns: got number 1e3, expected an integer/);
  });

  it('a kept element never replaces a key the service wrote, and is never lost: it goes under <path>#2, #3, ...', () => {
    const v = decode('{"beverage_id": "b", "ingredients": [{"name": "Milk", "brand": "Oatly"}, 7], "metadata": {"ingredients.0": "mine", "ingredients.1": "taken", "ingredients.1#2": "also"}}', bev());
    assert.deepStrictEqual(v['metadata'], {
      'ingredients.0': 'mine',
      'ingredients.1': 'taken',
      'ingredients.1#2': 'also',
      'ingredients.0#2': '{"name":"Milk","brand":"Oatly"}',
      'ingredients.1#3': '7',
    });
  });
});
