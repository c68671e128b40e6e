import assert from 'node:assert/strict';
import avro from 'avsc';
import { compatibilityProblems, readProblems } from '../../../../src/schema/registration/compat.js';

const rec = (fields: object[], name = 'E'): avro.Type =>
  avro.Type.forSchema({ type: 'record', name, namespace: 'ns', fields } as avro.Schema);
const ID = { name: 'id', type: 'string' };

describe('schema/registration/compat: local compatibility check', () => {
  const v1 = { label: 'v1', type: rec([ID]) };

  it('accepts a new field with a default under every level', () => {
    const v2 = { label: 'v2', type: rec([ID, { name: 'n', type: ['null', 'int'], default: null }]) };
    for (const level of ['BACKWARD', 'FORWARD', 'FULL', 'FULL_TRANSITIVE'] as const) assert.deepEqual(compatibilityProblems(level, v2, [v1]), [], level);
  });

  it('BACKWARD: a new field without a default is named with its path', () => {
    const v2 = { label: 'v2', type: rec([ID, { name: 'strength', type: 'int' }]) };
    const problems = compatibilityProblems('BACKWARD', v2, [v1]);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^E\.strength: .*no default.*\(BACKWARD: v2 must read data written with v1\)$/);
    assert.deepEqual(compatibilityProblems('FORWARD', v2, [v1]), [], 'old readers ignore the new field');
    assert.deepEqual(compatibilityProblems('NONE', v2, [v1]), []);
  });

  it('FORWARD: removing a field without a default breaks old readers', () => {
    const v2 = { label: 'v2', type: rec([{ name: 'other', type: 'string', default: '' }]) };
    const problems = compatibilityProblems('FORWARD', v2, [v1]);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /E\.id: .*\(FORWARD: v1 must read data written with v2\)/);
  });

  it('reports every changed type, nested paths included', () => {
    const inner = (t: string): object => ({ type: 'array', items: { type: 'record', name: 'I', fields: [{ name: 'q', type: t }] } });
    const a = rec([{ name: 'id', type: 'string' }, { name: 'items', type: inner('string') }]);
    const b = rec([{ name: 'id', type: 'int' }, { name: 'items', type: inner('int') }]);
    assert.deepEqual(readProblems(b, a), ['E.id: cannot read "string" as "int"', 'E.items[].q: cannot read "string" as "int"']);
  });

  it('_TRANSITIVE levels check every earlier version, the others only the latest', () => {
    const old = { label: 'v1', type: rec([ID, { name: 'x', type: 'int' }]) };
    const mid = { label: 'v2', type: rec([ID]) };
    const next = { label: 'v3', type: rec([ID, { name: 'x', type: 'string', default: '' }]) };
    assert.deepEqual(compatibilityProblems('BACKWARD', next, [old, mid]), []);
    const transitive = compatibilityProblems('BACKWARD_TRANSITIVE', next, [old, mid]);
    assert.equal(transitive.length, 1);
    assert.match(transitive[0] ?? '', /E\.x: cannot read "int" as "string".*v3 must read data written with v1/);
  });
});
