// What `lab new` writes passes the repo's own teaching test: its step with commands asks a prediction
// and declares at least two hints, and the loader accepts it (a bad prediction would be exit 2).
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { declaredHints } from '../../src/check/hints.js';
import { loadLab } from '../../src/engine/loader.js';
import { newLabText } from '../../src/engine/new-lab.js';

test('a lab written by lab new has a prediction and two hints on every step with commands', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-new-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const api = new URL('../../src/lab.js', import.meta.url).href;
  const text = newLabText('99-new-lab');
  t.true(text.includes("'../src/lab.js'"), 'the template imports the public API');
  const file = join(dir, '99-new-lab.mjs');
  writeFileSync(file, text.replace("'../src/lab.js'", `'${api}'`));
  const lab = await loadLab(file);
  const steps = lab.def.steps.filter((s) => s.run.length);
  t.true(steps.length >= 1);
  for (const s of steps) {
    t.truthy(s.prediction, `${s.id}: no prediction`);
    t.true(declaredHints(s.check).length + declaredHints(s.before).length >= 2, `${s.id}: fewer than two hints`);
  }
});
