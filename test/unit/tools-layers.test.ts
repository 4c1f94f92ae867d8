// The node tools stay self-contained: they import only node's built-ins and each other, so they run in a
// container where nothing but node and dist/src/tools is mounted.
import test from 'ava';
import { execa } from 'execa';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { TOOLS } from '../helpers/netns.js';
import { tempDir } from '../helpers/temp.js';

test('every compiled tool module imports only node: built-ins and ./ siblings', (t) => {
  const files = readdirSync(TOOLS).filter((f) => f.endsWith('.js'));
  t.true(files.includes('nat66.js') && files.includes('lk.js') && files.includes('npt.js'));
  for (const f of files) {
    const text = readFileSync(join(TOOLS, f), 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      t.regex(m[1] ?? '', /^(node:|\.\/[a-z0-9-]+\.js$)/, `${f} imports ${m[1]}`);
    }
    t.notRegex(text, /\brequire\(|import\(/, `${f} loads modules dynamically`);
  }
});

test('the layer checker reports a tool importing outside src/tools', async (t) => {
  const dir = tempDir('layers-tools-');
  mkdirSync(join(dir, 'src', 'tools'), { recursive: true });
  writeFileSync(join(dir, 'src', 'tools', 'x.ts'), "import { EXIT } from '../errors.js';\n");
  writeFileSync(join(dir, 'src', 'tools', 'y.ts'), "import { z } from './z.js';\n");
  const r = await execa('node', [join(ROOT, 'scripts', 'check-layers.mjs'), dir], { reject: false });
  t.is(r.exitCode, 1);
  t.regex(String(r.stderr), /src\/tools\/x\.ts: src\/tools may not import src\/errors\.ts/);
  t.notRegex(String(r.stderr), /y\.ts/);
});
