// One broken lab (a type error, or a throw when loaded) is reported by itself: the build goes on,
// `lab list` marks it broken, it is refused with exit 2 naming its file, and every other lab still loads.
import test from '../helpers/root-test.js';
import { execa } from 'execa';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

test('a lab that does not compile and a lab that throws are broken alone; the others list and load', async (t) => {
  t.timeout(120_000);
  const app = mkdtempSync(join(tmpdir(), 'lab-broken-'));
  t.teardown(() => rmSync(app, { recursive: true, force: true }));
  // Not the root filesystem cache (a real tree with device nodes, or a link): the copy only lists and loads labs.
  for (const f of ['src', 'labs', 'scripts', 'rootfs', 'tsconfig.json', 'package.json', 'package-lock.json', 'lab']) {
    cpSync(join(ROOT, f), join(app, f), {
      recursive: true,
      preserveTimestamps: true,
      filter: (src) => !src.startsWith(join(ROOT, 'rootfs', 'cache')),
    });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
  const good = readFileSync(join(ROOT, 'labs/02-bridge-veth.ts'), 'utf8');
  writeFileSync(
    join(app, 'labs/08-throws.ts'),
    `if (Date.now() > 0) throw new Error('boom while loading');\n${good.replaceAll("'02-bridge-veth'", "'08-throws'")}`,
  );
  writeFileSync(
    join(app, 'labs/09-typo.ts'),
    `const port: number = 'eighty';\nvoid port;\n${good.replaceAll("'02-bridge-veth'", "'09-typo'")}`,
  );

  const setup = await execa('bash', ['scripts/setup.sh'], { cwd: app, reject: false, all: true, timeout: 110_000 });
  t.is(setup.exitCode, 0, String(setup.all));
  t.regex(String(setup.all), /these labs do not compile and will be refused: labs\/09-typo\.ts/);

  const cli = (args: string[]) =>
    execa(process.execPath, [join(app, 'dist/src/cli/main.js'), ...args], {
      cwd: app,
      reject: false,
      env: { CI: 'true' },
    });
  const list = await cli(['list']);
  t.is(list.exitCode, 0, String(list.stderr));
  t.regex(String(list.stdout), /^08-throws\s+BROKEN: labs\/08-throws\.ts: cannot be loaded: boom while loading$/m);
  t.regex(
    String(list.stdout),
    /^09-typo\s+BROKEN: labs\/09-typo\.ts: does not compile: labs\/09-typo\.ts\(1,7\): error TS2322/m,
  );
  for (const id of ['01-namespaces', '02-bridge-veth', '03-masquerade', '04-port-mapping'])
    t.regex(String(list.stdout), new RegExp(`^${id} +[A-Z]`, 'm'), `${id} is listed as usual`);

  const typo = await cli(['check', '09-typo']);
  t.is(typo.exitCode, 2);
  t.regex(String(typo.stderr), /labs\/09-typo\.ts: does not compile: .*TS2322/);
  const throws = await cli(['check', '08-throws']);
  t.is(throws.exitCode, 2);
  t.regex(String(throws.stderr), /labs\/08-throws\.ts: cannot be loaded: boom while loading/);
  // And another lab still runs, on the shared root filesystem cache.
  const other = await execa(
    process.execPath,
    [join(app, 'dist/src/cli/main.js'), 'run', '02-bridge-veth', '--check', '--reporter', 'plain'],
    { cwd: app, reject: false, env: { CI: 'true', LAB_ROOTFS_CACHE: join(ROOT, 'rootfs/cache') } },
  );
  t.is(other.exitCode, 0, String(other.stdout) + String(other.stderr));
});

test('an error outside labs/ still fails the build', async (t) => {
  t.timeout(120_000);
  const app = mkdtempSync(join(tmpdir(), 'lab-broken-src-'));
  t.teardown(() => rmSync(app, { recursive: true, force: true }));
  for (const f of ['src', 'labs', 'scripts', 'tsconfig.json', 'package.json', 'package-lock.json'])
    cpSync(join(ROOT, f), join(app, f), { recursive: true, preserveTimestamps: true });
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
  writeFileSync(join(app, 'src/oops.ts'), "export const n: number = 'x';\n");
  const setup = await execa('bash', ['scripts/setup.sh'], { cwd: app, reject: false, all: true, timeout: 110_000 });
  t.is(setup.exitCode, 3, String(setup.all));
  t.regex(String(setup.all), /the TypeScript build failed/);
});
