// The layer rules hold for the project, and the checker does catch a violation.
import test from 'ava';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

const script = join(ROOT, 'scripts', 'check-layers.mjs');

test('the project respects its layers', async (t) => {
  const r = await execa('node', [script, ROOT], { reject: false });
  t.is(r.exitCode, 0, String(r.stderr));
});

test('an engine file importing the UI is reported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  mkdirSync(join(dir, 'src', 'engine'), { recursive: true });
  mkdirSync(join(dir, 'labs'));
  writeFileSync(join(dir, 'src', 'engine', 'x.ts'), "import { y } from '../ui/y.js';\n");
  writeFileSync(join(dir, 'labs', '01-x.ts'), "import { z } from '../src/engine/runner.js';\n");
  const r = await execa('node', [script, dir], { reject: false });
  t.is(r.exitCode, 1);
  t.regex(String(r.stderr), /src\/engine\/x\.ts: src\/engine may not import src\/ui\/y\.ts/);
  t.regex(String(r.stderr), /labs\/01-x\.ts: labs may not import src\/engine\/runner\.ts/);
});
