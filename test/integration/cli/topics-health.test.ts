import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '../helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('gocoffee-kafka topics ensure / health (real broker)', function () {
  this.timeout(90_000);

  it('topics ensure creates the event and dead-letter topics, then reports them as existing', () => {
    const suffix = `.${uniqueName('cli')}`;
    const first = cli(['topics', 'ensure', '--partitions', '2', '--json'], { GOCOFFEE_KAFKA_TOPIC_SUFFIX: suffix });
    assert.equal(first.status, 0, first.stderr);
    const created = JSON.parse(first.stdout) as Array<{ topic: string; status: string; partitions: number }>;
    assert.equal(created.length, 14);
    assert.ok(created.every((r) => r.status === 'created' && r.partitions === 2 && r.topic.endsWith(suffix) !== r.topic.endsWith('.dlq')));
    const again = cli(['topics', 'ensure', '--partitions', '2'], { GOCOFFEE_KAFKA_TOPIC_SUFFIX: suffix });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`beverage\\.created${suffix.replace(/\./g, '\\.')}\\s+2\\s+1\\s+exists`));
  });

  it('health prints a healthy report (exit 0) and an unhealthy one for an unreachable cluster (exit 1)', () => {
    const ok = cli(['health']);
    assert.equal(ok.status, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as { healthy: boolean; details: { brokers: number; registry: { reachable: boolean } } };
    assert.equal(report.healthy, true);
    assert.ok(report.details.brokers >= 1);
    assert.equal(report.details.registry.reachable, true);
    const bad = cli(['health'], { GOCOFFEE_KAFKA_BROKERS: '127.0.0.1:1', GOCOFFEE_KAFKA_CONNECT_TIMEOUT: '1s' });
    assert.equal(bad.status, 1);
    assert.match(JSON.parse(bad.stdout).error, /could not connect|did not answer/);
  });

  it('bad usage exits 2 with a clear message', () => {
    const r = cli(['topics', 'ensure', '--partitions', 'zero']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--partitions: got "zero", expected a positive integer/);
  });
});
