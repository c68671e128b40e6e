import { setTimeout as delay } from 'node:timers/promises';
import type { DeadLetterWriter } from '../../../../src/consumer/dead-letter.js';
import { HandlerEntry } from '../../../../src/consumer/dispatch/handler-entry.js';
import { GroupConsumer } from '../../../../src/consumer/group/group-consumer.js';
import type { GroupHooks, GroupOptions } from '../../../../src/consumer/group/types.js';
import type { TaskResult } from '../../../../src/message/task.js';
import type { NativeConfig, NativeMessage } from '../../../../src/native/types.js';
import type { Executor } from '../../../../src/pool/executor.js';
import { ConsumerBinding, type FakeConsumer } from '../fake-consumer.js';

// A GroupConsumer over a fake native consumer and a manual executor, shared by the group tests
// (group-consumer, rebalance, offsets). Each test file stops what it started in its afterEach.

export interface Task {
  msgs: readonly NativeMessage[];
  resolve(r: TaskResult): void;
  done: boolean;
}

export class ManualExecutor implements Executor {
  readonly tasks: Task[] = [];
  queueSize = 0;
  utilization = 0;
  constructor(readonly capacity: number) {}
  run(msgs: readonly NativeMessage[]): Promise<TaskResult> {
    return new Promise((resolve) => this.tasks.push({ msgs, resolve, done: false }));
  }
  async close(): Promise<void> {}
  /** Completes the open tasks matching `pick`: all Ok, or every message failed permanently. */
  finish(pick: (t: Task) => boolean = () => true, permanentFailure = false): number {
    let n = 0;
    for (const t of this.tasks) {
      if (t.done || !pick(t)) continue;
      t.done = true;
      n++;
      if (!permanentFailure) t.resolve({ statuses: new Uint8Array(t.msgs.length), failures: [] });
      else t.resolve({ statuses: new Uint8Array(t.msgs.length).fill(1), failures: t.msgs.map((_, index) => ({ index, name: 'PermanentError', message: 'bad', retriable: false })) });
    }
    return n;
  }
  get open(): Task[] {
    return this.tasks.filter((t) => !t.done);
  }
}

export const OPTS: GroupOptions = {
  ordering: 'key',
  maxInFlightPerPartition: 1000,
  maxInFlight: 1000,
  fetchBatchSize: 100,
  fetchWaitMs: 5,
  taskBatchSize: 100,
  retryMax: 2,
  retryBackoffMs: 5,
  retryBackoffMaxMs: 10,
  revokeTimeoutMs: 2000,
  connectTimeoutMs: 1000,
};

export interface Extras {
  dlqFailures?: number;
  hooks?: GroupHooks;
  /** Builds the fake native consumer (a FakeConsumer subclass changes one behaviour). */
  fake?: (global: NativeConfig) => FakeConsumer;
  /** The dead-letter writer's write (default: fails `dlqFailures` times, then succeeds). */
  dlqWrite?: () => Promise<unknown>;
}

/** A group consumer over a fake native consumer, not started. */
export function build(opts: Partial<GroupOptions>, capacity: number, extras: Extras = {}) {
  const binding = new ConsumerBinding(extras.fake);
  const exec = new ManualExecutor(capacity);
  const entry = new HandlerEntry({ topics: ['t'], groupId: 'g', handle() {} }, exec);
  const errors: Error[] = [];
  let failures = extras.dlqFailures ?? 0;
  const write = extras.dlqWrite ?? (() => (failures-- > 0 ? Promise.reject(new Error('dlq down')) : Promise.resolve({})));
  const dlq = { write } as unknown as DeadLetterWriter;
  const g = new GroupConsumer(binding, { 'bootstrap.servers': 'fake:9092' }, {}, 'g', new Map([['t', entry]]), dlq, { ...OPTS, ...opts }, { onError: (e) => errors.push(e), ...extras.hooks });
  started.push(g);
  return { g, binding, exec, errors };
}

export async function setup(opts: Partial<GroupOptions>, capacity: number, dlqFailures = 0, hooks: GroupHooks = {}, extras: Extras = {}) {
  const { g, binding, exec, errors } = build(opts, capacity, { dlqFailures, hooks, ...extras });
  await g.start();
  const native = binding.consumers[0] as FakeConsumer;
  return { g, native, exec, errors };
}

export const until = async (cond: () => boolean, what: string, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await delay(2);
  }
};
export const openSum = (g: GroupConsumer) => g.partitionLoad.reduce((n, p) => n + p.open, 0);

export const started: GroupConsumer[] = [];
