#!/usr/bin/env node
// node scripts/with-stack.mjs <command> [args...]
//
// Runs <command> (stdio inherited) against a Kafka cluster and a schema registry:
//   - GOCOFFEE_KAFKA_BROKERS already set: the user's cluster; the command just runs
//     (GOCOFFEE_SCHEMA_REGISTRY_URL should be set too).
//   - otherwise the local stack (scripts/stack-lib.mjs) is used: reused if it is running and
//     healthy, else a single-broker stack is started and, afterwards, stopped again.
//     Sets GOCOFFEE_KAFKA_BROKERS, GOCOFFEE_SCHEMA_REGISTRY_URL, GOCOFFEE_STACK_VERSIONS (JSON).
// Exit code: the command's (128 + signal number if it was killed by a signal).
// SIGINT/SIGTERM/SIGHUP are forwarded to the command; a stack started here is stopped anyway.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { stackUp, stackDown, stackStatus } from './stack-lib.mjs';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: node scripts/with-stack.mjs <command> [args...]');
  process.exit(2);
}

const say = (m) => console.error(`[with-stack] ${m}`);
let child = null;
let ownStack = false;
let stopping = null;
let receivedSignal = null;

async function stopOwnStack() {
  if (!ownStack) return;
  if (!stopping) {
    say('stopping the local stack it started');
    stopping = stackDown().catch((e) => say(`stack down failed: ${e.message}`));
  }
  await stopping;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    receivedSignal = receivedSignal || sig;
    if (child && child.exitCode === null && child.signalCode === null) {
      try { child.kill(sig); } catch { /* gone */ }
    } else if (!child) {
      // Still starting the stack: the startup finishes (or fails), then we stop it and exit.
      say(`${sig} received while starting the stack`);
    }
  });
}

function run(env) {
  return new Promise((resolve) => {
    child = spawn(cmd, args, { stdio: 'inherit', env, shell: false });
    child.on('error', (e) => {
      say(`cannot run ${cmd}: ${e.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      resolve(code ?? 128 + (os.constants.signals[signal] || 1));
    });
  });
}

async function main() {
  const env = { ...process.env };
  if (env.GOCOFFEE_KAFKA_BROKERS) {
    if (!env.GOCOFFEE_SCHEMA_REGISTRY_URL) say('GOCOFFEE_KAFKA_BROKERS is set but GOCOFFEE_SCHEMA_REGISTRY_URL is not');
    return run(env);
  }
  let info;
  const st = await stackStatus();
  if (st.healthy) {
    say(`reusing the running local stack (${st.brokers} broker(s))`);
    info = { bootstrapServers: st.bootstrapServers, registryUrl: st.registryUrl, versions: st.versions };
  } else {
    try {
      const r = await stackUp({ brokers: 1 });
      ownStack = !r.alreadyRunning;
      info = r;
    } catch (e) {
      say(`could not start the local stack: ${e.message}`);
      return 1;
    }
    if (receivedSignal) {
      await stopOwnStack();
      return 128 + (os.constants.signals[receivedSignal] || 1);
    }
  }
  env.GOCOFFEE_KAFKA_BROKERS = info.bootstrapServers;
  env.GOCOFFEE_SCHEMA_REGISTRY_URL = info.registryUrl;
  env.GOCOFFEE_STACK_VERSIONS = JSON.stringify(info.versions || {});
  const code = await run(env);
  await stopOwnStack();
  return code;
}

main().then((code) => process.exit(code), async (e) => {
  say(e.stack || e.message);
  await stopOwnStack();
  process.exit(1);
});
