// Every check is load-bearing: leaving out a step's commands, or any one command that changes state,
// makes that step's own check fail, and the failure names the flow, rule or state that is missing.
import test from '../helpers/root-test.js';
import { formatMatcher } from '../../src/check/format.js';
import type { CheckResult } from '../../src/check/types.js';
import { labIds, loadLab } from '../../src/engine/loader.js';
import { checkWithout, commandCases } from '../../src/engine/verify-each.js';
import { runJson, step } from '../helpers/cli.js';

// The failures of a check, each as the words a person reads; an expectation names its point and matcher.
function namedFailures(c: Pick<CheckResult, 'expectations' | 'looks' | 'probes'>): string[] {
  const out: string[] = [];
  for (const x of c.expectations.filter((e) => !e.pass)) {
    if (x.message.includes(x.expectation.point) && x.message.includes(formatMatcher(x.expectation.matcher)))
      out.push(x.message);
  }
  for (const l of c.looks.filter((x) => !x.pass)) if (l.message.includes(l.look.cmd)) out.push(l.message);
  return out;
}

// Serial across labs: each test runs several sandboxes at once already, and eight labs at a time
// overloaded a 2-core machine (node itself then took over 5 s to start in a sandbox).
for (const id of labIds()) {
  test.serial(
    `${id}: skipping any step that runs commands fails that step's check, naming what is missing`,
    async (t) => {
      t.timeout(300_000);
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
          const check = r.check as unknown as CheckResult;
          t.true(namedFailures(check).length > 0, `${s.id}: no failure names its expected flow or state`);
        }),
      );
    },
  );

  // The same trials as `lab verify --each-command` (engine/verify-each.ts), three sandboxes at a time.
  test.serial(`${id}: leaving out any one command that changes state fails its step's check`, async (t) => {
    t.timeout(600_000);
    const loaded = await loadLab(id);
    const cases = commandCases(loaded.def);
    t.true(cases.length > 0);
    const queue = [...cases];
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const r = await checkWithout(loaded, c);
          t.false(r?.pass ?? true, `${id} ${c.step}: its check passed without \`${c.cmd}\``);
          if (r && !r.pass)
            t.true(
              namedFailures(r).length > 0 || r.probes.some((p) => !p.ok),
              `${c.step} without \`${c.cmd}\`: the failure names nothing`,
            );
        }
      }),
    );
  });
}
