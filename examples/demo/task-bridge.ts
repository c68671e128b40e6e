/**
 * The task manager's main-thread half: receives the TaskCreated events its worker threads derived
 * (task-worker.ts), publishes them with the producer's callback API (send(): no promise per
 * message) and answers each batch once every event in it was acknowledged or failed. The worker's
 * task completes only after that answer, so the amount waiting here is bounded by workers ×
 * taskBatchSize, and the producer's own backpressure (its in-flight window) applies to it.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { newMessage, type DeliveryResult, type Producer } from '@gocoffee/kafka';
import { OffsetLedger } from './ledger.js';
import { Latency } from './stats.js';
import { toMainChannel, toWorkersChannel, type BatchOutcome, type TaskBatch } from './protocol.js';

export class TaskBridge {
  /** BeverageCreated events of this run whose TaskCreated was acknowledged (the task manager's "handled"). */
  handled = 0;
  /** Events on the topic that were not this run's (skipped). */
  foreign = 0;
  /** TaskCreated publishes that failed (their BeverageCreated is retried). */
  failed = 0;
  /** Batches handed over and not yet answered. */
  pendingBatches = 0;
  /** Batches handed over so far. */
  batches = 0;
  readonly probesSeen = new Set<number>();
  /** Acknowledged TaskCreated offsets: the notifier's accounting. */
  readonly ledger = new OffsetLedger();
  /** BeverageCreated.created_at → handled in a worker. */
  readonly latency = new Latency();
  readonly errors: string[] = [];
  readonly #in: BroadcastChannel;
  readonly #out: BroadcastChannel;
  readonly #producer: Producer;
  readonly #topic: string;
  #idle: Array<() => void> = [];

  constructor(runId: string, producer: Producer, taskTopic: string) {
    this.#producer = producer;
    this.#topic = taskTopic;
    this.#in = new BroadcastChannel(toMainChannel(runId));
    this.#out = new BroadcastChannel(toWorkersChannel(runId));
    this.#in.onmessage = (ev: unknown) => {
      const b = (ev as { data: TaskBatch }).data;
      if (b?.kind === 'batch') this.#publish(b);
    };
  }

  get tasksCreated(): number {
    return this.ledger.acked;
  }

  #publish(b: TaskBatch): void {
    this.batches++;
    this.pendingBatches++;
    this.foreign += b.foreign;
    for (const p of b.probes) this.probesSeen.add(p);
    const n = b.keys.length;
    let open = n;
    let failed = 0;
    let firstError: string | undefined;
    const done = (): void => {
      const outcome: BatchOutcome = { kind: 'outcome', worker: b.worker, seq: b.seq, failed, ...(firstError !== undefined ? { error: firstError } : {}) };
      if (failed === 0) {
        // Counted only now: a failed batch is handled again (and counted then).
        this.handled += b.handled;
        this.latency.addSparse(b.latency);
      }
      this.#out.postMessage(outcome);
      this.pendingBatches--;
      if (this.pendingBatches === 0) for (const w of this.#idle.splice(0)) w();
    };
    if (n === 0) return done();
    const values = Buffer.from(b.values.buffer, b.values.byteOffset, b.values.byteLength);
    const settle = (err: Error | null, r?: DeliveryResult): void => {
      if (err !== null || r === undefined) {
        failed++;
        this.failed++;
        firstError ??= err?.message ?? 'no delivery result';
        if (this.errors.length < 5) this.errors.push(`TaskCreated: ${firstError}`);
      } else this.ledger.ack(r.partition, r.offset);
      if (--open === 0) done();
    };
    let o = 0;
    for (let i = 0; i < n; i++) {
      const len = b.lengths[i]!;
      const value = values.subarray(o, o + len);
      o += len;
      try {
        this.#producer.send(newMessage(this.#topic, value).withKey(b.keys[i]!).withHeader('event_type', 'task.created'), settle);
      } catch (e) {
        settle(e as Error); // e.g. the producer is closing
      }
    }
  }

  /** Resolves once every batch handed over so far has been answered. */
  idle(): Promise<void> {
    if (this.pendingBatches === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.#in.close();
    this.#out.close();
  }
}
