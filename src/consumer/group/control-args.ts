import { checkIntegerOption, InvalidArgumentError, MAX_TIMER_MS } from '../../errors/base.js';
import type { PartitionRef, SeekTarget } from './control.js';

/** The arguments of consumer control's calls (control.ts), checked: InvalidArgumentError naming what cannot be used. */

/** How long a control call waits for the broker by default (watermarks, offsets for times, commits, a seek). */
export const CONTROL_TIMEOUT_MS = 10_000;

/** Throws InvalidArgumentError naming the field of a partition reference that cannot be used. */
export function checkRef(tp: PartitionRef, op: string): void {
  if (tp === null || typeof tp !== 'object') throw new InvalidArgumentError('partition', `${op}() takes { topic, partition }, got ${String(tp)}`);
  if (typeof tp.topic !== 'string' || tp.topic === '') throw new InvalidArgumentError('topic', `expected a topic name, got ${String(tp.topic)}`, { operation: op });
  if (!Number.isInteger(tp.partition) || tp.partition < 0) throw new InvalidArgumentError('partition', `expected a partition number (an integer >= 0), got ${String(tp.partition)}`, { operation: op, topic: tp.topic });
}

/** The target of a seek, checked: an offset, 'beginning', 'end' or { timestamp }. */
export function seekTo(target: SeekTarget): number | 'beginning' | 'end' | { timestamp: number } {
  checkRef(target, 'seek');
  const { offset, timestamp } = target;
  if ((offset === undefined) === (timestamp === undefined)) throw new InvalidArgumentError('offset', 'seek() takes exactly one of offset (a number, "beginning" or "end") and timestamp', { topic: target.topic, partition: target.partition });
  if (timestamp !== undefined) {
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new InvalidArgumentError('timestamp', `expected ms since the epoch (an integer >= 0), got ${String(timestamp)}`, { topic: target.topic, partition: target.partition });
    return { timestamp };
  }
  if (offset === 'beginning' || offset === 'end') return offset;
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw new InvalidArgumentError('offset', `expected an offset (an integer >= 0), "beginning" or "end", got ${String(offset)}`, { topic: target.topic, partition: target.partition });
  return offset as number;
}

/** A call's timeoutMs, checked (InvalidArgumentError naming it); the default when not given. */
export function timeoutOf(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return CONTROL_TIMEOUT_MS;
  checkIntegerOption('timeoutMs', timeoutMs, 1, MAX_TIMER_MS);
  return timeoutMs;
}

/**
 * The `options` of a Consumer control call (seek, commitNow, lag): its timeoutMs, or undefined
 * (the default). Null or undefined options are none; anything else but an object is an
 * InvalidArgumentError naming `options`.
 */
export function timeoutOption(options: { readonly timeoutMs?: number } | null | undefined, op: string): number | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') throw new InvalidArgumentError('options', `${op}() takes { timeoutMs? }, got ${typeof options}`, { operation: op });
  return options.timeoutMs;
}
