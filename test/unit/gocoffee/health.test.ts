import assert from 'node:assert/strict';
import { checkHealth } from '../../../src/gocoffee/health.js';
import type { Manager } from '../../../src/gocoffee/manager.js';

/** A Manager as health sees it: ready, one broker, an idle producer, a registry that answers, and `consumer` as given. */
function manager(consumer: { state: string; failure?: Error; groups: unknown[] }, subjects: () => Promise<string[]> = async () => [], hasRegistry = true): Manager {
  return {
    state: 'ready',
    config: { connectTimeoutMs: 200 },
    hasRegistry,
    heldDispatchUnhealthyAfterMs: 60_000,
    get registry() {
      if (!hasRegistry) throw new Error('no registry');
      return { url: 'http://registry.invalid:8081', subjects };
    },
    connection: {
      metadata: async () => ({ brokers: [{ id: 1 }] }),
      producerEngine: () => ({ inflightCount: 0, waitingCount: 0, fatalError: undefined }),
    },
    consumer,
  } as unknown as Manager;
}

type Held = { handlers: number; lanes: number; since: number; reason: string };
function group(over: Partial<{ blocked: Array<{ topic: string; partition: number; error: Error; permanent: boolean; since: number }>; handlerTimeouts: number; held: Held }> = {}) {
  return {
    groupId: 'g',
    pausedPartitions: [],
    watermarks: [],
    assignment: [{ topic: 't', partition: 0 }],
    inFlight: 0,
    native: undefined,
    stats: { handlerTimeouts: over.handlerTimeouts ?? 0 },
    deadLetterBlocked: over.blocked ?? [],
    held: over.held ?? { handlers: 0, lanes: 0, since: 0, reason: '' },
  };
}

describe('health (issue 17 items 1, 5, 7, 8)', () => {
  it('healthy: no failure, nothing blocked; handler timeouts are shown', async () => {
    const h = await checkHealth(manager({ state: 'running', groups: [group({ handlerTimeouts: 2 })] }));
    assert.equal(h.healthy, true, h.error);
    assert.equal(h.details.consumer![0]!.handlerTimeouts, 2);
  });

  it('held dispatch (issue 17 item 9): shown from its start, unhealthy once held past heldDispatchUnhealthyAfterMs', async () => {
    const reason = 'schema registry unreachable: connect ECONNREFUSED';
    const fresh = await checkHealth(manager({ state: 'running', groups: [group({ held: { handlers: 0, lanes: 2, since: Date.now() - 5_000, reason } })] }));
    assert.equal(fresh.healthy, true, fresh.error);
    const shown = fresh.details.consumer![0]!.held;
    assert.equal(shown.lanes, 2);
    assert.equal(shown.reason, reason);
    assert.ok(shown.oldestMs >= 5_000 && shown.oldestMs < 60_000, String(shown.oldestMs));
    const old = await checkHealth(manager({ state: 'running', groups: [group({ held: { handlers: 1, lanes: 0, since: Date.now() - 61_000, reason: 'pool refused the task' } })] }));
    assert.equal(old.healthy, false);
    assert.match(old.error!, /dispatch of group g held for 6\d s \(1 handler\(s\), 0 lane\(s\)\): pool refused the task/);
    const none = await checkHealth(manager({ state: 'running', groups: [group()] }));
    assert.deepEqual(none.details.consumer![0]!.held, { handlers: 0, lanes: 0, oldestMs: 0, reason: '' });
  });

  it('a consumer that met a fatal error is unhealthy, with the error', async () => {
    const h = await checkHealth(manager({ state: 'failed', failure: new Error('Static consumer fenced'), groups: [group()] }));
    assert.equal(h.healthy, false);
    assert.match(h.error!, /consumer failed .*Static consumer fenced/);
    assert.equal(h.details.consumerFailure, 'Static consumer fenced');
  });

  it('a dead-letter write that cannot succeed makes it unhealthy; one that may still succeed is shown but not unhealthy', async () => {
    const since = Date.now();
    const permanent = { topic: 't', partition: 0, error: new Error('Broker: Topic authorization failed'), permanent: true, since };
    const transient = { topic: 't', partition: 1, error: new Error('Local: Message timed out'), permanent: false, since };
    const bad = await checkHealth(manager({ state: 'running', groups: [group({ blocked: [permanent, transient] })] }));
    assert.equal(bad.healthy, false);
    assert.match(bad.error!, /dead-letter writes of t\[0\] \(group g\) cannot succeed: Broker: Topic authorization failed/);
    assert.equal(bad.details.consumer![0]!.deadLetterBlocked.length, 2);
    const meh = await checkHealth(manager({ state: 'running', groups: [group({ blocked: [transient] })] }));
    assert.equal(meh.healthy, true, meh.error);
    assert.equal(meh.details.consumer![0]!.deadLetterBlocked[0]!.permanent, false);
  });

  it('the registry is probed through the Manager\'s own client (its credentials), bounded by connect_timeout', async () => {
    let asked = 0;
    const ok = await checkHealth(manager({ state: 'running', groups: [] }, async () => {
      asked++;
      return ['a-value'];
    }));
    assert.equal(asked, 1);
    assert.equal(ok.details.registry!.reachable, true);
    const hung = await checkHealth(manager({ state: 'running', groups: [] }, () => new Promise<string[]>(() => undefined)));
    assert.equal(hung.details.registry!.reachable, false);
    assert.match(hung.details.registry!.error!, /no answer within 200 ms/);
    assert.equal(hung.healthy, false);
  });

  it('a Manager without a registry (every event JSON) is not probed for one: healthy, no registry details (review item 3)', async () => {
    let asked = 0;
    const h = await checkHealth(manager({ state: 'running', groups: [] }, async () => {
      asked++;
      throw new Error('unreachable');
    }, false));
    assert.equal(asked, 0);
    assert.equal(h.healthy, true, h.error);
    assert.equal(h.details.registry, undefined);
  });
});
