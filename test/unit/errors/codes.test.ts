import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, KAFKA_CODE_PREFIX } from '../../../src/errors/codes.js';
import { kafkaErrorCode, librdkafkaErrorName, fromNativeError, RD } from '../../../src/errors/librdkafka.js';
import { DeliveryError } from '../../../src/errors/producer.js';

const root = new URL('../../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('error codes', () => {
  it('every GCK_ code raised in src/ is in ERROR_CODES, and every listed code is raised somewhere', () => {
    const raised = new Set<string>();
    for (const f of sources(join(root, 'src'))) {
      if (f.endsWith('errors/codes.ts')) continue;
      for (const m of readFileSync(f, 'utf8').matchAll(/'(GCK_[A-Z_]+)'/g)) raised.add(m[1]!);
    }
    const listed = new Set(Object.keys(ERROR_CODES));
    assert.deepEqual([...raised].filter((c) => !listed.has(c)), [], 'raised but not listed in src/errors/codes.ts');
    assert.deepEqual([...listed].filter((c) => !raised.has(c)), [], 'listed but never raised');
  });

  it('the README error table lists every code', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const missing = Object.keys(ERROR_CODES).filter((c) => !readme.includes(`\`${c}\``));
    assert.deepEqual(missing, []);
  });

  it('no code uses Node\'s ERR_ namespace', () => {
    for (const c of Object.keys(ERROR_CODES)) assert.ok(c.startsWith('GCK_') && !c.startsWith(KAFKA_CODE_PREFIX), c);
  });

  it('librdkafka errors get GCK_KAFKA_ + librdkafka\'s name without ERR_', () => {
    assert.equal(kafkaErrorCode(RD.ERR_MSG_SIZE_TOO_LARGE), 'GCK_KAFKA_MSG_SIZE_TOO_LARGE');
    assert.equal(kafkaErrorCode(RD.ERR__MSG_TIMED_OUT), 'GCK_KAFKA__MSG_TIMED_OUT');
    assert.equal(kafkaErrorCode(12345), 'GCK_KAFKA_12345');
    assert.equal(librdkafkaErrorName(RD.ERR__MSG_TIMED_OUT), 'ERR__MSG_TIMED_OUT');
    const e = fromNativeError({ code: RD.ERR__TRANSPORT, message: 'broker down' }, 'fetch');
    assert.equal(e.code, 'GCK_KAFKA__TRANSPORT');
    assert.equal(e.librdkafkaCode, RD.ERR__TRANSPORT);
    assert.match(e.message, /fetch: broker down \(GCK_KAFKA__TRANSPORT\)/);
    assert.equal(new DeliveryError('t', 0, { code: RD.ERR_MSG_SIZE_TOO_LARGE }, 'id', 1).code, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE');
  });
});
