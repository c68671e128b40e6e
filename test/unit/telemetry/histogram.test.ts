import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { TopicHistogram } from '../../../src/telemetry/metrics.js';
import { MAX_TOPICS, OTHER_TOPICS } from '../../../src/diagnostics/counters.js';

/** Sample lines of one metric, sorted, with label order normalised. */
function samples(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}_`))
    .map((l) => {
      const m = /^(\w+)\{(.*)\} (.*)$/.exec(l);
      if (m === null) return l;
      return `${m[1]}{${m[2]!.split(',').sort().join(',')}} ${m[3]}`;
    })
    .sort();
}

describe('TopicHistogram (the fast publish/consume duration histogram)', () => {
  it('exposes exactly what a prom-client Histogram exposes for the same observations', async () => {
    const buckets = [0.001, 0.005, 0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    const h = new TopicHistogram('d_seconds', 'help', buckets, ours);
    const p = new Histogram({ name: 'd_seconds', help: 'help', labelNames: ['topic'], buckets, registers: [theirs] });
    const values = [0, 0.001, 0.0010001, 0.004, 0.005, 0.05, 0.1, 0.99, 1, 1.5, 30];
    for (const topic of ['a', 'b.c']) {
      const cells = h.cells(topic);
      for (const v of values) {
        h.observe(cells, v);
        p.labels(topic).observe(v);
      }
    }
    assert.deepEqual(samples(await ours.metrics(), 'd_seconds'), samples(await theirs.metrics(), 'd_seconds'));
    assert.match(await ours.metrics(), /# TYPE d_seconds histogram/);
  });

  it('is reset with the registry and refuses a second metric of its name', async () => {
    const reg = new Registry();
    const h = new TopicHistogram('x_seconds', 'help', [1], reg);
    h.observe(h.cells('t'), 0.5);
    reg.resetMetrics();
    assert.equal(samples(await reg.metrics(), 'x_seconds').length, 0);
    assert.throws(() => new Histogram({ name: 'x_seconds', help: 'h', registers: [reg] }), /already been registered/);
  });
});

describe('TopicHistogram bounds', () => {
  it('beyond MAX_TOPICS topics, new topics share the _other_topics cells (series stay bounded like the counters)', async () => {
    const registry = new Registry();
    const h = new TopicHistogram('b_seconds', 'help', [0.1], registry);
    for (let i = 0; i < MAX_TOPICS + 500; i++) h.observe(h.cells(`topic-${i}`), 0.05);
    assert.equal(h.cells('topic-1'), h.cells('topic-1'));
    assert.equal(h.cells(`topic-${MAX_TOPICS + 1}`), h.cells(OTHER_TOPICS));
    const counts = (await registry.metrics()).split('\n').filter((l) => l.startsWith('b_seconds_count{'));
    assert.equal(counts.length, MAX_TOPICS + 1);
    assert.ok(counts.includes(`b_seconds_count{topic="${OTHER_TOPICS}"} 500`), 'the overflow topics are counted, not dropped');
  });
});
