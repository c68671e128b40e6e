import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionManager } from '../../../src/client.js';
import type { GroupProtocol } from '../../../src/config/index.js';
import { Consumer, type ConsumedMessage } from '../../../src/consumer/index.js';
import { createTopic, testConfig, uniqueName } from '../helpers.js';
import { PROTOCOLS } from './protocols.js';
import { committedOffsets, highWatermarks, parseRec, publishKeyed, recLine, waitUntil, type Rec } from './util.js';

/** One member's rebalance events ("assign 0,1"; "assign" for an empty one), in order. */
type Events = string[];

/**
 * How long the stopped member stays away: two heartbeat intervals of either protocol (classic:
 * heartbeat.interval.ms 3 s; consumer: the broker's group.consumer.heartbeat.interval.ms 5 s), so a
 * rebalance the departure caused would have reached the other member; well within the session
 * timeout (45 s) that keeps a static member's partitions.
 */
const AWAY_MS = 10_000;

/**
 * Issue 18 item 6: static membership (KIP-345; group_instance_id / `group.instance.id`). Two
 * members share a group; one of them is stopped and a new one started in its place within the
 * session timeout. With an instance id the other member sees no rebalance at all and the new one
 * gets the same partitions back, continuing from the committed offsets; without one (the control
 * case) the other member is rebalanced twice (it takes the partitions, then gives them back).
 */
describe('Static membership: a restart within the session timeout', function () {
  this.timeout(120_000);
  const cms: ConnectionManager[] = [];
  const consumers: Consumer[] = [];
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop();
    for (const cm of cms.splice(0)) await cm.close();
  });

  async function member(topic: string, group: string, protocol: GroupProtocol, instanceId: string | undefined, out: Rec[], events: Events, errors: Error[]): Promise<Consumer> {
    // Both routes: the configuration (group_protocol / group_instance_id) under classic, the
    // Consumer's own options (which win over the configuration) under consumer.
    const viaOptions = protocol === 'consumer';
    const cm = new ConnectionManager(testConfig({ clientId: instanceId ?? 'dynamic', ...(viaOptions ? { groupProtocol: 'classic', groupInstanceId: uniqueName('ignored') } : { groupProtocol: protocol, groupInstanceId: instanceId }) }));
    cms.push(cm);
    await cm.initialize();
    const own = viaOptions ? { groupProtocol: protocol, groupInstanceId: instanceId ?? null } : {};
    const c = new Consumer(cm, { commitIntervalMs: 200, ...own }, {
      onError: (e) => errors.push(e),
      onRebalance: (_g, kind, tps) => {
        events.push(`${kind} ${tps.map((tp) => tp.partition).sort().join(',')}`.trim());
      },
    });
    consumers.push(c);
    c.registerHandler({
      topics: [topic],
      groupId: group,
      handle(m: ConsumedMessage): void {
        out.push(parseRec(recLine(m, true)));
      },
    });
    await c.start();
    return c;
  }

  const partitionsOf = (c: Consumer): number[] => c.groups[0]!.assignment.map((tp) => tp.partition).sort();

  for (const protocol of PROTOCOLS) {
    it(`[group.protocol=${protocol}] with group_instance_id: no rebalance for the other member, the same partitions back, nothing lost`, async () => {
      await scenario(protocol, true);
    });
    it(`[group.protocol=${protocol}] control, without group_instance_id: the other member is rebalanced`, async () => {
      await scenario(protocol, false);
    });
  }

  async function scenario(protocol: GroupProtocol, isStatic: boolean): Promise<void> {
    const topic = uniqueName('static');
    const group = uniqueName('g');
    const PARTITIONS = 4;
    const HALF = 2000;
    await createTopic(topic, PARTITIONS);
    const producer = new ConnectionManager(testConfig({ clientId: 'producer' }));
    cms.push(producer);
    await producer.initialize();
    const items = Array.from({ length: 2 * HALF }, (_, i) => ({ key: `k${i % 100}`, value: `k${i % 100}:${Math.floor(i / 100)}:-` }));
    await publishKeyed(producer, topic, items.slice(0, HALF));
    const committedReach = async (highs: number[]) => (await committedOffsets(producer, group, topic, PARTITIONS)).every((o, i) => o === highs[i]);

    // B (always dynamic) first, then A; both with partitions.
    const recsA: Rec[] = [];
    const recsB: Rec[] = [];
    const eventsA: Events = [];
    const eventsB: Events = [];
    const errors: Error[] = [];
    const instanceId = isStatic ? uniqueName('instance-a') : undefined;
    const b = await member(topic, group, protocol, undefined, recsB, eventsB, errors);
    await waitUntil(() => partitionsOf(b).length === PARTITIONS, 60_000, () => `B gets every partition (${partitionsOf(b)})`);
    const a = await member(topic, group, protocol, instanceId, recsA, eventsA, errors);
    await waitUntil(() => partitionsOf(a).length > 0 && partitionsOf(a).length + partitionsOf(b).length === PARTITIONS, 60_000, () => `A ${partitionsOf(a)} and B ${partitionsOf(b)} share the partitions (A's events ${eventsA.join('; ')}; B's ${eventsB.join('; ')})`);
    const highs1 = await highWatermarks(producer, topic, PARTITIONS);
    await waitUntil(() => committedReach(highs1), 60_000, () => `the first half is committed (A ${recsA.length}, B ${recsB.length})`);
    const partitionsA = partitionsOf(a);
    const partitionsB = partitionsOf(b);
    const eventsBefore = [...eventsB];
    const rebalancesBefore = b.stats()[0]!.rebalances;

    // A stops (its final commit included) and a new A starts in its place
    assert.equal(await a.stop(), true, 'A drained');
    const committedAtStop = await committedOffsets(producer, group, topic, PARTITIONS);
    await publishKeyed(producer, topic, items.slice(HALF));
    if (isStatic) {
      await delay(AWAY_MS);
      assert.deepEqual(eventsB.slice(eventsBefore.length), [], `B saw no rebalance while A was away ${AWAY_MS} ms`);
    } else {
      // the control: a dynamic member's departure hands its partitions to B
      await waitUntil(() => partitionsOf(b).length === PARTITIONS, 60_000, () => `B takes A's partitions (B has ${partitionsOf(b)})`);
    }
    const recsA2: Rec[] = [];
    const eventsA2: Events = [];
    const a2 = await member(topic, group, protocol, instanceId, recsA2, eventsA2, errors);
    const highs2 = await highWatermarks(producer, topic, PARTITIONS);
    await waitUntil(() => committedReach(highs2), 90_000, () => `the second half is committed (A2 ${recsA2.length}, B ${recsB.length}; B's events ${eventsB.join('; ')})`);
    await waitUntil(() => partitionsOf(a2).length > 0, 60_000, () => `the new A has partitions (${partitionsOf(a2)}; its events ${eventsA2.join('; ')}; B's ${eventsB.join('; ')})`);
    const partitionsA2 = partitionsOf(a2);
    const eventsAfter = eventsB.slice(eventsBefore.length);
    console.log(`      [${protocol}, ${isStatic ? 'static' : 'dynamic'}] A ${partitionsA} → new A ${partitionsA2}, B ${partitionsB} → ${partitionsOf(b)}; B's events after A's stop: ${eventsAfter.join('; ') || 'none'}`);

    // nothing lost
    const seen = new Set([...recsA, ...recsB, ...recsA2].map((r) => r.value));
    assert.equal(seen.size, items.length, 'every message handled');
    if (isStatic) {
      assert.deepEqual(eventsAfter, [], 'B saw no revoke or assign');
      assert.equal(b.stats()[0]!.rebalances, rebalancesBefore, 'B\'s rebalance count is unchanged');
      assert.deepEqual(partitionsOf(b), partitionsB, 'B kept its partitions');
      assert.deepEqual(partitionsA2, partitionsA, 'the new A got the same partitions back');
      assert.deepEqual(eventsA2, [`assign ${partitionsA.join(',')}`], 'the new A was assigned them, once');
      // it continued where A's commits left off: nothing handled twice, nothing skipped
      for (const p of partitionsA) {
        const offsets = recsA2.filter((r) => r.partition === p).map((r) => r.offset);
        assert.equal(Math.min(...offsets), committedAtStop[p], `partition ${p} resumed at the offset committed by A`);
      }
      assert.equal(recsA.length + recsB.length + recsA2.length, items.length, 'nothing handled twice');
    } else {
      // the control: without an instance id A's stop and the new A's start move partitions
      assert.ok(eventsAfter.includes(`assign ${partitionsA.join(',')}`), `B was assigned A's partitions (${eventsAfter.join('; ')})`);
      assert.ok(eventsAfter.some((e) => e.startsWith('revoke ')), `B gave partitions to the new A (${eventsAfter.join('; ')})`);
      assert.ok(b.stats()[0]!.rebalances >= rebalancesBefore + 2, 'B\'s rebalance count went up');
    }
    assert.deepEqual(errors.map((e) => e.message), []);
  }
});
