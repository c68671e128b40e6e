import assert from 'node:assert/strict';
import { DecodeError } from '../../../src/schema/errors.js';
import { decodeJsonEvent } from '../../../src/schema/json.js';
import { latestOf, loadSchemaSet, schemaMap } from '../../../src/schema/schemas.js';

const schemas = schemaMap(loadSchemaSet());

describe('schema/json: Go services\' JSON events', () => {
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
    const v = decodeJsonEvent(Buffer.from(JSON.stringify(go)), latestOf(schemas, 'AIRequestCompleted').type, {}) as Record<string, unknown>;
    assert.equal(v['duration_ms'], 1500);
    assert.deepEqual(v['completed_at'], new Date('2024-01-01T12:00:00Z'));
    assert.deepEqual(v['metadata'], { attempt: '2', source: 'gateway' });
    assert.equal(v['error'], null);
    assert.throws(() => decodeJsonEvent(Buffer.from('{not json'), latestOf(schemas, 'AIRequestCompleted').type, {}), (e: unknown) => e instanceof DecodeError && /not valid JSON/.test(e.message));
    assert.throws(() => decodeJsonEvent(Buffer.from('{"request_id": 5}'), latestOf(schemas, 'AIRequestCompleted').type, {}), /invalid or missing field\(s\) .*provider/);
  });

  it('an empty payload or a JSON value that is not an object is a DecodeError', () => {
    const reader = latestOf(schemas, 'AIRequestCompleted').type;
    assert.throws(() => decodeJsonEvent(null, reader, {}), (e: unknown) => e instanceof DecodeError && /empty JSON payload/.test(e.message));
    assert.throws(() => decodeJsonEvent(Buffer.from('[1, 2]'), reader, {}), /JSON event must be an object/);
  });
});
