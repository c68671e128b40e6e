import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ConnectionManager } from '../../../src/client.js';
import { committedOffsets, highWatermarks } from '../consumer/util.js';
import { testConfig } from '../helpers.js';

/**
 * `npm run demo` (examples/demo/main.ts) against the real broker and registry, run as a child
 * process without a terminal (so: plain progress lines), with `--json` for the numbers. Each run
 * uses its own consumer groups and counts only its own events (run id), so these tests are not
 * disturbed by other users of the broker or by earlier runs.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO = ['--conditions=gocoffee-source', '--import', 'tsx', 'examples/demo/main.ts'];
const ESC = '\u001b';

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** ms from the trigger (SIGINT) to the exit, when one was sent */
  readonly afterTriggerMs?: number;
}

interface Agent {
  readonly name: string;
  readonly messages: number;
  readonly failed?: number;
  readonly deadLettered?: number;
  readonly msgsPerSec: number;
}
interface Accounting {
  readonly event: string;
  readonly topic: string;
  readonly acknowledged: number;
  readonly handled: number;
  readonly leftInKafka: number;
  readonly group: string;
  readonly committedOffsets: Record<string, number>;
}
interface Summary {
  readonly stoppedBy: string;
  readonly publishSeconds: number;
  readonly agents: readonly Agent[];
  readonly accounting: readonly Accounting[];
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly exitCode: number;
}

/**
 * Runs a command; `trigger(stdout)` is polled, and when it returns true the process group gets
 * SIGINT (like Ctrl-C in a terminal: every process of the group).
 */
function run(cmd: string, args: readonly string[], timeoutMs: number, trigger?: (stdout: string) => boolean, onStdout?: (stdout: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: process.env, detached: trigger !== undefined, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let triggeredAt: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout);
      if (trigger !== undefined && triggeredAt === undefined && trigger(stdout)) {
        triggeredAt = Date.now();
        process.kill(-child.pid!, 'SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ...(triggeredAt !== undefined ? { afterTriggerMs: Date.now() - triggeredAt } : {}) });
    });
  });
}

function summaryOf(r: Run): Summary {
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  assert.ok(line.startsWith('{'), `the last line of stdout is the --json summary\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return JSON.parse(line) as Summary;
}

function agent(s: Summary, prefix: string): Agent {
  const a = s.agents.find((x) => x.name.startsWith(prefix));
  assert.ok(a, `agent ${prefix} in the summary`);
  return a;
}

/** Every acknowledged event is handled or left in Kafka; one TaskCreated per handled BeverageCreated. */
function assertAccounting(s: Summary): void {
  const [bev, task] = s.accounting;
  assert.ok(bev && task);
  const inventor = agent(s, 'beverage-inventor');
  const manager = agent(s, 'task-manager');
  const notifier = agent(s, 'notifier');
  assert.ok(inventor.messages > 0, 'the inventor published');
  assert.equal(inventor.failed, 0);
  assert.equal(bev.acknowledged, inventor.messages);
  assert.equal(bev.handled, manager.messages);
  assert.ok(bev.handled > 0, 'the task manager handled events');
  assert.equal(bev.handled + bev.leftInKafka, bev.acknowledged, 'BeverageCreated: acknowledged = handled + left in Kafka');
  assert.equal(task.acknowledged, bev.handled, 'one TaskCreated per handled BeverageCreated');
  assert.equal(task.handled, notifier.messages);
  assert.equal(task.handled + task.leftInKafka, task.acknowledged, 'TaskCreated: acknowledged = handled + left in Kafka');
  assert.equal(manager.failed, 0);
  assert.equal(manager.deadLettered, 0);
  assert.equal(notifier.deadLettered, 0);
  assert.equal(s.ok, true, `no problems: ${s.problems.join('; ')}`);
  assert.equal(s.exitCode, 0);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('npm run demo (examples/demo/main.ts)', function () {
  this.timeout(60_000);

  it('--duration 5 without a terminal: plain progress lines, metrics served, a summary in which every acknowledged event is accounted for', async () => {
    const port = await freePort();
    let scraped: Promise<string> | undefined;
    const r = await run(process.execPath, [...DEMO, '--duration', '5', '--drain-timeout', '5', '--metrics-port', String(port), '--json'], 55_000, undefined, (out) => {
      // Scrape once while it publishes.
      if (scraped === undefined && /\] publishing/.test(out)) scraped = fetch(`http://127.0.0.1:${port}/metrics`).then((res) => res.text());
    });
    assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.ok(!r.stdout.includes(ESC) && !r.stderr.includes(ESC), 'no ANSI escape codes without a terminal');
    const progress = r.stdout.split('\n').filter((l) => /^\[\s*\d+\.\d+s\] beverage-inventor: [\d,]+ msgs\/s, total [\d,]+, in flight [\d,]+, p99 ack (-|[\d.,]+ ms), failed \d+$/.test(l));
    assert.ok(progress.length >= 2, `plain progress lines every few seconds:\n${r.stdout}`);
    assert.match(r.stdout, /^\[\s*\d+\.\d+s\] task-manager \(pool ×2\): [\d,]+ msgs\/s, total [\d,]+, in flight [\d,]+, lag [\d,]+, p99 e2e /m);
    assert.match(r.stdout, /^\[\s*\d+\.\d+s\] notifier: /m);

    const s = summaryOf(r);
    assertAccounting(s);
    assert.equal(s.stoppedBy, 'duration');
    assert.ok(Math.abs(s.publishSeconds - 5) < 0.5, `published for ~5 s, not ${s.publishSeconds}`);
    // The human summary shows the same numbers.
    const inventor = agent(s, 'beverage-inventor');
    assert.match(r.stdout, new RegExp(`^  beverage-inventor +${inventor.messages.toLocaleString('en-US')} +[\\d,]+ +ack `, 'm'));
    const [bev] = s.accounting;
    assert.match(r.stdout, new RegExp(`BeverageCreated acknowledged ${bev!.acknowledged.toLocaleString('en-US')} = handled by task-manager ${bev!.handled.toLocaleString('en-US')} \\+ left in Kafka ${bev!.leftInKafka.toLocaleString('en-US')}  ✓`));
    assert.match(r.stdout, new RegExp(`Prometheus metrics were served during the run at http://127\\.0\\.0\\.1:${port}/metrics`));
    assert.ok(scraped !== undefined, 'the run reached the publishing phase');
    assert.match(await scraped, /^kafka_messages_total\{topic="beverage\.created",operation="publish"\} \d+/m);
  });

  it('SIGINT to the process group (Ctrl-C under with-stack: two SIGINTs) after ~4 s of a 60 s run, 1 s to drain: clean stop, exit 0, what is not handled is left in Kafka behind the committed offsets', async () => {
    let publishingAt: number | undefined;
    const r = await run(
      process.execPath,
      ['scripts/with-stack.mjs', process.execPath, ...DEMO, '--duration', '60', '--drain-timeout', '1', '--metrics-port', '0', '--json'],
      55_000,
      (out) => {
        if (publishingAt === undefined && /\] publishing/.test(out)) publishingAt = Date.now();
        return publishingAt !== undefined && Date.now() - publishingAt >= 3000; // the first progress line comes ~1 s in
      },
    );
    assert.equal(r.code, 0, `exit ${r.code} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.ok(r.afterTriggerMs !== undefined && r.afterTriggerMs < 30_000, `stopped within 30 s of SIGINT (${r.afterTriggerMs} ms)`);
    assert.doesNotMatch(r.stderr, /again: exiting now/, 'the second (forwarded) SIGINT did not force the exit');
    const s = summaryOf(r);
    assert.equal(s.stoppedBy, 'SIGINT');
    assert.ok(s.publishSeconds > 2 && s.publishSeconds < 15, `published ${s.publishSeconds} s before the stop`);
    assertAccounting(s);

    // The committed offsets the demo accounted with are the ones in Kafka, and what it counts as
    // "left in Kafka" is there behind them.
    const cm = new ConnectionManager(testConfig());
    await cm.initialize();
    try {
      for (const a of s.accounting) {
        const topic = a.topic;
        const reported = Object.entries(a.committedOffsets).map(([p, o]) => [Number(p), o] as const);
        assert.ok(reported.length > 0, `${a.event}: committed offsets reported`);
        const partitions = Math.max(...reported.map(([p]) => p)) + 1;
        const inKafka = await committedOffsets(cm, a.group, topic, partitions);
        for (const [p, o] of reported) assert.equal(inKafka[p], o, `${a.event} partition ${p}: committed offset of ${a.group}`);
        const highs = await highWatermarks(cm, topic, partitions);
        const behind = reported.reduce((n, [p, o]) => n + (highs[p]! - o), 0);
        assert.ok(behind >= a.leftInKafka, `${a.event}: ${a.leftInKafka} left in Kafka, ${behind} messages behind the committed offsets`);
      }
    } finally {
      await cm.close();
    }
  });

  it('a bad flag exits 2 naming the flag; --help exits 0', async () => {
    const [duration, unknown, workers, help] = await Promise.all([
      run(process.execPath, [...DEMO, '--duration', 'soon'], 30_000),
      run(process.execPath, [...DEMO, '--durration', '5'], 30_000),
      run(process.execPath, [...DEMO, '--workers=0'], 30_000),
      run(process.execPath, [...DEMO, '--help'], 30_000),
    ]);
    assert.equal(duration.code, 2, duration.stderr);
    assert.match(duration.stderr, /--duration: expected a number of seconds > 0 .*got "soon"/);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /unknown flag --durration/);
    assert.equal(workers.code, 2, workers.stderr);
    assert.match(workers.stderr, /--workers: expected a whole number of worker threads from 1 to 64, got "0"/);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--metrics-port <n>/);
  });
});
