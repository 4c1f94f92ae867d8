// The root filesystem cache: paths relative to the cache, atomic replacement, and "is the old build in use?".
import test from 'ava';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import {
  cachedRootfs,
  collectOldBuilds,
  currentRecipe,
  ensureRootfs,
  replacedBuilds,
} from '../../src/sandbox/rootfs.js';
import { buildUsers, overlayLowerdirs, pinBuild, unpinBuild, type MountView } from '../../src/sandbox/rootfs-use.js';
import { startTicks } from '../../src/sandbox/proc-info.js';
import { MAIN } from '../helpers/cli.js';

const { hash } = currentRecipe();
const NOBODY: MountView = { tables: [], unreadable: [] };
const made: string[] = [];
test.after.always(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

// A tiny tree standing in for debootstrap's output (LAB_ROOTFS_SOURCE, test-only), and an empty cache.
function testCache(): { cache: string; source: string } {
  const base = mkdtempSync(join(tmpdir(), 'lab-rootfs-unit-'));
  made.push(base);
  const source = join(base, 'tree');
  mkdirSync(join(source, 'etc'), { recursive: true });
  writeFileSync(join(source, 'etc', 'hostname'), 'tiny\n');
  const cache = join(base, 'cache');
  process.env.LAB_ROOTFS_CACHE = cache;
  process.env.LAB_ROOTFS_SOURCE = source;
  return { cache, source };
}

// One line of /proc/PID/mountinfo for an overlay.
const overlayLine = (lower: string): string =>
  `612 580 0:97 / /run/containers/c1/root rw,relatime - overlay overlay rw,lowerdir=${lower},upperdir=/run/containers/c1/upper,workdir=/run/containers/c1/work,uuid=on`;
const PLAIN = '25 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n27 25 0:23 / /proc rw - proc proc rw';

test('overlayLowerdirs reads every lower layer of every overlay, unescaped, and nothing else', (t) => {
  const text = [
    PLAIN,
    overlayLine('/c/9369cce1119d-1/root:/c/extra'),
    overlayLine('/with\\040space/root'),
    '700 1 0:98 / /m rw - overlay overlay rw,lowerdir+=/a/one,lowerdir+=/a/two,datadir+=/a/data,upperdir=/u,workdir=/w',
  ].join('\n');
  t.deepEqual(overlayLowerdirs(text), [
    '/c/9369cce1119d-1/root',
    '/c/extra',
    '/with space/root',
    '/a/one',
    '/a/two',
    '/a/data',
  ]);
  t.deepEqual(overlayLowerdirs(PLAIN), []);
});

test('a build is in use when any mount namespace overlays it (through a symlink too), not when only another build is', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'lab-rootfs-use-'));
  made.push(base);
  mkdirSync(join(base, 'real', 'old', 'root'), { recursive: true });
  mkdirSync(join(base, 'real', 'new', 'root'), { recursive: true });
  symlinkSync(join(base, 'real'), join(base, 'link'));
  const old = join(base, 'real', 'old', 'root');
  const via = (lower: string, pids = [4242]): MountView => ({
    tables: [
      { pids: [1], text: PLAIN },
      { pids, text: `${PLAIN}\n${overlayLine(lower)}` },
    ],
    unreadable: [],
  });
  t.deepEqual(buildUsers(old, via(old)).users, ['the mount namespace of pid 4242']);
  t.deepEqual(
    buildUsers(old, via(join(base, 'link', 'old', 'root'))).users,
    ['the mount namespace of pid 4242'],
    'the kernel shows the path as given',
  );
  t.deepEqual(buildUsers(old, via(join(base, 'real', 'new', 'root'))).users, []);
  t.deepEqual(buildUsers(old, via(`${old}-other`)).users, [], 'a name that only starts the same is another build');
  t.deepEqual(buildUsers(old, NOBODY).users, []);
  t.deepEqual(
    buildUsers(old, { tables: [], unreadable: [77] }).unknown,
    [77],
    'an unreadable namespace means: cannot tell',
  );
  t.deepEqual(buildUsers(old, NOBODY, [99]).users, ['runner pid 99 (it may still start a container on it)']);
});

test.serial(
  'meta.json holds a path relative to the cache; a copied cache uses its own copy, never the original',
  async (t) => {
    const { cache } = testCache();
    const info = await ensureRootfs();
    t.true(info.built);
    t.regex(info.build, new RegExp(`^${hash}-\\d{8}T\\d{9}Z$`));
    const meta = JSON.parse(readFileSync(join(cache, info.build, 'meta.json'), 'utf8')) as { path: string };
    t.is(meta.path, `${info.build}/root`);
    t.is(info.path, join(cache, info.build, 'root'));
    t.is(readFileSync(join(info.path, 'etc', 'hostname'), 'utf8'), 'tiny\n');
    const copy = `${cache}-copy`;
    cpSync(cache, copy, { recursive: true });
    process.env.LAB_ROOTFS_CACHE = copy;
    t.is(cachedRootfs()?.path, join(copy, info.build, 'root'));
    // An older version's build (folder HASH, absolute path in meta.json) is still found, under this cache.
    const legacy = mkdtempSync(join(tmpdir(), 'lab-rootfs-legacy-'));
    made.push(legacy, copy);
    mkdirSync(join(legacy, hash, 'root'), { recursive: true });
    writeFileSync(
      join(legacy, hash, 'meta.json'),
      JSON.stringify({
        hash,
        path: '/somewhere/else/root',
        builtAt: '',
        buildMs: 0,
        sizeBytes: 0,
        recipe: currentRecipe().recipe,
      }),
    );
    process.env.LAB_ROOTFS_CACHE = legacy;
    t.like(cachedRootfs(), { build: hash, path: join(legacy, hash, 'root') });
  },
);

test.serial(
  '--force renames a new build in beside the old one; the old one goes only when nothing uses it',
  async (t) => {
    const { cache } = testCache();
    const first = await ensureRootfs();
    // A build that was killed midway (its pid is gone) is never trusted, and the next build removes it.
    mkdirSync(join(cache, `.tmp-${hash}-${2 ** 22 + 7}`, 'root'), { recursive: true });
    t.is(cachedRootfs()?.build, first.build);
    // A live process pinned the current build (as a runner does before it mounts it).
    const runner = spawn('sleep', ['30'], { stdio: 'ignore' });
    t.teardown(() => runner.kill('SIGKILL'));
    mkdirSync(join(cache, '.pins'), { recursive: true });
    writeFileSync(join(cache, '.pins', `${first.build}@${runner.pid}.${startTicks(runner.pid ?? 0)}`), '');
    const second = await ensureRootfs({ force: true });
    t.true(second.built);
    t.not(second.build, first.build);
    t.is(cachedRootfs()?.build, second.build);
    t.deepEqual(
      second.old?.kept.map((k) => k.build),
      [first.build],
    );
    t.regex(second.old?.kept[0]?.users.join() ?? '', new RegExp(`runner pid ${runner.pid}`));
    t.true(existsSync(join(first.path, 'etc', 'hostname')), 'the old build is intact while in use');
    t.false(
      readdirSync(cache).some((n) => n.startsWith('.tmp-')),
      "the killed build's folder is gone",
    );
    // A sandbox's overlay on it keeps it too, once the runner is gone.
    runner.kill('SIGKILL');
    await new Promise((r) => runner.once('exit', r));
    const mounted: MountView = { tables: [{ pids: [4242], text: overlayLine(first.path) }], unreadable: [] };
    t.deepEqual(
      collectOldBuilds(mounted).kept.map((k) => k.build),
      [first.build],
    );
    t.true(existsSync(first.path));
    const done = collectOldBuilds(NOBODY);
    t.deepEqual(done.removed, [first.build]);
    t.false(existsSync(join(cache, first.build)));
    t.deepEqual(replacedBuilds(), []);
    t.is(cachedRootfs()?.build, second.build);
    t.deepEqual(
      readdirSync(join(cache, '.pins')).filter((n) => n.startsWith(first.build)),
      [],
      "the dead runner's pin is gone",
    );
  },
);

test.serial(
  "a runner's pin keeps its build through another process's --force, until the runner drops it",
  async (t) => {
    const { cache, source } = testCache();
    const first = await ensureRootfs(); // pins the build for this process, as a lab run does
    const r = await execa(process.execPath, [MAIN, 'rootfs', 'build', '--force'], {
      reject: false,
      env: { CI: 'true', LAB_ROOTFS_CACHE: cache, LAB_ROOTFS_SOURCE: source },
    });
    t.is(r.exitCode, 0, String(r.stderr));
    t.regex(
      String(r.stdout),
      new RegExp(`kept replaced root filesystem build ${first.build}: in use by runner pid ${process.pid}`),
    );
    t.true(existsSync(first.path));
    unpinBuild(cache, first.build);
    t.deepEqual(collectOldBuilds(NOBODY).removed, [first.build]);
    pinBuild(cache, 'no-such-build'); // a pin on something else keeps nothing
    t.deepEqual(replacedBuilds(), []);
  },
);

test.serial(
  'LAB_ROOTFS_SOURCE without LAB_ROOTFS_CACHE is refused (exit 2): a test tree never lands in the real cache',
  async (t) => {
    const { cache } = testCache();
    delete process.env.LAB_ROOTFS_CACHE;
    try {
      const e = await t.throwsAsync(ensureRootfs({ force: true }), { instanceOf: UsageError });
      t.is(e?.exitCode, 2);
      t.regex(e?.message ?? '', /LAB_ROOTFS_CACHE is not/);
    } finally {
      process.env.LAB_ROOTFS_CACHE = cache;
    }
  },
);
