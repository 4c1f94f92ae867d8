// The tree is formatted by Prettier (line width 120): `npm run format` fixes what this names.
import test from 'ava';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

test('every source file is formatted (npm run format)', async (t) => {
  t.timeout(180_000);
  // The cache lives in the temporary folder, so any user can run this without writing the clone.
  const cache = join(tmpdir(), `lab-prettier-cache-${process.getuid?.() ?? 'any'}`);
  const r = await execa('npx', ['--no-install', 'prettier', '--check', '--cache', '--cache-location', cache, '.'], {
    cwd: ROOT,
    reject: false,
    all: true,
  });
  t.is(r.exitCode, 0, `not formatted (run: npm run format):\n${String(r.all)}`);
});
