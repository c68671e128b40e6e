/**
 * The notifier agent: consumes TaskCreated in process (a typed handler: the library decodes the
 * Avro event) and "notifies" the assignee. It keeps per-run counts and the end-to-end latency from
 * the task's created_at (set by the task manager when it planned the task) to this handler.
 */
import { TaskEventHandler, type ConsumedMessage, type EventContext, type TaskCreated } from '@gocoffee/kafka';
import { Latency } from './stats.js';
import { META_PROBE, META_RUN } from './protocol.js';

export class Notifier extends TaskEventHandler {
  handled = 0;
  foreign = 0;
  readonly probesSeen = new Set<number>();
  readonly latency = new Latency();
  /** Notifications "sent" per assignee (what a real notifier would fan out to). */
  readonly perAssignee = new Map<string, number>();
  readonly #runId: string;

  constructor(ctx: EventContext, groupId: string, runId: string) {
    super(ctx, groupId);
    this.#runId = runId;
  }

  override onTaskCreated(event: TaskCreated, message: ConsumedMessage): void {
    if (event.metadata[META_RUN] !== this.#runId) {
      this.foreign++;
      return;
    }
    if (event.metadata[META_PROBE] !== undefined) {
      this.probesSeen.add(message.partition);
      return;
    }
    this.perAssignee.set(event.assignee_id, (this.perAssignee.get(event.assignee_id) ?? 0) + 1);
    this.handled++;
    this.latency.record(Date.now() - event.created_at.getTime());
  }
}
