// The build's last step: the Perl scripts are copied beside their modules, and a lab whose source was
// deleted does not stay in the build (where `lab list` and the tests would still find it).
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

test('copies .pl files and removes compiled modules whose .ts is gone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-build-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const put = (p: string, s = ''): void => {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), s);
  };
  put('labs/01-kept.ts');
  put('src/sys/perl/x.pl', 'print 1;\n');
  put('src/sys/a.ts');
  for (const f of [
    'dist/labs/01-kept.js',
    'dist/labs/02-gone.js',
    'dist/labs/02-gone.js.map',
    'dist/labs/.broken',
    'dist/src/sys/a.js',
    'dist/src/sys/b.js',
  ])
    put(f);
  const r = await execa('bash', [join(ROOT, 'scripts', 'build-assets.sh'), 'dist'], { cwd: dir, reject: false });
  t.is(r.exitCode, 0, String(r.stderr));
  t.true(existsSync(join(dir, 'dist/src/sys/perl/x.pl')), 'the Perl script is in the build');
  t.true(existsSync(join(dir, 'dist/labs/01-kept.js')));
  t.true(existsSync(join(dir, 'dist/labs/.broken')), 'the list of broken labs stays');
  t.true(existsSync(join(dir, 'dist/src/sys/a.js')));
  for (const gone of ['dist/labs/02-gone.js', 'dist/labs/02-gone.js.map', 'dist/src/sys/b.js'])
    t.false(existsSync(join(dir, gone)), `${gone} stayed`);
  t.regex(String(r.stderr), /removed 3 compiled files/);
});
