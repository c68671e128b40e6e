import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ConnectionManager } from '../../../src/client.js';
import { newMessage } from '../../../src/producer/index.js';
import { BROKERS, createTopic, testConfig, uniqueName } from '../helpers.js';
import { CLUSTER_BOOTSTRAP, clusterConfig, createClusterTopic, useCluster } from '../faults/util.js';
import { killBroker, NODE_IDS, startBroker } from '../../../scripts/stack-cluster.mjs';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('../../fixtures/stop-process.ts', import.meta.url));
const BLOCKING_WORKER = fileURLToPath(new URL('../../fixtures/handlers/recording.ts', import.meta.url));

interface Step {
  step: string;
  ms: number;
  stopMs?: number;
  closeMs?: number;
  drained?: boolean;
  state?: string;
  error?: string;
}

interface ChildRun {
  steps: Step[];
  code: number | null;
  /** From the start (or from `signal()`, when it was called) until the process exited. */
  ms: number;
  killed: boolean;
  out: string;
}

/**
 * Runs stop-process.ts and waits (at most `limitMs`) for it to exit by itself: its steps, exit
 * code and how long it took. A process that is still alive at the limit is killed and reported.
 * `onReady` (with the child's `onSignal` option) runs once it printed "ready"; then it gets SIGUSR2.
 */
function runChild(options: object, limitMs: number, onReady?: () => Promise<void>): Promise<ChildRun> {
  return new Promise((resolve) => {
    let t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    let readySeen = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (onReady !== undefined && !readySeen && out.includes('"step":"ready"')) {
        readySeen = true;
        void onReady().then(() => {
          t0 = Date.now();
          timer.refresh();
          child.kill('SIGUSR2');
        });
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const steps = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Step);
      resolve({ steps, code, ms: Date.now() - t0, killed, out });
    });
  });
}

function step(steps: Step[], name: string, out: string): Step {
  const s = steps.find((x) => x.step === name);
  assert.ok(s, `no "${name}" step; child output:\n${out}`);
  return s;
}

/**
 * Issue 17 item 6: stop() never hangs the process — it resolves within its bound and releases
 * every native handle, so the process exits by itself (no process.exit), when a handler never
 * settles (in-process and in a worker thread) and when the brokers do not answer.
 */
describe('Consumer stop() is bounded and lets the process exit (child processes)', function () {
  this.timeout(120_000);
  const STOP_TIMEOUT_MS = 1500;

  let topic: string;
  before(async () => {
    topic = uniqueName('stop-bounded');
    await createTopic(topic, 1);
    const cm = new ConnectionManager(testConfig());
    await cm.initialize();
    try {
      await cm.producer.publish(newMessage(topic, 'k:0:B').withKey('k'));
    } finally {
      await cm.close();
    }
  });

  for (const worker of [false, true]) {
    it(`a handler that never settles (${worker ? 'worker thread blocked forever' : 'in-process promise'}): stop() resolves false after stopTimeoutMs, the process exits by itself`, async () => {
      const r = await runChild({ mode: 'hang', topic, group: uniqueName('g-stop'), brokers: BROKERS, stopTimeoutMs: STOP_TIMEOUT_MS, connectTimeoutMs: 10_000, ...(worker ? { worker: BLOCKING_WORKER } : {}) }, 60_000);
      assert.equal(r.killed, false, `the process did not exit within 60 s; output:\n${r.out}`);
      assert.equal(r.code, 0, r.out);
      const stopped = step(r.steps, 'stopped', r.out);
      assert.equal(stopped.drained, false, 'the hung message was not finished');
      assert.equal(stopped.state, 'idle');
      assert.ok(stopped.stopMs! >= STOP_TIMEOUT_MS - 50 && stopped.stopMs! < STOP_TIMEOUT_MS + 8_000, `stop() took ${stopped.stopMs} ms`);
      const closed = step(r.steps, 'closed', r.out);
      assert.ok(closed.ms - stopped.ms < 10_000, `close() took ${closed.closeMs} ms`);
      console.log(`      [stop] ${worker ? 'worker' : 'in-process'}: stop() ${stopped.stopMs} ms, close() ${closed.closeMs} ms, exit ${r.ms - closed.ms < 0 ? '?' : 'after'} ${r.ms} ms total`);
    });
  }

  /**
   * The brokers go away while the consumer runs, its message handled: stop() used to commit
   * synchronously on the JS thread (which then blocked for minutes with frozen brokers: the
   * process never got to stop()'s end) and librdkafka's consumer close waited without a bound
   * (a worker thread the process could not exit without). Now the final commit is asynchronous
   * and the close is bounded (10 s, then the handle is destroyed without the group leave).
   */
  describe('brokers gone while the consumer runs (isolated three-broker cluster)', function () {
    this.timeout(300_000);
    useCluster();
    let clusterTopic: string;
    before(async () => {
      clusterTopic = uniqueName('stop-bounded-cluster');
      await createClusterTopic(clusterTopic, 1);
      const cm = new ConnectionManager(clusterConfig({ clientId: 'stop-bounded' }));
      await cm.initialize();
      try {
        await cm.producer.publish(newMessage(clusterTopic, 'k:0:-').withKey('k'));
      } finally {
        await cm.close();
      }
    });

    const options = (sessionTimeoutMs?: number) => ({ mode: 'done', onSignal: true, topic: clusterTopic, group: uniqueName('g-stop'), brokers: CLUSTER_BOOTSTRAP, stopTimeoutMs: STOP_TIMEOUT_MS, connectTimeoutMs: 5000, ...(sessionTimeoutMs !== undefined ? { sessionTimeoutMs } : {}) });

    it('frozen brokers (SIGSTOP: connections open, no answers): stop() resolves within its bound and the process exits by itself within 10 s of it', async () => {
      const r = await runChild(options(), 120_000, async () => {
        for (const id of NODE_IDS) await killBroker(id, 'SIGSTOP');
      });
      for (const id of NODE_IDS) await startBroker(id); // (continues the frozen nodes for the next test)
      assert.equal(r.killed, false, `the process did not exit within 120 s of stop(); output:\n${r.out}`);
      assert.equal(r.code, 0, r.out);
      const stopped = step(r.steps, 'stopped', r.out);
      assert.ok(stopped.stopMs! < STOP_TIMEOUT_MS + 11_000, `stop() took ${stopped.stopMs} ms`);
      assert.ok(r.ms < STOP_TIMEOUT_MS + 15_000, `the process exited ${r.ms} ms after stop() began`);
      // The close hit its deadline: reported to onError when it ended (after stop() resolved).
      assert.ok(r.steps.some((s) => s.step === 'error' && (s as { code?: string }).code === 'GCK_CONSUMER_CLOSE_ABANDONED'), `no GCK_CONSUMER_CLOSE_ABANDONED reported; output:\n${r.out}`);
      console.log(`      [stop] frozen brokers: stop() ${stopped.stopMs} ms, exited ${r.ms} ms after the signal`);
    });

    it('killed brokers (connections refused): stop() resolves within its bound; the process exits within session.timeout.ms', async () => {
      const SESSION_TIMEOUT_MS = 6000;
      const r = await runChild(options(SESSION_TIMEOUT_MS), 120_000, async () => {
        for (const id of NODE_IDS) await killBroker(id, 'SIGKILL');
      });
      assert.equal(r.killed, false, `the process did not exit within 120 s of stop(); output:\n${r.out}`);
      assert.equal(r.code, 0, r.out);
      const stopped = step(r.steps, 'stopped', r.out);
      assert.ok(stopped.stopMs! < STOP_TIMEOUT_MS + 11_000, `stop() took ${stopped.stopMs} ms`);
      assert.ok(r.ms < Math.max(STOP_TIMEOUT_MS + 11_000, SESSION_TIMEOUT_MS) + 5000, `the process exited ${r.ms} ms after stop() began`);
      console.log(`      [stop] killed brokers: stop() ${stopped.stopMs} ms, exited ${r.ms} ms after the signal`);
    });
  });

  describe('brokers that do not answer', () => {
    let silent: Server;
    let port: number;
    before(async () => {
      // Accepts connections and never answers: a broker that is gone but whose address still takes TCP.
      silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      port = (silent.address() as { port: number }).port;
    });
    after(() => silent.close());

    it('stop() during a start() that cannot connect resolves within connect_timeout, the process exits by itself', async () => {
      const r = await runChild({ mode: 'unreachable', topic, group: uniqueName('g-stop'), brokers: `127.0.0.1:${port}`, stopTimeoutMs: STOP_TIMEOUT_MS, connectTimeoutMs: 3000 }, 60_000);
      assert.equal(r.killed, false, `the process did not exit within 60 s; output:\n${r.out}`);
      assert.equal(r.code, 0, r.out);
      const stopped = step(r.steps, 'stopped', r.out);
      assert.ok(stopped.stopMs! < 3000 + 2000, `stop() took ${stopped.stopMs} ms`);
      console.log(`      [stop] unreachable: stop() ${stopped.stopMs} ms, total ${r.ms} ms`);
    });
  });
});
