import assert from 'node:assert/strict';
import { runCli } from '../../../src/cli/run.js';
import { keyValues, parseResetTo, positiveInt } from '../../../src/cli/commands/admin-common.js';
import { CliUsageError } from '../../../src/cli/output.js';
import type { CliIo } from '../../../src/cli/types.js';

function capture(env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (t) => (out += t), stderr: (t) => (err += t), env };
  return { io, out: () => out, err: () => err };
}

describe('cli: topics delete|partitions|configs, groups … (argument parsing, no broker)', () => {
  it('--to: earliest, latest, an offset or an ISO time; anything else is a usage error', () => {
    assert.equal(parseResetTo('earliest'), 'earliest');
    assert.equal(parseResetTo('latest'), 'latest');
    assert.deepEqual(parseResetTo('42'), { offset: 42 });
    assert.deepEqual(parseResetTo('2026-12-07T10:00:00Z'), { timestamp: Date.parse('2026-12-07T10:00:00Z') });
    assert.deepEqual(parseResetTo('2026-12-07'), { timestamp: Date.parse('2026-12-07') });
    for (const bad of [undefined, '', 'yesterday', '-1', '1.5', '99999999999999999999', '2026-13-45T99:00:00Z', '12/07/2026']) {
      assert.throws(() => parseResetTo(bad), CliUsageError, String(bad));
    }
  });

  it('key=value and positive integers', () => {
    assert.deepEqual(keyValues('set', ['retention.ms=1', 'a=b=c']), { 'retention.ms': '1', a: 'b=c' });
    assert.throws(() => keyValues('set', ['=1']), /--set: got "=1", expected key=value/);
    assert.equal(positiveInt('total', '3'), 3);
    for (const bad of ['0', '-2', '1e3', 'x', undefined]) assert.throws(() => positiveInt('total', bad), CliUsageError);
  });

  it('the commands are listed, have help, and refuse bad usage with exit 2 before connecting', async () => {
    const help = capture();
    assert.equal(await runCli(['--help'], help.io), 0);
    for (const c of ['topics delete', 'topics partitions', 'topics configs', 'groups list', 'groups describe', 'groups delete', 'groups offsets', 'groups reset']) assert.match(help.out(), new RegExp(`  ${c} `));
    const reset = capture();
    assert.equal(await runCli(['groups', 'reset', '--help'], reset.io), 0);
    assert.match(reset.out(), /--dry-run/);
    // The broker address is unreachable: exit 2 proves the arguments were refused before any connection.
    const env = { GOCOFFEE_KAFKA_BROKERS: '127.0.0.1:1', GOCOFFEE_KAFKA_CONNECT_TIMEOUT: '1s' };
    const cases: Array<[string[], RegExp]> = [
      [['groups', 'reset', '--group', 'g', '--topic', 't', '--to', 'soon'], /--to: got "soon"/],
      [['groups', 'reset', '--group', 'g', '--to', 'earliest'], /--topic is required/],
      [['groups', 'describe'], /--group is required/],
      [['groups', 'delete'], /--group is required/],
      [['groups', 'offsets'], /--group is required/],
      [['groups', 'list', '--state', 'Running'], /--state: unknown state Running/],
      [['topics', 'delete'], /--topic is required/],
      [['topics', 'partitions', '--topic', 't'], /--total is required/],
      [['topics', 'configs', '--topic', 't', '--set', 'novalue'], /--set: got "novalue", expected key=value/],
      [['topics', 'configs', '--topic', 't', '--unknown'], /Unknown option '--unknown'/],
    ];
    for (const [args, message] of cases) {
      const c = capture(env);
      assert.equal(await runCli(args, c.io), 2, args.join(' '));
      assert.match(c.err(), message, args.join(' '));
    }
  });
});
