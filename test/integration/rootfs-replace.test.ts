// `lab rootfs build --force` under a kept sandbox: the sandbox keeps its build until it is gone; builds wait on a lock.
import test from '../helpers/root-test.js';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedRootfs, currentRecipe } from '../../src/sandbox/rootfs.js';
import { takeBuildLock } from '../../src/sandbox/rootfs-lock.js';
import { lab, labProcess } from '../helpers/cli.js';
import { alive, journal, waitFor } from '../helpers/procs.js';

// A test cache whose builds hard-link the shared, already built root (LAB_ROOTFS_SOURCE): no download.
function testEnv(): Record<string, string> {
  const shared = cachedRootfs();
  if (!shared) throw new Error('no cached root filesystem: run `lab rootfs build` first');
  const base = mkdtempSync(join(tmpdir(), 'lab-rootfs-it-'));
  return { LAB_ROOTFS_CACHE: join(base, 'cache'), LAB_ROOTFS_SOURCE: shared.path, LAB_STATE_DIR: join(base, 'state') };
}

interface Status {
  builds: { build: string; path: string; replaced: boolean; usedBy?: string[] }[];
}
const status = async (env: Record<string, string>): Promise<Status> =>
  JSON.parse((await lab(['rootfs', 'status', '--json'], env)).stdout) as Status;

test('--force while a kept sandbox uses the build: the old build stays until that sandbox is removed', async (t) => {
  t.timeout(300_000); // each build records its manifest, and each status verifies it whole
  const env = testEnv();
  t.teardown(() => rmSync(join(env.LAB_ROOTFS_CACHE ?? '/nonexistent', '..'), { recursive: true, force: true }));
  const run = await lab(['run', '02-bridge-veth', '--check', '--keep', '--reporter', 'plain'], env);
  t.is(run.exitCode, 0, run.stdout + run.stderr);
  const [entry] = journal(env.LAB_STATE_DIR ?? '');
  if (!entry) return t.fail('no kept sandbox');
  t.teardown(() => lab(['clean', entry.runId], env));
  const [old] = (await status(env)).builds;
  if (!old) return t.fail('no build');

  const force = await lab(['rootfs', 'build', '--force'], env);
  t.is(force.exitCode, 0, force.stderr);
  t.regex(
    force.stdout,
    new RegExp(
      `kept replaced root filesystem build ${old.build}: in use by sandbox ${entry.runId} \\(02-bridge-veth, kept\\)`,
    ),
  );
  const after = await status(env);
  t.is(after.builds.length, 2);
  t.like(after.builds[0], { build: old.build, replaced: true });
  t.regex(after.builds[0]?.usedBy?.join() ?? '', new RegExp(entry.runId));
  t.false(after.builds[1]?.replaced);
  t.true(existsSync(join(old.path, 'bin', 'sh')), 'the old build is whole');
  // The container still runs on it: its files are there, and it still answers.
  const sh = await lab(
    ['shell', entry.runId, 'mycontainer', 'sh', '-c', 'cat /etc/debian_version && ip -o -4 addr show dev eth0'],
    env,
  );
  t.is(sh.exitCode, 0, sh.stderr);
  t.regex(sh.stdout, /172\.17\.0\.100\/24/);

  const clean = await lab(['clean', entry.runId], env);
  t.is(clean.exitCode, 0, clean.stderr);
  t.regex(clean.stdout, new RegExp(`removed sandbox ${entry.runId}`));
  t.regex(clean.stdout, new RegExp(`removed replaced root filesystem build ${old.build}: nothing uses it any more`));
  t.false(existsSync(join(env.LAB_ROOTFS_CACHE ?? '', old.build)));
  const final = await status(env);
  t.deepEqual(
    final.builds.map((b) => b.build),
    [after.builds[1]?.build],
  );
  t.true(await waitFor(() => !alive(entry.initPid), 5_000));
});

test('a second build waits on the lock and says who holds it and since when', async (t) => {
  const env = testEnv();
  const cache = env.LAB_ROOTFS_CACHE ?? '';
  t.teardown(() => rmSync(join(cache, '..'), { recursive: true, force: true }));
  mkdirSync(cache, { recursive: true });
  const release = await takeBuildLock(cache, currentRecipe().hash, { timeoutMs: 5_000 });
  const waiter = labProcess(['rootfs', 'build'], env);
  let out = '';
  waiter.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const told = await waitFor(() => out.includes('waiting for'), 20_000);
  t.true(told, out);
  t.regex(
    out,
    new RegExp(
      `waiting for the root filesystem build of root \\(uid 0, pid ${process.pid}, \`[^\`]+\`\\), running since \\d\\d:\\d\\d:\\d\\d UTC \\(\\d+ s\\)`,
    ),
  );
  t.deepEqual(
    readdirSync(cache).filter((n) => /^[0-9a-f]{12}/.test(n)),
    [],
    'nothing is built while the lock is held',
  );
  await release();
  const r = await waiter;
  t.is(r.exitCode, 0, String(r.stderr));
  t.regex(String(r.stdout), /built: [0-9a-f]{12}-\d{8}T\d{9}Z/);
});

test('SIGKILL of `rootfs build --force` at any instant never loses the current build', async (t) => {
  t.timeout(600_000); // each build records its manifest, and each status verifies it whole
  const env = testEnv();
  const cache = env.LAB_ROOTFS_CACHE ?? '';
  t.teardown(() => rmSync(join(cache, '..'), { recursive: true, force: true }));
  t.is((await lab(['rootfs', 'build'], env)).exitCode, 0);
  // Kill once the new build's folder exists, at offsets spread over copying, renaming in and removing the old one.
  for (const delayMs of [0, 20, 60, 120, 200, 300]) {
    const p = labProcess(['rootfs', 'build', '--force'], env);
    // A fast build may be whole before the folder is ever seen: then this instant is simply past its end.
    const started = await waitFor(
      () => existsSync(join(cache, `.tmp-${currentRecipe().hash}-${p.pid}`)) || p.exitCode !== null,
      20_000,
    );
    t.true(started, 'the build started');
    await new Promise((r) => setTimeout(r, delayMs));
    p.kill('SIGKILL');
    await p;
    const s = await status(env);
    const current = s.builds.at(-1);
    t.truthy(current, `after a kill at +${delayMs} ms there is a build`);
    t.true(
      existsSync(join(current?.path ?? '/nonexistent', 'bin', 'sh')),
      `after a kill at +${delayMs} ms the current build is whole`,
    );
  }
  // The next build finds its way: it removes the killed builds' folders and the builds nothing uses.
  const r = await lab(['rootfs', 'build', '--force'], env);
  t.is(r.exitCode, 0, r.stderr);
  const names = readdirSync(cache).filter((n) => !n.startsWith('.build-') && n !== '.pins');
  t.is(names.length, 1, names.join(', '));
});
