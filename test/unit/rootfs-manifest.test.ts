// The root filesystem cache is verified against the manifest its build recorded: `status` (every hash)
// names what is damaged; each run (stat, and the key programs' hashes) finds it and rebuilds, saying so.
import test from 'ava';
import { execa } from 'execa';
import {
  appendFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentRecipe, ensureRootfs, verifyBuild } from '../../src/sandbox/rootfs.js';
import { checkBuild, MANIFEST } from '../../src/sandbox/rootfs-manifest.js';

const made: string[] = [];
test.after.always(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

// A tiny tree standing in for debootstrap's output (LAB_ROOTFS_SOURCE, test-only) with a shell, ping and a
// merged /usr, and an empty cache; copied (not linked), so damaging the build leaves the tree alone.
function testCache(): { cache: string } {
  const base = mkdtempSync(join(tmpdir(), 'lab-rootfs-manifest-'));
  made.push(base);
  const source = join(base, 'tree');
  mkdirSync(join(source, 'usr', 'bin'), { recursive: true });
  mkdirSync(join(source, 'etc'));
  writeFileSync(join(source, 'usr', 'bin', 'dash'), '#!dash\n'.repeat(50), { mode: 0o755 });
  symlinkSync('dash', join(source, 'usr', 'bin', 'sh'));
  symlinkSync('usr/bin', join(source, 'bin'));
  writeFileSync(join(source, 'usr', 'bin', 'ping'), 'ping binary\n'.repeat(100), { mode: 0o755 });
  writeFileSync(join(source, 'etc', 'hostname'), 'tiny\n');
  process.env.LAB_ROOTFS_CACHE = join(base, 'cache');
  process.env.LAB_ROOTFS_SOURCE = source;
  return { cache: join(base, 'cache') };
}

// Copies a file to a new inode of its own first, so the change touches this build only.
function own(file: string): void {
  const text = readFileSync(file);
  const mode = statSync(file).mode;
  rmSync(file);
  writeFileSync(file, text, { mode });
}

test.serial(
  'a build records its manifest and is healthy; with bin/sh deleted and ping truncated, status names both and the next run rebuilds',
  async (t) => {
    const { cache } = testCache();
    const first = await ensureRootfs();
    t.true(first.built);
    t.true(existsSync(join(cache, first.build, MANIFEST)));
    t.like(verifyBuild(first), { state: 'healthy', problems: [], checked: 8 });
    t.false((await ensureRootfs()).built, 'a healthy build is used as it is');

    rmSync(join(first.path, 'bin', 'sh'));
    own(join(first.path, 'usr/bin/ping'));
    truncateSync(join(first.path, 'usr/bin/ping'), 0);
    t.deepEqual(verifyBuild(first).problems, ['usr/bin/ping changed (size 1200 -> 0)', 'usr/bin/sh missing']);
    t.is(verifyBuild(first).state, 'damaged');

    const said: string[] = [];
    const next = await ensureRootfs({ onProgress: (l) => said.push(l) });
    t.true(next.built, 'rebuilt');
    t.not(next.build, first.build);
    t.true(
      said.includes(
        `root filesystem ${first.build} is damaged (usr/bin/ping changed (size 1200 -> 0), usr/bin/sh missing): rebuilding it`,
      ),
      said.join('\n'),
    );
    t.is(readFileSync(join(next.path, 'usr/bin/ping'), 'utf8').length, 1200);
    t.like(verifyBuild(next), { state: 'healthy' });
    // Only root can see that no mount namespace uses it; any other user keeps it, to be safe.
    if (process.getuid?.() === 0)
      t.false(existsSync(join(cache, first.build)), 'the damaged build goes once nothing uses it');
  },
);

test.serial(
  'each run: a key program changed in place (same size and mtime) is found; another file only by status, which also sees what was added',
  async (t) => {
    testCache();
    const b = await ensureRootfs();
    const dir = join(process.env.LAB_ROOTFS_CACHE ?? '', b.build);
    // One byte changed, size kept, and the mtime put back to the nanosecond (touch -r a second name of it).
    const sneak = async (rel: string): Promise<void> => {
      const f = join(b.path, rel);
      const ref = join(tmpdir(), `lab-manifest-ref-${process.pid}`);
      linkSync(f, ref); // the recorded inode, its mtime untouched; f becomes a new inode of this build only
      const text = readFileSync(f, 'utf8');
      rmSync(f);
      writeFileSync(f, `X${text.slice(1)}`, { mode: statSync(ref).mode });
      await execa('touch', ['-r', ref, f]);
      rmSync(ref);
    };
    await sneak('etc/hostname');
    t.deepEqual(checkBuild(dir, b.path, false).problems, [], 'the stat pass does not read every file');
    t.deepEqual(checkBuild(dir, b.path, true).problems, ['etc/hostname changed (content)']);
    await sneak('usr/bin/ping');
    t.deepEqual(
      checkBuild(dir, b.path, false).problems,
      ['usr/bin/ping changed (content)'],
      'a key program is hashed on every run',
    );
    appendFileSync(join(b.path, 'etc', 'extra'), 'x');
    t.true(checkBuild(dir, b.path, true).problems.includes('etc/extra added'));
  },
);

test.serial(
  'a build of an older version (no manifest) is not verifiable: said so, and not rebuilt on every run',
  async (t) => {
    testCache();
    const b = await ensureRootfs();
    rmSync(join(process.env.LAB_ROOTFS_CACHE ?? '', b.build, MANIFEST));
    t.is(verifyBuild(b).state, 'unverifiable');
    t.regex(verifyBuild(b).problems[0] ?? '', /no manifest/);
    const again = await ensureRootfs();
    t.false(again.built);
    t.is(again.build, b.build);
    t.is(currentRecipe().hash, b.hash);
  },
);
