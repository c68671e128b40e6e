import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderConfigReference } from '../../../src/config/index.js';

describe('README configuration reference', () => {
  it('matches CONFIG_FIELDS (regenerate the table between the config-reference markers)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const m = /<!-- config-reference:start[^>]*-->\n([\s\S]*?)\n<!-- config-reference:end -->/.exec(readme);
    assert.ok(m, 'README.md has the config-reference markers');
    assert.equal(m[1], renderConfigReference().trimEnd());
  });
});
