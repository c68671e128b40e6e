import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('README quick start', function () {
  this.timeout(90_000);
  const file = readFileSync(`${root}examples/quickstart.ts`, 'utf8');

  it('the README shows examples/quickstart.ts verbatim', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.includes(file), 'README.md must contain examples/quickstart.ts in a ```ts block (copy it again after editing the example)');
  });

  it('runs against the real broker and registry: publishes a BeverageCreated and consumes it', () => {
    const r = spawnSync(process.execPath, ['--conditions=gocoffee-source', '--import', 'tsx', 'examples/quickstart.ts'], { cwd: root, env: process.env, encoding: 'utf8', timeout: 80_000 });
    assert.equal(r.status, 0, `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stdout, /^received Cosmic Coffee \([0-9a-f-]{36}\), created \d{4}-\d\d-\d\dT/m);
  });
});
