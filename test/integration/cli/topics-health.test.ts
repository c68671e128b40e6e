import assert from 'node:assert/strict';
import { cli as runCli, uniqueName } from '../helpers.js';

/** The CLI with `env` on top of this process's environment. */
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { ...process.env, ...env });

describe('gocoffee-kafka topics ensure / health (real broker)', function () {
  this.timeout(90_000);

  it('topics ensure creates the event and dead-letter topics, then reports them as existing', async () => {
    const suffix = `.${uniqueName('cli')}`;
    const first = await cli(['topics', 'ensure', '--partitions', '2', '--json'], { GOCOFFEE_KAFKA_TOPIC_SUFFIX: suffix });
    assert.equal(first.code, 0, first.stderr);
    const created = JSON.parse(first.stdout) as Array<{ topic: string; status: string; partitions: number }>;
    assert.equal(created.length, 14);
    assert.ok(created.every((r) => r.status === 'created' && r.partitions === 2 && r.topic.endsWith(suffix) !== r.topic.endsWith('.dlq')));
    const again = await cli(['topics', 'ensure', '--partitions', '2'], { GOCOFFEE_KAFKA_TOPIC_SUFFIX: suffix });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`beverage\\.created${suffix.replace(/\./g, '\\.')}\\s+2\\s+1\\s+exists`));
  });

  it('health prints a healthy report (exit 0) and an unhealthy one for an unreachable cluster (exit 1)', async () => {
    const ok = await cli(['health']);
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as { healthy: boolean; details: { brokers: number; registry: { reachable: boolean } } };
    assert.equal(report.healthy, true);
    assert.ok(report.details.brokers >= 1);
    assert.equal(report.details.registry.reachable, true);
    const bad = await cli(['health'], { GOCOFFEE_KAFKA_BROKERS: '127.0.0.1:1', GOCOFFEE_KAFKA_CONNECT_TIMEOUT: '1s' });
    assert.equal(bad.code, 1);
    assert.match(JSON.parse(bad.stdout).error, /could not connect|did not answer/);
  });

  it('bad usage exits 2 with a clear message', async () => {
    const r = await cli(['topics', 'ensure', '--partitions', 'zero']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--partitions: got "zero", expected a positive integer/);
  });
});
