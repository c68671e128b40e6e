import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BROKERS, createTopic, uniqueName } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('../../fixtures/failpoint-process.ts', import.meta.url));

interface Described {
  name: string;
  code: unknown;
  message: string;
}
interface ChildResult {
  scenario: string;
  error: Described | null;
  closeError: Described | null;
  closeMs: number;
  /** What the client's (or the consumer's) onError heard. */
  reported: Described[];
  /** flush: the outcome of the message in flight. */
  published?: string;
}

/**
 * Runs failpoint-process.ts with GOCOFFEE_TEST_FAILPOINTS=`failpoints` and waits (at most
 * `limitMs`) for it to exit by itself: its one JSON line, exit code, whether it had to be killed.
 */
function runChild(scenario: string, failpoints: string | undefined, topic: string, limitMs = 40_000): Promise<{ result: ChildResult | undefined; code: number | null; killed: boolean; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ scenario, brokers: BROKERS, topic, group: uniqueName('fp-group') })], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: withFailpoints(failpoints),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{"scenario"'));
      resolve({ result: line === undefined ? undefined : (JSON.parse(line) as ChildResult), code, killed, out });
    });
  });
}

/** The test's environment with GOCOFFEE_TEST_FAILPOINTS set to `failpoints`, or without it. */
function withFailpoints(failpoints: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.GOCOFFEE_TEST_FAILPOINTS;
  if (failpoints !== undefined) env.GOCOFFEE_TEST_FAILPOINTS = failpoints;
  return env;
}

// Each native worker's OnError path (its Execute threw, as std::bad_alloc would): the call ends
// with a typed error naming it, the close that follows is not held up, the process exits by itself
// (no worker left unsettled). The failpoints are test-only (src/native/addon/failpoint.h).
describe('native workers whose work throws (test failpoints, real broker)', function () {
  this.timeout(120_000);
  let topic: string;
  before(async () => {
    topic = uniqueName('failpoint');
    await createTopic(topic, 1);
  });

  // The call itself rejects with this error.
  const cases: Array<{ scenario: string; failpoints: string; name: string; code: string; message: RegExp }> = [
    { scenario: 'admin', failpoints: 'admin.op', name: 'KafkaError', code: 'GCK_KAFKA__FAIL', message: /^listGroups: admin operation failed: failpoint admin\.op/ },
    { scenario: 'metadata', failpoints: 'producer.metadata', name: 'ConnectionError', code: 'GCK_CONNECT', message: /could not connect to Kafka cluster .*: metadata: failpoint producer\.metadata/ },
    { scenario: 'transaction', failpoints: 'producer.txn', name: 'TransactionKafkaError', code: 'GCK_KAFKA__FAIL', message: /initTransactions: failpoint producer\.txn/ },
    { scenario: 'consumer', failpoints: 'consumer.task', name: 'ConnectionError', code: 'GCK_CONNECT', message: /could not connect to Kafka cluster .*: metadata failed: failpoint consumer\.task/ },
    { scenario: 'committed', failpoints: 'consumer.task+1', name: 'KafkaError', code: 'GCK_KAFKA__FAIL', message: /^committed offsets: committed failed: failpoint consumer\.task/ },
  ];
  for (const c of cases) {
    it(`${c.failpoints}: ${c.scenario} rejects with ${c.name} (${c.code}); close() and the process end by themselves`, async () => {
      const run = await runChild(c.scenario, c.failpoints, topic);
      assert.equal(run.killed, false, `the process did not exit by itself: ${run.out}`);
      assert.equal(run.code, 0, run.out);
      assert.ok(run.result !== undefined, run.out);
      const { error, closeError, closeMs } = run.result;
      assert.ok(error !== null, `the call succeeded: ${run.out}`);
      assert.equal(error.name, c.name, run.out);
      assert.equal(error.code, c.code, run.out);
      assert.match(error.message, c.message);
      assert.equal(closeError, null, run.out);
      assert.ok(closeMs < 5_000, `close() took ${closeMs} ms`);
    });
  }

  it('producer.flush: flush() goes on (the message in flight is delivered); the failure reaches the client onError (GCK_KAFKA__FAIL); close() and the process end', async () => {
    const run = await runChild('flush', 'producer.flush', topic);
    assert.equal(run.killed, false, `the process did not exit by itself: ${run.out}`);
    assert.equal(run.code, 0, run.out);
    assert.ok(run.result !== undefined, run.out);
    assert.equal(run.result.error, null, run.out);
    assert.equal(run.result.published, 'delivered', run.out);
    assert.deepEqual(
      run.result.reported.map((r) => [r.name, r.code]),
      [['KafkaError', 'GCK_KAFKA__FAIL']],
      run.out,
    );
    assert.match(run.result.reported[0]!.message, /^flush: rd_kafka_flush worker failed: failpoint producer\.flush/);
    assert.equal(run.result.closeError, null, run.out);
    assert.ok(run.result.closeMs < 5_000, `close() took ${run.result.closeMs} ms`);
  });

  it("consumer.close: the close work throws while revoking the partition it holds; it runs again to the end, stop()'s onError names the failure (GCK_KAFKA__FAIL); the process ends", async () => {
    const run = await runChild('close', 'consumer.close', topic);
    assert.equal(run.killed, false, `the process did not exit by itself: ${run.out}`);
    assert.equal(run.code, 0, run.out);
    assert.ok(run.result !== undefined, run.out);
    assert.equal(run.result.error, null, run.out);
    assert.deepEqual(run.result.reported.map((r) => [r.name, r.code]), [['KafkaError', 'GCK_KAFKA__FAIL']], run.out);
    assert.match(run.result.reported[0]!.message, /^closing the consumer: the close work failed once \(failpoint consumer\.close\) and ran again to the end/);
    assert.equal(run.result.closeError, null, run.out);
  });

  it('without failpoints (variable unset) every scenario succeeds and nothing is reported', async () => {
    for (const scenario of ['admin', 'metadata', 'transaction', 'consumer', 'committed', 'flush', 'close']) {
      const run = await runChild(scenario, undefined, topic);
      assert.equal(run.code, 0, run.out);
      assert.deepEqual({ error: run.result?.error, closeError: run.result?.closeError, reported: run.result?.reported }, { error: null, closeError: null, reported: [] }, `${scenario}: ${run.out}`);
      if (scenario === 'flush') assert.equal(run.result?.published, 'delivered');
    }
  });
});
