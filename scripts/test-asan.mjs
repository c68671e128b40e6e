#!/usr/bin/env node
// npm run test:asan [-- --unit-only]
//
// Builds the project's addons (binding.gyp) with -fsanitize=address,undefined into .cache/asan/
// (the normal build in build/ is untouched), checks that every .node file really links the ASan
// runtime, then runs the unit suite and the integration suite against the real stack with
//   GOCOFFEE_NATIVE_BUILD=.cache/asan/build/Release  (src/native/addon.ts loads the ASan build)
//   LD_PRELOAD=<libasan.so>                            (the runtime must come first: Node is not instrumented)
// Any ASan/UBSan report aborts the process (the suite fails); LeakSanitizer checks at exit.
//
// Leaks: suppressions in test/asan/lsan.supp match V8/Node's own allocations still reachable only
// through the isolate at process.exit(). A suppression matches any frame of the recorded allocation
// stack, so the stack is kept short (malloc_context_size): an allocation of the addons has its own
// frames (addon, libstdc++, librdkafka) at the top and is never hidden by the Node/V8 entry, whose
// frames lie deeper. Non-Node children (the JVMs, nginx, openssl, Maven) get none of these variables
// (scripts/stack-lib.mjs plainEnv).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, '.cache', 'asan');
const say = (m) => console.error(`[test:asan] ${m}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 128;
}

function nodeGyp() {
  // npm exposes its bundled node-gyp to scripts; fall back to npm's own copy next to this node.
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return fs.existsSync(bundled) ? [process.execPath, bundled] : ['node-gyp'];
}

function build() {
  fs.mkdirSync(OUT, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'binding.gyp'), path.join(OUT, 'binding.gyp'));
  for (const link of ['src', 'node_modules']) {
    const p = path.join(OUT, link);
    if (!fs.existsSync(p)) fs.symlinkSync(path.join(ROOT, link), p);
  }
  const [cmd, ...pre] = nodeGyp();
  const nodedir = process.env.npm_config_nodedir ? [] : fs.existsSync('/usr/include/node/node.h') ? ['--nodedir=/usr'] : [];
  say('building the addons with -fsanitize=address,undefined into .cache/asan/build/Release');
  const code = run(cmd, [...pre, 'rebuild', ...nodedir], { cwd: OUT, env: { ...process.env, GOCOFFEE_ASAN: '1' } });
  if (code !== 0) throw new Error(`node-gyp rebuild (ASan) failed with exit ${code}`);
  for (const name of ['gocoffee_producer', 'gocoffee_consumer', 'gocoffee_admin']) {
    const file = path.join(OUT, 'build', 'Release', `${name}.node`);
    const needed = spawnSync('readelf', ['-d', file], { encoding: 'utf8' }).stdout;
    if (!/libasan\.so/.test(needed) || !/libubsan\.so/.test(needed)) throw new Error(`${file} does not link libasan/libubsan: not a sanitizer build`);
  }
}

function sanitizerEnv() {
  const libasan = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
  if (!libasan.startsWith('/')) throw new Error('gcc -print-file-name=libasan.so found no ASan runtime (apt-get install gcc)');
  return {
    ...process.env,
    GOCOFFEE_NATIVE_BUILD: path.join(OUT, 'build', 'Release'),
    LD_PRELOAD: libasan,
    ASAN_OPTIONS: 'detect_leaks=1:malloc_context_size=8:abort_on_error=0:exitcode=86',
    LSAN_OPTIONS: `suppressions=${path.join(ROOT, 'test', 'asan', 'lsan.supp')}:print_suppressions=0:exitcode=87`,
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:exitcode=88',
  };
}

function main() {
  build();
  const env = sanitizerEnv();
  const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
  say('unit suite under ASan/UBSan');
  let code = run(process.execPath, [mocha, '--config', 'test/.mocharc.unit.json'], { env });
  if (code !== 0) return code;
  if (process.argv.includes('--unit-only')) return 0;
  say('integration suite under ASan/UBSan (the stack itself runs without the sanitizer)');
  const plain = { ...process.env };
  const vars = ['GOCOFFEE_NATIVE_BUILD', 'LD_PRELOAD', 'ASAN_OPTIONS', 'LSAN_OPTIONS', 'UBSAN_OPTIONS'].map((k) => `${k}=${env[k]}`);
  code = run(process.execPath, [path.join(ROOT, 'scripts', 'with-stack.mjs'), 'env', ...vars, process.execPath, mocha, '--config', 'test/.mocharc.integration.json'], { env: plain });
  return code;
}

try {
  process.exitCode = main();
} catch (e) {
  say(e.message);
  process.exitCode = 1;
}
