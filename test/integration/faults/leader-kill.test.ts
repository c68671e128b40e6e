import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/client.js';
import type { KafkaConfigInput } from '../../../src/config/index.js';
import { GoCoffeeKafkaError } from '../../../src/errors/index.js';
import { newMessage, type DeliveryResult } from '../../../src/producer/index.js';
import { killBroker, leaderOf, startBroker, topicMetadata, waitForIsr } from '../../../scripts/stack-cluster.mjs';
import { uniqueName } from '../helpers.js';
import { assertNoProblems } from '../bad-input/util.js';
import { cleanUpEach, clusterConfig, codeOf, createClusterTopic, escapeGuard, parseValue, readTopic, tally, useCluster, valueOf } from './util.js';

/**
 * Issue 8 §1: SIGKILL the partition leader while publishing 200,000 keyed messages (RF 3,
 * min.insync.replicas 2, acks=all, idempotent producer). Every publish settles exactly once;
 * every acknowledged message is in the topic exactly once, at the acknowledged offset, in order
 * per key; every other one was rejected with a typed error; none is silently lost.
 */
describe('Broker fault: SIGKILL of the partition leader while publishing 200,000 keyed messages', function () {
  this.timeout(300_000);
  useCluster();

  const KEYS = 1000;
  const PARTITIONS = 6;
  let cm: ConnectionManager | undefined;
  let guard: ReturnType<typeof escapeGuard> | undefined;
  cleanUpEach(() => ({ guard, cm }));

  interface Scenario {
    readonly name: string;
    /** Messages to publish. */
    readonly n: number;
    readonly config: KafkaConfigInput;
    /** Assert exactly once, at the acknowledged offset, in key order (else only measured). */
    readonly exactlyOnce: boolean;
    readonly check?: (report: Record<string, unknown>) => void;
  }

  /**
   * Publishes `o.n` keyed messages (1000 keys, 6 partitions, 100-byte values naming their publish
   * index, key and per-key sequence number) with backpressure, SIGKILLs the leader of partition 0
   * once a quarter is published, waits until every publish settled, restarts the broker, reads the
   * topic back with a raw consumer and checks it against the outcomes.
   */
  let lastReport: Record<string, unknown> = {};

  async function scenario(o: Scenario): Promise<void> {
    const N = o.n;
    guard = escapeGuard();
    const topic = uniqueName(`faults-kill-${o.name}`);
    await createClusterTopic(topic, PARTITIONS);
    const victim = await leaderOf(topic, 0);
    const victimPartitions = (await topicMetadata(topic)).partitions.filter((p) => p.leader === victim).map((p) => p.partition);

    const producerErrors: Error[] = [];
    // A 20,000-message local queue: the publish loop really waits on needsDrain / drain().
    cm = new ConnectionManager(clusterConfig({ clientId: `faults-kill-${o.name}`, ...o.config, librdkafka: { 'queue.buffering.max.messages': 20_000 } }), {
      onError: (e) => producerErrors.push(e),
    });
    await cm.initialize();
    const producer = cm.producer;
    const engine = cm.producerEngine();

    // Settlement bookkeeping: 0 = pending, 1 = acked, 2 = failed; a second settlement is counted.
    const outcome = new Uint8Array(N);
    const ackPartition = new Int32Array(N).fill(-1);
    const ackOffset = new Float64Array(N).fill(-1);
    const ackTime = new Float64Array(N);
    let acked = 0;
    let failed = 0;
    let settledTwice = 0;
    const failures: unknown[] = [];
    const failedCode = new Array<string>(N);
    const seqOfKey = new Uint32Array(KEYS);

    let killedAt = 0;
    let killing: Promise<unknown> | undefined;
    let killedAfter = { published: 0, acked: 0 };
    let drains = 0;
    const t0 = performance.now();
    const timeline: string[] = [];
    const sampler = setInterval(() => {
      timeline.push(`${((performance.now() - t0) / 1000).toFixed(1)}s acked=${acked} failed=${failed} inflight=${engine.inflightCount} waiting=${engine.waitingCount}`);
    }, 1000);
    const settled: Array<Promise<void>> = new Array(N);
    for (let i = 0; i < N; i++) {
      const k = i % KEYS;
      const key = `k${k}`;
      const seq = seqOfKey[k]!++;
      settled[i] = producer.publish(newMessage(topic, valueOf(i, key, seq)).withKey(key)).then(
        (r: DeliveryResult) => {
          if (outcome[i] !== 0) settledTwice++;
          outcome[i] = 1;
          acked++;
          ackPartition[i] = r.partition;
          ackOffset[i] = r.offset;
          ackTime[i] = performance.now();
        },
        (e: unknown) => {
          if (outcome[i] !== 0) settledTwice++;
          outcome[i] = 2;
          failed++;
          failures.push(e);
          failedCode[i] = codeOf(e);
        },
      );
      if (producer.needsDrain) {
        drains++;
        await producer.drain();
      } else if (i % 100 === 99) {
        // A real publisher yields to the event loop now and then: node-rdkafka dispatches about
        // 100 delivery reports per event-loop turn, so a loop that never yields gets no acks.
        await new Promise((r) => setImmediate(r));
      }
      // Kill the leader once a quarter is published: the rest is published across the failure.
      if (killing === undefined && i + 1 >= N / 4) {
        killedAt = performance.now();
        killedAfter = { published: i + 1, acked };
        killing = killBroker(victim, 'SIGKILL');
      }
    }
    const publishedIn = performance.now() - t0;
    await Promise.all(settled);
    const settledIn = performance.now() - t0;
    clearInterval(sampler);
    if (process.env.GOCOFFEE_FAULTS_VERBOSE) console.log(`      [faults] killed at ${((killedAt - t0) / 1000).toFixed(1)}s\n        ${timeline.join('\n        ')}`);
    assert.ok(killing !== undefined, 'the leader was killed while publishing');
    await killing;

    // How long acknowledgements of the victim's partitions stopped: the largest gap in the
    // acknowledgement times of each partition after the kill.
    const lastAck = new Float64Array(PARTITIONS).fill(killedAt);
    const gap = new Float64Array(PARTITIONS);
    const order = Array.from({ length: N }, (_, i) => i).filter((i) => outcome[i] === 1 && ackTime[i]! >= killedAt);
    order.sort((a, b) => ackTime[a]! - ackTime[b]!);
    for (const i of order) {
      const p = ackPartition[i]!;
      gap[p] = Math.max(gap[p]!, ackTime[i]! - lastAck[p]!);
      lastAck[p] = ackTime[i]!;
    }
    const stallMs = Math.max(...victimPartitions.map((p) => gap[p]!));

    await cm.close();

    // Restart the broker with its data and wait until it is back in every ISR.
    const tr = performance.now();
    const restarted = await startBroker(victim);
    await waitForIsr(topic, { isr: 3, timeoutMs: 120_000 });
    const backInIsrMs = performance.now() - tr;

    // Read everything back with a raw consumer; each value names its publish index.
    const seen = new Uint8Array(N);
    let foreign = 0;
    let misplaced = 0;
    let orderViolations = 0;
    const lastSeq = new Map<string, number>();
    const t1 = performance.now();
    const perPartition = await readTopic(topic, PARTITIONS, (m) => {
      const v = parseValue(m.value);
      if (!(v.id >= 0 && v.id < N) || m.key?.toString() !== v.key) {
        foreign++;
        return;
      }
      if (seen[v.id]! < 255) seen[v.id]!++;
      if (outcome[v.id] === 1 && (ackPartition[v.id] !== m.partition || ackOffset[v.id] !== m.offset)) misplaced++;
      // Keys live on one partition and the reader delivers each partition in offset order.
      const last = lastSeq.get(v.key) ?? -1;
      if (v.seq <= last) orderViolations++;
      lastSeq.set(v.key, v.seq);
    });
    const readIn = performance.now() - t1;

    let ackedPresentOnce = 0;
    let ackedMissing = 0;
    let duplicates = 0;
    let failedButWritten = 0;
    const failedButWrittenByCode: Record<string, number> = {};
    for (let i = 0; i < N; i++) {
      if (seen[i]! > 1) duplicates += seen[i]! - 1;
      if (outcome[i] === 1) {
        if (seen[i] === 1) ackedPresentOnce++;
        else if (seen[i] === 0) ackedMissing++;
      } else if (outcome[i] === 2 && seen[i]! > 0) {
        failedButWritten++;
        failedButWrittenByCode[failedCode[i]!] = (failedButWrittenByCode[failedCode[i]!] ?? 0) + 1;
      }
    }
    const untypedFailures = failures.filter((e) => !(e instanceof GoCoffeeKafkaError));
    guard.dispose();
    const escaped = guard.escaped;

    const report = {
      messages: N,
      acked,
      failed,
      failuresByCode: tally(failures),
      settledTwice,
      pending: N - acked - failed,
      killedNode: victim,
      victimPartitions,
      killedAfter,
      drainsAwaited: drains,
      publishLoopSeconds: +(publishedIn / 1000).toFixed(1),
      allSettledSeconds: +(settledIn / 1000).toFixed(1),
      victimPartitionsAckStallSeconds: +(stallMs / 1000).toFixed(2),
      restartSeconds: +restarted.seconds.toFixed(1),
      backInIsrSeconds: +(backInIsrMs / 1000).toFixed(1),
      recordsInTopic: perPartition.reduce((a, b) => a + b, 0),
      readBackSeconds: +(readIn / 1000).toFixed(1),
      ackedPresentOnce,
      ackedMissing,
      duplicates,
      failedButWritten,
      failedButWrittenByCode,
      misplaced,
      orderViolations,
      foreign,
      producerErrorEvents: tally(producerErrors),
      producerErrorSamples: [...new Set(producerErrors.map((e) => e.message))].slice(0, 3),
      failureSamples: [...new Set(failures.map((e) => (e as Error).message))].slice(0, 3),
      escaped: escaped.length,
    };
    console.log(`      [faults] leader kill (${o.name}): ${JSON.stringify(report)}`);
    o.check?.(report);
    lastReport = report;

    assert.equal(settledTwice, 0, 'a publish settled twice');
    assert.equal(acked + failed, N, 'every publish settled: acked + failed = sent');
    assert.deepEqual(untypedFailures.map(codeOf), [], 'every failure is a typed GoCoffeeKafkaError');
    assert.equal(ackedMissing, 0, 'an acknowledged message is missing (silently lost)');
    assert.equal(foreign, 0);
    assert.deepEqual(escaped, [], 'nothing escaped as an unhandled rejection / uncaught exception');
    const failuresNotRetriable = failures.filter((e) => (e as GoCoffeeKafkaError).retriable !== true);
    assert.deepEqual(failuresNotRetriable.map(codeOf), [], 'every failure says it is retriable');
    if (o.exactlyOnce) {
      assert.equal(ackedPresentOnce, acked, 'every acknowledged message is present exactly once');
      assert.equal(duplicates, 0, 'duplicates in the topic');
      assert.equal(misplaced, 0, 'an acknowledged message is not at its acknowledged partition/offset');
      assert.equal(orderViolations, 0, 'per-key order violated');
    }
  }

  it('200,000 messages (library defaults): acknowledged = present exactly once and in key order; acked + failed = sent', async () => {
    await scenario({ name: 'defaults', n: Number(process.env.GOCOFFEE_FAULTS_MESSAGES || 200_000), config: {}, exactlyOnce: true });
  });

  it('delivery_timeout shorter than the fail-over: the publishes that fail are rejected with typed retriable errors; none is silently lost', async () => {
    // 2 s delivery timeout, 1 s request timeout, 50,000 messages: messages waiting for the dead
    // leader (fenced after ~6 s) time out; the library retries them retry_max times, then fails
    // them. Exactly-once is NOT asserted here (only measured, see the report): a delivery timeout
    // makes librdkafka's idempotence give up on in-flight messages, and the library's own produce
    // retries (src/producer/engine.ts #onFailure) re-send possibly persisted messages as new ones.
    await scenario({
      name: 'short-timeout',
      n: 50_000,
      config: { deliveryTimeoutMs: 2000, writeTimeoutMs: 1000, readTimeoutMs: 1000 },
      exactlyOnce: false,
      check: (r) => assert.ok((r['failed'] as number) > 0, 'expected some publishes to fail with a 2 s delivery timeout'),
    });
  });

  it('delivery_timeout shorter than the fail-over: a publish rejected as "queue stayed full" was never written', function () {
    // GCK_QUEUE_FULL_TIMEOUT says the message waited for room in the local queue and was given
    // up; a caller may safely publish it again. After a library retry of a timed-out (possibly
    // persisted) message it is reported that way although its first attempt is in the topic.
    const byCode = (lastReport['failedButWrittenByCode'] ?? {}) as Record<string, number>;
    const problems: string[] = [];
    if ((byCode['GCK_QUEUE_FULL_TIMEOUT'] ?? 0) > 0) problems.push(`${byCode['GCK_QUEUE_FULL_TIMEOUT']} publish(es) rejected with GCK_QUEUE_FULL_TIMEOUT are in the topic`);
    if (problems.length > 0 && (lastReport['duplicates'] as number) > 0) {
      problems.push(`(same run: ${lastReport['duplicates']} duplicate record(s), ${lastReport['misplaced']} acknowledged message(s) at another offset than acknowledged, ${lastReport['orderViolations']} per-key order violation(s))`);
    }
    assertNoProblems(problems, 'a publish rejected as GCK_QUEUE_FULL_TIMEOUT must never have been written');
  });
});
