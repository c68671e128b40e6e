/**
 * The task manager agent's handler module: it runs in the consumer's piscina worker threads
 * (`workerModule`), one task (a batch of BeverageCreated messages) at a time per thread.
 *
 * handle(message) does the CPU work off the main thread: it decodes the Avro BeverageCreated,
 * plans a TaskCreated for it and encodes that (Avro, Confluent wire format). It does not publish:
 * node-rdkafka's producer lives on the main thread (one producer per process), so the encoded
 * events are buffered and flush() — which the pool runs once after each task — hands them to the
 * main thread (task-bridge.ts) and waits until the broker acknowledged every one of them. Only
 * then do the task's BeverageCreated messages count as done and become committable: a crash can
 * duplicate a TaskCreated (at least once; the task id is derived from the beverage id, so a
 * duplicate is recognisable), never lose one. Waiting once per task instead of once per message is
 * what keeps this fast.
 */
import { createHash } from 'node:crypto';
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { EventSerde, SchemaRegistry, loadConfig, topicName, type BeverageCreated, type ConsumedMessage, type TaskCreatedInput } from '@gocoffee/kafka';
import { Histogram } from './stats.js';
import { META_BEVERAGE, META_PROBE, META_RUN, RUN_ID_ENV, TASK_MANAGER, toMainChannel, toWorkersChannel, type BatchOutcome, type TaskBatch } from './protocol.js';

const runId = process.env[RUN_ID_ENV] ?? '';
const config = loadConfig(); // the same GOCOFFEE_KAFKA_* environment as the main thread
const registry = new SchemaRegistry({
  url: config.schemaRegistryUrl ?? '',
  username: config.schemaRegistryUsername,
  password: config.schemaRegistryPassword,
  timeoutMs: config.readTimeoutMs,
});
const serde = new EventSerde({ registry, strategy: 'topic' });
const taskTopic = topicName(config, 'taskCreated');
type Encoder = Awaited<ReturnType<EventSerde['encoder']>>;
let encoder: Encoder | undefined;

/** No answer from the main thread within this long fails the task (it is retried). */
const OUTCOME_TIMEOUT_MS = 150_000;

const toMain = new BroadcastChannel(toMainChannel(runId));
const fromMain = new BroadcastChannel(toWorkersChannel(runId));
toMain.unref();
fromMain.unref();
const waiting = new Map<number, (o: BatchOutcome) => void>();
fromMain.onmessage = (ev: unknown) => {
  const o = (ev as { data: BatchOutcome }).data;
  if (o.kind === 'outcome' && o.worker === threadId) waiting.get(o.seq)?.(o);
};

// What the current task produced so far (one task at a time per worker thread).
let keys: string[] = [];
let values: Buffer[] = [];
let handled = 0;
let foreign = 0;
const probes = new Set<number>();
const latency = new Histogram();
let seq = 0;

const PRIORITY_BY_INGREDIENTS = ['low', 'low', 'medium', 'medium', 'high', 'urgent'];

/** A stable task id for a beverage: a redelivered BeverageCreated yields the same task id. */
function taskIdFor(beverageId: string): string {
  const h = createHash('sha1').update('prepare:').update(beverageId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The "planning": who prepares the beverage, how urgent it is, what the barista needs. */
function planTask(b: BeverageCreated): TaskCreatedInput {
  const steps = b.ingredients.map((i, n) => `${n + 1}. ${i.quantity} ${i.name} (${i.type})`).join('; ');
  return {
    task_id: taskIdFor(b.beverage_id),
    title: `Prepare a test batch of ${b.name}`,
    description: `Theme "${b.theme}". Recipe: ${steps}.`,
    assignee_id: `barista-${b.beverage_id.charCodeAt(0) % 4}`,
    project_id: `menu-${b.theme.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    priority: PRIORITY_BY_INGREDIENTS[Math.min(b.ingredients.length, PRIORITY_BY_INGREDIENTS.length - 1)]!,
    status: 'open',
    created_by: TASK_MANAGER,
    created_at: new Date(),
    metadata: { [META_RUN]: runId, [META_BEVERAGE]: b.beverage_id },
  };
}

export default async function handle(message: ConsumedMessage): Promise<void> {
  const decoded = await serde.decode(message, 'BeverageCreated'); // DecodeError & co: dead-lettered at once
  const beverage = decoded.value as BeverageCreated;
  const meta = beverage.metadata;
  if (meta[META_RUN] !== runId) {
    foreign++; // another producer's, or an earlier run's: not this run's work
    return;
  }
  if (meta[META_PROBE] !== undefined) {
    probes.add(message.partition);
    return;
  }
  encoder ??= await serde.encoder(taskTopic, 'TaskCreated');
  const task = planTask(beverage);
  values.push(encoder.encode(task));
  keys.push(task.task_id);
  handled++;
  latency.record(Date.now() - beverage.created_at.getTime());
}

/**
 * Runs after each task (see the MessageHandler docs): hands the task's TaskCreated events to the
 * main thread and resolves once all were acknowledged; rejects otherwise (the task's messages are
 * then retried).
 */
export async function flush(): Promise<void> {
  if (keys.length === 0 && foreign === 0 && probes.size === 0) return;
  let size = 0;
  for (const v of values) size += v.length;
  const packed = new Uint8Array(size);
  let o = 0;
  for (const v of values) {
    packed.set(v, o);
    o += v.length;
  }
  const batch: TaskBatch = {
    kind: 'batch',
    worker: threadId,
    seq: ++seq,
    keys,
    values: packed,
    lengths: values.map((v) => v.length),
    handled,
    foreign,
    probes: [...probes],
    latency: latency.toSparse(),
  };
  keys = [];
  values = [];
  handled = 0;
  foreign = 0;
  probes.clear();
  latency.reset();
  const outcome = await new Promise<BatchOutcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(batch.seq);
      reject(new Error(`no outcome from the main thread for ${batch.keys.length} TaskCreated events within ${OUTCOME_TIMEOUT_MS / 1000} s`));
    }, OUTCOME_TIMEOUT_MS);
    waiting.set(batch.seq, (o) => {
      clearTimeout(timer);
      waiting.delete(batch.seq);
      resolve(o);
    });
    toMain.postMessage(batch);
  });
  if (outcome.failed > 0) throw new Error(`${outcome.failed} of ${batch.keys.length} TaskCreated events were not acknowledged: ${outcome.error ?? 'unknown error'}`);
}
