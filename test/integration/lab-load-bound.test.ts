// A shipped lab whose top-level code never returns: `lab list` marks it within the bound and lists the
// others; running it exits 2 naming it. Runs on a copy of the build (dist) with one such lab added.
import test from '../helpers/root-test.js';
import { execa } from 'execa';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../src/errors.js';
import { ROOT } from '../helpers/cli.js';

test('lab list marks a lab that loops for ever within the bound; lab check of it exits 2; the others list', async (t) => {
  t.timeout(90_000);
  const app = mkdtempSync(join(tmpdir(), 'lab-load-bound-'));
  t.teardown(() => rmSync(app, { recursive: true, force: true }));
  cpSync(join(ROOT, 'dist'), join(app, 'dist'), {
    recursive: true,
    filter: (src) => !src.startsWith(join(ROOT, 'dist', 'test')) && !src.endsWith('.load-returned.json'),
  });
  cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
  writeFileSync(
    join(app, 'dist/labs/09-loops.js'),
    readFileSync(join(ROOT, 'fixtures/labs/loops-forever.mjs'), 'utf8').replace("'loops-forever'", "'09-loops'"),
  );
  const cli = (args: string[]) =>
    execa(process.execPath, [join(app, 'dist/src/cli/main.js'), ...args], {
      cwd: app,
      reject: false,
      env: { CI: 'true' },
      timeout: 60_000,
    });

  for (const round of ['first', 'second (the others known to return)']) {
    const started = performance.now();
    const list = await cli(['list']);
    const ms = performance.now() - started;
    t.is(list.exitCode, 0, String(list.stderr));
    t.regex(
      String(list.stdout),
      /^09-loops\s+BROKEN: labs\/09-loops\.ts: does not finish loading: its top-level code ran over 5 s/m,
      round,
    );
    for (const id of ['01-namespaces', '02-bridge-veth', '03-masquerade', '08-ingress-sync'])
      t.regex(String(list.stdout), new RegExp(`^${id} +[A-Z]`, 'm'), `${round}: ${id} is listed as usual`);
    t.true(ms < 30_000, `${round}: ${Math.round(ms)} ms`);
  }
  const started = performance.now();
  const run = await cli(['check', '09-loops']);
  t.is(run.exitCode, EXIT.usage, String(run.stdout) + String(run.stderr));
  t.regex(String(run.stderr), /error: labs\/09-loops\.ts: does not finish loading/);
  t.true(performance.now() - started < 30_000);
});
