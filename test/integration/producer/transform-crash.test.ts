import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ConnectionManager } from '../../../src/client.js';
import { newMessage } from '../../../src/producer/index.js';
import { TransactionalProducer } from '../../../src/producer/transaction.js';
import { TransactionalTransform } from '../../../src/producer/transform.js';
import { TransactionFencedError } from '../../../src/producer/transaction-errors.js';
import { toLibrdkafkaConfig } from '../../../src/config/index.js';
import { loadNativeBinding, connectClient, disconnectClient, type NativeMessage } from '../../../src/native/index.js';
import { REPO_ROOT, createTopic, rng, testConfig, uniqueName, waitFor } from '../helpers.js';
import { keyOf, readUntil, txnDeps, valueOf } from './transaction-helpers.js';

const CHILD = fileURLToPath(new URL('./transform-child.ts', import.meta.url));
const INPUTS = 20_000;
const KEYS = 50;
const PARTITIONS = 3;
const KILLS = 4;

/** A transform child and the lines it printed, as they arrive. */
interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  commits: number;
  committedInputs: number;
  /** The last thing the child said: 'begin' (a transaction is open) or 'commit'. */
  last: string;
  waiters: Array<() => void>;
}

function startChild(args: string[], slow: boolean): Run {
  const env = { ...process.env, XFORM_SLOW: slow ? '1' : '0' };
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env });
  const run: Run = { child, exited: new Promise((r) => child.once('exit', () => r())), commits: 0, committedInputs: 0, last: '', waiters: [] };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [what, , n] = line.split(' ');
    if (what === 'commit') {
      run.commits++;
      run.committedInputs += Number(n);
    }
    run.last = what ?? '';
    for (const w of run.waiters.splice(0)) w();
  });
  return run;
}

/** Resolves once `cond` holds after some line of the child (or rejects when it exits first). */
function when(run: Run, cond: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (cond()) resolve();
      else run.waiters.push(check);
    };
    void run.exited.then(() => reject(new Error(`transform child exited (code ${run.child.exitCode}) before the expected output`)));
    check();
  });
}

/**
 * Issue 18 item 1: exactly-once consume-transform-produce under SIGKILL. 20,000 keyed input
 * messages (50 keys × 400 per-key sequence numbers, 3 partitions) are transformed by a child
 * process (transform-child.ts: TransactionalTransform, 100 inputs per transaction) that is
 * SIGKILLed 4 times at random moments inside a transaction and restarted with the same
 * transactional id and group. A read_committed reader of the output must then see every input
 * exactly once, each key's outputs in sequence order, and no output of a transaction that did not
 * commit (a transaction is visible whole or not at all).
 */
describe('Consume-transform-produce killed with SIGKILL mid-transaction and restarted', function () {
  this.timeout(90_000);
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('a read_committed reader sees every input transformed exactly once, per key in order; aborted outputs stay invisible', async () => {
    const input = uniqueName('xform-in');
    const output = uniqueName('xform-out');
    const groupId = uniqueName('xform-group');
    const transactionalId = uniqueName('xform-txn');
    await Promise.all([createTopic(input, PARTITIONS), createTopic(output, PARTITIONS)]);

    // The input: per key, sequence numbers 0..399, produced in order (same key → same partition).
    const cm = new ConnectionManager(testConfig());
    await cm.initialize();
    const ends = new Array<number>(PARTITIONS).fill(0);
    try {
      const perKey = INPUTS / KEYS;
      const msgs = [];
      for (let seq = 0; seq < perKey; seq++) for (let k = 0; k < KEYS; k++) msgs.push(newMessage(input, `key-${k}:${seq}`).withKey(`key-${k}`));
      for (let i = 0; i < msgs.length; i += 2000) {
        for (const o of await cm.producer.publishBatch(msgs.slice(i, i + 2000))) {
          assert.ok(o.ok, o.error?.message);
          ends[o.result.partition] = Math.max(ends[o.result.partition]!, o.result.offset + 1);
        }
      }
    } finally {
      await cm.close();
    }

    const random = rng(Number(process.env.GOCOFFEE_SEED ?? Date.now() % 100_000));
    let kills = 0;
    let killedInTransaction = 0;
    let runNo = 0;
    const args = () => [input, output, groupId, transactionalId, `r${++runNo}`];
    while (kills < KILLS) {
      const run = startChild(args(), true);
      children.push(run.child);
      // Some committed output first, then a random point inside the next transaction: 0-150 ms
      // after it began (a slow run's transaction lasts ~250 ms; its outputs are written meanwhile).
      const commitsFirst = 2 + Math.floor(random() * 6);
      await when(run, () => run.commits >= commitsFirst && run.last === 'begin');
      await new Promise((r) => setTimeout(r, Math.floor(random() * 150)));
      if (run.last === 'begin') killedInTransaction++;
      run.child.kill('SIGKILL');
      await run.exited;
      kills++;
    }

    // The last run finishes the input: done when the group's committed offsets reach the input's end.
    const last = startChild(args(), false);
    children.push(last.child);
    await waitForGroupAtEnd(groupId, input, ends);
    last.child.kill('SIGTERM');
    await last.exited;

    // One committed sentinel per output partition, after everything: reading up to them reads all.
    const tp = new TransactionalProducer(txnDeps(), { transactionalId: uniqueName('xform-sentinel') });
    await tp.connect();
    await tp.transaction(async (tx) => {
      for (let p = 0; p < PARTITIONS; p++) await tx.publish(newMessage(output, 'sentinel').withKey('sentinel').withPartition(p));
    });
    await tp.close();
    const allSentinels = (all: NativeMessage[]) => all.filter((m) => keyOf(m) === 'sentinel').length === PARTITIONS;
    const committed = (await readUntil([output], 'read_committed', allSentinels, 45_000, PARTITIONS)).filter((m) => keyOf(m) !== 'sentinel');
    const everything = (await readUntil([output], 'read_uncommitted', allSentinels, 45_000, PARTITIONS)).filter((m) => keyOf(m) !== 'sentinel');

    // Exactly once: each input (partition:offset) appears once among the committed outputs.
    const byInput = new Map<string, number>();
    for (const m of committed) {
      const [, , inPart, inOff] = valueOf(m).split(':');
      byInput.set(`${inPart}:${inOff}`, (byInput.get(`${inPart}:${inOff}`) ?? 0) + 1);
    }
    let duplicates = 0;
    for (const n of byInput.values()) duplicates += n - 1;
    let missing = 0;
    for (let p = 0; p < PARTITIONS; p++) for (let o = 0; o < ends[p]!; o++) if (!byInput.has(`${p}:${o}`)) missing++;

    // Per key, in output order: sequence numbers 0, 1, 2, … (output partitions keep per-key order).
    let outOfOrder = 0;
    const examples: string[] = [];
    const nextSeq = new Map<string, number>();
    for (const m of committed) {
      const [key, seq] = valueOf(m).split(':');
      const expected = nextSeq.get(key!) ?? 0;
      if (Number(seq) !== expected) {
        outOfOrder++;
        if (examples.length < 5) examples.push(`${key}: got ${seq}, expected ${expected}`);
      }
      nextSeq.set(key!, Number(seq) + 1);
    }

    // Atomicity: outputs written but never committed (killed or aborted transactions) exist in the
    // log; none of their transactions (runId:transaction) shows even one output to read_committed.
    const visible = new Set(committed.map((m) => `${m.partition}:${m.offset}`));
    const abortedWritten = everything.filter((m) => !visible.has(`${m.partition}:${m.offset}`));
    const abortedTags = new Set(abortedWritten.map((m) => valueOf(m).split(':').slice(4).join(':')));
    const abortedVisible = committed.filter((m) => abortedTags.has(valueOf(m).split(':').slice(4).join(':'))).length;

    console.log(
      `      inputs ${INPUTS}; kills ${kills} (${killedInTransaction} with a transaction open); runs ${runNo}; ` +
        `outputs seen (read_committed) ${committed.length}; duplicates ${duplicates}; missing ${missing}; out of order ${outOfOrder}; ` +
        `aborted outputs in the log ${abortedWritten.length} (from ${abortedTags.size} transactions); aborted-visible ${abortedVisible}`,
    );
    assert.equal(kills, KILLS);
    assert.equal(duplicates, 0);
    assert.equal(missing, 0);
    assert.equal(outOfOrder, 0, examples.join('; '));
    assert.equal(abortedVisible, 0);
    assert.equal(committed.length, INPUTS);
    assert.equal(nextSeq.size, KEYS);
    for (const [key, n] of nextSeq) assert.equal(n, INPUTS / KEYS, `${key} ends at ${n}`);
  });
});

/** Produces `n` inputs "key-<i%5>:<i>" spread over the topic's partitions; returns each partition's end offset. */
async function produceInputs(topic: string, n: number, partitions: number): Promise<number[]> {
  const cm = new ConnectionManager(testConfig());
  await cm.initialize();
  const ends = new Array<number>(partitions).fill(0);
  try {
    const outcomes = await cm.producer.publishBatch(Array.from({ length: n }, (_, i) => newMessage(topic, `key-${i % 5}:${i}`).withKey(`key-${i % 5}`)));
    for (const o of outcomes) {
      assert.ok(o.ok, o.error?.message);
      ends[o.result.partition] = Math.max(ends[o.result.partition]!, o.result.offset + 1);
    }
  } finally {
    await cm.close();
  }
  return ends;
}

describe('TransactionalTransform in process', function () {
  this.timeout(90_000);
  const running: TransactionalTransform[] = [];
  const spawned: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of spawned.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(running.splice(0).map((t) => t.stop(5000).catch(() => undefined)));
  });

  it('stop() right after start() (while it registers the transactional id) resolves with the transform stopped and nothing left open: the process exits by itself', async () => {
    const env = { ...process.env, XFORM_MODE: 'start-stop' };
    const args = [uniqueName('xform-ss-in'), uniqueName('xform-ss-out'), uniqueName('xform-ss-group'), uniqueName('xform-ss-txn'), 'r1'];
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env });
    spawned.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    // Before the fix a consumer built after stop() stayed connected and kept the child alive (the test then times out).
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(out.trim(), 'stopped stopped resolved');
    assert.equal(code, 0);
  });

  it('a transform that throws aborts its batch; the batch is rewound to the committed offsets and run again: every input exactly once', async () => {
    const input = uniqueName('xform-throw-in');
    const output = uniqueName('xform-throw-out');
    const groupId = uniqueName('xform-throw-group');
    await Promise.all([createTopic(input, 2), createTopic(output, 2)]);
    const ends = await produceInputs(input, 300, 2);
    let thrown = 0;
    const errors: Error[] = [];
    const t = new TransactionalTransform(txnDeps(), {
      groupId,
      inputTopics: [input],
      transactionalId: uniqueName('xform-throw-txn'),
      batchSize: 40,
      transform: (m) => {
        // Fails the first two times it meets input 0:17 (after publishing the batch's earlier outputs).
        if (m.partition === 0 && m.offset === 17 && thrown < 2) {
          thrown++;
          throw new Error('transform failed');
        }
        return newMessage(output, `${m.value!.toString()}:${m.partition}:${m.offset}`).withKey(m.key as Buffer);
      },
      onError: (e) => errors.push(e),
    });
    running.push(t);
    await t.start();
    assert.equal(t.state, 'running');
    await waitForGroupAtEnd(groupId, input, ends);
    await t.stop();
    assert.equal(t.state, 'stopped');
    assert.equal(thrown, 2);
    assert.equal(errors.filter((e) => e.message === 'transform failed').length, 2);
    assert.equal(t.stats.inputs, 300);
    assert.equal(t.stats.aborted, 2);

    const done = (all: NativeMessage[]) => all.length >= 300;
    const seen = await readUntil([output], 'read_committed', done, 45_000, 2);
    const inputs = seen.map((m) => valueOf(m).split(':').slice(2).join(':'));
    assert.equal(new Set(inputs).size, 300, 'each input once');
    // The aborted attempts wrote outputs (read_uncommitted shows more than 300), none visible to read_committed.
    const all = await readUntil([output], 'read_uncommitted', done, 45_000, 2);
    assert.ok(all.length >= 300);
  });

  it('a second instance with the same transactional id fences the first: its next transaction fails with GCK_TRANSACTION_FENCED and it stops (failed); the newer one finishes the input exactly once', async () => {
    const input = uniqueName('xform-fence-in');
    const output = uniqueName('xform-fence-out');
    const groupId = uniqueName('xform-fence-group');
    const transactionalId = uniqueName('xform-fence-txn');
    await Promise.all([createTopic(input, 1), createTopic(output, 1)]);
    const make = (errors: Error[]) =>
      new TransactionalTransform(txnDeps(), {
        groupId,
        inputTopics: [input],
        transactionalId,
        batchSize: 10,
        transform: (m) => newMessage(output, `${m.value!.toString()}:${m.offset}`).withKey(m.key as Buffer),
        onError: (e) => errors.push(e),
      });
    const firstErrors: Error[] = [];
    const first = make(firstErrors);
    running.push(first);
    await first.start();
    let ends = await produceInputs(input, 20, 1);
    await waitForGroupAtEnd(groupId, input, ends);

    const second = make([]);
    running.push(second);
    await second.start(); // init_transactions: the first is fenced from here on
    // The first still owns the partition (it has not noticed yet): its next transaction is refused.
    ends = await produceInputs(input, 20, 1);
    await waitFor(() => first.state === 'failed', 30_000, 'the first instance to be fenced');
    assert.ok(first.failure instanceof TransactionFencedError, String(first.failure));
    assert.equal((first.failure as TransactionFencedError).code, 'GCK_TRANSACTION_FENCED');
    assert.ok(firstErrors.some((e) => e instanceof TransactionFencedError));
    // Stopping the fenced one hands its partition to the second, which finishes the input.
    await first.stop();
    await waitForGroupAtEnd(groupId, input, ends);
    const seen = await readUntil([output], 'read_committed', (all) => all.length >= 40);
    // value: key-<k>:<i>:<input offset>
    assert.deepEqual(seen.map((m) => Number(valueOf(m).split(':')[2])), Array.from({ length: 40 }, (_, i) => i));
  });
});

/** Polls the group's committed offsets (require_stable: never a pending transaction's) until every partition reached `ends`. */
async function waitForGroupAtEnd(groupId: string, topic: string, ends: number[]): Promise<void> {
  const binding = loadNativeBinding();
  const cfg = toLibrdkafkaConfig(testConfig({ groupId }), 'consumer');
  const c = binding.createConsumer({ ...cfg.global, 'enable.auto.commit': false, 'isolation.level': 'read_committed' }, cfg.topic);
  await connectClient(c, 10_000, 'test cluster');
  try {
    const tps = ends.map((_, partition) => ({ topic, partition }));
    for (;;) {
      const offsets = await new Promise<Array<{ partition: number; offset: number }>>((resolve, reject) =>
        c.committed(tps, 10_000, (err, o) => (err ? reject(err) : resolve(o))),
      ).catch(() => []);
      if (offsets.length === ends.length && offsets.every((o) => o.offset >= ends[o.partition]!)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await disconnectClient(c, 5000);
  }
}
