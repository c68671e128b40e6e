#!/usr/bin/env node
// The house rules of src/ (DESIGN §1, docs/architecture.md "Layout"), checked in CI by test/unit/layout.test.ts:
//  1. every import goes DOWN the layer table below (a folder never imports a folder of its own or a
//     higher layer; src/client.ts and src/index.ts sit above every folder of the core);
//  2. hence no import cycle between folders;
//  3. hand-written files stay under 400 lines (generated ones aside).
// Usage: node scripts/layout-check.mjs [src]   (exit 1 and one line per violation when broken)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';

/** Layer of each top-level folder / root file of src/: imports go from a higher number to a lower one. */
export const LAYERS = Object.freeze({
  errors: 0,
  config: 1,
  native: 2,
  message: 3,
  diagnostics: 3,
  // Listens to diagnostics/ channels; nothing in the core imports it (only the composition root builds it).
  telemetry: 6,
  schema: 5,
  delivery: 5,
  pool: 5,
  producer: 6,
  consumer: 6,
  admin: 6,
  // The client's options and their check (types only from below; client.ts imports it).
  'client-options.ts': 6.5,
  'client.ts': 7,
  // Typed events for any application (catalog, serde, publisher, handlers, workers), beside the
  // composition root: it takes a producer and a consumer handler interface, never the client.
  typed: 7,
  // The Go Coffee domain on top of the client and the typed events (catalog, Manager, EventBus).
  gocoffee: 8,
  // The package's entry point re-exports the client, the typed events and the domain.
  'index.ts': 9,
  cli: 10,
});

export const MAX_LINES = 400;

function unitOf(root, file) {
  const parts = relative(root, file).split('/');
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.js$/, '.ts');
}

export function checkLayout(rootDir = 'src') {
  const root = resolve(rootDir);
  const files = [];
  (function walk(d) {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts)$/.test(n) && !n.endsWith('.d.ts')) files.push(p);
    }
  })(root);
  const problems = [];
  const edges = new Map();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const from = unitOf(root, f);
    if (!(from in LAYERS)) problems.push(`${relative(root, f)}: ${from} is not in the layer table (scripts/layout-check.mjs LAYERS)`);
    const lines = text.split('\n').length;
    const generated = /generated/i.test(f) || /^\/\/ .*generated/im.test(text.slice(0, 300));
    if (lines > MAX_LINES && !generated) problems.push(`${relative(root, f)}: ${lines} lines (at most ${MAX_LINES})`);
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = resolve(dirname(f), m[1]);
      if (!target.startsWith(root + '/')) continue;
      const to = unitOf(root, target.replace(/\.js$/, '.ts'));
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from).add(to);
      if (!(LAYERS[from] > LAYERS[to])) {
        problems.push(`${relative(root, f)} imports ${m[1]}: ${from} (layer ${LAYERS[from]}) may only import lower layers, ${to} is layer ${LAYERS[to]}`);
      }
    }
  }
  // Cycles (implied by rule 1, reported on their own so a broken table cannot hide one).
  const state = new Map();
  const stack = [];
  const visit = (v) => {
    state.set(v, 1);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (state.get(w) === 1) problems.push(`import cycle between folders: ${[...stack.slice(stack.indexOf(w)), w].join(' -> ')}`);
      else if (!state.has(w)) visit(w);
    }
    stack.pop();
    state.set(v, 2);
  };
  for (const v of edges.keys()) if (!state.has(v)) visit(v);
  return { problems, edges };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { problems } = checkLayout(process.argv[2] ?? 'src');
  for (const p of problems) console.log(p);
  console.log(problems.length === 0 ? 'layout ok' : `${problems.length} layout problem(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
