import assert from 'node:assert/strict';
import { DecodeError } from '../../../src/schema/errors.js';
import { InvalidEventError, KEY_SERDES, keySerde } from '../../../src/typed/index.js';

const refused = (name: Parameters<typeof keySerde>[0], key: unknown, pattern: RegExp): void => {
  assert.throws(
    () => keySerde(name).serialize(key, 'OrderPlaced.order_id'),
    (e: unknown) => e instanceof InvalidEventError && e.code === 'GCK_INVALID_EVENT' && /^OrderPlaced\.order_id: expected /.test(e.message) && pattern.test(e.message) && /nothing was sent/.test(e.message),
    `${name}: ${String(key)}`,
  );
};
const unreadable = (name: Parameters<typeof keySerde>[0], bytes: Buffer): void => {
  assert.throws(() => keySerde(name).deserialize(bytes), (e: unknown) => e instanceof DecodeError && e.retriable === false, name);
};

describe('typed/keys: key serdes (what Kafka\'s own serializers write)', () => {
  it('has string, bytes, int32, int64, uuid and json', () => {
    assert.deepEqual([...KEY_SERDES], ['string', 'bytes', 'int32', 'int64', 'uuid', 'json']);
  });

  it('string: UTF-8 text; a non-string or empty key is refused', () => {
    assert.equal(keySerde('string').serialize('o-1', 'k'), 'o-1');
    assert.equal(keySerde('string').deserialize(Buffer.from('ü-1')), 'ü-1');
    refused('string', 42, /non-empty string.*got 42/);
    refused('string', '', /got ""/);
    refused('string', undefined, /got nothing/);
  });

  it('bytes: a Buffer or Uint8Array as is', () => {
    const b = keySerde('bytes').serialize(new Uint8Array([1, 2, 3]), 'k');
    assert.deepEqual(b, Buffer.from([1, 2, 3]));
    assert.deepEqual(keySerde('bytes').deserialize(Buffer.from([9])), Buffer.from([9]));
    refused('bytes', 'text', /Buffer or Uint8Array/);
  });

  it('int32: 4 bytes big-endian (Kafka IntegerSerializer), range checked', () => {
    assert.deepEqual(keySerde('int32').serialize(258, 'k'), Buffer.from([0, 0, 1, 2]));
    assert.deepEqual(keySerde('int32').serialize(-1, 'k'), Buffer.from([255, 255, 255, 255]));
    assert.equal(keySerde('int32').deserialize(Buffer.from([0x80, 0, 0, 0])), -(2 ** 31));
    refused('int32', 2 ** 31, /int32/);
    refused('int32', 1.5, /int32/);
    refused('int32', '7', /int32/);
    unreadable('int32', Buffer.from([1, 2, 3]));
  });

  it('int64: 8 bytes big-endian (Kafka LongSerializer), read back as bigint', () => {
    assert.deepEqual(keySerde('int64').serialize(1, 'k'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]));
    assert.deepEqual(keySerde('int64').serialize(-(2n ** 63n), 'k'), Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0]));
    assert.equal(keySerde('int64').deserialize(Buffer.from([0, 0, 0, 0, 0, 0, 1, 0])), 256n);
    refused('int64', 2n ** 63n, /int64/);
    refused('int64', 2 ** 53, /int64/);
    unreadable('int64', Buffer.alloc(4));
  });

  it('uuid: the canonical lower-case text; anything else is refused', () => {
    assert.equal(keySerde('uuid').serialize('6F9619FF-8B86-D011-B42D-00C04FC964FF', 'k'), '6f9619ff-8b86-d011-b42d-00c04fc964ff');
    assert.equal(keySerde('uuid').deserialize(Buffer.from('6f9619ff-8b86-d011-b42d-00c04fc964ff')), '6f9619ff-8b86-d011-b42d-00c04fc964ff');
    refused('uuid', 'not-a-uuid', /UUID/);
    unreadable('uuid', Buffer.from('nope'));
  });

  it('json: object keys sorted, so equal keys are equal bytes (same partition)', () => {
    const a = keySerde('json').serialize({ b: 1, a: { d: 2, c: [3] } }, 'k');
    const b = keySerde('json').serialize({ a: { c: [3], d: 2 }, b: 1 }, 'k');
    assert.equal(a, '{"a":{"c":[3],"d":2},"b":1}');
    assert.equal(a, b);
    assert.deepEqual(keySerde('json').deserialize(Buffer.from(a as string)), { a: { c: [3], d: 2 }, b: 1 });
    refused('json', undefined, /JSON value/);
    refused('json', 10n, /JSON value/);
    unreadable('json', Buffer.from('{oops'));
  });
});
