// Every step with commands, in every lab, asks a prediction and carries hints for its typical mistakes.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { declaredHints } from '../../src/engine/hints.js';
import { labIds, loadLab } from '../../src/engine/loader.js';
import { LabDefinitionError } from '../../src/errors.js';

test('every step with commands has a prediction and at least two hints', async (t) => {
  const ids = labIds();
  t.true(ids.length >= 4, ids.join(','));
  const missing: string[] = [];
  for (const id of ids) {
    for (const s of (await loadLab(id)).def.steps) {
      if (!s.run.length) continue;
      if (!s.prediction) missing.push(`${id} ${s.id}: no prediction`);
      const n = declaredHints(s.check).length + declaredHints(s.before).length;
      if (n < 2) missing.push(`${id} ${s.id}: ${n} hint(s)`);
    }
  }
  t.deepEqual(missing, []);
});

test('a bad prediction and bad hints are named by field (exit 2)', async (t) => {
  const file = fileURLToPath(new URL('../../../fixtures/labs/bad-teaching.ts', import.meta.url));
  const err = await loadLab(file).then(() => undefined, (e: unknown) => e);
  t.true(err instanceof LabDefinitionError);
  const e = err as LabDefinitionError;
  t.is(e.exitCode, 2);
  t.true(e.problems.some((p) => p.startsWith('steps[0].prediction.answer: 2 must be the index')), e.problems.join('\n'));
  t.true(e.problems.some((p) => p.startsWith('steps[0].check.expectations[0].hints[0].when: "maybe"')), e.problems.join('\n'));
  t.true(e.problems.some((p) => p.startsWith('steps[0].check.expectations[0].hints[1].field: "colour"')), e.problems.join('\n'));
});
