import assert from 'node:assert/strict';
import { PartitionTracker } from '../../../../src/consumer/group/tracker.js';

describe('PartitionTracker (contiguous watermark)', () => {
  it('advances only over the completed prefix', () => {
    const t = new PartitionTracker('t', 0);
    const s = [10, 11, 12, 13].map((o) => t.add(o));
    assert.equal(t.watermark, -1);
    assert.equal(t.done(s[1]!), false);
    assert.equal(t.done(s[3]!), false);
    assert.equal(t.watermark, -1);
    assert.equal(t.done(s[0]!), true);
    assert.equal(t.watermark, 12, 'after 10 and 11');
    assert.equal(t.pending, 2);
    assert.equal(t.done(s[2]!), true);
    assert.equal(t.watermark, 14);
    assert.equal(t.pending, 0);
  });

  it('handles gaps in offsets and ignores repeated completions', () => {
    const t = new PartitionTracker('t', 0);
    const a = t.add(5);
    const b = t.add(9);
    assert.equal(t.done(a), true);
    assert.equal(t.done(a), false);
    assert.equal(t.watermark, 6);
    assert.equal(t.done(b), true);
    assert.equal(t.watermark, 10);
  });

  it('stays correct across compaction with random completion order', () => {
    const t = new PartitionTracker('t', 3);
    const seqs: number[] = [];
    for (let i = 0; i < 10_000; i++) seqs.push(t.add(i * 2));
    // complete in a shuffled order, checking the invariant as we go
    const order = [...seqs].sort(() => Math.random() - 0.5);
    const done = new Set<number>();
    for (const s of order) {
      t.done(s);
      done.add(s);
      let prefix = 0;
      while (done.has(prefix)) prefix++;
      assert.equal(t.watermark, prefix === 0 ? -1 : (prefix - 1) * 2 + 1);
      if (done.size % 997 !== 0) continue;
    }
    assert.equal(t.watermark, 9_999 * 2 + 1);
    assert.equal(t.pending, 0);
  });

  it('stays correct when fetches and completions interleave (reused and compacted storage)', () => {
    const t = new PartitionTracker('t', 1);
    const open: Array<{ seq: number; offset: number }> = [];
    const done = new Set<number>();
    let offset = 100;
    let expected = -1;
    const offsets: number[] = [];
    for (let round = 0; round < 300; round++) {
      const adds = 1 + ((round * 37) % 700);
      for (let i = 0; i < adds; i++) {
        const o = offset;
        offset += 1 + (i % 3); // gaps
        offsets.push(o);
        open.push({ seq: t.add(o), offset: o });
      }
      // complete a pseudo-random share, sometimes leaving the oldest one open for long
      for (let i = open.length - 1; i >= 0; i--) {
        if ((i * 7 + round) % 3 === 0 && !(round % 50 !== 49 && i === 0)) {
          const [e] = open.splice(i, 1);
          t.done(e!.seq);
          done.add(e!.seq);
        }
      }
      let prefix = 0;
      while (done.has(prefix)) prefix++;
      expected = prefix === 0 ? -1 : offsets[prefix - 1]! + 1;
      assert.equal(t.watermark, expected, `round ${round}`);
      assert.equal(t.pending, offsets.length - prefix);
    }
    for (const e of open.splice(0)) t.done(e.seq);
    assert.equal(t.watermark, offsets[offsets.length - 1]! + 1);
    assert.equal(t.pending, 0);
  });

  it('restartAt (a seek): the watermark is the target before any message; commitPoint and fetched', () => {
    const t = new PartitionTracker('t', 0);
    assert.equal(t.commitPoint, -1, 'nothing fetched, nothing done');
    t.restartAt(40);
    assert.equal(t.watermark, 40);
    assert.equal(t.commitPoint, 40);
    assert.equal(t.fetched, 0);
    const a = t.add(40);
    const b = t.add(41);
    assert.equal(t.fetched, 2);
    assert.equal(t.done(b), false);
    assert.equal(t.watermark, 40, 'out of order: still at the target');
    assert.equal(t.done(a), true);
    assert.equal(t.watermark, 42);
    assert.throws(() => t.restartAt(0), /restartAt/);
  });

  it('commitPoint before the first completion is the first fetched offset', () => {
    const t = new PartitionTracker('t', 0);
    const a = t.add(7);
    t.add(8);
    assert.equal(t.watermark, -1);
    assert.equal(t.commitPoint, 7);
    t.done(a);
    assert.equal(t.commitPoint, 8);
  });
});
