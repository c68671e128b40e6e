import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/client.js';
import { GoCoffeeKafkaError } from '../../../src/errors/index.js';
import { newMessage, type DeliveryResult } from '../../../src/producer/index.js';
import { killBroker, leaderOf, startBroker, topicMetadata, waitForIsr } from '../../../scripts/stack-cluster.mjs';
import { uniqueName } from '../helpers.js';
import { cleanUpEach, clusterConfig, codeOf, createClusterTopic, escapeGuard, parseValue, readTopic, sleep, tally, useCluster, valueOf } from './util.js';

/**
 * Issue 8 §1: SIGSTOP a broker (the leader of partition 0) for longer than the request timeout
 * (write_timeout = read_timeout = 3 s, frozen for 8 s), then SIGCONT. The frozen broker keeps its
 * sockets open but answers nothing, so requests to it hang until they time out and the cluster
 * fences it (~6 s). Publishers see backpressure (needsDrain with a small local queue, in-flight
 * growing, publishes waiting) or typed retriable errors — no crash, no unhandled rejection — and
 * recover: after SIGCONT every publish succeeds again, on every partition.
 */
describe('Broker fault: SIGSTOP a broker longer than the request timeout, then SIGCONT', function () {
  this.timeout(300_000);
  useCluster();

  let cm: ConnectionManager | undefined;
  let guard: ReturnType<typeof escapeGuard> | undefined;
  cleanUpEach(() => ({ guard, cm }));

  it('publishers see backpressure or typed retriable errors, not a crash, and recover after SIGCONT', async () => {
    guard = escapeGuard();
    const PARTITIONS = 6;
    const KEYS = 300;
    const RATE = 2000; // messages per second
    const FROZEN_MS = 8000;
    const topic = uniqueName('faults-freeze');
    await createClusterTopic(topic, PARTITIONS);
    const victim = await leaderOf(topic, 0);
    const victimPartitions = (await topicMetadata(topic)).partitions.filter((p) => p.leader === victim).map((p) => p.partition);

    const producerErrors: Error[] = [];
    cm = new ConnectionManager(
      clusterConfig({
        clientId: 'faults-freeze',
        writeTimeoutMs: 3000,
        readTimeoutMs: 3000,
        connectTimeoutMs: 3000,
        deliveryTimeoutMs: 30_000,
        // A small local queue (about 2.5 s of this publisher's traffic): a frozen leader fills it.
        librdkafka: { 'queue.buffering.max.messages': 5000 },
      }),
      { onError: (e) => producerErrors.push(e) },
    );
    await cm.initialize();
    const producer = cm.producer;
    const engine = cm.producerEngine();

    const MAX = RATE * 60;
    const outcome = new Uint8Array(MAX); // 1 acked, 2 failed
    const sentAt = new Float64Array(MAX);
    const settledAt = new Float64Array(MAX);
    const partitionOf = new Int8Array(MAX).fill(-1);
    const failures: unknown[] = [];
    const pending: Array<Promise<void>> = [];
    const seq = new Uint32Array(KEYS);
    let sent = 0;
    let acked = 0;
    let phase: 'before' | 'frozen' | 'after' = 'before';
    const needsDrainSeen = { before: 0, frozen: 0, after: 0 };
    let drainWaitMs = 0;
    let maxInflight = 0;
    let maxWaiting = 0;

    const t0 = performance.now();
    let publishing = true;
    const publisher = (async () => {
      const slice = Math.round(RATE / 20);
      while (publishing && sent + slice <= MAX) {
        const t = performance.now();
        for (let j = 0; j < slice; j++) {
          const id = sent++;
          const k = id % KEYS;
          const key = `k${k}`;
          sentAt[id] = performance.now();
          pending.push(
            producer.publish(newMessage(topic, valueOf(id, key, seq[k]!++)).withKey(key)).then(
              (r: DeliveryResult) => {
                outcome[id] = 1;
                acked++;
                partitionOf[id] = r.partition;
                settledAt[id] = performance.now();
              },
              (e: unknown) => {
                outcome[id] = 2;
                failures.push(e);
                settledAt[id] = performance.now();
              },
            ),
          );
        }
        maxInflight = Math.max(maxInflight, engine.inflightCount);
        maxWaiting = Math.max(maxWaiting, engine.waitingCount);
        if (producer.needsDrain) {
          needsDrainSeen[phase]++;
          const w = performance.now();
          await producer.drain();
          drainWaitMs += performance.now() - w;
        }
        await sleep(Math.max(0, 50 - (performance.now() - t)));
      }
    })();
    const sampler = setInterval(() => {
      maxInflight = Math.max(maxInflight, engine.inflightCount);
      maxWaiting = Math.max(maxWaiting, engine.waitingCount);
    }, 50);

    await sleep(4000);
    const beforeFreeze = { sent, acked };
    phase = 'frozen';
    const frozenAt = performance.now();
    await killBroker(victim, 'SIGSTOP');
    await sleep(FROZEN_MS);
    const duringFreeze = { sent: sent - beforeFreeze.sent, acked: acked - beforeFreeze.acked, maxInflight, maxWaiting };
    await killBroker(victim, 'SIGCONT');
    const continuedAt = performance.now();
    phase = 'after';
    maxInflight = 0;
    maxWaiting = 0;
    const sentAtCont = sent;
    // Recovery: the frozen broker rejoins (unfenced, back in every ISR).
    const rejoined = await startBroker(victim); // already running: waits until it is registered again
    await waitForIsr(topic, { isr: 3, timeoutMs: 120_000 });
    const backInIsrMs = performance.now() - continuedAt;
    await sleep(3000);
    publishing = false;
    await publisher;
    await Promise.all(pending);
    clearInterval(sampler);
    const totalMs = performance.now() - t0;

    // Recovery of the publishers: publishes made after SIGCONT all succeed, on every partition.
    const afterIds: number[] = [];
    for (let i = sentAtCont; i < sent; i++) afterIds.push(i);
    const afterFailed = afterIds.filter((i) => outcome[i] !== 1);
    const afterPartitions = new Set(afterIds.filter((i) => outcome[i] === 1).map((i) => partitionOf[i]!));
    // Latency of the publishes made while the broker was frozen.
    const frozenLatencies: number[] = [];
    for (let i = beforeFreeze.sent; i < sentAtCont; i++) if (outcome[i] === 1) frozenLatencies.push(settledAt[i]! - sentAt[i]!);
    frozenLatencies.sort((a, b) => a - b);
    // First acknowledgement of a victim partition after the freeze (the fail-over time).
    let firstVictimAck = Infinity;
    for (let i = 0; i < sent; i++) {
      if (outcome[i] === 1 && settledAt[i]! > frozenAt && victimPartitions.includes(partitionOf[i]!) && sentAt[i]! >= frozenAt) firstVictimAck = Math.min(firstVictimAck, settledAt[i]!);
    }

    // Nothing acknowledged is lost or duplicated.
    const seen = new Uint8Array(sent);
    await readTopic(topic, PARTITIONS, (m) => {
      const { id } = parseValue(m.value);
      if (id < sent && seen[id]! < 255) seen[id]!++;
    });
    let ackedMissing = 0;
    let duplicates = 0;
    for (let i = 0; i < sent; i++) {
      if (outcome[i] === 1 && seen[i] === 0) ackedMissing++;
      if (seen[i]! > 1) duplicates += seen[i]! - 1;
    }
    guard.dispose();

    const report = {
      sent,
      acked,
      failed: failures.length,
      failuresByCode: tally(failures),
      frozenNode: victim,
      victimPartitions,
      frozenSeconds: +((continuedAt - frozenAt) / 1000).toFixed(1),
      beforeFreeze,
      duringFreeze,
      needsDrainSeen,
      drainWaitSeconds: +(drainWaitMs / 1000).toFixed(1),
      frozenPublishLatencyMs: {
        p50: Math.round(frozenLatencies[Math.floor(frozenLatencies.length * 0.5)] ?? 0),
        p99: Math.round(frozenLatencies[Math.floor(frozenLatencies.length * 0.99)] ?? 0),
        max: Math.round(frozenLatencies[frozenLatencies.length - 1] ?? 0),
      },
      victimPartitionsFailoverSeconds: +((firstVictimAck - frozenAt) / 1000).toFixed(1),
      rejoinSeconds: +rejoined.seconds.toFixed(1),
      backInIsrSecondsAfterSigcont: +(backInIsrMs / 1000).toFixed(1),
      publishedAfterSigcont: afterIds.length,
      failedAfterSigcont: afterFailed.length,
      partitionsAckedAfterSigcont: afterPartitions.size,
      ackedMissing,
      duplicates,
      producerErrorEvents: tally(producerErrors),
      totalSeconds: +(totalMs / 1000).toFixed(1),
      escaped: guard.escaped.length,
    };
    console.log(`      [faults] broker freeze: ${JSON.stringify(report)}`);

    // Backpressure or typed retriable errors while frozen.
    const sawBackpressure = needsDrainSeen.frozen > 0 || duringFreeze.maxWaiting > 0 || duringFreeze.maxInflight > RATE;
    assert.ok(sawBackpressure || failures.length > 0, 'publishers saw backpressure or errors while the broker was frozen');
    assert.deepEqual(failures.filter((e) => !(e instanceof GoCoffeeKafkaError && e.retriable)).map(codeOf), [], 'every failure is a typed retriable error');
    // Recovery.
    assert.equal(afterFailed.length, 0, 'every publish after SIGCONT succeeded');
    assert.equal(afterPartitions.size, PARTITIONS, 'publishes after SIGCONT reached every partition');
    assert.equal(ackedMissing, 0, 'an acknowledged message is missing');
    assert.deepEqual(guard.escaped, [], 'nothing escaped as an unhandled rejection / uncaught exception');
  });
});
