import { InvalidArgumentError, MAX_PARTITION, StateError } from '../errors/base.js';
import { FLAG_HAS_ID, PackedChunk, type PackedSink } from '../delivery/packed.js';
import { BATCH_MAX_MESSAGES } from '../delivery/options.js';
import type { ProducerEngine } from '../delivery/engine.js';
import { BatchPacker, MSG_STRIDE, M_FLAGS, M_TOPIC } from '../native/batch-producer.js';
import type { NativeHeaders } from '../native/types.js';
import { HEADERS } from '../message/headers.js';
import { GENERATED_ID_PREFIX, HEADER_CORRELATION_ID, HEADER_METADATA, OutgoingMessage, isSafeHeaderName, nextIdSuffix, type MessageKey } from '../message/outgoing.js';
import { currentCorrelationId } from '../diagnostics/correlation.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';
import type { TopicCounters } from '../diagnostics/counters.js';
import { BatchOutcomes, BatchTally, errorType } from './outbound-kinds.js';
import { headersOf, keyOf, valueOf, type Encoding } from './encode.js';
import type { BatchSummary } from './types.js';

/** What MessageBatch.add() takes besides topic, key and value. */
export interface BatchMessageOptions {
  /** Headers in order, as `[name, value]` pairs (names may repeat); values are strings (UTF-8) or bytes. */
  readonly headers?: ReadonlyArray<readonly [string, string | Buffer]>;
  /** A fixed partition (else the partitioner's, by key). */
  readonly partition?: number;
  /** Milliseconds since the epoch (else the time librdkafka takes the message). */
  readonly timestamp?: number;
  /** The message id (the `message_id` header); else a generated one, unless the producer has `messageIds: false`. */
  readonly id?: string;
}

const WHERE = 'MessageBatch.add(topic, key, value, options)';

/** Full-size packers (BATCH_MAX_MESSAGES) of settled chunks, reused: each holds a 320 KiB buffer (more if it grew) and a 125 KiB table. */
const pool: BatchPacker[] = [];
const POOL_MAX = 128;
/**
 * A chunk is full at BATCH_MAX_MESSAGES messages or CHUNK_MAX_BYTES bytes, and a full-size one
 * starts with CHUNK_BYTES (room for the last message past the bound): it grows only for a message
 * larger than the slack, so a pooled chunk is reused as it is (measured: with a 256 KiB start and
 * a 1 MiB bound, 1 KiB batches grew every chunk three times and ran slower than send()).
 */
const CHUNK_MAX_BYTES = 256 * 1024;
const CHUNK_BYTES = CHUNK_MAX_BYTES + 64 * 1024;
/** A batch's first chunk holds at most this many messages unless the batch is known to be larger: a small batch stays small. */
const FIRST_CHUNK = 64;
/** From this many messages on a chunk is a pooled full-size one (a fresh packer per mid-size batch would cost more). */
const SMALL_CHUNK_MAX = 256;
/** A packer for up to `messages` messages: a pooled full-size one, or a small one sized to them (never pooled). */
function takePacker(messages: number): BatchPacker {
  if (messages > SMALL_CHUNK_MAX) return pool.pop() ?? new BatchPacker(BATCH_MAX_MESSAGES, HEADERS.MESSAGE_ID, GENERATED_ID_PREFIX, CHUNK_BYTES);
  return new BatchPacker(messages, HEADERS.MESSAGE_ID, GENERATED_ID_PREFIX, Math.min(CHUNK_BYTES, Math.max(1024, messages * 256)));
}
/** Not a topic: add()'s first call always checks its topic. */
const NO_TOPIC = Symbol('no topic');

/**
 * Messages packed as they are added — straight into the byte buffers the producer addon reads,
 * without a message object, an outcome object or a promise per message — and sent with one call,
 * `producer.sendBatch(batch)`, which resolves with one BatchSummary for the whole batch (how many
 * were delivered, the failed ones by index). The fastest way to publish many messages
 * (docs/producer.md#packed-batches); `publishBatch()` takes message objects and reports per message.
 *
 * Built by `producer.createBatch()` (its serializer and message-id setting apply). Sent once; a
 * batch cannot be added to after it was sent. A bad argument to add() throws InvalidArgumentError
 * naming it, and nothing is added.
 */
export class MessageBatch {
  readonly #enc: Encoding;
  readonly #packers: BatchPacker[] = [];
  #packer: BatchPacker | undefined;
  #length = 0;
  #sent = false;
  #lastTopic: string | typeof NO_TOPIC = NO_TOPIC;
  /** How many messages the next chunk is made for (the first one small, unless the batch size is known). */
  #nextChunk: number;
  /** The correlation id active when the batch was created (one read, not one per message). */
  readonly #correlationId: string | undefined = currentCorrelationId();

  /** @internal Use producer.createBatch(). `expected`: how many messages will be added, when known. */
  constructor(enc: Encoding, expected?: number) {
    this.#enc = enc;
    this.#nextChunk = expected === undefined ? FIRST_CHUNK : Math.max(1, Math.min(expected, BATCH_MAX_MESSAGES));
  }

  /** The packer the next message goes into (a new chunk when the current one is full). */
  #room(): BatchPacker {
    const p = this.#packer;
    if (p !== undefined && p.count < p.maxMessages && p.off < CHUNK_MAX_BYTES) return p;
    const next = takePacker(this.#nextChunk);
    this.#nextChunk = BATCH_MAX_MESSAGES;
    this.#packers.push(next);
    return (this.#packer = next);
  }

  /** Messages added so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * Adds a message; returns its index (what BatchSummary.failed names it by). `value`: a Buffer,
   * Uint8Array, string (UTF-8) or null (no value: a tombstone on a compacted topic); anything else
   * goes through the producer's serializer (JSON by default). `key`: a string, Buffer or null.
   */
  add(topic: string, key: MessageKey | Uint8Array | undefined, value: unknown, options?: BatchMessageOptions): number {
    if (this.#sent) throw new StateError('MessageBatch', 'add', 'sent', ['not sent']);
    if (topic !== this.#lastTopic) this.#checkTopic(topic);
    if (key === undefined) key = null;
    else if (key !== null && typeof key !== 'string' && !(key instanceof Uint8Array)) throw new InvalidArgumentError(WHERE, `key: got ${typeof key}, expected a string, a Buffer or null`, { topic });
    let bytes: Uint8Array | null;
    if (value === null || value instanceof Uint8Array) bytes = value;
    else if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
    else if (value === undefined) throw new InvalidArgumentError(WHERE, 'value: got undefined; pass null explicitly for a message without a value', { topic });
    else bytes = this.#enc.serialize(value, topic);
    let id: string | undefined;
    let suffix: string | undefined;
    let headers: NativeHeaders | undefined;
    let partition: number | null = null;
    let timestamp: number | null = null;
    if (options !== undefined) {
      ({ id, headers, partition, timestamp } = this.#options(topic, options));
    }
    if (id === undefined && this.#enc.autoIds) id = suffix = nextIdSuffix();
    if (this.#correlationId !== undefined) (headers ??= []).push({ [HEADER_CORRELATION_ID]: this.#correlationId });
    // Only now, with every argument checked: a refused add() leaves no chunk behind.
    const p = this.#room();
    const row = p.count * MSG_STRIDE;
    p.add(0, topic, partition, key, bytes, headers, timestamp, id, suffix);
    if (id !== undefined) p.table[row + M_FLAGS]! |= FLAG_HAS_ID;
    return this.#length++;
  }

  /**
   * @internal publishBatch()'s packed path: packs an OutgoingMessage as publish() would send it
   * (value through the serializer, key, id, headers, metadata, correlation id, partition,
   * timestamp). Throws what encoding it throws (`where` names the call); nothing is added then.
   * Returns the id it was sent with (undefined: none).
   */
  addMessage(m: OutgoingMessage, where: string): string | undefined {
    if (!(m instanceof OutgoingMessage)) throw new InvalidArgumentError(where, 'expected a message built with newMessage(topic, value)');
    const value = valueOf(m, this.#enc.serialize);
    const headers = headersOf(m);
    const id = this.#enc.autoIds ? m.id : m.existingId;
    const p = this.#room();
    const row = p.count * MSG_STRIDE;
    p.add(0, m.topic, m.partition ?? null, keyOf(m.key), value, headers, m.timestamp ?? null, id, m.generatedIdSuffix);
    if (id !== undefined) p.table[row + M_FLAGS]! |= FLAG_HAS_ID;
    this.#length++;
    return id;
  }

  #checkTopic(topic: unknown): void {
    if (typeof topic !== 'string' || topic.length === 0) throw new InvalidArgumentError(WHERE, `topic: got ${JSON.stringify(topic)}, expected a non-empty topic name`);
    if (topic.includes('\0')) throw new InvalidArgumentError(WHERE, `topic: got ${JSON.stringify(topic)}, a topic name cannot contain a zero byte`);
    this.#lastTopic = topic as string;
  }

  /** Checks add()'s options (off the common path: only when given). */
  #options(topic: string, o: BatchMessageOptions): { id: string | undefined; headers: NativeHeaders | undefined; partition: number | null; timestamp: number | null } {
    if (o === null || typeof o !== 'object') throw new InvalidArgumentError(WHERE, `options: expected an object { headers?, partition?, timestamp?, id? }, got ${o === null ? 'null' : typeof o}`, { topic });
    for (const k of Object.keys(o)) {
      if (k !== 'headers' && k !== 'partition' && k !== 'timestamp' && k !== 'id') throw new InvalidArgumentError(WHERE, `options: unknown option ${JSON.stringify(k)} (headers, partition, timestamp, id)`, { topic });
    }
    const { id, partition, timestamp } = o;
    if (id !== undefined && (typeof id !== 'string' || id.length === 0 || !id.isWellFormed())) throw new InvalidArgumentError(WHERE, 'options.id: expected a non-empty, well-formed string', { topic });
    if (partition !== undefined && (!Number.isInteger(partition) || partition < 0 || partition > MAX_PARTITION)) throw new InvalidArgumentError(WHERE, `options.partition: got ${String(partition)}, expected an integer from 0 to ${MAX_PARTITION}`, { topic });
    if (timestamp !== undefined && (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0)) throw new InvalidArgumentError(WHERE, `options.timestamp: got ${String(timestamp)}, expected milliseconds since the epoch`, { topic });
    let headers: NativeHeaders | undefined;
    if (o.headers !== undefined) {
      if (!Array.isArray(o.headers)) throw new InvalidArgumentError(WHERE, 'options.headers: expected an array of [name, value] pairs', { topic });
      headers = [];
      for (const h of o.headers as unknown[]) {
        if (!Array.isArray(h) || h.length !== 2) throw new InvalidArgumentError(WHERE, 'options.headers: every header must be a [name, value] pair', { topic });
        const [name, v] = h as [unknown, unknown];
        if (typeof name !== 'string' || name.length === 0 || !isSafeHeaderName(name)) throw new InvalidArgumentError(WHERE, `options.headers: header name ${JSON.stringify(name)} must be a non-empty string without a zero byte or a lone surrogate`, { topic });
        if (name === HEADERS.MESSAGE_ID || name === HEADER_METADATA || name === HEADER_CORRELATION_ID) throw new InvalidArgumentError(WHERE, `options.headers: "${name}" is reserved by the library${name === HEADERS.MESSAGE_ID ? ' (use options.id)' : ''}`, { topic });
        if (typeof v === 'string' ? !v.isWellFormed() : !Buffer.isBuffer(v)) throw new InvalidArgumentError(WHERE, `options.headers: header "${name}" must have a well-formed string or a Buffer value`, { topic });
        headers.push({ [name]: v as string | Buffer });
      }
    }
    return { id, headers, partition: partition ?? null, timestamp: timestamp === undefined || timestamp === 0 ? null : timestamp };
  }

  /**
   * @internal producer.sendBatch(): hands every chunk to the engine; resolves with the summary
   * once every message settled. Marks the batch sent (rejects with StateError if it was).
   */
  send(engine: ProducerEngine, diagnostics: Diagnostics | undefined): Promise<BatchSummary> {
    if (this.#sent) return Promise.reject(new StateError('MessageBatch', 'send', 'sent', ['not sent']));
    if (this.#length === 0) {
      this.#sent = true;
      return Promise.resolve({ delivered: 0, failed: [], possibleDuplicates: [] });
    }
    return new Promise<BatchSummary>((resolve) => this.dispatch(engine, diagnostics, new TallyResults(new BatchTally(this.#length, resolve)), undefined, 'sendBatch'));
  }

  /**
   * @internal Hands every chunk to the engine (once); each message's outcome goes to `results`
   * under its index in the batch, or `indexOf[index]` when given (publishBatch(): messages refused
   * while encoding were not added).
   */
  dispatch(engine: ProducerEngine, diagnostics: Diagnostics | undefined, results: PackedResults, indexOf: Int32Array | undefined, op: string): void {
    this.#sent = true;
    this.#packer = undefined;
    let base = 0;
    for (const p of this.#packers) {
      const chunk = new PackedChunk(p, new ChunkSink(results, base, indexOf, diagnostics, p));
      base += p.count;
      engine.sendPacked(chunk, op);
    }
    this.#packers.length = 0;
  }
}

/** Where the outcome of each message of a dispatched batch goes, by its index in the caller's list. */
export interface PackedResults {
  /** `possibleDuplicate`: undefined on a first attempt; after a library retry, whether an earlier attempt may have been written. */
  delivered(index: number, possibleDuplicate: boolean | undefined, partition: number, offset: number, timestamp: number | undefined): void;
  failed(index: number, error: Error): void;
}

/** A BatchSummary (sendBatch(), publishBatch() with `results: 'failures'`). */
export class TallyResults implements PackedResults {
  constructor(readonly tally: BatchTally) {}
  delivered(index: number, possibleDuplicate: boolean | undefined): void {
    this.tally.ok(index, possibleDuplicate === true);
  }
  failed(index: number, error: Error): void {
    this.tally.fail(index, error);
  }
}

/**
 * One outcome per message (publishBatch()), each result built when its report comes, as the engine
 * builds it for publish(), from the topic and id each message was sent with (taken at the call: the
 * caller's array and messages are not read again).
 */
export class OutcomeResults implements PackedResults {
  constructor(
    readonly outcomes: BatchOutcomes,
    readonly topics: readonly string[],
    readonly ids: ReadonlyArray<string | undefined>,
  ) {}
  delivered(index: number, possibleDuplicate: boolean | undefined, partition: number, offset: number, timestamp: number | undefined): void {
    const topic = this.topics[index]!;
    const messageId = this.ids[index];
    const result = possibleDuplicate === undefined ? { topic, partition, offset, timestamp, messageId } : { topic, partition, offset, timestamp, messageId, possibleDuplicate };
    this.outcomes.settle(index, { ok: true, result });
  }
  failed(index: number, error: Error): void {
    this.outcomes.settle(index, { ok: false, error });
  }
}

/** Counts a chunk's messages as published, per topic; returns its topics' counters by topic index. */
function countPublished(p: BatchPacker, d: Diagnostics): TopicCounters[] {
  const counters = p.topics.map((t) => d.counters.publish(t));
  for (let i = 0; i < p.count; i++) counters[p.table[i * MSG_STRIDE + M_TOPIC]!]!.total++;
  return counters;
}

/** One chunk's messages → the batch's results (at `base` in the batch) and the topics' counters. */
class ChunkSink implements PackedSink {
  /** The chunk's topics' counters by topic index (none without diagnostics). */
  readonly #counters: TopicCounters[] | undefined;
  constructor(
    readonly results: PackedResults,
    readonly base: number,
    readonly indexOf: Int32Array | undefined,
    readonly diagnostics: Diagnostics | undefined,
    p: BatchPacker,
  ) {
    this.#counters = diagnostics === undefined ? undefined : countPublished(p, diagnostics);
  }
  /** Message i's index in the caller's list. */
  #index(i: number): number {
    return this.indexOf === undefined ? this.base + i : this.indexOf[this.base + i]!;
  }
  /** Message i's topic counters. */
  #topic(chunk: PackedChunk, i: number): TopicCounters | undefined {
    return this.#counters?.[chunk.packer.table[i * MSG_STRIDE + M_TOPIC]!];
  }
  delivered(chunk: PackedChunk, i: number, possibleDuplicate: boolean | undefined, partition: number, offset: number, timestamp: number | undefined): void {
    const c = this.#topic(chunk, i);
    if (c !== undefined) c.success++;
    if (chunk.pending === 1) release(chunk.packer);
    this.results.delivered(this.#index(i), possibleDuplicate, partition, offset, timestamp);
  }
  retrying(chunk: PackedChunk, i: number): void {
    const c = this.#topic(chunk, i);
    if (c !== undefined) c.retries++;
  }
  failed(chunk: PackedChunk, i: number, error: Error): void {
    const c = this.#topic(chunk, i);
    if (c !== undefined) this.diagnostics!.counters.error(c, errorType(error));
    if (chunk.pending === 1) release(chunk.packer);
    this.results.failed(this.#index(i), error);
  }
}

/** A settled chunk's packer: full-size ones go back to the pool, forgetting their topics (another producer, another cluster may take it). */
function release(p: BatchPacker): void {
  if (p.maxMessages !== BATCH_MAX_MESSAGES || pool.length >= POOL_MAX) return;
  p.reset();
  p.forgetTopics();
  pool.push(p);
}
