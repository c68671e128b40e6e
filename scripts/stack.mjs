#!/usr/bin/env node
// Local Kafka + Apicurio Registry stack without Docker.
//
//   node scripts/stack.mjs up [--brokers 1|3]   start (idempotent; switches mode if needed)
//   node scripts/stack.mjs status [--json]      exit 0 only if every process is healthy
//   node scripts/stack.mjs down                 stop everything the stack started (idempotent)
//
// npm: `npm run stack:up -- --brokers 3`, `npm run stack:status`, `npm run stack:down`.
// Versions: GOCOFFEE_STACK_KAFKA_VERSION, GOCOFFEE_STACK_APICURIO_VERSION (defaults in stack-lib.mjs).
// Everything lives in .stack/ (cache/, data/, conf/, run/, logs/, versions.json).
// How it works and which Apicurio settings make it Confluent-like: see the top of stack-lib.mjs.
import { stackUp, stackDown, stackStatus, KAFKA_VERSION, APICURIO_VERSION, LOG_DIR } from './stack-lib.mjs';

function usage(code) {
  console.error('usage: node scripts/stack.mjs up [--brokers 1|3] | status [--json] | down');
  process.exit(code);
}

function parseBrokers(args) {
  let brokers = 1;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--brokers' || a === '-b') brokers = Number(args[++i]);
    else if (a.startsWith('--brokers=')) brokers = Number(a.slice('--brokers='.length));
    else usage(2);
  }
  if (![1, 3].includes(brokers)) {
    console.error('--brokers must be 1 or 3');
    process.exit(2);
  }
  return brokers;
}

function printAddresses(r) {
  const v = r.versions || {};
  console.log(`  Kafka ${v.kafka || KAFKA_VERSION}, ${r.brokers} broker(s)`);
  console.log(`  bootstrap servers: ${r.bootstrapServers}`);
  console.log(`  schema registry:   ${r.registryUrl}  (${v.registry || `Apicurio Registry ${APICURIO_VERSION}`}, Confluent-compatible API)`);
  console.log(`  logs:              ${LOG_DIR}`);
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'up': {
      const brokers = parseBrokers(rest);
      const r = await stackUp({ brokers });
      console.log(r.alreadyRunning ? 'stack already running and healthy:' : `stack up (${r.seconds.toFixed(1)} s):`);
      printAddresses(r);
      return 0;
    }
    case 'down': {
      if (rest.length) usage(2);
      const r = await stackDown();
      console.log(r.stopped ? 'stack stopped' : 'stack was not running');
      return 0;
    }
    case 'status': {
      const json = rest.includes('--json');
      const st = await stackStatus();
      if (json) {
        console.log(JSON.stringify(st, null, 2));
        return st.healthy ? 0 : 1;
      }
      if (!st.running) {
        console.log('stack is down');
        return 1;
      }
      console.log(`stack ${st.healthy ? 'healthy' : 'NOT healthy'}: ${st.brokers} broker(s)`);
      for (const n of st.nodes) {
        console.log(`  kafka-${n.nodeId}  pid ${n.pid ?? '-'}  ${n.address} (controller :${n.controllerPort})  ` +
          `${n.alive ? 'alive' : 'DEAD'}  ${n.healthy ? 'healthy' : 'UNHEALTHY'}` +
          `${n.seenBrokers ? `  sees brokers [${n.seenBrokers.join(',')}]` : ''}${n.error ? `  (${n.error})` : ''}`);
      }
      const g = st.registry;
      console.log(`  registry  pid ${g?.pid ?? '-'}  ${g?.url}  ${g?.alive ? 'alive' : 'DEAD'}  ${g?.healthy ? 'healthy' : 'UNHEALTHY'}${g?.error ? `  (${g.error})` : ''}`);
      if (st.versions) console.log(`  versions: Kafka ${st.versions.kafka}, ${st.versions.registry}`);
      return st.healthy ? 0 : 1;
    }
    default:
      usage(cmd ? 2 : 1);
  }
  return 2;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`stack: ${err.message}`);
  process.exit(1);
});
