#!/usr/bin/env node
// node bench/peers/install.mjs   — installs the bench's ck-js peer (@confluentinc/kafka-javascript)
//
// The one implementation of that install: bench/lib/ckjs.ts calls install() before the first ck-js
// run, and .ci/run starts this script in the background right after the system packages, so the
// peer's source build (one core, ~2 minutes) overlaps `npm ci`'s librdkafka build (the other core)
// instead of running inside `npm run bench -- --quick`. Plain Node, no dependency: it runs before
// the root `npm ci`. Does nothing (exit 0) when the installed copy is fresh; exit 1 with npm's error
// lines when the install fails (the bench then tries again and reports the failure).
//
// bench/peers/package.json pins the version (package-lock.json is committed; node_modules/ is
// git-ignored). Its prebuilt binary comes from a host that is not always reachable, so it is built
// from source with CKJS_LINKING=dynamic (against the system's OpenSSL/zlib/zstd/lz4/SASL). A stamp
// written after a successful install records the Node ABI it was built for.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const CKJS_PACKAGE = '@confluentinc/kafka-javascript';
export const PKG_DIR = path.join(PEERS_DIR, 'node_modules', ...CKJS_PACKAGE.split('/'));
const ADDON = path.join(PKG_DIR, 'build', 'Release', 'confluent-kafka-javascript.node');
const STAMP = path.join(PEERS_DIR, 'node_modules', '.gocoffee-bench-install.json');
const INSTALL_LOG = path.join(PEERS_DIR, 'install.log');
const INSTALL_TIMEOUT_MS = 20 * 60_000;

/** The exact version bench/peers/package.json pins. */
export function pinnedVersion() {
  const pkg = JSON.parse(readFileSync(path.join(PEERS_DIR, 'package.json'), 'utf8'));
  const v = pkg.dependencies?.[CKJS_PACKAGE];
  if (typeof v !== 'string' || !/^\d+\.\d+\.\d+$/.test(v)) throw new Error(`bench/peers/package.json must pin ${CKJS_PACKAGE} to an exact version (found ${JSON.stringify(v)})`);
  return v;
}

/** Why the installed copy cannot be used as it is (undefined: it can). */
export function staleReason(wanted) {
  const pkgFile = path.join(PKG_DIR, 'package.json');
  if (!existsSync(pkgFile)) return 'not installed';
  const installed = JSON.parse(readFileSync(pkgFile, 'utf8')).version;
  if (installed !== wanted) return `installed ${installed}, pinned ${wanted}`;
  if (!existsSync(ADDON)) return 'its native addon is missing (build failed or interrupted?)';
  if (!existsSync(STAMP)) return 'no install stamp (installed by hand?)';
  const stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  if (stamp.modules !== process.versions.modules) return `built for Node ABI ${stamp.modules} (${stamp.node}), this is ${process.versions.modules} (${process.version})`;
  return undefined;
}

function npmCommand() {
  // under `npm run` npm_execpath is npm's own CLI: run it with this node (no PATH lookup)
  const cli = process.env.npm_execpath;
  if (cli !== undefined && /npm-cli\.js$/.test(cli) && existsSync(cli)) return { command: process.execPath, prefix: [cli] };
  return { command: 'npm', prefix: [] };
}

/** The telling lines of a failed install: npm's own error lines without stack frames, else the last lines. */
function installLogSummary() {
  if (!existsSync(INSTALL_LOG)) return 'no output';
  const lines = readFileSync(INSTALL_LOG, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const npmErrors = lines.filter((l) => /^npm error /.test(l) && !/^npm error\s+at /.test(l) && !/complete log of this run/.test(l));
  const errors = lines.filter((l) => /\berror\b/i.test(l));
  return (npmErrors.length > 0 ? npmErrors.slice(0, 6) : errors.length > 0 ? errors.slice(-6) : lines.slice(-6)).join(' | ');
}

/**
 * Makes bench/peers/node_modules hold the pinned version, built for this Node: `npm ci` (or
 * `npm install` when there is no package-lock.json yet) with CKJS_LINKING=dynamic unless set, its
 * output in bench/peers/install.log. Resolves with { version, installed, seconds }; rejects with
 * npm's error lines.
 */
export async function install(log) {
  const wanted = pinnedVersion();
  const reason = staleReason(wanted);
  if (reason === undefined) return { version: wanted, installed: false, seconds: 0 };
  const hasLock = existsSync(path.join(PEERS_DIR, 'package-lock.json'));
  const linking = process.env.CKJS_LINKING ?? 'dynamic';
  const { command, prefix } = npmCommand();
  const args = [...prefix, hasLock ? 'ci' : 'install', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'];
  log(
    `  ck-js: ${CKJS_PACKAGE} ${wanted}: ${reason}; installing into bench/peers with CKJS_LINKING=${linking} npm ${args.slice(prefix.length).join(' ').replace(PEERS_DIR, 'bench/peers')}` +
      ' (built from source, ~1.5 min on 2 vCPUs; output in bench/peers/install.log)',
  );
  const t0 = performance.now();
  const out = createWriteStream(INSTALL_LOG);
  const code = await new Promise((resolve) => {
    // Its own process group: a timeout, or this process being stopped (.ci/run stops it when a
    // step fails), ends npm and the node-gyp / make / compiler processes under it too.
    const child = spawn(command, args, { cwd: PEERS_DIR, env: { ...process.env, CKJS_LINKING: linking }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const killGroup = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const onSignal = (sig) => {
      killGroup();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const timer = setTimeout(killGroup, INSTALL_TIMEOUT_MS);
    const done = (result) => {
      clearTimeout(timer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(result);
    };
    child.on('error', (e) => done(e.message));
    child.on('close', (c, signal) => done(c ?? signal ?? 'unknown'));
  });
  await new Promise((r) => out.end(r));
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  const after = code === 0 ? staleReason(wanted) : undefined;
  if (code !== 0 || (after !== undefined && after !== 'no install stamp (installed by hand?)')) {
    throw new Error(`npm ${args[prefix.length]} in bench/peers failed after ${seconds} s (${code !== 0 ? `exit ${code}` : after}): ${installLogSummary()} (full output: bench/peers/install.log)`);
  }
  writeFileSync(STAMP, JSON.stringify({ version: wanted, modules: process.versions.modules, node: process.version, linking, seconds }, null, 2) + '\n');
  log(`  ck-js: installed ${CKJS_PACKAGE} ${wanted} in ${seconds} s`);
  return { version: wanted, installed: true, seconds };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  install((m) => console.log(`[bench peers]${m.replace(/^ +/, ' ')}`)).then(
    (r) => {
      if (!r.installed) console.log(`[bench peers] ck-js: ${CKJS_PACKAGE} ${r.version} is installed and fresh`);
    },
    (e) => {
      console.error(`[bench peers] ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
