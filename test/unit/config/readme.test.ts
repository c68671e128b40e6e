import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderConfigReference } from '../../../src/config/index.js';

describe('configuration reference (docs/configuration.md)', () => {
  it('matches CONFIG_FIELDS (regenerate the table between the config-reference markers)', () => {
    const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    const m = /<!-- config-reference:start[^>]*-->\n([\s\S]*?)\n<!-- config-reference:end -->/.exec(doc);
    assert.ok(m, 'docs/configuration.md has the config-reference markers');
    assert.equal(m[1], renderConfigReference().trimEnd());
  });
});
