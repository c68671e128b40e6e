import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The README and docs/ link into each other and into the repository (bench/, binding-notes/,
 * examples/, schemas/, scripts/). Every relative link must resolve to an existing file or folder,
 * and a link to a heading of a Markdown file (`page.md#anchor`, `#anchor`) to a heading that exists
 * (GitHub's heading ids). The README stays short: the details live in docs/.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const README_MAX_LINES = 275;

const docsDir = join(root, 'docs');
const pages = [join(root, 'README.md'), ...readdirSync(docsDir).filter((f) => f.endsWith('.md')).sort().map((f) => join(docsDir, f))];

/** Fenced code blocks, also indented ones inside list items. */
const FENCE = /^[ \t]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t]*\1[ \t]*$/gm;

/** The text outside fenced code blocks and inline code spans (links there are not links). */
function prose(markdown: string): string {
  return markdown.replace(FENCE, '').replace(/`[^`]*`/g, '``');
}

/** Inline links and images: [text](target) / ![alt](target), with an optional "title". */
function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, duplicates numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const text = m[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

/** Headings are read from the source text, so inline code in a heading keeps its content. */
function headingSource(markdown: string): string {
  return markdown.replace(FENCE, '').replace(/`([^`\n]*)`/g, '$1');
}

function problems(): string[] {
  const out: string[] = [];
  const ids = new Map<string, Set<string>>();
  const idsOf = (file: string): Set<string> => {
    let s = ids.get(file);
    if (s === undefined) ids.set(file, (s = anchors(headingSource(readFileSync(file, 'utf8')))));
    return s;
  };
  for (const page of pages) {
    const name = relative(root, page);
    for (const target of links(readFileSync(page, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      const hash = target.indexOf('#');
      const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const file = path === '' ? page : resolve(dirname(page), path);
      if (!existsSync(file)) {
        out.push(`${name}: ${target} → ${relative(root, file)} does not exist`);
        continue;
      }
      if (!file.startsWith(root)) out.push(`${name}: ${target} points outside the repository`);
      if (anchor !== undefined && anchor !== '' && file.endsWith('.md') && !idsOf(file).has(anchor)) {
        out.push(`${name}: ${target} → no heading #${anchor} in ${relative(root, file)}`);
      }
    }
  }
  return out;
}

describe('README and docs/ links', () => {
  it('has docs pages to check', () => {
    assert.ok(pages.length > 1, 'docs/*.md exist');
  });

  it('every relative link resolves to an existing file (and heading)', () => {
    assert.deepEqual(problems(), []);
  });

  it('the README links every docs/ page', () => {
    const linked = new Set(links(readFileSync(join(root, 'README.md'), 'utf8')).map((t) => resolve(root, t.split('#')[0]!)));
    const unlinked = pages.slice(1).filter((p) => !linked.has(p)).map((p) => relative(root, p));
    assert.deepEqual(unlinked, [], 'list them under "## Documentation" in README.md');
  });

  it(`README.md stays short (at most ${README_MAX_LINES} lines; details go to docs/)`, () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n').length - 1;
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines`);
  });

  it('the link and heading parsers see what GitHub sees', () => {
    assert.deepEqual(links('[a](x.md) `[b](y.md)` ![c](img.png "t")\n```\n[d](z.md)\n```\n'), ['x.md', 'img.png']);
    assert.deepEqual([...anchors(headingSource('# Logs (pino)\n## Registering schemas: the CLI\n## A `code` heading\n## Logs (pino)\n'))],
      ['logs-pino', 'registering-schemas-the-cli', 'a-code-heading', 'logs-pino-1']);
  });
});

describe('repository paths named in the docs', () => {
  // Paths written as text (`src/delivery/engine.ts`, test/unit/...): a file move must update them.
  // node-rdkafka's own sources (src/*.cc at its root) are named in binding-notes/ and are not ours.
  const PATH = /\b(?:src|test|scripts|bench|examples)\/[A-Za-z0-9_./-]+\.(?:ts|mts|mjs|js|md|json|avsc)\b/g;
  const files = [
    ...pages,
    ...readdirSync(join(root, 'binding-notes')).filter((f) => f.endsWith('.md')).map((f) => join(root, 'binding-notes', f)),
    join(root, 'bench', 'README.md'),
  ];
  it('every src/, test/, scripts/, bench/ and examples/ path named in README, docs/, binding-notes/ and bench/README.md exists', () => {
    const missing: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(PATH)) {
        if (m[0].includes('<') || m[0].includes('*')) continue;
        if (!existsSync(join(root, m[0]))) missing.push(`${relative(root, f)}: ${m[0]}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
