import { backoffDelay } from '../../errors/backoff.js';
import type { ConsumerObserver } from '../observer.js';
import type { DeadLetterWriter } from '../dead-letter.js';
import type { PartitionState } from '../group/partition-state.js';
import type { HandlerEntry } from './handler-entry.js';
import type { Pending } from './pending.js';
import { announce, completed, release, type FailurePolicy } from './settle.js';
import type { DispatcherEvents, DispatcherOptions } from './types.js';
import { classifyDeadLetterFailure } from '../dead-letter.js';
import { GoCoffeeKafkaError } from '../../errors/base.js';
import { InfraHolds } from './holds.js';
import type { TaskFailure } from '../../message/task.js';

/**
 * What happens to a failed message: a retry after a backoff while attempts are left and the error
 * is retriable, else a write to the dead-letter topic (again after a backoff while the write
 * fails); only a written one counts as done. Owns the backoff timers; stop() clears them.
 *
 * The lane of a failed message in an exclusive lane stays busy (settle.ts held it) until the retry
 * backoff or the dead-letter write is over; then the lane is released and its handler's tasks are
 * dispatched again.
 */
export class Retrier implements FailurePolicy {
  readonly #opts: Pick<DispatcherOptions, 'retryMax' | 'retryBackoffMs' | 'retryBackoffMaxMs'>;
  readonly #events: DispatcherEvents;
  readonly #dlq: Pick<DeadLetterWriter, 'write' | 'writeAlone'>;
  readonly #observer: ConsumerObserver | undefined;
  /** The dispatcher: a released lane's handler starts tasks again. */
  readonly #dispatcher: { dispatch(entry: HandlerEntry): void };
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Messages and handlers held by infrastructure failures (consumer.stats(); the dispatcher records handlers). */
  readonly holds = new InfraHolds();
  #stopped = false;

  constructor(
    opts: Pick<DispatcherOptions, 'retryMax' | 'retryBackoffMs' | 'retryBackoffMaxMs'>,
    events: DispatcherEvents,
    dlq: Pick<DeadLetterWriter, 'write' | 'writeAlone'>,
    observer: ConsumerObserver | undefined,
    dispatcher: { dispatch(entry: HandlerEntry): void },
  ) {
    this.#opts = opts;
    this.#events = events;
    this.#dlq = dlq;
    this.#observer = observer;
    this.#dispatcher = dispatcher;
  }

  /** A message failed an attempt (p.failed() recorded it): retry it later or dead-letter it. */
  failed(p: Pending, retriable: boolean): void {
    if (retriable && p.attempts <= this.#opts.retryMax) this.#retryLater(p);
    else this.#deadLetter(p);
  }

  /**
   * An infrastructure failure (e.g. the Schema Registry unreachable while decoding): reported
   * (onError), and the message runs again after a backoff that grows while such failures go on —
   * without counting an attempt, so an outage never dead-letters valid messages.
   */
  notCharged(p: Pending, f: TaskFailure): void {
    const lane = p.lane;
    p.infraFailures++;
    this.holds.message(p, `${f.name}: ${f.message}`);
    this.#events.taskError(new InfrastructureFailure(f));
    this.#later(() => {
      if (this.#stopped || lane.ps.revoked) return;
      if (!lane.exclusive) lane.unshift([p]);
      release(lane);
      this.#dispatcher.dispatch(lane.ps.entry);
    }, this.#backoff(p.infraFailures));
  }

  #backoff(attempt: number): number {
    return backoffDelay(attempt, this.#opts.retryBackoffMs, this.#opts.retryBackoffMaxMs);
  }

  /** Runs `fn` after `ms`, unless stop() comes first (then no timer is made, or it is cleared). */
  #later(fn: () => void, ms: number): void {
    if (this.#stopped) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #retryLater(p: Pending): void {
    const lane = p.lane;
    this.#events.retried(lane.ps, p);
    this.#later(() => {
      if (this.#stopped || lane.ps.revoked) return; // re-delivered to whoever owns it next
      if (!lane.exclusive) lane.unshift([p]);
      release(lane);
      this.#dispatcher.dispatch(lane.ps.entry);
    }, this.#backoff(p.attempts));
  }

  /**
   * Writes a failed message to the dead-letter topic, again after a backoff while the write fails.
   * The partition counts as busy only while a write is in flight: a revoke waits for that write (a
   * message written but not committed would be written again by the next owner), but not for a
   * backoff between writes (a dead-letter outage would stall the group's rebalance; the next owner
   * handles the message again instead, and stop() clears the backoff timer).
   */
  #deadLetter(p: Pending): void {
    const lane = p.lane;
    const ps = lane.ps;
    let failing = false;
    let failures = 0;
    // 'full' → (refused as too large) 'alone': the full copy again, not batched with other
    // dead-letter writes → (refused again) 'reduced': the copy with a reference instead of the value.
    let form: 'full' | 'alone' | 'reduced' = 'full';
    const unblock = () => {
      if (!failing) return;
      failing = false;
      if (--ps.dlqBlocked === 0) {
        ps.dlqError = undefined;
        this.#events.dlqRecovered(ps);
      }
    };
    const attempt = () => {
      if (this.#stopped || ps.revoked) return unblock();
      const info = { errorType: p.errorType, errorMessage: p.errorMessage, attempts: p.attempts, firstFailure: p.firstFailure, lastFailure: p.lastFailure };
      ps.busyCount++;
      let write: Promise<unknown>;
      try {
        write = form === 'alone' ? this.#dlq.writeAlone(p.msg, info) : this.#dlq.write(p.msg, info, form === 'reduced');
      } catch (e) {
        write = Promise.reject(e);
      }
      write.then(
        () => {
          ps.busyCount--;
          unblock();
          // Written: counted and logged also after stop() or a revoke (it is parked all the same).
          this.#observer?.deadLettered(p, this.#stopped || ps.revoked);
          if (this.#stopped) {
            // written: done for the final commit, nothing else (see Dispatcher#finishStopped)
            ps.tracker.done(p.seq);
            return;
          }
          if (lane.exclusive && lane.peek() === p) lane.take(1);
          if (!ps.revoked) this.#events.deadLettered(ps, p);
          const released: PartitionState[] = [];
          completed(ps, 1, ps.tracker.done(p.seq), released);
          announce(released, this.#events);
          if (lane.exclusive) release(lane);
          this.#dispatcher.dispatch(ps.entry);
        },
        (err: unknown) => {
          ps.busyCount--;
          if (this.#stopped || ps.revoked) return unblock();
          const kind = classifyDeadLetterFailure(err);
          if (kind === 'too-large' && form !== 'reduced') {
            // Too large: maybe only its batch was. Once more alone, then (refused again: the copy
            // itself can never fit) the reduced one (value and original headers replaced by a reference).
            form = form === 'full' ? 'alone' : 'reduced';
            attempt();
            return;
          }
          // Not done: its offset must not be committed. Pause the partition and try again; an
          // error retrying cannot clear (not authorized, invalid topic, even the reduced copy too
          // large) is kept for health, which reports the consumer unhealthy until it clears.
          const e = err instanceof Error ? err : new Error(String(err));
          // Sticky while the partition stays blocked: a later transient failure of another of its
          // messages does not hide one that retrying cannot clear.
          const permanent = kind !== 'retry' || (ps.dlqError?.permanent ?? false);
          ps.dlqError = { error: permanent && kind === 'retry' ? ps.dlqError!.error : e, permanent, since: ps.dlqError?.since ?? Date.now() };
          if (!failing) {
            failing = true;
            if (ps.dlqBlocked++ === 0) this.#events.dlqFailing(ps, e);
          }
          this.#later(attempt, this.#backoff(Math.min(++failures, 8)));
        },
      );
    };
    attempt();
  }

  /** Clears the backoff timers; from now on none is made and a write that ends only marks it done. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.holds.clear();
  }
}

/** What onError gets for a message that failed because of the infrastructure (not charged an attempt). */
class InfrastructureFailure extends GoCoffeeKafkaError {
  constructor(f: TaskFailure) {
    super('GCK_INFRASTRUCTURE', `${f.name}: ${f.message} (an infrastructure failure: the message runs again later, no attempt charged)`, { retriable: true, context: { failure: f.name } });
    this.name = f.name;
  }
}
