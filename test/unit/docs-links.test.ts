// Every relative link in the README and docs/ reaches a file of the checkout, and an #anchor a heading
// of that file, so moving a section never leaves a reader at a dead end.
import test from 'ava';
import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { anchors, docFiles, docText, links } from '../helpers/docs.js';

// The broken links of one document, each said as "FILE: target (why)".
function broken(rel: string): string[] {
  const out: string[] = [];
  for (const target of links(docText(rel))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const file = path ? normalize(join(dirname(rel), path)) : rel;
    if (file.startsWith('..') || !existsSync(join(ROOT, file))) {
      out.push(`${rel}: ${target} (no file ${file})`);
      continue;
    }
    if (anchor !== undefined && file.endsWith('.md') && !anchors(docText(file)).has(anchor))
      out.push(`${rel}: ${target} (no heading #${anchor} in ${file})`);
  }
  return out;
}

test('every relative link in README.md and docs/*.md points at an existing file and heading', (t) => {
  const files = docFiles();
  t.true(files.includes('README.md') && files.some((f) => f.startsWith('docs/')), files.join(','));
  const bad = files.flatMap(broken);
  t.deepEqual(bad, [], bad.join('\n'));
});

test('the README links to each page of docs/', (t) => {
  const readme = links(docText('README.md'));
  const missing = docFiles().filter((f) => f.startsWith('docs/') && !readme.some((l) => l.split('#')[0] === f));
  t.deepEqual(missing, [], `pages the README does not link: ${missing.join(', ')}`);
});

test('the link checker sees a dead file and a dead heading', (t) => {
  t.deepEqual(links('see [a](docs/x.md#y) and `[b](c)`\n```\n[d](e)\n```\n'), ['docs/x.md#y']);
  const a = anchors(
    '# What the sandbox protects, and what it does not\n## `--junit FILE`, `--report`\n## Set-up\n## Set-up\n',
  );
  t.true(a.has('what-the-sandbox-protects-and-what-it-does-not'));
  t.true(a.has('--junit-file---report'));
  t.true(a.has('set-up') && a.has('set-up-1'));
  t.false(a.has('set-up-2'));
});
