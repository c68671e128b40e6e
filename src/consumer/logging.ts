import { librdkafkaLogForwarder, type Diagnostics } from '../diagnostics/diagnostics.js';
import type { GroupHooks } from './group/types.js';

/** A list of partitions as `topic[0,1,2]` groups: short, readable log fields for rebalances. */
export function partitionList(tps: ReadonlyArray<{ readonly topic: string; readonly partition: number }>): string {
  const byTopic = new Map<string, number[]>();
  for (const tp of tps) {
    let l = byTopic.get(tp.topic);
    if (l === undefined) byTopic.set(tp.topic, (l = []));
    l.push(tp.partition);
  }
  return [...byTopic].map(([t, ps]) => `${t}[${ps.sort((a, b) => a - b).join(',')}]`).join(' ');
}

/**
 * The consumer's log lines (published as `consumer` log events on the diagnostics log channel,
 * before the caller's hooks run): every error the consumer reports (warn when retriable, error
 * otherwise) and every rebalance (info) (the retry and dead-letter events of single messages are
 * published by the ConsumerObserver, which also counts them); librdkafka's own log lines of each
 * group's consumer go out as `librdkafka` log events with the group id. None of these is on the
 * per-message success path. Error texts pass through the connection's secret redactor. Statistics
 * are forwarded by the Consumer (which keeps each group's summary), not here.
 */
export function loggingHooks(diag: Diagnostics, user: GroupHooks): GroupHooks {
  const forwarders = new Map<string, ReturnType<typeof librdkafkaLogForwarder>>();
  const hooks: GroupHooks = {
    onError(err) {
      if (diag.logging) {
        const e = err as Error & { code?: string; retriable?: boolean };
        const fields = { err: { type: e.name, code: e.code, message: diag.redact(e.message) } };
        if (e.retriable === true) diag.log('warn', 'consumer', fields, 'consumer error (retriable)');
        else diag.log('error', 'consumer', fields, 'consumer error');
      }
      user.onError?.(err);
    },
    onRebalance(groupId, kind, partitions) {
      if (diag.logging) diag.log('info', 'consumer', { group: groupId, partitions: partitionList(partitions), count: partitions.length }, kind === 'assign' ? 'partitions assigned' : 'partitions revoked');
      user.onRebalance?.(groupId, kind, partitions);
    },
  };
  hooks.onLibrdkafkaLog = (groupId, line) => {
    let forward = forwarders.get(groupId);
    if (forward === undefined) forwarders.set(groupId, (forward = librdkafkaLogForwarder(diag, { group: groupId })));
    forward(line);
    user.onLibrdkafkaLog?.(groupId, line);
  };
  // Only forwarded when the caller has them (offsets are stored once per event-loop turn).
  if (user.onOffsetsStored !== undefined) hooks.onOffsetsStored = user.onOffsetsStored.bind(user);
  if (user.onRetry !== undefined) hooks.onRetry = user.onRetry.bind(user);
  if (user.onDeadLetter !== undefined) hooks.onDeadLetter = user.onDeadLetter.bind(user);
  return hooks;
}
