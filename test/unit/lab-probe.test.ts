// A lab's top-level code runs first in a worker, bounded: one that loops or waits for ever is named and
// refused (exit 2) within the bound, and the labs after it are still probed.
import test from 'ava';
import { join } from 'node:path';
import { EXIT, LabDefinitionError } from '../../src/errors.js';
import { loadLab, probeLabs } from '../../src/engine/loader.js';
import { ROOT } from '../helpers/cli.js';

const fixture = (n: string): string => join(ROOT, 'fixtures/labs', n);

test('a lab that loops and one that waits are hung; the one after them returns; all within the bound', async (t) => {
  const files = [fixture('loops-forever.mjs'), fixture('waits-forever.mjs'), fixture('no-steps.mjs')];
  const started = performance.now();
  const verdicts = probeLabs(files, 1_000);
  t.deepEqual(await Promise.all(files.map((f) => verdicts.get(f))), ['hung', 'hung', 'returned']);
  t.true(performance.now() - started < 15_000, `${Math.round(performance.now() - started)} ms`);
});

test('loadLab refuses a lab that never returns with exit 2 naming its file', async (t) => {
  const e = await t.throwsAsync(loadLab(fixture('loops-forever.mjs'), undefined, undefined, 1_000), {
    instanceOf: LabDefinitionError,
  });
  t.is(e?.exitCode, EXIT.usage);
  t.regex(
    e?.message ?? '',
    /^fixtures\/labs\/loops-forever\.mjs: does not finish loading: its top-level code ran over 1 s/,
  );
  // And a lab that is only wrong is told as before.
  await t.throwsAsync(loadLab(fixture('no-steps.mjs'), undefined, undefined, 1_000), {
    message: /no-steps\.mjs: [\s\S]*steps: must be a non-empty array/,
  });
});
