import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ConsumedMessage } from '../consumer/message.js';
import type { TaskResult } from '../consumer/types.js';
import type { NativeMessage } from '../native/types.js';
import { packMessages } from './codec.js';
import { runTask, type HandleFn } from './run-task.js';

/** Runs tasks (batches of messages) for one handler. */
export interface Executor {
  /** Tasks that may run at once before the dispatcher holds back. */
  readonly capacity: number;
  run(messages: readonly NativeMessage[], lanes: readonly number[], attempts: readonly number[]): Promise<TaskResult>;
  /** Tasks waiting for a worker (0 in-process). */
  readonly queueSize: number;
  /** Share of worker time spent running tasks, 0..1 (in-process: running / capacity). */
  readonly utilization: number;
  close(): Promise<void>;
}

export class InProcessExecutor implements Executor {
  readonly capacity: number;
  #running = 0;
  constructor(
    readonly handle: HandleFn,
    concurrency: number,
  ) {
    this.capacity = concurrency;
  }
  get queueSize(): number {
    return 0;
  }
  get utilization(): number {
    return this.#running / this.capacity;
  }
  async run(messages: readonly NativeMessage[], lanes: readonly number[], attempts: readonly number[]): Promise<TaskResult> {
    this.#running++;
    try {
      return await runTask(this.handle, messages.map((m, i) => new ConsumedMessage(m, attempts[i])), lanes);
    } finally {
      this.#running--;
    }
  }
  async close(): Promise<void> {}
}

function workerFile(): string {
  // Compiled: dist/pool/worker.js. From source (tsx, tests): src/pool/worker.ts.
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./worker.ts', import.meta.url));
}

/**
 * A piscina pool running a handler module in worker threads. Each task carries its messages in one
 * transferred ArrayBuffer. A worker that dies rejects its task; piscina starts a replacement and
 * the dispatcher re-runs the task's messages (counted as a failed attempt).
 */
export class PoolExecutor implements Executor {
  readonly capacity: number;
  readonly #pool: Piscina;
  readonly #module: string;

  constructor(module: string | URL, workers: number = availableParallelism(), queueBeyondWorkers?: number) {
    this.#module = typeof module === 'string' ? module : module.href;
    this.#pool = new Piscina({
      filename: workerFile(),
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
    this.capacity = workers + (queueBeyondWorkers ?? workers * 2);
  }

  get queueSize(): number {
    return this.#pool.queueSize;
  }

  get utilization(): number {
    return this.#pool.utilization;
  }

  get threads(): number {
    return this.#pool.threads.length;
  }

  run(messages: readonly NativeMessage[], lanes: readonly number[], attempts: readonly number[]): Promise<TaskResult> {
    const packed = packMessages(messages, lanes, attempts);
    return this.#pool.run({ ...packed, module: this.#module }, { transferList: [packed.buffer] }) as Promise<TaskResult>;
  }

  async close(): Promise<void> {
    await this.#pool.close({ force: false });
  }
}
