import { EventEmitter } from 'node:events';
import { RD } from '../../../src/errors/librdkafka.js';
import { setTimeout as delay } from 'node:timers/promises';
import type { NativeBatchConsumer, NativeBatchSink, NativeConfig, NativeConsumer, NativeError, NativeMessage, NativeMetadata, NativeTopicPartition, NativeTopicPartitionOffset } from '../../../src/native/types.js';
import { FakeBinding } from '../../helpers/fake-binding.js';
import { ConnectionManager } from '../../../src/client.js';
import type { ConnectionManagerOptions } from '../../../src/client-options.js';
import { resolveConfig } from '../../../src/config/index.js';
import { Consumer } from '../../../src/consumer/consumer.js';
import type { ConsumedMessage } from '../../../src/consumer/index.js';

const tp = (t: string, p: number) => `${t}/${p}`;

/**
 * A fake librdkafka consumer (no broker): the test puts messages into per-partition logs and
 * drives rebalances; consume() serves assigned, unpaused partitions from their fetch positions
 * (pause drops nothing: a resumed partition continues from its position, as librdkafka does from
 * the application's position). Every call the consumer makes is recorded in `calls`.
 *
 * It is also the batch engine's consumer (NativeBatchConsumer): startFetching() runs a drain loop
 * over consume(n) (take what is there; when nothing, wait for one and take what came with it), one
 * sink.batch per batch, at most sink.room() messages each; consumeSizes records each take.
 */
export class FakeConsumer extends EventEmitter implements NativeConsumer, NativeBatchConsumer {
  readonly calls: string[] = [];
  readonly consumeSizes: number[] = [];
  readonly logs = new Map<string, NativeMessage[]>();
  readonly positions = new Map<string, number>();
  readonly assigned = new Set<string>();
  readonly paused = new Set<string>();
  readonly commits = new Map<string, number>();
  readonly stored = new Map<string, number>();
  connected = false;
  readonly rebalance: (err: NativeError, tps: NativeTopicPartition[]) => void;

  constructor(readonly global: NativeConfig) {
    super();
    this.rebalance = global.rebalance_cb as unknown as (err: NativeError, tps: NativeTopicPartition[]) => void;
  }

  append(topic: string, partition: number, n: number, key: (i: number) => string | null = (i) => `k${i % 5}`, value: (i: number) => string = (i) => `${topic}/${partition}@${i}`): void {
    const log = this.logs.get(tp(topic, partition)) ?? [];
    this.logs.set(tp(topic, partition), log);
    for (let i = 0; i < n; i++) {
      const offset = log.length;
      log.push({ topic, partition, offset, key: key(offset), value: Buffer.from(value(offset)), size: 1 });
    }
  }

  assign(tps: NativeTopicPartition[]): void {
    this.rebalance({ code: RD.ERR__ASSIGN_PARTITIONS, message: 'assign' }, tps);
  }

  revoke(tps: NativeTopicPartition[]): void {
    this.rebalance({ code: RD.ERR__REVOKE_PARTITIONS, message: 'revoke' }, tps);
  }

  connect(_o: unknown, cb: (err: NativeError | null, md: NativeMetadata) => void): void {
    this.connected = true;
    setImmediate(() => cb(null, { orig_broker_id: 1, orig_broker_name: 'fake', topics: [], brokers: [] }));
  }
  isConnected(): boolean {
    return this.connected;
  }
  getMetadata(): void {}
  /** Low 0, high the log's length (answered asynchronously, as librdkafka's worker does). */
  queryWatermarkOffsets(topic: string, partition: number, _timeout: number, cb?: (err: NativeError | null, wm: { lowOffset: number; highOffset: number }) => void): void {
    const high = this.logs.get(tp(topic, partition))?.length ?? 0;
    if (cb === undefined) return;
    this.watermarkQueries++;
    this.maxConcurrentQueries = Math.max(this.maxConcurrentQueries, ++this.#queries);
    setTimeout(() => {
      this.#queries--;
      cb(null, { lowOffset: 0, highOffset: high });
    }, this.watermarkDelayMs);
  }
  /**
   * Seeks librdkafka refuses with ERR__STATE before it applies one (a fetcher not started yet,
   * right after an assignment), counted down per refusal.
   */
  seekRefusals = 0;
  /**
   * Seeks librdkafka does not answer in time, counted down per call: the whole call answers
   * ERR__TIMED_OUT (each partition ERR__IN_PROGRESS), yet the queued seek applies (as librdkafka's
   * does later: it cannot be withdrawn).
   */
  seekTimeouts = 0;
  /** Per partition key: a code a seek answers instead of applying it. */
  readonly seekCodes = new Map<string, number>();
  /** Per partition key: a code a commitWait answers for it (the commit of the others goes through). */
  readonly commitCodes = new Map<string, number>();
  /** A whole-call error every commitWait answers (e.g. __TIMED_OUT: no answer in time), committing nothing. */
  commitWaitError: NativeError | undefined;
  /** How long a commitWait takes to answer (ms; 0: the next turn). */
  commitWaitDelayMs = 0;
  /** Per partition key: a code offsetsForTimes answers for it (offset -1). */
  readonly timeCodes = new Map<string, number>();
  /** Per partition key: librdkafka's cached watermarks (getWatermarkOffsets; see cacheMarks for the others). */
  readonly cachedMarks = new Map<string, { lowOffset: number; highOffset: number }>();
  /** How many queryWatermarkOffsets calls had a callback (the broker was asked), and the most at once. */
  watermarkQueries = 0;
  maxConcurrentQueries = 0;
  /** How long a watermark query takes to answer. */
  watermarkDelayMs = 1;
  /** The timeout of each offsetsForTimes call. */
  readonly timesTimeouts: number[] = [];
  #queries = 0;
  /**
   * rd_kafka_seek_partitions with a timeout (answered on a later turn, as the worker does): moves
   * the fetch position of assigned partitions (code ERR__UNKNOWN_PARTITION for others, ERR__STATE
   * while seekRefusals last).
   */
  seekPartitions(offsets: NativeTopicPartitionOffset[], _timeoutMs: number, cb: (err: NativeError | null, r: Array<NativeTopicPartitionOffset & { code: number }>) => void): void {
    this.calls.push(`seek ${offsets.map((o) => `${o.partition}@${o.offset}`).join(',')}`);
    const refused = this.seekRefusals > 0;
    if (refused) this.seekRefusals--;
    if (!refused && this.seekTimeouts > 0) {
      this.seekTimeouts--;
      for (const o of offsets) if (this.assigned.has(tp(o.topic, o.partition))) this.positions.set(tp(o.topic, o.partition), o.offset);
      setImmediate(() => cb({ code: RD.ERR__TIMED_OUT, message: 'Timed out waiting for 1 remaining partition seek(s) to finish' } as NativeError, offsets.map((o) => ({ ...o, code: RD.ERR__IN_PROGRESS }))));
      return;
    }
    const out = offsets.map((o) => {
      const key = tp(o.topic, o.partition);
      if (!this.assigned.has(key)) return { ...o, code: RD.ERR__UNKNOWN_PARTITION };
      if (refused) return { ...o, code: RD.ERR__STATE };
      const code = this.seekCodes.get(key);
      if (code !== undefined) return { ...o, code };
      this.positions.set(key, o.offset);
      return { ...o, code: 0 };
    });
    setImmediate(() => cb(null, out));
  }
  /** Commits and answers per partition (commitCodes), on a later turn. */
  commitWait(offsets: NativeTopicPartitionOffset[], _timeoutMs: number, cb: (err: NativeError | null, r: Array<NativeTopicPartitionOffset & { code: number }>) => void): void {
    this.calls.push(`commitWait ${offsets.map((o) => `${o.partition}@${o.offset}`).join(',')}`);
    const answer = (f: () => void) => (this.commitWaitDelayMs > 0 ? setTimeout(f, this.commitWaitDelayMs) : setImmediate(f));
    const error = this.commitWaitError;
    if (error !== undefined) return void answer(() => cb(error, []));
    const out = offsets.map((o) => {
      const code = this.commitCodes.get(tp(o.topic, o.partition)) ?? 0;
      if (code === 0) this.commits.set(tp(o.topic, o.partition), o.offset);
      return { ...o, code };
    });
    answer(() => cb(null, out));
  }
  /** The offset after the last message served (-1001 before the first consume of the partition). */
  position(tps: NativeTopicPartition[]): NativeTopicPartitionOffset[] {
    return tps.map((t) => ({ ...t, offset: this.positions.get(tp(t.topic, t.partition)) ?? -1001 }));
  }
  /** The first offset whose timestamp (a message without one: its offset) is at or after the time; -1 when none. */
  offsetsForTimes(tps: NativeTopicPartitionOffset[], timeout: number, cb: (err: NativeError | null, r: Array<NativeTopicPartitionOffset & { code: number }>) => void): void {
    this.timesTimeouts.push(timeout);
    const out = tps.map((t) => {
      const code = this.timeCodes.get(tp(t.topic, t.partition));
      if (code !== undefined) return { ...t, offset: -1, code };
      return { ...t, offset: (this.logs.get(tp(t.topic, t.partition)) ?? []).find((m) => (m.timestamp ?? m.offset) >= t.offset)?.offset ?? -1, code: 0 };
    });
    setImmediate(() => cb(null, out));
  }
  disconnect(cb: (err: unknown) => void): void {
    this.calls.push('disconnect');
    this.connected = false;
    setImmediate(() => cb(null));
  }
  subscribe(topics: string[]): void {
    this.calls.push(`subscribe ${topics.join(',')}`);
  }
  unsubscribe(): void {
    this.calls.push('unsubscribe');
  }
  consume(count: number, cb: (err: NativeError | null, messages: NativeMessage[]) => void): void {
    this.consumeSizes.push(count);
    const out: NativeMessage[] = [];
    for (const key of this.assigned) {
      if (this.paused.has(key)) continue;
      const log = this.logs.get(key) ?? [];
      let pos = this.positions.get(key) ?? this.commits.get(key) ?? 0;
      while (out.length < count && pos < log.length) out.push(log[pos++]!);
      this.positions.set(key, pos);
    }
    setTimeout(() => cb(null, out), out.length > 0 ? 0 : 2);
  }
  setDefaultConsumeTimeout(): void {}
  #fetching = false;
  startFetching(sink: NativeBatchSink): void {
    this.calls.push('startFetching');
    this.#fetching = true;
    void this.#drain(sink);
  }
  stopFetching(): void {
    this.#fetching = false;
  }
  #take(n: number): Promise<NativeMessage[]> {
    return new Promise((resolve, reject) => this.consume(n, (err, m) => (err ? reject(err) : resolve(m))));
  }
  async #drain(sink: NativeBatchSink): Promise<void> {
    while (this.#fetching) {
      let msgs: NativeMessage[] = [];
      const room = sink.room();
      try {
        msgs = await this.#take(room);
        if (msgs.length === 0 && this.#fetching) {
          msgs = await this.#take(1);
          if (msgs.length > 0 && room > 1) {
            const more = await this.#take(room - 1);
            if (more.length > 0) msgs = msgs.concat(more);
          }
        }
      } catch (e) {
        // the messages taken before the error are delivered first, then the error (as the slab does)
        if (msgs.length > 0 && this.#fetching) sink.batch(msgs);
        if (this.#fetching) sink.error(e as NativeError);
        await delay(20);
        continue;
      }
      if (msgs.length > 0 && this.#fetching) sink.batch(msgs);
    }
  }
  offsetsStore(offsets: NativeTopicPartitionOffset[]): void {
    for (const o of offsets) this.stored.set(tp(o.topic, o.partition), o.offset);
  }
  /** An asynchronous commit (stop()): recorded like commitSync, as `commit …` (the real one completes later). */
  commit(offsets?: NativeTopicPartitionOffset[] | null): void {
    for (const o of offsets ?? []) this.commits.set(tp(o.topic, o.partition), o.offset);
    this.calls.push(`commit ${(offsets ?? []).map((o) => `${o.partition}@${o.offset}`).join(',')}`);
  }
  commitSync(offsets: NativeTopicPartitionOffset[] | null): void {
    for (const o of offsets ?? []) this.commits.set(tp(o.topic, o.partition), o.offset);
    this.calls.push(`commitSync ${(offsets ?? []).map((o) => `${o.partition}@${o.offset}`).join(',')}`);
  }
  /** The offsets committed (commit / commitSync), -1001 for none; answered asynchronously. */
  committed(tps: NativeTopicPartition[], _timeout: number, cb: (err: NativeError | null, r: Array<NativeTopicPartitionOffset & { code: number }>) => void): void {
    const out = tps.map((t) => ({ ...t, offset: this.commits.get(tp(t.topic, t.partition)) ?? -1001, code: 0 }));
    setImmediate(() => cb(null, out));
  }
  assignments(): NativeTopicPartition[] {
    return [...this.assigned].map((k) => ({ topic: k.split('/')[0]!, partition: Number(k.split('/')[1]) }));
  }
  incrementalAssign(tps: NativeTopicPartition[]): void {
    this.calls.push(`incrementalAssign ${tps.map((t) => t.partition).join(',')}`);
    for (const t of tps) {
      this.assigned.add(tp(t.topic, t.partition));
      this.positions.delete(tp(t.topic, t.partition)); // fetch from the committed offset
    }
  }
  incrementalUnassign(tps: NativeTopicPartition[]): void {
    this.calls.push(`incrementalUnassign ${tps.map((t) => t.partition).join(',')}`);
    for (const t of tps) this.assigned.delete(tp(t.topic, t.partition));
  }
  unassign(): void {
    this.calls.push('unassign');
    this.assigned.clear();
  }
  rebalanceProtocol(): string {
    return 'COOPERATIVE';
  }
  pause(tps: NativeTopicPartition[]): void {
    this.calls.push(`pause ${tps.map((t) => t.partition).join(',')}`);
    for (const t of tps) this.paused.add(tp(t.topic, t.partition));
  }
  resume(tps: NativeTopicPartition[]): void {
    this.calls.push(`resume ${tps.map((t) => t.partition).join(',')}`);
    for (const t of tps) this.paused.delete(tp(t.topic, t.partition));
  }
  /** librdkafka's cached watermarks of a partition not in cachedMarks: 0 and the log's end when true (as after a fetch), else unknown (-1). */
  cacheMarks = true;
  getWatermarkOffsets(topic: string, partition: number): { lowOffset: number; highOffset: number } {
    const unknown = { lowOffset: -1, highOffset: -1 };
    return this.cachedMarks.get(tp(topic, partition)) ?? (this.cacheMarks ? { lowOffset: 0, highOffset: this.logs.get(tp(topic, partition))?.length ?? 0 } : unknown);
  }
}

/**
 * librdkafka reports an error event as the error of the consume(n) call that met it when that call
 * had collected no message yet (node-rdkafka's ConsumeNum), and the call's messages are then lost
 * to JS unless the caller keeps what earlier calls returned. This fake holds back batches
 * (consume(n > 1) finds nothing) until the wake-up consume(1) has taken a message; the next consume
 * then fails once with `error`, and from then on the fake serves normally.
 */
export class ErrorAfterWakeUp extends FakeConsumer {
  error: NativeError = { code: RD.ERR_UNKNOWN_TOPIC_OR_PART, message: 'Broker: Unknown topic or partition' };
  #armed = true;
  #failNext = false;
  override consume(count: number, cb: (err: NativeError | null, messages: NativeMessage[]) => void): void {
    if (this.#failNext) {
      this.#failNext = false;
      this.#armed = false;
      this.consumeSizes.push(count);
      setImmediate(() => cb(this.error, []));
      return;
    }
    if (this.#armed && count > 1) {
      this.consumeSizes.push(count);
      setTimeout(() => cb(null, []), 2);
      return;
    }
    super.consume(count, (err, messages) => {
      if (this.#armed && count === 1 && messages.length > 0) this.#failNext = true;
      cb(err, messages);
    });
  }
}

/** connect() calls back after `SlowConnect.delayMs` (a broker that answers slowly). */
export class SlowConnect extends FakeConsumer {
  static delayMs = 40;
  override connect(_o: unknown, cb: (err: NativeError | null, md: NativeMetadata) => void): void {
    this.calls.push('connect');
    setTimeout(() => {
      this.connected = true;
      this.calls.push('connected');
      cb(null, { orig_broker_id: 1, orig_broker_name: 'fake', topics: [], brokers: [] });
    }, SlowConnect.delayMs);
  }
}

/** connect() fails: the cluster cannot be reached. */
export class RefusedConnect extends FakeConsumer {
  override connect(_o: unknown, cb: (err: NativeError | null, md: NativeMetadata) => void): void {
    setImmediate(() => cb({ code: RD.ERR__TRANSPORT, message: 'Local: Broker transport failure' }, undefined as unknown as NativeMetadata));
  }
}

/**
 * disconnect() behaves like librdkafka's consumer close: it first revokes the whole assignment
 * through the rebalance callback and only calls back once the application unassigned it.
 */
export class CloseRevokes extends FakeConsumer {
  override disconnect(cb: (err: unknown) => void): void {
    this.calls.push('disconnect');
    const tps = this.assignments();
    setImmediate(() => this.revoke(tps));
    const t = setInterval(() => {
      if (this.assigned.size > 0) return;
      clearInterval(t);
      this.connected = false;
      this.calls.push('closed');
      cb(null);
    }, 1);
  }
}

export class ConsumerBinding extends FakeBinding {
  readonly consumers: FakeConsumer[] = [];
  /** `make` builds each consumer (a subclass of FakeConsumer changes one behaviour). */
  constructor(readonly make: (global: NativeConfig) => FakeConsumer = (global) => new FakeConsumer(global), features?: readonly string[]) {
    super(features);
  }
  override createConsumer(global: NativeConfig = {}): NativeConsumer {
    const c = this.make(global);
    this.consumers.push(c);
    return c;
  }
  createBatchConsumer(global: NativeConfig = {}): NativeBatchConsumer {
    const c = this.make(global);
    this.consumers.push(c);
    return c;
  }
}

/**
 * The handlerTimeoutMs set-up (issue 17 item 8): a client on a ConsumerBinding with `cmOptions`, a
 * started consumer (handlerTimeoutMs 50, retryMax 3, 1 ms backoff) whose handler of topic `t`,
 * group `g` is `handle`, and 3 keyed messages on t/0. The caller stops the consumer and closes cm.
 */
export async function handlerTimeoutRun(cmOptions: Omit<ConnectionManagerOptions, 'binding'>, handle: (m: ConsumedMessage) => Promise<void> | undefined): Promise<{ cm: ConnectionManager; consumer: Consumer }> {
  const binding = new ConsumerBinding();
  const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], connectTimeoutMs: 1000 }), { ...cmOptions, binding });
  await cm.initialize();
  const consumer = new Consumer(cm, { stopTimeoutMs: 200, handlerTimeoutMs: 50, retryBackoffMs: 1, retryMax: 3 });
  consumer.registerHandler({ topics: ['t'], groupId: 'g', handle });
  await consumer.start().catch(async (e: unknown) => {
    await cm.close();
    throw e;
  });
  const fake = binding.consumers[0]!;
  fake.assign([{ topic: 't', partition: 0 }]);
  fake.append('t', 0, 3, (i) => `k${i}`);
  return { cm, consumer };
}
