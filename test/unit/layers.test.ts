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

test('packages and dynamic imports are checked too: execa in the UI, import() of the sandbox from a front end', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  mkdirSync(join(dir, 'src', 'ui'), { recursive: true });
  mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
  writeFileSync(
    join(dir, 'src', 'ui', 'x.ts'),
    "import { execa } from 'execa';\nimport { spawn } from 'node:child_process';\n",
  );
  writeFileSync(
    join(dir, 'src', 'cli', 'y.ts'),
    "const m = await import('../sandbox/keeper.js');\nimport blessed from 'blessed';\n",
  );
  const r = await execa('node', [script, dir], { reject: false });
  t.is(r.exitCode, 1);
  const err = String(r.stderr);
  t.regex(err, /src\/ui\/x\.ts: src\/ui may not use execa \(only src\/sys\)/);
  t.regex(err, /src\/ui\/x\.ts: src\/ui may not use node:child_process/);
  t.regex(err, /src\/cli\/y\.ts: src\/cli may not import src\/sandbox\/keeper\.ts/);
  t.regex(err, /src\/cli\/y\.ts: src\/cli may not use blessed \(only src\/ui\)/);
});
