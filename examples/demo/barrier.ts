/**
 * Start-up barrier. The consumer groups are new for every run and start at the end of the topics
 * (auto.offset.reset=latest, see main.ts), so an event published before a group has taken its
 * starting position on a partition would be skipped by it. Joining the group (the assignment) is
 * not enough: the position is looked up after it. So before the inventor starts, one probe event
 * is published to every partition of beverage.created and of task.created, again every
 * RESEND_MS until the agent consuming it has seen one there. A partition on which a probe was
 * consumed has its position behind the probe, so every later event on it is consumed. Probes
 * carry `demo_probe` in their metadata: the agents skip them and no count includes them.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { newMessage, type EventSerde, type Producer } from '@gocoffee/kafka';
import { INVENTOR, META_PROBE, META_RUN, TASK_MANAGER } from './protocol.js';

const RESEND_MS = 1500;

export interface ProbeTarget {
  readonly topic: string;
  readonly event: 'BeverageCreated' | 'TaskCreated';
  readonly partitions: number;
  /** Partitions on which the consuming agent has seen a probe of this run. */
  readonly seen: () => ReadonlySet<number>;
}

function probeEvent(event: ProbeTarget['event'], runId: string): { key: string; value: object } {
  const id = randomUUID();
  const metadata = { [META_RUN]: runId, [META_PROBE]: '1' };
  if (event === 'BeverageCreated') {
    return { key: id, value: { beverage_id: id, name: 'probe', description: '', theme: 'probe', ingredients: [], created_by: INVENTOR, created_at: new Date(), metadata } };
  }
  return {
    key: id,
    value: { task_id: id, title: 'probe', description: '', assignee_id: '', project_id: 'probe', priority: 'low', status: 'open', created_by: TASK_MANAGER, created_at: new Date(), metadata },
  };
}

/**
 * Resolves once every partition of every target has seen a probe; rejects after timeoutMs, on
 * abort, or as soon as `stalled()` names a reason the probes cannot be seen.
 */
export async function awaitConsumersPositioned(
  producer: Producer,
  serde: EventSerde,
  runId: string,
  targets: readonly ProbeTarget[],
  timeoutMs: number,
  signal: AbortSignal,
  stalled: () => string | undefined = () => undefined,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const lastSent = new Map<string, number>();
  let probes = 0;
  const failures: string[] = [];
  for (;;) {
    let missing = 0;
    for (const t of targets) {
      const seen = t.seen();
      const encoder = await serde.encoder(t.topic, t.event);
      for (let p = 0; p < t.partitions; p++) {
        if (seen.has(p)) continue;
        missing++;
        const k = `${t.topic}/${p}`;
        if (Date.now() - (lastSent.get(k) ?? 0) < RESEND_MS) continue;
        lastSent.set(k, Date.now());
        const { key, value } = probeEvent(t.event, runId);
        probes++;
        producer.send(newMessage(t.topic, encoder.encode(value)).withKey(key).withPartition(p).withHeader('event_type', t.event === 'BeverageCreated' ? 'beverage.created' : 'task.created'), (err) => {
          if (err !== null && failures.length < 3) failures.push(`${k}: ${err.message}`);
        });
      }
    }
    if (missing === 0) return probes;
    if (signal.aborted) throw new Error('stopped during start-up');
    const reason = stalled();
    if (reason !== undefined) throw new Error(reason);
    if (Date.now() > deadline) {
      const where = targets.map((t) => `${t.topic}: ${t.partitions - t.seen().size} of ${t.partitions} partitions`).join(', ');
      throw new Error(`the consumer groups did not take their positions within ${timeoutMs / 1000} s (${where} without a consumed probe)${failures.length > 0 ? `; probe publish errors: ${failures.join('; ')}` : ''}`);
    }
    await sleep(100);
  }
}
