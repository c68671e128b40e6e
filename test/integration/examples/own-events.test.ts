import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('examples/own-events: your own schemas folder and generated types', function () {
  this.timeout(90_000);

  it('runs against the real broker and registry: registers its schema, publishes a GreetingSent and handles it typed', () => {
    const r = spawnSync(process.execPath, ['--conditions=gocoffee-source', '--import', 'tsx', 'examples/own-events/main.ts'], { cwd: root, env: process.env, encoding: 'utf8', timeout: 80_000 });
    assert.equal(r.status, 0, `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stdout, /^received Hello, world \(key [0-9a-f-]{36}, sent \d{4}-\d\d-\d\dT[\d:.]+Z\)$/m);
  });
});
