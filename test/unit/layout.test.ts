import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs script without types (scripts/layout-check.mjs)
import { checkLayout, LAYERS } from '../../scripts/layout-check.mjs';

type Result = { problems: string[]; edges: Map<string, Set<string>> };
const check = checkLayout as (dir: string) => Result;
const layers = LAYERS as Record<string, number>;

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'layout-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

describe('layout (DESIGN §1: one way down, no folder cycles, files under 400 lines)', () => {
  it('src/ keeps the rules', () => {
    const { problems } = check(new URL('../../src', import.meta.url).pathname);
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });

  it('every folder and root file of src/ has a layer', () => {
    const { edges } = check(new URL('../../src', import.meta.url).pathname);
    for (const unit of edges.keys()) assert.ok(unit in layers, unit);
  });

  it('catches an upward import, a folder cycle and a long file (so the check above can fail)', () => {
    const dir = tree({
      'errors/base.ts': "import { x } from '../config/load.js';\nexport const y = x;\n",
      'config/load.ts': "import { y } from '../errors/base.js';\nexport const x = y;\n",
      'consumer/consumer.ts': "import type { C } from '../client.js';\nexport type D = C;\n",
      'client.ts': 'export type C = 1;\n',
      'producer/long.ts': 'const a = 1;\n'.repeat(401),
    });
    try {
      const { problems } = check(dir);
      assert.ok(problems.some((p) => /errors\/base\.ts imports \.\.\/config\/load\.js/.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => /import cycle between folders: (errors -> config -> errors|config -> errors -> config)/.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => /consumer\/consumer\.ts imports \.\.\/client\.js/.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => /producer\/long\.ts: 402 lines/.test(p)), problems.join('\n'));
      assert.ok(!problems.some((p) => /config\/load\.ts imports/.test(p)), 'a downward import is fine');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a folder missing from the layer table is reported', () => {
    const dir = tree({ 'newfolder/a.ts': 'export const a = 1;\n' });
    try {
      assert.ok(check(dir).problems.some((p) => /newfolder is not in the layer table/.test(p)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
