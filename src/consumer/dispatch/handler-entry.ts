import type { Executor } from '../../message/task.js';
import type { MessageHandler } from '../types.js';
import type { Lane } from './lane.js';

/** One registered handler and where its tasks run. */
export class HandlerEntry {
  running = 0;
  /** Lanes with queued messages, not busy, waiting for a task. */
  ready: Lane[] = [];
  readyHead = 0;
  /** Tasks in a row that never started (infrastructure failures); 0 after a task that ran. */
  infraFailures = 0;
  /** Dispatch is held after an infrastructure failure, until its backoff is over. */
  held = false;
  constructor(
    readonly handler: MessageHandler,
    readonly executor: Executor,
  ) {}
}
