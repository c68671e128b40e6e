import assert from 'node:assert/strict';
import { WireFormatError } from '../../../src/schema/errors.js';
import { HEADER_SIZE, MAGIC_BYTE, readSchemaId } from '../../../src/schema/wire.js';

describe('schema/wire: Confluent wire-format header', () => {
  it('reads the big-endian schema id after the magic byte', () => {
    assert.equal(MAGIC_BYTE, 0);
    assert.equal(HEADER_SIZE, 5);
    assert.equal(readSchemaId(Buffer.from('00ffffffff', 'hex')), 4_294_967_295);
    assert.equal(readSchemaId(Buffer.from('000000002a0a', 'hex')), 42);
  });

  it('wrong magic byte, short header and empty payload are typed errors', () => {
    assert.throws(() => readSchemaId(Buffer.from('01000000020a', 'hex')), (e: unknown) => e instanceof WireFormatError && /wrong magic byte 0x01/.test(e.message) && e.retriable === false);
    assert.throws(() => readSchemaId(Buffer.from('000000', 'hex')), /shorter than the 5-byte/);
    assert.throws(() => readSchemaId(null), /empty payload/);
    assert.throws(() => readSchemaId(Buffer.alloc(0), { topic: 't' }), (e: unknown) => e instanceof WireFormatError && e.context['topic'] === 't');
  });
});
