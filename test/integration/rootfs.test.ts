// An interrupted root filesystem build leaves nothing a later run would trust, and no process behind.
import test from '../helpers/root-test.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab, labProcess } from '../helpers/cli.js';
import { waitFor } from '../helpers/procs.js';
import { tempDir } from '../helpers/temp.js';

// Pids of processes whose command line mentions the text.
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('SIGKILL during lab rootfs build: no cache, debootstrap gone, the next build clears the leftover', async (t) => {
  const cache = tempDir('lab-rootfs-');
  const env = { LAB_ROOTFS_CACHE: cache };
  const build = labProcess(['rootfs', 'build'], env);
  const started = await waitFor(
    () => readdirSync(cache).some((n) => n.startsWith('.tmp-')) && processesMentioning(cache).length > 1,
    30_000,
  );
  t.true(started, 'debootstrap started');
  build.kill('SIGKILL');
  await build;
  t.true(await waitFor(() => processesMentioning(cache).length === 0, 10_000), 'debootstrap died with the runner');
  const status = await lab(['rootfs', 'status', '--json'], env);
  const s = JSON.parse(status.stdout) as { builds: unknown[]; partial: string[] };
  t.deepEqual(s.builds, [], 'an interrupted build is never a cache');
  t.is(s.partial.length, 1);
  const { removePartial } = await import('../../src/sandbox/rootfs.js');
  t.deepEqual(removePartial(cache), s.partial);
  t.false(existsSync(join(cache, s.partial[0] ?? 'x')));
});
