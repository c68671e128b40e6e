#!/usr/bin/env node
// An ISOLATED three-broker KRaft cluster for the broker-fault tests (Node standard library only).
//
// It never touches the shared stack of scripts/stack.mjs (single broker on 9092 + registry): its
// own ports, its own state, data, config and log files under .stack/faults/, its own process
// markers. Tests start it in `before` and stop it in `after`; it can also be driven by hand:
//
//   node scripts/stack-cluster.mjs up | down | status [--json]
//   node scripts/stack-cluster.mjs kill <node> [SIGKILL|SIGTERM|SIGSTOP|SIGCONT]
//   node scripts/stack-cluster.mjs start <node>          restart a killed node with its data
//   node scripts/stack-cluster.mjs leader <topic> [partition]
//
// Layout: nodes 1, 2, 3, each a combined broker + controller (one quorum of three voters, formatted
// with --initial-controllers), clients on 127.0.0.1:19092/19093/19094, controllers on
// 19192/19193/19194 (GOCOFFEE_FAULTS_PORT_BASE moves both: client = base+id, controller = base+100+id).
// Settings: default.replication.factor=3, min.insync.replicas=2, offsets/transaction topics RF 3,
// unclean leader election off; broker heartbeat 1 s / session 6 s, so a dead or frozen broker is
// fenced (and its partitions get new leaders) within ~6 s instead of the default 9 s. Heaps
// -Xms128m -Xmx384m with one GC thread each (the machine has 2 cores). Storage is formatted fresh at
// every startCluster(); a node restarted by startBroker() keeps its data.
//
// Reused from the shared stack: ensureKafka() (the Kafka jars), findJavaHome(), STACK_DIR, the
// process, file and polling helpers of stack-lib.mjs and the Kafka wire protocol of
// stack-kafka-protocol.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  STACK_DIR, HOST, acquirePidFile, ensureKafka, findJavaHome, isOurPid, kafkaLog4j2, kafkaUuid, mkdirp, pidAlive, portOpen,
  propertiesText, readJson, runJava, sleep, spawnDetached, waitExit, waitFor as waitUntilOk, writeJson,
} from './stack-lib.mjs';
import { findGroupCoordinator, metadata, metadataRequest } from './stack-kafka-protocol.mjs';

// ---------------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------------
export const FAULTS_DIR = path.join(STACK_DIR, 'faults');
const CONF_DIR = path.join(FAULTS_DIR, 'conf');
const DATA_DIR = path.join(FAULTS_DIR, 'data');
export const FAULTS_LOG_DIR = path.join(FAULTS_DIR, 'logs');
const RUN_DIR = path.join(FAULTS_DIR, 'run');
const STATE_FILE = path.join(RUN_DIR, 'state.json');

const PORT_BASE = Number(process.env.GOCOFFEE_FAULTS_PORT_BASE || 19090);
export const NODE_IDS = Object.freeze([1, 2, 3]);
export const clusterClientPort = (id) => PORT_BASE + 1 + id; // 19092, 19093, 19094
export const clusterControllerPort = (id) => PORT_BASE + 101 + id; // 19192, 19193, 19194
export const CLUSTER_BOOTSTRAP = NODE_IDS.map((id) => `${HOST}:${clusterClientPort(id)}`).join(',');

/** Marks our JVMs (checked before any signal is sent): distinct from the shared stack's markers. */
const MARK_DIR = `-Dgocoffee.faults.dir=${FAULTS_DIR}`;
const markRole = (id) => `-Dgocoffee.faults.role=kafka-${id}`;

const START_TIMEOUT_MS = Number(process.env.GOCOFFEE_FAULTS_TIMEOUT_MS || 120_000);

let quiet = !!process.env.GOCOFFEE_FAULTS_QUIET;
export function setQuiet(q) { quiet = q; }
const log = (...a) => { if (!quiet) console.error('[stack-cluster]', ...a); };
const confFile = (id) => path.join(CONF_DIR, `node-${id}.properties`);
const dataDir = (id) => path.join(DATA_DIR, `node-${id}`);
export const nodeLogFile = (id) => path.join(FAULTS_LOG_DIR, `kafka-${id}.log`);
const log4jFile = () => path.join(CONF_DIR, 'log4j2.properties');

function checkId(id) {
  if (!NODE_IDS.includes(id)) throw new Error(`no node ${id} in the fault-test cluster (nodes ${NODE_IDS.join(', ')})`);
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------
/** server.properties of one node (all the settings of this cluster are here). */
export function clusterServerProperties(id) {
  const listeners = `PLAINTEXT://${HOST}:${clusterClientPort(id)},CONTROLLER://${HOST}:${clusterControllerPort(id)}`;
  return {
    'process.roles': 'broker,controller',
    'node.id': id,
    'controller.quorum.bootstrap.servers': NODE_IDS.map((n) => `${HOST}:${clusterControllerPort(n)}`).join(','),
    listeners,
    'advertised.listeners': listeners,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': dataDir(id),
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    'num.partitions': 1,
    'default.replication.factor': 3,
    'min.insync.replicas': 2,
    'unclean.leader.election.enable': false,
    'offsets.topic.replication.factor': 3,
    'offsets.topic.num.partitions': 6,
    'transaction.state.log.replication.factor': 3,
    'transaction.state.log.min.isr': 2,
    'transaction.state.log.num.partitions': 6,
    'share.coordinator.state.topic.replication.factor': 3,
    'share.coordinator.state.topic.min.isr': 2,
    'group.initial.rebalance.delay.ms': 0,
    // Fence a dead or frozen broker quickly (defaults 2 s / 9 s).
    'broker.heartbeat.interval.ms': 1000,
    'broker.session.timeout.ms': 6000,
    // A restarted broker becomes preferred leader again quickly (default 300 s).
    'leader.imbalance.check.interval.seconds': 10,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.replica.fetchers': 1,
    'num.recovery.threads.per.data.dir': 1,
    'log.retention.hours': 2,
    'log.segment.bytes': 64 * 1024 * 1024,
  };
}

const LOG4J2 = kafkaLog4j2('scripts/stack-cluster.mjs', { logcleaner: ['kafka.log.LogCleaner', 'WARN'] });

function writeConfigs() {
  mkdirp(CONF_DIR);
  fs.writeFileSync(log4jFile(), LOG4J2);
  for (const id of NODE_IDS) {
    const props = clusterServerProperties(id);
    fs.writeFileSync(confFile(id), propertiesText('generated by scripts/stack-cluster.mjs (fault-test cluster)', props));
  }
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------
const javaHome = () => findJavaHome(17, 'GOCOFFEE_STACK_KAFKA_JAVA_HOME');

const readState = () => readJson(STATE_FILE);
const writeState = (state) => writeJson(STATE_FILE, state);

function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) (\S) /.exec(stat)?.[1] ?? '?';
  } catch {
    return null;
  }
}

/** Is `pid` alive (not a zombie) and the JVM of node `id` of THIS cluster? Without /proc: no (never signal a pid we cannot verify). */
const isOurNode = (pid, id) => isOurPid(pid, [MARK_DIR, markRole(id)], { trustUnverified: false });

/** Waits until `pid` has exited (true) or `timeoutMs` passed (false). */
const waitNodeExit = (pid, timeoutMs) => waitExit(pid, timeoutMs, 50);

async function formatStorage(clusterId, libs) {
  const dirIds = Object.fromEntries(NODE_IDS.map((id) => [id, kafkaUuid()]));
  const initial = NODE_IDS.map((id) => `${id}@${HOST}:${clusterControllerPort(id)}:${dirIds[id]}`).join(',');
  // One at a time: three JVM start-ups at once only fight over the two cores.
  for (const id of NODE_IDS) {
    await runJava(javaHome(), ['-Xmx192m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', `-Dlog4j2.configurationFile=${log4jFile()}`,
      '-cp', `${libs}/*`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', confFile(id),
      '--initial-controllers', initial], `format node ${id}`);
  }
}

function spawnNode(id, libs) {
  const args = [
    '-Xms128m', '-Xmx384m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:ParallelGCThreads=1', '-XX:ConcGCThreads=1',
    '-XX:CICompilerCount=2', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile()}`, MARK_DIR, markRole(id),
    '-cp', `${libs}/*`, 'kafka.Kafka', confFile(id),
  ];
  return spawnDetached(path.join(javaHome(), 'bin', 'java'), args, nodeLogFile(id), { append: true, cwd: FAULTS_DIR });
}

/** Waits until neither port of node `id` accepts connections (true) or `timeoutMs` passed (false). */
async function waitPortsClosed(id, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const open = await Promise.all([clientPort(id), clusterControllerPort(id)].map((p) => portOpen(p, HOST, 200)));
    if (!open.some(Boolean)) return true;
    if (Date.now() >= end) return false;
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------
// Health and metadata (Kafka wire protocol, no client library)
// ---------------------------------------------------------------------------------------------
/** The brokers node `id` reports as registered and unfenced, or null when it does not answer. */
async function seenBy(id, timeoutMs = 2000) {
  try {
    const md = await metadata(HOST, clientPort(id), timeoutMs);
    return md.brokers.map((b) => b.nodeId).sort();
  } catch {
    return null;
  }
}
const clientPort = clusterClientPort;

/** Node ids whose JVM runs (a SIGSTOPped one counts as running). */
function runningIds(state = readState()) {
  return NODE_IDS.filter((id) => isOurNode(state?.nodes?.[id]?.pid, id));
}

/** waitFor of stack-lib.mjs at this cluster's pace (every 250 ms), failing with the last 30 lines of node `logId`'s log. */
function waitFor(what, check, { timeoutMs = START_TIMEOUT_MS, logId, alive } = {}) {
  return waitUntilOk(what, check, { timeoutMs, intervalMs: 250, logFile: logId ? nodeLogFile(logId) : undefined, tailLines: 30, alive });
}

/** Node `id` answers and is registered (unfenced) in the view of itself and of another live node. */
async function waitNodeReady(id, pid, timeoutMs = START_TIMEOUT_MS) {
  return waitFor(`fault-test Kafka node ${id}`, async () => {
    const own = await seenBy(id);
    if (own === null || !own.includes(id)) return { ok: false, own };
    const others = runningIds().filter((o) => o !== id && procState(readState()?.nodes?.[o]?.pid) !== 'T');
    for (const o of others) {
      const v = await seenBy(o);
      if (v !== null) return { ok: v.includes(id), own, [`seenBy${o}`]: v };
    }
    return { ok: true, own };
  }, { timeoutMs, logId: id, alive: () => isOurNode(pid, id) });
}

/** Metadata (v5..v8) of one topic, asked from node `id`. */
async function topicMetadataFrom(id, topic, timeoutMs) {
  const md = await metadataRequest(HOST, clientPort(id), [topic], 5, timeoutMs);
  const { version, controllerId, reader: r } = md;
  const brokers = md.brokers.map((b) => b.nodeId);
  const nt = r.int32();
  for (let t = 0; t < nt; t++) {
    const errorCode = r.int16();
    const name = r.string();
    r.int8(); // is_internal
    const np = r.int32();
    const partitions = [];
    for (let p = 0; p < np; p++) {
      const perr = r.int16();
      const partition = r.int32();
      const leader = r.int32();
      const leaderEpoch = version >= 7 ? r.int32() : -1;
      const replicas = r.int32s();
      const isr = r.int32s();
      const offline = r.int32s();
      partitions.push({ partition, leader, leaderEpoch, replicas, isr, offline, errorCode: perr });
    }
    if (version >= 8) r.int32(); // topic authorized operations
    if (name === topic) {
      partitions.sort((a, b) => a.partition - b.partition);
      return { topic, errorCode, partitions, brokers: brokers.sort(), controllerId, from: id };
    }
  }
  throw new Error(`no metadata for topic ${topic}`);
}

/**
 * Metadata of `topic` from the first live node that answers (a killed or frozen node is skipped):
 * { topic, errorCode, partitions: [{ partition, leader, leaderEpoch, replicas, isr, offline }], brokers, controllerId }.
 */
export async function topicMetadata(topic, { timeoutMs = 2000 } = {}) {
  const state = readState();
  const ids = runningIds(state).filter((id) => procState(state.nodes[id].pid) !== 'T');
  let lastErr;
  for (const id of ids) {
    try {
      return await topicMetadataFrom(id, topic, timeoutMs);
    } catch (e) {
      lastErr = e;
    }
  }
  throw new Error(`no live node answered metadata for ${topic}: ${lastErr?.message ?? 'no node running'}`);
}

/** The node id leading `topic`/`partition` (-1 when it has no leader right now). */
export async function leaderOf(topic, partition = 0) {
  const md = await topicMetadata(topic);
  const p = md.partitions.find((x) => x.partition === partition);
  if (!p) throw new Error(`topic ${topic} has no partition ${partition}`);
  return p.leader;
}

/**
 * Waits until every partition of `topic` has a leader and `isr` in-sync replicas (default 3) in
 * the metadata of EVERY running node (a client asking a node whose metadata lags would see
 * UNKNOWN_TOPIC_OR_PART and, as a consumer, not look again for minutes).
 */
export async function waitForIsr(topic, { isr = 3, timeoutMs = 60_000 } = {}) {
  return waitFor(`${topic}: every partition with a leader and ${isr} in-sync replicas on every node`, async () => {
    const state = readState();
    const ids = runningIds(state).filter((id) => procState(state.nodes[id].pid) !== 'T');
    const views = [];
    for (const id of ids) {
      try {
        const md = await topicMetadataFrom(id, topic, 2000);
        const ok = md.errorCode === 0 && md.partitions.length > 0 && md.partitions.every((p) => p.errorCode === 0 && p.leader >= 0 && p.isr.length >= isr);
        views.push(`node ${id}: ${md.partitions.map((p) => `${p.partition}:L${p.leader}:isr[${p.isr}]`).join(' ') || `error ${md.errorCode}`}`);
        if (!ok) return { ok: false, views };
      } catch (e) {
        return { ok: false, views, error: `node ${id}: ${e.message}` };
      }
    }
    return { ok: ids.length > 0, views };
  }, { timeoutMs });
}

/** The node coordinating consumer group `group` (-1 when none answers). */
export async function coordinatorOf(group) {
  const state = readState();
  for (const id of runningIds(state).filter((i) => procState(state.nodes[i].pid) !== 'T')) {
    try {
      const r = await findGroupCoordinator(HOST, clientPort(id), group, 2000);
      if (r.errorCode === 0) return r.nodeId;
    } catch { /* next */ }
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------
/** { running, nodes: [{ id, pid, alive, stopped, port, controllerPort, seenBrokers }], bootstrapServers }. */
export async function clusterStatus() {
  const state = readState();
  const nodes = await Promise.all(NODE_IDS.map(async (id) => {
    const pid = state?.nodes?.[id]?.pid;
    const alive = isOurNode(pid, id);
    const stopped = alive && procState(pid) === 'T';
    const seen = alive && !stopped ? await seenBy(id) : null;
    return { id, pid, alive, stopped, port: clientPort(id), controllerPort: clusterControllerPort(id), seenBrokers: seen, log: nodeLogFile(id) };
  }));
  return { running: nodes.some((n) => n.alive), healthy: nodes.every((n) => n.seenBrokers?.length === NODE_IDS.length), bootstrapServers: CLUSTER_BOOTSTRAP, nodes };
}

/** The pid of node `id` while it runs, else undefined. */
export function brokerPid(id) {
  checkId(id);
  const pid = readState()?.nodes?.[id]?.pid;
  return isOurNode(pid, id) ? pid : undefined;
}

// One user at a time: a second test run (another engineer's `npm test`) waits until the first has
// stopped the cluster, instead of killing it under its feet. The owner is a pid in run/owner; a
// dead owner's cluster is taken over (and restarted fresh).
const OWNER_FILE = path.join(RUN_DIR, 'owner');
const OWNER_WAIT_MS = Number(process.env.GOCOFFEE_FAULTS_WAIT_MS || 15 * 60_000);

async function acquireOwnership() {
  let told = false;
  await acquirePidFile(OWNER_FILE, {
    timeoutMs: OWNER_WAIT_MS,
    pollMs: 1000,
    alive: pidAlive,
    onWait: (owner) => {
      if (!told) log(`the fault-test cluster is in use by pid ${owner}: waiting for it`);
      told = true;
    },
    busy: (owner) => `the fault-test cluster is in use by pid ${owner} (${OWNER_FILE}); waited ${OWNER_WAIT_MS / 1000} s`,
  });
}

function releaseOwnership() {
  try {
    if (Number(fs.readFileSync(OWNER_FILE, 'utf8')) === process.pid) fs.rmSync(OWNER_FILE, { force: true });
  } catch { /* none */ }
}

/**
 * Starts the three nodes on fresh storage and waits until every node sees the others and the
 * group coordinator answers. If another live process uses the cluster, waits until it is done
 * (GOCOFFEE_FAULTS_WAIT_MS, default 15 min); a cluster left behind by a dead process is killed.
 * Returns { bootstrapServers, nodes: [{ id, pid, port }], clusterId, seconds }.
 */
export async function startCluster({ timeoutMs = START_TIMEOUT_MS } = {}) {
  await acquireOwnership();
  const t0 = Date.now();
  await killAll();
  for (const id of NODE_IDS) {
    for (const port of [clientPort(id), clusterControllerPort(id)]) {
      if (await portOpen(port)) throw new Error(`port ${HOST}:${port} is already in use by another program`);
    }
  }
  const libs = ensureKafka();
  fs.rmSync(DATA_DIR, { recursive: true, force: true });
  // Keep the previous run's logs one generation back (kafka-N.log.1).
  for (const id of NODE_IDS) {
    try { fs.renameSync(nodeLogFile(id), `${nodeLogFile(id)}.1`); } catch { /* none yet */ }
  }
  writeConfigs();
  const clusterId = kafkaUuid();
  await formatStorage(clusterId, libs);
  log(`formatted storage in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const state = { clusterId, startedAt: new Date().toISOString(), libs, nodes: {} };
  try {
    for (const id of NODE_IDS) state.nodes[id] = { pid: spawnNode(id, libs) };
    writeState(state);
    await Promise.all(NODE_IDS.map((id) => waitFor(`fault-test Kafka node ${id}`, async () => {
      const seen = await seenBy(id);
      return { ok: seen !== null && NODE_IDS.every((n) => seen.includes(n)), seen };
    }, { timeoutMs, logId: id, alive: () => isOurNode(state.nodes[id].pid, id) })));
    await waitFor('group coordinator', async () => {
      try {
        const r = await findGroupCoordinator(HOST, clientPort(1), 'gocoffee-faults-probe', 3000);
        return { ok: r.errorCode === 0, errorCode: r.errorCode };
      } catch (e) {
        return { ok: false, error: e.message };
      }
    }, { timeoutMs, logId: 1 });
  } catch (e) {
    await stopCluster();
    throw e;
  }
  const seconds = (Date.now() - t0) / 1000;
  log(`cluster up in ${seconds.toFixed(1)} s: ${CLUSTER_BOOTSTRAP}`);
  return { bootstrapServers: CLUSTER_BOOTSTRAP, clusterId, seconds, nodes: NODE_IDS.map((id) => ({ id, pid: state.nodes[id].pid, port: clientPort(id) })) };
}

/**
 * Stops every node (SIGCONT first in case one is frozen; SIGKILL by default, SIGTERM with
 * { graceful: true }) and removes the data unless { keepData: true }. Idempotent. A cluster that
 * another live process started is left alone (returns { stopped: [], inUseBy }).
 */
export async function stopCluster({ graceful = false, keepData = false } = {}) {
  let owner = 0;
  try { owner = Number(fs.readFileSync(OWNER_FILE, 'utf8')); } catch { /* none */ }
  if (owner && owner !== process.pid && pidAlive(owner)) return { stopped: [], inUseBy: owner };
  const r = await killAll({ graceful, keepData });
  releaseOwnership();
  return r;
}

async function killAll({ graceful = false, keepData = false } = {}) {
  const state = readState();
  const stopped = [];
  await Promise.all(NODE_IDS.map(async (id) => {
    const pid = state?.nodes?.[id]?.pid;
    if (!isOurNode(pid, id)) return;
    try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
    try { process.kill(pid, graceful ? 'SIGTERM' : 'SIGKILL'); } catch { return; }
    if (!(await waitNodeExit(pid, graceful ? 30_000 : 10_000))) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitNodeExit(pid, 5000);
    }
    // A SIGKILLed JVM's main thread shows as a zombie while its other threads still tear down and
    // its sockets stay open: wait until its ports are closed, so a start right after this one does
    // not find them "in use" (seen once in CI after the broker-freeze test).
    await waitPortsClosed(id, 15_000);
    stopped.push(id);
  }));
  fs.rmSync(STATE_FILE, { force: true });
  if (!keepData) fs.rmSync(DATA_DIR, { recursive: true, force: true });
  return { stopped: stopped.sort() };
}

/**
 * Sends `signal` to node `id`: SIGKILL / SIGTERM wait until the JVM has exited; SIGSTOP freezes it
 * (it keeps its sockets open but answers nothing) and SIGCONT thaws it. Returns { id, pid, signal }.
 */
export async function killBroker(id, signal = 'SIGKILL') {
  checkId(id);
  if (!['SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGCONT', 'SIGINT'].includes(signal)) throw new Error(`unsupported signal ${signal}`);
  const pid = readState()?.nodes?.[id]?.pid;
  if (!isOurNode(pid, id)) throw new Error(`fault-test Kafka node ${id} is not running`);
  if (signal === 'SIGTERM' || signal === 'SIGINT') { try { process.kill(pid, 'SIGCONT'); } catch { /* */ } }
  process.kill(pid, signal);
  if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') {
    if (!(await waitNodeExit(pid, signal === 'SIGKILL' ? 10_000 : 60_000))) throw new Error(`node ${id} (pid ${pid}) did not exit after ${signal}`);
  } else if (signal === 'SIGSTOP') {
    const end = Date.now() + 5000;
    while (procState(pid) !== 'T' && Date.now() < end) await sleep(10);
  }
  return { id, pid, signal };
}

/**
 * (Re)starts node `id` with its existing data and waits until it is registered again (a frozen
 * node is continued instead). Returns { id, pid, seconds, alreadyRunning }.
 */
export async function startBroker(id, { timeoutMs = START_TIMEOUT_MS } = {}) {
  checkId(id);
  const t0 = Date.now();
  const state = readState();
  if (!state) throw new Error('the fault-test cluster is not running (startCluster() first)');
  const old = state.nodes?.[id]?.pid;
  if (isOurNode(old, id)) {
    try { process.kill(old, 'SIGCONT'); } catch { /* */ }
    await waitNodeReady(id, old, timeoutMs);
    return { id, pid: old, alreadyRunning: true, seconds: (Date.now() - t0) / 1000 };
  }
  // (a node killed a moment ago may still hold its ports while its threads tear down)
  if (!(await waitPortsClosed(id, 15_000))) throw new Error(`node ${id}'s ports are still in use 15 s after it stopped`);
  const pid = spawnNode(id, state.libs ?? ensureKafka());
  state.nodes[id] = { pid };
  writeState(state);
  await waitNodeReady(id, pid, timeoutMs);
  return { id, pid, alreadyRunning: false, seconds: (Date.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------
async function main(argv) {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'up': {
      const r = await startCluster();
      releaseOwnership(); // this process exits: the next user may take the cluster over
      console.log(`fault-test cluster up in ${r.seconds.toFixed(1)} s: ${r.bootstrapServers} (logs: ${FAULTS_LOG_DIR})`);
      return 0;
    }
    case 'down': {
      const r = await stopCluster({ graceful: rest.includes('--graceful') });
      if (r.inUseBy) console.log(`the fault-test cluster is in use by pid ${r.inUseBy}: left running`);
      else console.log(r.stopped.length ? `stopped node(s) ${r.stopped.join(', ')}` : 'fault-test cluster was not running');
      return 0;
    }
    case 'status': {
      const st = await clusterStatus();
      if (rest.includes('--json')) console.log(JSON.stringify(st, null, 2));
      else for (const n of st.nodes) console.log(`kafka-${n.id}  pid ${n.pid ?? '-'}  ${HOST}:${n.port}  ${n.alive ? (n.stopped ? 'STOPPED' : 'alive') : 'DEAD'}  sees [${n.seenBrokers ?? ''}]`);
      return st.healthy ? 0 : 1;
    }
    case 'kill': {
      const r = await killBroker(Number(rest[0]), rest[1] || 'SIGKILL');
      console.log(`sent ${r.signal} to node ${r.id} (pid ${r.pid})`);
      return 0;
    }
    case 'start': {
      const r = await startBroker(Number(rest[0]));
      console.log(`node ${r.id} ${r.alreadyRunning ? 'continued' : 'restarted'} (pid ${r.pid}) in ${r.seconds.toFixed(1)} s`);
      return 0;
    }
    case 'leader': {
      const md = await topicMetadata(rest[0]);
      const only = rest[1] === undefined ? null : Number(rest[1]);
      for (const p of md.partitions) if (only === null || p.partition === only) console.log(`${rest[0]}[${p.partition}] leader ${p.leader} replicas [${p.replicas}] isr [${p.isr}]`);
      return 0;
    }
    default:
      console.error('usage: node scripts/stack-cluster.mjs up | down [--graceful] | status [--json] | kill <node> [signal] | start <node> | leader <topic> [partition]');
      return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(e.message);
    process.exit(1);
  });
}
