import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/client.js';
import { Consumer, type ConsumedMessage } from '../../../src/consumer/index.js';
import { GoCoffeeKafkaError } from '../../../src/errors/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { coordinatorOf, killBroker, startBroker, topicMetadata, waitForIsr } from '../../../scripts/stack-cluster.mjs';
import { uniqueName } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';
import { cleanUpEach, clusterConfig, codeOf, createClusterTopic, escapeGuard, parseValue, sleep, tally, useCluster, valueOf } from './util.js';

/**
 * Issue 8 §1: the library's Consumer (in-process handler) keeps consuming across a broker kill
 * and restart with no loss. Messages are published at a steady rate the whole time; the broker
 * that coordinates the consumer group (and leads a third of the partitions) is SIGKILLed, then
 * restarted with its data. Every acknowledged message must be handled at least once; duplicates
 * (re-deliveries after the fail-over) are counted and reported.
 */
describe('Broker fault: a consumer keeps consuming across a broker kill and restart', function () {
  this.timeout(300_000);
  useCluster();

  let cm: ConnectionManager | undefined;
  let consumer: Consumer | undefined;
  let guard: ReturnType<typeof escapeGuard> | undefined;
  cleanUpEach(() => ({ guard, consumer, cm }));

  it('every acknowledged message is handled at least once; duplicates counted', async () => {
    guard = escapeGuard();
    const PARTITIONS = 6;
    const KEYS = 200;
    const RATE = 3000; // messages per second
    const BEFORE_MS = 6000; // publishing before the kill
    const DOWN_MS = 12_000; // broker down
    const AFTER_MS = 8000; // publishing after the restart
    const topic = uniqueName('faults-consume');
    const group = uniqueName('faults-g');
    await createClusterTopic(topic, PARTITIONS);

    const errors: Error[] = [];
    cm = new ConnectionManager(clusterConfig({ clientId: 'faults-consume', groupId: group }), { onError: (e) => errors.push(e) });
    await cm.initialize();
    const producer = cm.producer;

    // Handler: counts each message id (the value's first field).
    const MAX = RATE * ((BEFORE_MS + DOWN_MS + AFTER_MS) / 1000 + 20);
    const handled = new Uint16Array(MAX);
    let handledTotal = 0;
    const consumerErrors: Error[] = [];
    consumer = new Consumer(cm, { ordering: 'key', commitIntervalMs: 500 }, { onError: (e) => consumerErrors.push(e) });
    consumer.registerHandler({
      topics: [topic],
      groupId: group,
      handle(m: ConsumedMessage) {
        const { id } = parseValue(m.value);
        handled[id]!++;
        handledTotal++;
      },
    });
    await consumer.start();
    await waitUntil(
      () => (consumer!.stats()[0]?.assigned ?? 0) === PARTITIONS,
      60_000,
      () => `assignment: ${JSON.stringify(consumer!.stats())}; consumer errors: ${consumerErrors.map((e) => e.message).join(' | ')}`,
    );

    // Steady publisher: RATE messages per second in 50 ms slices until stopped.
    const outcome = new Uint8Array(MAX); // 1 acked, 2 failed
    const failures: unknown[] = [];
    const pending: Array<Promise<void>> = [];
    let sent = 0;
    let publishing = true;
    const seq = new Uint32Array(KEYS);
    const publisher = (async () => {
      const slice = Math.round(RATE / 20);
      while (publishing && sent + slice <= MAX) {
        const t = performance.now();
        for (let j = 0; j < slice; j++) {
          const id = sent++;
          const k = id % KEYS;
          const key = `k${k}`;
          pending.push(
            producer.publish(newMessage(topic, valueOf(id, key, seq[k]!++)).withKey(key)).then(
              () => {
                outcome[id] = 1;
                ackedCount++;
              },
              (e: unknown) => {
                outcome[id] = 2;
                failures.push(e);
              },
            ),
          );
        }
        if (producer.needsDrain) await producer.drain();
        await sleep(Math.max(0, 50 - (performance.now() - t)));
      }
    })();

    const t0 = performance.now();
    // Progress every 250 ms: the longest stretch without a handled message is the consumer's stall.
    let ackedCount = 0;
    let lastProgress = { t: t0, handled: 0 };
    let longestStallMs = 0;
    const timeline: string[] = [];
    let tick = 0;
    const sampler = setInterval(() => {
      const now = performance.now();
      if (handledTotal > lastProgress.handled) lastProgress = { t: now, handled: handledTotal };
      else longestStallMs = Math.max(longestStallMs, now - lastProgress.t);
      if (tick++ % 4 === 0) timeline.push(`${((now - t0) / 1000).toFixed(1)}s sent=${sent} acked=${ackedCount} handled=${handledTotal}`);
    }, 250);
    await sleep(BEFORE_MS);
    const victim = await coordinatorOf(group);
    assert.ok(victim > 0, 'the group has a coordinator');
    const victimPartitions = (await topicMetadata(topic)).partitions.filter((p) => p.leader === victim).map((p) => p.partition);
    const atKill = { sent, handled: handledTotal };
    await killBroker(victim, 'SIGKILL');
    const killedAt = performance.now();

    // While the broker is down, the partitions led by the other brokers keep being consumed.
    await sleep(DOWN_MS / 2);
    const midOutage = handledTotal;
    await sleep(DOWN_MS / 2);
    const beforeRestart = { sent, handled: handledTotal };
    const restarted = await startBroker(victim);
    const restartedAt = performance.now();
    await sleep(AFTER_MS);
    publishing = false;
    await publisher;
    await Promise.all(pending);
    const publishedAll = performance.now();

    // Every acknowledged message is handled (at least once).
    const ackedIds: number[] = [];
    for (let i = 0; i < sent; i++) if (outcome[i] === 1) ackedIds.push(i);
    let missing = ackedIds.length;
    await waitUntil(
      () => {
        missing = 0;
        for (const i of ackedIds) if (handled[i] === 0) missing++;
        return missing === 0;
      },
      120_000,
      () => `${missing} acknowledged message(s) not handled; stats ${JSON.stringify(consumer!.stats())}`,
    );
    const caughtUpAt = performance.now();
    clearInterval(sampler);
    if (process.env.GOCOFFEE_FAULTS_VERBOSE) console.log(`        ${timeline.join('\n        ')}`);
    const stats = consumer.stats()[0]!;
    await consumer.stop();
    await waitForIsr(topic, { isr: 3, timeoutMs: 120_000 });

    let duplicates = 0;
    let handledOnce = 0;
    let failedButHandled = 0;
    for (let i = 0; i < sent; i++) {
      if (handled[i]! > 1) duplicates += handled[i]! - 1;
      if (outcome[i] === 1 && handled[i] === 1) handledOnce++;
      if (outcome[i] === 2 && handled[i]! > 0) failedButHandled++;
    }
    guard.dispose();
    const report = {
      sent,
      acked: ackedIds.length,
      failed: failures.length,
      failuresByCode: tally(failures),
      killedNode: victim,
      victimWasCoordinator: true,
      victimPartitions,
      atKill,
      handledWhileDown: beforeRestart.handled - atKill.handled,
      handledInFirstHalfOfOutage: midOutage - atKill.handled,
      longestHandlingStallSeconds: +(longestStallMs / 1000).toFixed(2),
      downSeconds: +((restartedAt - killedAt) / 1000).toFixed(1),
      restartSeconds: +restarted.seconds.toFixed(1),
      caughtUpSecondsAfterLastPublish: +((caughtUpAt - publishedAll) / 1000).toFixed(1),
      totalSeconds: +((caughtUpAt - t0) / 1000).toFixed(1),
      handledTotal,
      handledOnce,
      duplicates,
      failedButHandled,
      consumerStats: stats,
      consumerErrors: tally(consumerErrors),
      producerErrors: tally(errors),
      escaped: guard.escaped.length,
    };
    console.log(`      [faults] consumer across kill: ${JSON.stringify(report)}`);

    assert.equal(missing, 0, 'no acknowledged message is lost');
    assert.ok(handledOnce + duplicates >= ackedIds.length);
    assert.ok(report.handledWhileDown > 0, 'consumption continued while the broker was down');
    assert.deepEqual(failures.filter((e) => !(e instanceof GoCoffeeKafkaError)).map(codeOf), [], 'publish failures are typed');
    assert.equal(stats.deadLettered, 0);
    assert.deepEqual(guard.escaped, [], 'nothing escaped as an unhandled rejection / uncaught exception');
  });
});
