// Every step that runs commands is checked honestly: skipping its commands makes its own check fail.
import test from 'ava';
import { labIds, loadLab } from '../../src/engine/loader.js';
import { runJson, step } from '../helpers/cli.js';

for (const id of labIds()) {
  test(`${id}: skipping any step that runs commands makes that step's check fail, naming what is missing`, async (t) => {
    const { def } = await loadLab(id);
    const steps = def.steps.filter((x) => x.run.length > 0);
    t.true(steps.length > 0);
    await Promise.all(
      steps.map(async (s) => {
        const { cli, result } = await runJson([id, '--skip', s.id, '--until', s.id]);
        t.is(cli.exitCode, 1, `${id} passed without the commands of ${s.id}`);
        const r = step(result, s.id);
        t.is(r.status, 'failed', s.id);
        t.deepEqual(r.commands, [], s.id);
        const check = r.check as unknown as { expectations: { pass: boolean; message: string }[]; looks: { pass: boolean; message: string }[] };
        const failed = [...check.expectations, ...check.looks].filter((x) => !x.pass);
        t.true(failed.length > 0 && failed.every((x) => x.message.length > 0), s.id);
      }),
    );
  });
}
