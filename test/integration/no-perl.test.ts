// A container root without perl: the node's command runner cannot start there, so every command in
// it goes through nsenter, and the lab still passes, with every container command in its record.
import test from '../helpers/root-test.js';
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedRootfs } from '../../src/sandbox/rootfs.js';
import { lab } from '../helpers/cli.js';
import { journal } from '../helpers/procs.js';

test('a container root without perl: its commands run through nsenter, and lab 03 passes', async (t) => {
  const shared = cachedRootfs();
  if (!shared) throw new Error('no cached root filesystem: run `lab rootfs build` first');
  const base = mkdtempSync(join(tmpdir(), 'lab-no-perl-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  // A test build hard-links a source tree (LAB_ROOTFS_SOURCE): a hard-linked copy of the shared root with
  // perl unlinked, so the build's manifest has no perl (a build changed after it was made would be rebuilt).
  const source = join(base, 'source');
  // Hard links where the temporary folder shares the cache's filesystem; a copy where it does not (a tmpfs /tmp).
  const linked = await execa('cp', ['-al', `${shared.path}/.`, source], { reject: false });
  if (linked.exitCode !== 0) {
    rmSync(source, { recursive: true, force: true });
    const copied = await execa('cp', ['-a', `${shared.path}/.`, source], { reject: false });
    t.is(copied.exitCode, 0, String(copied.stderr));
  }
  rmSync(join(source, 'usr/bin/perl'));
  const env = { LAB_ROOTFS_CACHE: join(base, 'cache'), LAB_ROOTFS_SOURCE: source, LAB_STATE_DIR: join(base, 'state') };
  t.is((await lab(['rootfs', 'build'], env)).exitCode, 0);
  const status = JSON.parse((await lab(['rootfs', 'status', '--json'], env)).stdout) as {
    builds: { path: string; check?: { state: string } }[];
  };
  const root = status.builds[0]?.path ?? '';
  t.is(status.builds[0]?.check?.state, 'healthy');
  t.false(existsSync(join(root, 'usr/bin/perl')));
  t.true(existsSync(join(shared.path, 'usr/bin/perl')), 'the shared root keeps its perl');
  const r = await lab(['check', '03-masquerade', '--json'], env);
  t.is(r.exitCode, 0, r.stderr);
  const result = JSON.parse(r.stdout) as {
    steps: { id: string; commands: { node: string; cmd?: string; display?: string; exitCode: number }[] }[];
  };
  const inContainer = result.steps.flatMap((s) => s.commands).filter((c) => c.node === 'mycontainer');
  t.true(inContainer.length >= 3, JSON.stringify(inContainer));
  t.true(inContainer.every((c) => c.exitCode === 0));
  t.deepEqual(journal(env.LAB_STATE_DIR), [], 'nothing is left');
});
