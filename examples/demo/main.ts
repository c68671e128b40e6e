/**
 * `npm run demo`: the Go Coffee agents on this library, end to end, for --duration seconds.
 *
 *   beverage-inventor ──BeverageCreated──▶ task-manager (worker pool) ──TaskCreated──▶ notifier
 *
 * Flags: see args.ts (or --help). Signals: the first SIGINT/SIGTERM starts the ordered stop (see
 * run.ts); more within 2 s are ignored (under `npm run` in a terminal, Ctrl-C reaches this process
 * twice: from the terminal's process group and forwarded by scripts/with-stack.mjs); one after
 * that forces the exit (130 for SIGINT, 143 for SIGTERM). Exit code 0: nothing lost, no agent
 * failed (also after Ctrl-C); 1: something was lost or failed; 2: bad command line.
 */
import { USAGE, UsageError, parseArgs, type DemoArgs } from './args.js';
import { runDemo } from './run.js';

const REPEAT_GRACE_MS = 2000;

let args: DemoArgs;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`demo: ${e.message}\nRun with --help to see the flags.\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}

const stop = new AbortController();
let stopSignal: NodeJS.Signals | undefined;
let firstSignalAt = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopSignal === undefined) {
      stopSignal = sig;
      firstSignalAt = Date.now();
      stop.abort();
      return;
    }
    if (Date.now() - firstSignalAt < REPEAT_GRACE_MS) return;
    process.stderr.write(`\n${sig} again: exiting now without waiting (acknowledged events stay in Kafka; in-flight work is delivered again to the groups)\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

const code = await runDemo(args, stop.signal, () => stopSignal ?? 'signal');
process.exit(code);
