// The tree is formatted by Prettier (line width 120): `npm run format` fixes what this names.
import test from 'ava';
import { execa } from 'execa';
import { ROOT } from '../helpers/cli.js';

test('every source file is formatted (npm run format)', async (t) => {
  t.timeout(180_000);
  // No cache: any user can run this without writing the clone, and nothing is left behind.
  const r = await execa('npx', ['--no-install', 'prettier', '--check', '.'], {
    cwd: ROOT,
    reject: false,
    all: true,
  });
  t.is(r.exitCode, 0, `not formatted (run: npm run format):\n${String(r.all)}`);
});
