// Every step with commands, in every lab, asks a prediction, carries hints for its typical mistakes, and
// declares at least two plausible mistakes (lab verify runs them).
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { declaredHints } from '../../src/check/hints.js';
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

// Labs 01-08 and 11-13 have had their mistakes written and tried; a newer lab is held to it once its author has.
const WITH_MISTAKES = /^(0[1-8]|1[1-3])-/;

test('every step with commands in labs 01-08 and 11-13 declares at least two plausible mistakes, each with a hint pattern', async (t) => {
  const missing: string[] = [];
  for (const id of labIds().filter((x) => WITH_MISTAKES.test(x))) {
    for (const s of (await loadLab(id)).def.steps) {
      if (!s.run.length) continue;
      const n = s.mistakes?.length ?? 0;
      if (n < 2) missing.push(`${id} ${s.id}: ${n} mistake(s)`);
      for (const m of s.mistakes ?? [])
        if (!m.run.length || !(m.hint instanceof RegExp))
          missing.push(`${id} ${s.id}: a mistake without commands or hint`);
    }
  }
  t.deepEqual(missing, []);
});

test('a bad prediction, bad hints and bad mistakes are named by field (exit 2)', async (t) => {
  const file = fileURLToPath(new URL('../../../fixtures/labs/bad-teaching.ts', import.meta.url));
  const err = await loadLab(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.true(err instanceof LabDefinitionError);
  const e = err as LabDefinitionError;
  t.is(e.exitCode, 2);
  t.true(
    e.problems.some((p) => p.startsWith('steps[0].prediction.answer: 2 must be the index')),
    e.problems.join('\n'),
  );
  t.true(
    e.problems.some((p) => p.startsWith('steps[0].check.expectations[0].hints[0].when: "maybe"')),
    e.problems.join('\n'),
  );
  t.true(
    e.problems.some((p) => p.startsWith('steps[0].check.expectations[0].hints[1].field: "colour"')),
    e.problems.join('\n'),
  );
  t.true(
    e.problems.some((p) => p.startsWith('steps[0].mistakes[0].run: must be a non-empty array')),
    e.problems.join('\n'),
  );
  t.true(
    e.problems.some((p) => p.startsWith('steps[0].mistakes[0].hint: "port" must be a RegExp')),
    e.problems.join('\n'),
  );
  t.true(
    e.problems.some((p) => p.startsWith('steps[0].mistakes[1].run[0].node: unknown node "nowhere"')),
    e.problems.join('\n'),
  );
});
