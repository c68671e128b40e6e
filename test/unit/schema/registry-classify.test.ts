import assert from 'node:assert/strict';
import { NETWORK_CODES, classifyAnswer, networkCode } from '../../../src/schema/registry-classify.js';
import { PROXY_404 } from './http-server.js';

const body = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

describe('schema/registry-classify: classifyAnswer (issue 17: only the registry\'s own "not found" is permanent)', () => {
  const cls = (status: number, b: unknown = '', statusText = ''): ReturnType<typeof classifyAnswer> => classifyAnswer({ status, statusText, body: body(b) });

  it('a 404 with the registry\'s error code 404xx is a permanent not-found', () => {
    for (const code of [40401, 40402, 40403, 40408]) {
      const c = cls(404, { error_code: code, message: 'not found' });
      assert.deepEqual([c.retriable, c.registryNotFound, c.errorCode, c.code], [false, true, code, 'GCK_SCHEMA_REGISTRY'], String(code));
    }
  });

  it('any other 404 is retriable: an HTML page (proxy, ingress), an empty body, a JSON body without error_code, Confluent\'s generic 404', () => {
    const others: unknown[] = [
      PROXY_404.body,
      '',
      { status: 404, title: 'RESTEASY003210: Could not find resource for full path', name: 'NotFoundException' },
      { error_code: 404, message: 'HTTP 404 Not Found' },
      { error_code: '40403', message: 'a string, not the registry\'s number' },
      '{"error_code": 40403', // cut off: not a registry answer
    ];
    for (const b of others) {
      const c = cls(404, b);
      assert.equal(c.retriable, true, body(b));
      assert.equal(c.registryNotFound, false, body(b));
    }
  });

  it('5xx, 408 and 429 are retriable; 401/403 AUTH, 422 REJECTED, 409 and other 4xx permanent', () => {
    for (const s of [500, 502, 503, 504, 408, 429]) assert.equal(cls(s).retriable, true, String(s));
    assert.deepEqual([cls(401).code, cls(401).retriable], ['GCK_SCHEMA_REGISTRY_AUTH', false]);
    assert.deepEqual([cls(403).code, cls(403).retriable], ['GCK_SCHEMA_REGISTRY_AUTH', false]);
    const rejected = cls(422, { error_code: 42201, message: 'Invalid schema' });
    assert.deepEqual([rejected.code, rejected.retriable, rejected.errorCode, rejected.message], ['GCK_SCHEMA_REJECTED', false, 42201, 'Invalid schema']);
    for (const s of [400, 409, 415]) assert.equal(cls(s).retriable, false, String(s));
  });
});

describe('schema/registry-classify: networkCode', () => {
  it('finds the errno code on the error, inside an AggregateError (happy eyeballs) or a cause', () => {
    assert.equal(networkCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED');
    assert.equal(networkCode(new AggregateError([new Error('a'), Object.assign(new Error('b'), { code: 'EHOSTUNREACH' })])), 'EHOSTUNREACH');
    assert.equal(networkCode(new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ENOTFOUND' }) })), 'ENOTFOUND');
    assert.equal(networkCode(new Error('no code')), undefined);
    assert.equal(NETWORK_CODES['ECONNREFUSED'], 'connection refused');
  });
});
