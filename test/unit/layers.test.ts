// The layer rules hold for the project, and the checker does catch a violation.
import test from 'ava';
import { execa } from 'execa';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const script = join(ROOT, 'scripts', 'check-layers.mjs');

test('the project respects its layers', async (t) => {
  const r = await execa('node', [script, ROOT], { reject: false });
  t.is(r.exitCode, 0, String(r.stderr));
});

test('an engine file importing the UI is reported', async (t) => {
  const dir = tempDir('layers-');
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
  const dir = tempDir('layers-');
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

// A tree with one file per case, checked as a whole: the checker's report for it.
async function lintTree(files: Record<string, string>): Promise<{ exitCode: number | undefined; err: string }> {
  const dir = tempDir('layers-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = await execa('node', [script, dir], { reject: false });
  rmSync(dir, { recursive: true, force: true });
  return { exitCode: r.exitCode, err: String(r.stderr) };
}

test('the model imports nothing of the runner: not the engine, not even the error hierarchy', async (t) => {
  const r = await lintTree({
    'src/model/x.ts': "import { runLab } from '../engine/runner.js';\n",
    'src/model/y.ts': "import type { LabDefinitionError } from '../errors.js';\n",
  });
  t.is(r.exitCode, 1);
  t.regex(r.err, /src\/model\/x\.ts: src\/model may not import src\/engine\/runner\.ts/);
  t.regex(r.err, /src\/model\/y\.ts: src\/model may not import src\/errors\.ts \(even as a type\)/);
});

test('a front end reaches the engine and the model, never the sandbox', async (t) => {
  const bad = await lintTree({ 'src/ui/walk/x.ts': "import { Sandbox } from '../../sandbox/sandbox.js';\n" });
  t.is(bad.exitCode, 1);
  t.regex(bad.err, /src\/ui\/walk\/x\.ts: src\/ui\/walk may not import src\/sandbox\/sandbox\.ts/);
  const good = await lintTree({
    'src/ui/walk/x.ts':
      "import { probeCommand } from '../../model/probes.js';\nimport { LabSession } from '../../engine/session.js';\n",
  });
  t.is(good.exitCode, 0, good.err);
});

test('a front end is one folder: it shares ui/shared and ui/report, never another front end', async (t) => {
  const bad = await lintTree({
    'src/ui/walk/x.ts': "import { view } from '../demo/view.js';\n",
    'src/ui/serve/y.ts': "import { renderStep } from '../walk/step.js';\n",
  });
  t.is(bad.exitCode, 1);
  t.regex(bad.err, /src\/ui\/walk\/x\.ts: src\/ui\/walk may not import src\/ui\/demo\/view\.ts/);
  t.regex(bad.err, /src\/ui\/serve\/y\.ts: src\/ui\/serve may not import src\/ui\/walk\/step\.ts/);
  const good = await lintTree({
    'src/ui/walk/x.ts':
      "import { wrap } from '../shared/text.js';\nimport { writeJunit } from '../report/junit-reporter.js';\n",
  });
  t.is(good.exitCode, 0, good.err);
});

test('labs reach the model only through src/lab.ts; the sandbox and the checks may read the model', async (t) => {
  const r = await lintTree({
    'labs/01-x.ts': "import { ping } from '../src/model/probes.js';\n",
    'labs/02-y.ts': "import { ping } from '../src/lab.js';\n",
    'src/sandbox/z.ts': "import { HOST } from '../model/topology.js';\n",
    'src/check/w.ts': "import { icmp } from '../model/matchers.js';\n",
  });
  t.is(r.exitCode, 1);
  t.regex(r.err, /labs\/01-x\.ts: labs may not import src\/model\/probes\.ts/);
  t.notRegex(r.err, /02-y|sandbox\/z|check\/w/);
});
