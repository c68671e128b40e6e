import assert from 'node:assert/strict';
import { backoffDelay } from '../../../src/errors/backoff.js';

describe('backoffDelay (the one retry backoff)', () => {
  it('doubles per attempt from the base, capped at the maximum', () => {
    const top = () => 0.999999;
    assert.ok(Math.abs(backoffDelay(1, 100, 10_000, top) - 100) < 0.01);
    assert.ok(Math.abs(backoffDelay(2, 100, 10_000, top) - 200) < 0.01);
    assert.ok(Math.abs(backoffDelay(4, 100, 10_000, top) - 800) < 0.01);
    assert.ok(Math.abs(backoffDelay(30, 100, 10_000, top) - 10_000) < 0.1);
  });

  it('equal jitter: at least half of the exponential delay, below all of it', () => {
    assert.equal(backoffDelay(3, 100, 10_000, () => 0), 200);
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(3, 100, 10_000);
      assert.ok(d >= 200 && d < 400, String(d));
    }
  });

  it('attempt 0 or below counts as the first retry', () => {
    assert.equal(backoffDelay(0, 100, 10_000, () => 0), 50);
  });
});
