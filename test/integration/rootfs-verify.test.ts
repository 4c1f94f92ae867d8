// A damaged root filesystem cache, from the command line: with /bin/sh deleted and ping truncated in a
// test build, `lab rootfs status` names both (exit 3), and the next run rebuilds it, saying so, and passes.
import test from '../helpers/root-test.js';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../src/errors.js';
import { cachedRootfs } from '../../src/sandbox/rootfs.js';
import { lab } from '../helpers/cli.js';
import { journal } from '../helpers/procs.js';

interface Status {
  builds: { build: string; path: string; check?: { state: string; problems: string[] } }[];
}

test('bin/sh deleted and ping truncated in the cache: status names them, the next run rebuilds and passes', async (t) => {
  t.timeout(300_000);
  const shared = cachedRootfs();
  if (!shared) throw new Error('no cached root filesystem: run `lab rootfs build` first');
  const base = mkdtempSync(join(tmpdir(), 'lab-rootfs-verify-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  // A test build hard-links the shared root (LAB_ROOTFS_SOURCE): unlinking a name there leaves the shared one.
  const env = {
    LAB_ROOTFS_CACHE: join(base, 'cache'),
    LAB_ROOTFS_SOURCE: shared.path,
    LAB_STATE_DIR: join(base, 'state'),
  };
  t.is((await lab(['rootfs', 'build'], env)).exitCode, 0);
  const status = async (): Promise<{ code: number; text: string; json: Status }> => {
    const text = await lab(['rootfs', 'status'], env);
    return {
      code: text.exitCode,
      text: text.stdout,
      json: JSON.parse((await lab(['rootfs', 'status', '--json'], env)).stdout) as Status,
    };
  };
  const healthy = await status();
  t.is(healthy.code, 0, healthy.text);
  t.regex(healthy.text, /verified: every one of its \d+ files, folders and links matches its manifest/);
  const [b] = healthy.json.builds;
  if (!b) return t.fail('no build');

  rmSync(join(b.path, 'bin', 'sh'));
  // ping gets an inode of its own first: truncating the shared one would damage the shared cache.
  const ping = join(b.path, 'usr/bin/ping');
  const size = statSync(ping).size;
  const bytes = readFileSync(ping);
  rmSync(ping);
  writeFileSync(ping, bytes, { mode: 0o755 });
  truncateSync(ping, 0);
  t.is(statSync(join(shared.path, 'usr/bin/ping')).size, size, 'the shared cache keeps its ping');

  const damaged = await status();
  t.is(damaged.code, EXIT.environment, damaged.text);
  t.regex(
    damaged.text,
    new RegExp(
      `DAMAGED: usr/bin/ping changed \\(size ${size} -> 0\\); usr/bin/sh missing\\n    the next run rebuilds it`,
    ),
  );
  t.like(damaged.json.builds[0]?.check, {
    state: 'damaged',
    problems: [`usr/bin/ping changed (size ${size} -> 0)`, 'usr/bin/sh missing'],
  });

  const run = await lab(['check', '02-bridge-veth', '--reporter', 'plain'], env);
  t.is(run.exitCode, 0, run.stdout + run.stderr);
  t.regex(
    run.stdout,
    new RegExp(
      `rootfs: root filesystem ${b.build} is damaged \\(usr/bin/ping changed \\(size ${size} -> 0\\), usr/bin/sh missing\\): rebuilding it`,
    ),
  );
  const after = await status();
  t.is(after.code, 0, after.text);
  t.not(after.json.builds.at(-1)?.build, b.build);
  t.is(after.json.builds.at(-1)?.check?.state, 'healthy');
  t.deepEqual(journal(env.LAB_STATE_DIR), [], 'nothing is left');
});
