import type { Executor } from '../../message/task.js';
import type { MessageHandler } from '../types.js';
import type { Lane } from './lane.js';

/** One registered handler and where its tasks run. */
export class HandlerEntry {
  running = 0;
  /** Lanes with queued messages, not busy, waiting for a task. */
  ready: Lane[] = [];
  readyHead = 0;
  constructor(
    readonly handler: MessageHandler,
    readonly executor: Executor,
  ) {}
}
