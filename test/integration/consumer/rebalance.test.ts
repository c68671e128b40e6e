import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer, type ConsumedMessage, type ConsumerOptions } from '../../../src/consumer/index.js';
import { createTopic, testConfig, uniqueName } from '../helpers.js';
import { describeEachProtocol } from './protocols.js';
import { committedOffsets, highWatermarks, orderViolation, parseRec, publishKeyed, recLine, waitUntil, type Rec } from './util.js';

function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {
    /* work */
  }
}

/**
 * Issue 4 §8: a second consumer joins the group mid-stream (incremental rebalancing: the first one
 * gives up some partitions, finishing their running work and committing their watermarks first).
 * Under both group protocols (issue 18 item 5): classic's cooperative-sticky, assigned by the
 * group leader, and KIP-848's consumer protocol, assigned by the broker.
 */
describeEachProtocol('A second consumer joins the group mid-stream', function (protocol) {
  this.timeout(180_000);
  const cms: ConnectionManager[] = [];
  const consumers: Consumer[] = [];
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop();
    for (const cm of cms.splice(0)) await cm.close();
  });

  async function member(name: string, topic: string, group: string, opts: ConsumerOptions, out: Rec[], errors: Error[], slow: boolean, revoked: number[] = []): Promise<Consumer> {
    const cm = new ConnectionManager(testConfig({ clientId: name, groupProtocol: protocol }));
    cms.push(cm);
    await cm.initialize();
    const c = new Consumer(cm, opts, {
      onError: (e) => errors.push(e),
      onRebalance: (_g, kind, tps) => {
        if (kind === 'revoke') revoked.push(...tps.map((tp) => tp.partition));
      },
    });
    consumers.push(c);
    c.registerHandler({
      topics: [topic],
      groupId: group,
      handle(m: ConsumedMessage): void | Promise<void> {
        out.push(parseRec(recLine(m, true)));
        if (!slow) return spin(60);
        return delay(2);
      },
    });
    return c;
  }

  it('loses nothing; duplicates only in partitions that moved, at or after where the new owner started; per-key order within each consumer', async () => {
    await scenario(20_000, { maxInFlightPerPartition: 1000, maxInFlight: 4000, fetchBatchSize: 500, taskBatchSize: 100, commitIntervalMs: 500 }, false);
  });

  it('revoke timeout exceeded (slow async handler, revokeTimeoutMs 1): work finishing after the revoke is harmless; still no loss', async () => {
    await scenario(6000, { maxInFlightPerPartition: 200, maxInFlight: 600, fetchBatchSize: 100, taskBatchSize: 10, concurrency: 4, commitIntervalMs: 200, revokeTimeoutMs: 1 }, true);
  });

  async function scenario(HALF: number, opts: ConsumerOptions, slow: boolean): Promise<void> {
    const topic = uniqueName('rebal');
    const group = uniqueName('g');
    const PARTITIONS = 6;
    await createTopic(topic, PARTITIONS);
    const producer = new ConnectionManager(testConfig({ clientId: 'producer' }));
    cms.push(producer);
    await producer.initialize();
    const cm0 = () => producer;
    const items = Array.from({ length: 2 * HALF }, (_, i) => ({ key: `k${i % 300}`, value: `k${i % 300}:${Math.floor(i / 300)}:-` }));
    await publishKeyed(cm0(), topic, items.slice(0, HALF));

    const recsA: Rec[] = [];
    const recsB: Rec[] = [];
    const errors: Error[] = [];
    const revokedA: number[] = [];
    const a = await member('member-a', topic, group, opts, recsA, errors, slow, revokedA);
    await a.start();
    await waitUntil(() => recsA.length >= HALF / 6, 60_000, () => `A handled ${recsA.length}`);
    const b = await member('member-b', topic, group, opts, recsB, errors, slow);
    await b.start();
    // The stream goes on during the rebalance: the second half arrives over ~8 s, in chunks. (Published
    // at once, the batch-engine producer writes it within a second; A could then handle everything
    // before the cooperative rebalance hands B its partitions, and B would have nothing to handle.)
    const stream = (async () => {
      const rest = items.slice(HALF);
      for (let i = 0; i < rest.length; i += 250) {
        await publishKeyed(cm0(), topic, rest.slice(i, i + 250));
        await delay(100);
      }
    })();
    await waitUntil(() => recsB.length > 0, 60_000, () => 'B handles messages');
    await stream;
    const highs = await highWatermarks(cm0(), topic, PARTITIONS);
    await waitUntil(
      async () => (await committedOffsets(cm0(), group, topic, PARTITIONS)).every((o, i) => o === highs[i]),
      90_000,
      () => `commits reach the end (A ${recsA.length}, B ${recsB.length})`,
    );
    const statsA = a.stats()[0]!;
    const revokedRunning = [...revokedA]; // (stop() revokes the rest)
    const assignedA = a.groups[0]!.assignment.map((tp) => tp.partition);
    const assignedB = b.groups[0]!.assignment.map((tp) => tp.partition);
    // in-flight accounting survived the revoke (dropped and finished-after-revoke messages)
    assert.equal(a.groups[0]!.inFlight, 0, 'A: nothing in flight');
    assert.equal(b.groups[0]!.inFlight, 0, 'B: nothing in flight');
    const stopA = Date.now();
    assert.equal(await a.stop(), true, 'A drained');
    assert.ok(Date.now() - stopA < 10_000, `A stopped in ${Date.now() - stopA} ms`);
    assert.equal(await b.stop(), true, 'B drained');

    // no loss
    const all = new Set([...recsA, ...recsB].map((r) => r.value));
    assert.equal(all.size, items.length, 'every message handled at least once');
    // per-key order within each consumer; no message twice within one consumer
    for (const [name, recs] of [
      ['A', recsA],
      ['B', recsB],
    ] as const) {
      assert.equal(orderViolation(recs), undefined, `order in ${name}`);
      assert.equal(new Set(recs.map((r) => r.value)).size, recs.length, `no duplicate within ${name}`);
    }
    // the rebalance happened: A gave partitions to B and kept the others
    assert.ok(statsA.rebalances >= 2, `A saw assign + revoke (${statsA.rebalances})`);
    assert.ok(assignedB.length > 0 && assignedA.length > 0, `A ${assignedA} B ${assignedB}`);
    assert.deepEqual([...assignedA, ...assignedB].sort(), Array.from({ length: PARTITIONS }, (_, i) => i));
    // incremental under both protocols: A was revoked only what moved to B (an eager rebalance
    // revokes everything, the kept partitions too)
    assert.ok(revokedRunning.length > 0 && revokedRunning.every((p) => assignedB.includes(p)), `A revoked ${revokedRunning}, B has ${assignedB}`);
    // duplicates: only in partitions that moved to B, at or after the offset B started from (the
    // watermark A committed on revoke), and at most what A can have had in flight there
    const inA = new Map(recsA.map((r) => [r.value, r]));
    const dups = recsB.filter((r) => inA.has(r.value));
    const bStart = new Map<number, number>();
    for (const r of recsB) bStart.set(r.partition, Math.min(bStart.get(r.partition) ?? Infinity, r.offset));
    const perPartition = new Map<number, number>();
    for (const d of dups) {
      assert.ok(assignedB.includes(d.partition), `duplicate ${d.value} in partition ${d.partition}, which did not move`);
      assert.ok(d.offset >= bStart.get(d.partition)!, `duplicate ${d.value} below B's start`);
      perPartition.set(d.partition, (perPartition.get(d.partition) ?? 0) + 1);
    }
    for (const [p, n] of perPartition) assert.ok(n <= opts.maxInFlightPerPartition! + opts.fetchBatchSize!, `partition ${p}: ${n} duplicates`);
    console.log(`      [${protocol}] A handled ${recsA.length}, B ${recsB.length}; moved partitions ${assignedB.join(',')}; duplicates ${dups.length} ${JSON.stringify(Object.fromEntries(perPartition))}`);
    assert.deepEqual(
      errors.map((e) => e.message),
      [],
    );
  }
});
