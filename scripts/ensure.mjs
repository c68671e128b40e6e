#!/usr/bin/env node
// node scripts/ensure.mjs <build|test|demo|bench> [--packages-only]   (and `stamp`, run by npm's prepare step)
//
// Installs what a fresh clone is missing before the README's commands run, and costs well under a
// second when nothing is missing. Plain Node (no dependency: it runs before `npm ci`).
//
//   1. Debian packages: the compilers and headers node-rdkafka's bundled librdkafka is built with
//      (ssl, sasl, gzip, lz4, zstd) for every purpose; a JDK and Maven for the local stack (test,
//      demo, bench, unless GOCOFFEE_KAFKA_BROKERS names a cluster); nginx and openssl for the
//      security suite (test). As root they are installed with apt-get; otherwise the exact command
//      is printed and the script stops (exit 1). Not Debian: the list is printed, nothing is done.
//   2. npm: `npm ci` when node_modules is missing, was installed from another package-lock.json or
//      Node.js version, or was built before a build package above was installed (a librdkafka built
//      without the zstd headers lacks zstd). A stamp in node_modules/ records what it was built from.
//   3. The project's own addons: `npm run postinstall` (node-gyp rebuild) when build/Release lacks
//      them or binding.gyp / src/native/addon changed since they were built (stamp in build/).
//
// `--packages-only` stops after step 1 (.ci/run: the bench's ck-js peer starts building beside
// `npm ci` once the compilers are there).
//
// The stack's jars are fetched on first use by scripts/stack-lib.mjs (Maven Central), as before.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = path.join(ROOT, 'node_modules', '.gocoffee-install-stamp');
/** The stamp's content after `--packages-only` installed build packages: node_modules must be rebuilt. */
const PACKAGES_INSTALLED = 'build-packages-installed';

/** Debian packages by purpose. `build` is needed by every purpose (librdkafka is compiled by npm ci). */
export const PACKAGES = Object.freeze({
  build: ['build-essential', 'python3', 'libssl-dev', 'zlib1g-dev', 'liblz4-dev', 'libzstd-dev', 'libsasl2-dev', 'ca-certificates'],
  stack: ['openjdk-17-jdk-headless', 'maven'],
  security: ['openssl', 'nginx'],
});

const PURPOSES = Object.freeze({
  build: ['build'],
  demo: ['build', 'stack'],
  bench: ['build', 'stack'],
  test: ['build', 'stack', 'security'],
});

const say = (m) => console.error(`[ensure] ${m}`);

function missingDebianPackages(names) {
  const res = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...names], { encoding: 'utf8' });
  if (res.error) return null; // no dpkg: not Debian
  const installed = new Set();
  for (const line of res.stdout.split('\n')) {
    const [name, status] = line.trim().split(' ');
    if (status === 'installed') installed.add(name);
  }
  return names.filter((n) => !installed.has(n));
}

/** A JDK (any vendor) satisfies the stack: Kafka needs 17+, the stack script finds a JDK >= 21 for the registry. */
function haveCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function ensureSystemPackages(groups) {
  let wanted = groups.flatMap((g) => PACKAGES[g]);
  // A JDK or Maven that is already on PATH (another vendor, sdkman, ...) is good enough.
  if (haveCommand('java')) wanted = wanted.filter((p) => p !== 'openjdk-17-jdk-headless');
  if (haveCommand('mvn')) wanted = wanted.filter((p) => p !== 'maven');
  if (haveCommand('nginx') || fs.existsSync('/usr/sbin/nginx')) wanted = wanted.filter((p) => p !== 'nginx');
  const missing = missingDebianPackages(wanted);
  if (missing === null) {
    say(`not a Debian system: make sure the equivalents of these packages are installed: ${wanted.join(' ')}`);
    return { installedBuildPackages: false };
  }
  if (missing.length === 0) return { installedBuildPackages: false };
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    say(`missing system packages: ${missing.join(' ')}`);
    say(`install them, then run this again:\n\n  sudo sh -c '${command}'\n`);
    process.exit(1);
  }
  say(`installing system packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) {
      say(`apt-get ${args[0]} failed (exit ${r.status ?? r.signal}); run it yourself: ${command}`);
      process.exit(1);
    }
  }
  return { installedBuildPackages: missing.some((p) => PACKAGES.build.includes(p)) };
}

function installFingerprint() {
  const h = crypto.createHash('sha256');
  h.update(fs.readFileSync(path.join(ROOT, 'package-lock.json')));
  h.update(`\0node ${process.versions.node} abi ${process.versions.modules} ${process.platform}-${process.arch}`);
  return h.digest('hex');
}

/** The project's own addons (binding.gyp, src/native/addon): rebuilt alone when only their sources changed. */
const ADDON_STAMP = path.join(ROOT, 'build', '.gocoffee-addon-stamp');
const ADDONS = ['gocoffee_producer', 'gocoffee_consumer'];

function addonFingerprint() {
  const h = crypto.createHash('sha256');
  h.update(fs.readFileSync(path.join(ROOT, 'binding.gyp')));
  const dir = path.join(ROOT, 'src', 'native', 'addon');
  for (const f of fs.readdirSync(dir).sort()) h.update(`\0${f}\0`).update(fs.readFileSync(path.join(dir, f)));
  h.update(`\0node ${process.versions.node} abi ${process.versions.modules}`);
  return h.digest('hex');
}

function ensureAddons() {
  const want = addonFingerprint();
  let have = null;
  try { have = fs.readFileSync(ADDON_STAMP, 'utf8').trim(); } catch { /* none */ }
  const built = ADDONS.every((a) => fs.existsSync(path.join(ROOT, 'build', 'Release', `${a}.node`)));
  if (built && have === want) return;
  say(`node-gyp rebuild: ${built ? 'the addon sources changed since the last build' : 'the addons are not built'}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'postinstall'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    say(`building the addons failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
  writeAddonStamp();
}

function writeAddonStamp() {
  if (fs.existsSync(path.dirname(ADDON_STAMP))) fs.writeFileSync(ADDON_STAMP, `${addonFingerprint()}\n`);
}

/** librdkafka features the full test suite exercises; a build without one is rebuilt once its headers are there. */
const FULL_FEATURES = ['ssl', 'sasl_plain', 'sasl_scram', 'gzip', 'snappy', 'lz4', 'zstd'];

function missingLibrdkafkaFeatures() {
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write(JSON.stringify(require('node-rdkafka').features))"], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) return null; // cannot load: reinstall
  try {
    const have = new Set(JSON.parse(r.stdout));
    return FULL_FEATURES.filter((f) => !have.has(f));
  } catch { return null; }
}

function ensureNodeModules(force) {
  const want = installFingerprint();
  let have = null;
  try { have = fs.readFileSync(STAMP, 'utf8').trim(); } catch { /* none yet */ }
  let reason = force ? 'system build packages were just installed (librdkafka must be rebuilt with them)'
    : have === PACKAGES_INSTALLED ? 'system build packages were installed since node_modules was built (librdkafka must be rebuilt with them)'
    : have === null ? (fs.existsSync(path.join(ROOT, 'node_modules')) ? 'node_modules has no install stamp (interrupted or foreign install)' : 'node_modules is missing')
    : have !== want ? 'package-lock.json or Node.js changed since the last install'
    : null;
  if (reason === null) {
    const missing = missingLibrdkafkaFeatures();
    if (missing === null) reason = 'node-rdkafka does not load';
    else if (missing.length > 0) reason = `librdkafka was built without ${missing.join(', ')} (its headers were missing then)`;
  }
  if (reason === null) return;
  say(`npm ci: ${reason}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    say(`npm ci failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
  writeStamp();
}

/** Run by the root package's `prepare` script, i.e. after every `npm ci` / `npm install` in the clone (postinstall built the addons). */
function writeStamp() {
  if (fs.existsSync(path.dirname(STAMP))) fs.writeFileSync(STAMP, `${installFingerprint()}\n`);
  writeAddonStamp();
}

function main() {
  const purpose = process.argv[2] || 'build';
  if (purpose === 'stamp') return writeStamp();
  const groups = PURPOSES[purpose];
  if (!groups) {
    console.error(`usage: node scripts/ensure.mjs <${Object.keys(PURPOSES).join('|')}> [--packages-only]`);
    process.exit(2);
  }
  // A user's own cluster needs no local stack (JDK, Maven) and no security-suite tools on this machine.
  const own = Boolean(process.env.GOCOFFEE_KAFKA_BROKERS);
  const selected = own ? groups.filter((g) => g === 'build') : groups;
  const { installedBuildPackages } = ensureSystemPackages(selected);
  if (process.argv.includes('--packages-only')) {
    // npm ci must still rebuild librdkafka with the packages installed just now (the next run's
    // ensureNodeModules reads this marker instead of a fingerprint).
    if (installedBuildPackages && fs.existsSync(path.dirname(STAMP))) fs.writeFileSync(STAMP, `${PACKAGES_INSTALLED}\n`);
    return;
  }
  ensureNodeModules(installedBuildPackages);
  ensureAddons();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
