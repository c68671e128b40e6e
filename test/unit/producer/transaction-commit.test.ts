import assert from 'node:assert/strict';
import { TransactionalProducer } from '../../../src/producer/transaction.js';
import { TransactionAbortedError, TransactionCommitUnknownError, TransactionKafkaError } from '../../../src/producer/transaction-errors.js';
import { resolveConfig } from '../../../src/config/index.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import { FakeBinding, type FakeProducer } from '../../helpers/fake-binding.js';
import { ConsumerBinding, FakeConsumer } from '../consumer/fake-consumer.js';
import { TransactionalTransform } from '../../../src/producer/transform.js';
import { newMessage } from '../../../src/message/outgoing.js';
import type { NativeBatchSink, NativeMessage } from '../../../src/native/types.js';

type Call = 'init' | 'begin' | 'offsets' | 'commit' | 'abort';
type Failure = { code: number; name: string; retriable?: boolean; txnRequiresAbort?: boolean; fatal?: boolean };

/**
 * The transactional calls of the batch producer addon, modelled on librdkafka 2.12
 * (rdkafka_txnmgr.c): a commit that times out stays librdkafka's current call ("resumable"), so
 * until commitTransaction is called again every other transactional call fails with a retriable
 * _CONFLICT; calling it again resumes it. `commits` scripts each commit call's outcome: 'ok',
 * 'timeout' (waits the timeout it was given, as librdkafka does, then _TIMED_OUT), or an error.
 */
class FakeTxn {
  readonly calls: Call[] = [];
  commits: Array<'ok' | 'timeout' | Failure> = [];
  /** How many ms before the timeout it was given a 'timeout' ends (librdkafka's clock is not Date.now()). */
  early = 0;
  #current: Call | undefined;

  #fail(call: string, f: Failure): Error {
    return Object.assign(new Error(`${call}: ${f.name}`), { code: f.code, name: f.name, fatal: f.fatal === true, retriable: f.retriable === true, txnRequiresAbort: f.txnRequiresAbort === true, op: call });
  }
  #conflict(call: Call): Error | undefined {
    if (this.#current === undefined || this.#current === call) return undefined;
    return this.#fail(call, { code: -173, name: '_CONFLICT', retriable: true });
  }
  attach(p: FakeProducer): void {
    Object.assign(p, {
      initTransactions: async () => void this.calls.push('init'),
      beginTransaction: () => {
        this.calls.push('begin');
        const c = this.#conflict('begin');
        if (c) throw c;
      },
      sendOffsetsToTransaction: async () => void this.calls.push('offsets'),
      commitTransaction: async (timeoutMs: number) => {
        this.calls.push('commit');
        const step = this.commits.shift() ?? 'ok';
        if (step === 'timeout') {
          this.#current = 'commit';
          await new Promise((r) => setTimeout(r, timeoutMs - this.early));
          throw this.#fail('commitTransaction', { code: -185, name: '_TIMED_OUT', retriable: true });
        }
        this.#current = undefined;
        if (step !== 'ok') throw this.#fail('commitTransaction', step);
      },
      abortTransaction: async () => {
        this.calls.push('abort');
        const c = this.#conflict('abort');
        if (c) throw c;
      },
    });
  }
}

function setup(): { tp: TransactionalProducer; txn: FakeTxn } {
  const binding = new FakeBinding();
  const txn = new FakeTxn();
  binding.configure = (p) => {
    p.autoDeliver = true;
    txn.attach(p);
  };
  const config = resolveConfig({ brokers: ['fake:9092'] });
  const tp = new TransactionalProducer({ binding, config, diagnostics: new Diagnostics({ clientId: 'test' }) }, { transactionalId: 'unit-txn', transactionTimeoutMs: 1000, operationTimeoutMs: 100 });
  return { tp, txn };
}

describe('TransactionalProducer: a commit that times out (fake addon, librdkafka rules)', () => {
  it('surfaces an outcome-unknown error (not aborted), never aborts, and completePending() resumes the same commit', async () => {
    const { tp, txn } = setup();
    await tp.connect();
    txn.commits = ['timeout', 'ok'];
    const err = await tp.transaction(() => 'x').then(
      () => assert.fail('expected the commit to time out'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TransactionCommitUnknownError, String(err));
    assert.ok(err instanceof TransactionKafkaError);
    assert.ok(!(err instanceof TransactionAbortedError));
    assert.equal(err.code, 'GCK_KAFKA__TIMED_OUT');
    assert.equal(err.outcomeUnknown, true);
    assert.equal(err.retriable, false);
    assert.equal((err.context as { outcomeUnknown?: boolean }).outcomeUnknown, true);
    assert.deepEqual(txn.calls, ['init', 'begin', 'commit']);
    assert.equal(await tp.completePending(), 'committed');
    assert.deepEqual(txn.calls, ['init', 'begin', 'commit', 'commit']);
    assert.deepEqual(tp.counts, { committed: 1, aborted: 0 });
    assert.equal(await tp.completePending(), 'none');
    await tp.close(1000);
  });

  it('the next transaction() resumes the pending commit before it begins (no abort, no _CONFLICT), then runs', async () => {
    const { tp, txn } = setup();
    await tp.connect();
    txn.commits = ['timeout', 'ok', 'ok'];
    await assert.rejects(tp.transaction(() => 1), TransactionCommitUnknownError);
    assert.equal(await tp.transaction(() => 2), 2);
    assert.deepEqual(txn.calls, ['init', 'begin', 'commit', 'commit', 'begin', 'commit']);
    assert.deepEqual(tp.counts, { committed: 2, aborted: 0 });
    await tp.close(1000);
  });

  it('a commit timing out a few ms before Date.now() reaches the deadline has used its time: one call, outcome unknown, the next outcome left to completePending()', async () => {
    const { tp, txn } = setup();
    await tp.connect();
    txn.early = 5;
    txn.commits = ['timeout', 'ok'];
    await assert.rejects(tp.transaction(() => 1), TransactionCommitUnknownError);
    assert.deepEqual(txn.calls, ['init', 'begin', 'commit']);
    assert.equal(await tp.completePending(), 'committed');
    await tp.close(1000);
  });

  it('a commit still unfinished when resumed keeps the outcome unknown; one that then needs an abort is aborted and reported as such', async () => {
    const { tp, txn } = setup();
    await tp.connect();
    txn.commits = ['timeout', 'timeout', { code: 48, name: 'INVALID_TXN_STATE', txnRequiresAbort: true }];
    await assert.rejects(tp.transaction(() => 1), TransactionCommitUnknownError);
    await assert.rejects(tp.completePending(), TransactionCommitUnknownError);
    assert.equal(await tp.completePending(), 'aborted');
    assert.deepEqual(txn.calls, ['init', 'begin', 'commit', 'commit', 'commit', 'abort']);
    assert.deepEqual(tp.counts, { committed: 0, aborted: 1 });
    await tp.close(1000);
  });

  it('a commit that needs an abort (not a timeout) is aborted: TransactionAbortedError', async () => {
    const { tp, txn } = setup();
    await tp.connect();
    txn.commits = [{ code: 22, name: 'ILLEGAL_GENERATION', txnRequiresAbort: true }];
    await assert.rejects(tp.transaction(() => 1), TransactionAbortedError);
    assert.deepEqual(txn.calls, ['init', 'begin', 'commit', 'abort']);
    assert.equal(await tp.completePending(), 'none');
    await tp.close(1000);
  });
});

/**
 * The batch consumer as the addon drives it: a batch is taken from the partition logs only when
 * a drain runs (a later turn, while fetching), so nothing is taken after stopFetching().
 */
class TxnConsumer extends FakeConsumer {
  #sink: NativeBatchSink | undefined;
  #fetching = false;
  groupMetadata(): Buffer {
    return Buffer.from('member-1/generation-1');
  }
  override startFetching(sink: NativeBatchSink): void {
    this.calls.push('startFetching');
    this.#sink = sink;
    this.#fetching = true;
    this.#drain();
  }
  override stopFetching(): void {
    this.#fetching = false;
  }
  #drain(): void {
    setTimeout(() => {
      if (!this.#fetching) return;
      const out: NativeMessage[] = [];
      const room = this.#sink!.room();
      for (const key of this.assigned) {
        const log = this.logs.get(key) ?? [];
        let pos = this.positions.get(key) ?? this.commits.get(key) ?? 0;
        while (out.length < room && pos < log.length) out.push(log[pos++]!);
        this.positions.set(key, pos);
      }
      if (out.length > 0) this.#sink!.batch(out);
      this.#drain();
    }, 1);
  }
}

describe('TransactionalTransform: a commit whose outcome is unknown (fake addon and consumer)', () => {
  async function run(commits: FakeTxn['commits']): Promise<{ transformed: number; txn: FakeTxn; consumer: TxnConsumer; t: TransactionalTransform; errors: Error[] }> {
    const binding = new ConsumerBinding((global) => new TxnConsumer(global));
    const txn = new FakeTxn();
    txn.commits = commits;
    binding.configure = (p) => {
      p.autoDeliver = true;
      txn.attach(p);
    };
    const config = resolveConfig({ brokers: ['fake:9092'] });
    let transformed = 0;
    const errors: Error[] = [];
    let committed!: () => void;
    const firstCommit = new Promise<void>((r) => (committed = r));
    const t = new TransactionalTransform(
      { binding, config, diagnostics: new Diagnostics({ clientId: 'test' }) },
      {
        groupId: 'g',
        inputTopics: ['in'],
        transactionalId: 'unit-xform',
        transactionTimeoutMs: 1000, // also the operation timeout: the fake's timed-out commit waits that long
        batchSize: 10,
        transform: (m) => {
          transformed++;
          return newMessage('out', String(m.offset));
        },
        onCommit: () => committed(),
        onError: (e) => errors.push(e),
      },
    );
    await t.start();
    const consumer = binding.consumers[0] as TxnConsumer;
    consumer.append('in', 0, 10);
    consumer.incrementalAssign([{ topic: 'in', partition: 0 }]);
    await firstCommit;
    await t.stop(1000);
    return { transformed, txn, consumer, t, errors };
  }

  it('resumes the commit instead of aborting, and never rewinds or re-runs the batch: each input transformed once', async () => {
    const { transformed, txn, consumer, t, errors } = await run(['timeout', 'ok']);
    assert.equal(transformed, 10);
    assert.deepEqual(txn.calls.filter((c) => c !== 'offsets'), ['init', 'begin', 'commit', 'commit']);
    assert.ok(!consumer.calls.some((c) => c.startsWith('seek')), consumer.calls.join('; '));
    assert.deepEqual(t.stats, { batches: 1, inputs: 10, outputs: 10, aborted: 0 });
    assert.ok(errors[0] instanceof TransactionCommitUnknownError, String(errors[0]));
    assert.equal(t.state, 'stopped');
  });

  it('a resumed commit that ends aborted rewinds the batch and runs it again', async () => {
    const { transformed, txn, consumer, t } = await run(['timeout', { code: 48, name: 'INVALID_TXN_STATE', txnRequiresAbort: true }, 'ok']);
    assert.equal(transformed, 20);
    assert.deepEqual(txn.calls.filter((c) => c !== 'offsets'), ['init', 'begin', 'commit', 'commit', 'abort', 'begin', 'commit']);
    assert.ok(consumer.calls.includes('seek 0@0'), consumer.calls.join('; '));
    assert.deepEqual(t.stats, { batches: 1, inputs: 10, outputs: 10, aborted: 1 });
  });
});
