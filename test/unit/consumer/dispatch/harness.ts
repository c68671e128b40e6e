import { Dispatcher } from '../../../../src/consumer/dispatch/dispatcher.js';
import type { DispatcherEvents } from '../../../../src/consumer/dispatch/types.js';
import type { DeadLetterInfo } from '../../../../src/consumer/dead-letter.js';
import { HandlerEntry } from '../../../../src/consumer/dispatch/handler-entry.js';
import type { Pending } from '../../../../src/consumer/dispatch/pending.js';
import { PartitionState } from '../../../../src/consumer/group/partition-state.js';
import type { OrderingMode } from '../../../../src/consumer/types.js';
import { Status, type TaskFailure, type TaskResult } from '../../../../src/message/task.js';
import type { NativeMessage } from '../../../../src/native/types.js';
import type { Executor } from '../../../../src/pool/executor.js';
import type { DeliveryResult } from '../../../../src/delivery/engine.js';
import type { ConsumerObserver } from '../../../../src/consumer/observer.js';

// A Dispatcher over a fake executor and a fake dead-letter writer, shared by the dispatch tests
// (dispatcher, settle, retry).

/** One task handed to the fake executor; the test decides how it ends. */
export interface Task {
  msgs: readonly NativeMessage[];
  lanes: readonly number[];
  attempts: readonly number[];
  resolve(r: TaskResult): void;
  reject(e: unknown): void;
}

export class FakeExecutor implements Executor {
  readonly tasks: Task[] = [];
  queueSize = 0;
  utilization = 0;
  throwNext: Error | undefined;
  constructor(readonly capacity: number) {}
  run(msgs: readonly NativeMessage[], lanes: readonly number[], attempts: readonly number[]): Promise<TaskResult> {
    if (this.throwNext) {
      const e = this.throwNext;
      this.throwNext = undefined;
      throw e;
    }
    return new Promise((resolve, reject) => this.tasks.push({ msgs, lanes, attempts, resolve, reject }));
  }
  async close(): Promise<void> {}
}

export const msg = (offset: number, key: string | null, partition = 0): NativeMessage => ({ topic: 't', partition, offset, key, value: Buffer.from(`${key}@${offset}`), size: 0 });
export const label = (m: NativeMessage) => `${m.key}@${m.offset}`;
export const labels = (t: Task) => t.msgs.map(label);

export const settle = () => new Promise<void>((r) => setImmediate(r));

/** Ends a task: `outcome(label)` gives each message's status (default Ok). */
export async function finish(t: Task, outcome: (l: string) => Status | TaskFailure = () => Status.Ok): Promise<void> {
  const statuses = new Uint8Array(t.msgs.length);
  const failures: TaskFailure[] = [];
  t.msgs.forEach((m, i) => {
    const o = outcome(label(m));
    if (typeof o === 'object') {
      statuses[i] = Status.Failed;
      failures.push({ ...o, index: i });
    } else {
      statuses[i] = o;
      if (o === Status.Failed) failures.push({ index: i, name: 'Error', message: `failed ${label(m)}`, retriable: true });
    }
  });
  t.resolve({ statuses, failures });
  await settle();
}

export class FakeDlq {
  readonly written: Array<{ msg: NativeMessage; info: DeadLetterInfo }> = [];
  failNext = 0;
  write(msg: NativeMessage, info: DeadLetterInfo): Promise<DeliveryResult> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('dlq down'));
    }
    this.written.push({ msg, info });
    return Promise.resolve({} as DeliveryResult);
  }
  /** The full copy again, alone (after a too-large refusal): recorded as such. */
  readonly alone: NativeMessage[] = [];
  writeAlone(msg: NativeMessage, info: DeadLetterInfo): Promise<DeliveryResult> {
    this.alone.push(msg);
    return this.write(msg, info);
  }
}

export function setup(opts: { ordering?: OrderingMode; capacity?: number; batch?: number; retryMax?: number; partitions?: number; backoffMs?: number; observer?: ConsumerObserver } = {}) {
  const exec = new FakeExecutor(opts.capacity ?? 4);
  const entry = new HandlerEntry({ topics: ['t'], groupId: 'g', handle() {} }, exec);
  const parts = Array.from({ length: opts.partitions ?? 1 }, (_, i) => new PartitionState('t', i, entry));
  const log: string[] = [];
  const taskErrors: Error[] = [];
  const released = new Map<PartitionState, number>();
  const events: DispatcherEvents = {
    progressed: (ps) => log.push(`progressed ${ps.partition} ${ps.tracker.watermark}`),
    released: (ps, n) => released.set(ps, (released.get(ps) ?? 0) + n),
    dlqFailing: (ps) => log.push(`dlqFailing ${ps.partition}`),
    dlqRecovered: (ps) => log.push(`dlqRecovered ${ps.partition}`),
    retried: (_ps, p: Pending) => log.push(`retried ${label(p.msg)} after attempt ${p.attempts}`),
    deadLettered: (_ps, p: Pending) => log.push(`deadLettered ${label(p.msg)}`),
    taskError: (e) => {
      taskErrors.push(e);
      log.push(`taskError ${e.name}: ${e.message}`);
    },
  };
  const dlq = new FakeDlq();
  const d = new Dispatcher(
    { ordering: opts.ordering ?? 'key', taskBatchSize: opts.batch ?? 100, retryMax: opts.retryMax ?? 2, retryBackoffMs: opts.backoffMs ?? 2, retryBackoffMaxMs: 2 * (opts.backoffMs ?? 2) },
    events,
    dlq,
    opts.observer,
  );
  const feed = (list: NativeMessage[]) => {
    for (const m of list) d.ingest(parts[m.partition]!, m);
    d.dispatch(entry);
  };
  return { exec, entry, ps: parts[0]!, parts, d, log, released, dlq, feed, taskErrors };
}
