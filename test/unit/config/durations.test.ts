import assert from 'node:assert/strict';
import { formatDuration, parseDuration, resolveConfig } from '../../../src/config/index.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { issueAt, issuesOf } from './helpers.js';

describe('config: durations', () => {
  const good: ReadonlyArray<readonly [number | string, number]> = [
    ['100ms', 100], ['10s', 10_000], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000], ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004], ['1.1s', 1100], ['.5s', 500], [' 250ms ', 250], ['250', 250], [250, 250], [0, 0], ['0ms', 0],
  ];
  for (const [input, ms] of good) {
    it(`${JSON.stringify(input)} → ${ms} ms`, () => assert.equal(parseDuration(input), ms));
  }

  const bad: ReadonlyArray<number | string> = ['', 'abc', '10x', '10 s', '-5s', '1.5ms', '5sec', 'ms', '1d', -1, Number.NaN, Infinity, 0.5];
  for (const input of bad) {
    it(`${String(typeof input === 'string' ? JSON.stringify(input) : input)} is rejected`, () => {
      assert.throws(() => parseDuration(input), (e: unknown) => e instanceof InvalidArgumentError && /parseDuration\(value\): invalid duration/.test(e.message));
    });
  }

  it('a bare number in config means milliseconds', () => {
    const config = resolveConfig({ brokers: ['x:1'], batchTimeoutMs: 20, retryBackoffMs: '250', connectTimeoutMs: '2.5s' });
    assert.equal(config.batchTimeoutMs, 20);
    assert.equal(config.retryBackoffMs, 250);
    assert.equal(config.connectTimeoutMs, 2500);
  });

  it('bounds follow librdkafka: connect_timeout >= 1s, read_timeout <= 5m, batch_timeout may be 0', () => {
    const issues = issuesOf(() => resolveConfig({ brokers: ['x:1'], connectTimeoutMs: '500ms', readTimeoutMs: '6m', writeTimeoutMs: 0 }));
    assert.match(issueAt(issues, 'kafka.connect_timeout').message, /^got "500ms", expected a duration .* within 1s\.\.1h$/);
    assert.match(issueAt(issues, 'kafka.read_timeout').message, /within 10ms\.\.5m$/);
    assert.match(issueAt(issues, 'kafka.write_timeout').message, /^got 0, expected/);
    assert.equal(resolveConfig({ brokers: ['x:1'], batchTimeoutMs: 0 }).batchTimeoutMs, 0);
  });

  it('non-whole milliseconds and bad units get a detail', () => {
    const issues = issuesOf(() => resolveConfig({ brokers: ['x:1'], retryBackoffMs: '1.5ms', writeTimeoutMs: '3d' }));
    assert.match(issueAt(issues, 'kafka.retry_backoff').message, /\(not a whole number of milliseconds\)$/);
    assert.match(issueAt(issues, 'kafka.write_timeout').message, /\(units are ms, s, m, h\)$/);
  });

  it('formatDuration picks the largest exact unit', () => {
    assert.equal(formatDuration(5), '5ms');
    assert.equal(formatDuration(1500), '1500ms');
    assert.equal(formatDuration(10_000), '10s');
    assert.equal(formatDuration(120_000), '2m');
    assert.equal(formatDuration(7_200_000), '2h');
    assert.equal(formatDuration(0), '0ms');
  });
});
