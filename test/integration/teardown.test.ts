// Interrupted and killed runs leave no namespace, link or process behind; --keep, shell and clean work.
import test from '../helpers/root-test.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, labProcess } from '../helpers/cli.js';
import { alive, journal, pidNamespace, processesIn, waitFor } from '../helpers/procs.js';

const stateDir = (): string => mkdtempSync(join(tmpdir(), 'lab-state-'));

// Starts a run and waits until its sandbox is journaled; returns the process and the sandbox's pids.
async function startRun(signalAfter: 'sandbox' | 'step', dir: string) {
  const proc = labProcess(['run', '03-masquerade', '--check', '--reporter', 'plain'], { LAB_STATE_DIR: dir });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const ok = await waitFor(
    () => journal(dir).length === 1 && (signalAfter === 'sandbox' || out.includes('step 2/5')),
    20_000,
  );
  const entry = journal(dir)[0];
  if (!ok || !entry) throw new Error(`run did not start: ${out}`);
  return { proc, entry, pidns: pidNamespace(entry.initPid) };
}

test('SIGINT during a run tears the sandbox down and exits 130', async (t) => {
  const dir = stateDir();
  const { proc, entry, pidns } = await startRun('step', dir);
  t.truthy(pidns);
  proc.kill('SIGINT');
  const r = await proc;
  t.is(r.exitCode, 130);
  t.false(alive(entry.initPid));
  t.false(alive(entry.outerPid));
  t.deepEqual(processesIn(pidns ?? 'none'), []);
  t.deepEqual(journal(dir), []);
});

test('SIGTERM right after the sandbox is up tears it down and exits 143', async (t) => {
  const dir = stateDir();
  const { proc, entry, pidns } = await startRun('sandbox', dir);
  proc.kill('SIGTERM');
  const r = await proc;
  t.is(r.exitCode, 143);
  t.false(alive(entry.initPid));
  await waitFor(() => processesIn(pidns ?? 'none').length === 0, 3_000);
  t.deepEqual(processesIn(pidns ?? 'none'), []);
});

test('SIGKILL of the runner still removes the whole sandbox (the keeper sees its pipe close)', async (t) => {
  const dir = stateDir();
  const { proc, entry, pidns } = await startRun('step', dir);
  proc.kill('SIGKILL');
  await proc;
  t.true(await waitFor(() => !alive(entry.initPid) && !alive(entry.outerPid), 5_000));
  // The kernel reaps the namespace's last processes a moment after its init: bounded, then nothing.
  await waitFor(() => processesIn(pidns ?? 'none').length === 0, 3_000);
  t.deepEqual(processesIn(pidns ?? 'none'), []);
  // Only the journal entry survives a SIGKILL; clean removes it.
  const cleaned = await lab(['clean', '--json'], { LAB_STATE_DIR: dir });
  t.is(cleaned.exitCode, 0);
  t.deepEqual(journal(dir), []);
});

test('--keep leaves the sandbox up; lab shell runs inside a node; lab clean removes it', async (t) => {
  const dir = stateDir();
  const env = { LAB_STATE_DIR: dir };
  const run = await lab(['run', '02-bridge-veth', '--check', '--keep', '--reporter', 'plain'], env);
  t.is(run.exitCode, 0, run.stdout + run.stderr);
  t.regex(run.stdout, /lab shell \S+ NODE/);
  const [entry] = journal(dir);
  t.true(entry?.kept);
  t.true(alive(entry?.initPid ?? 0));
  const sh = await lab(
    ['shell', '02-bridge-veth', 'mycontainer', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'],
    env,
  );
  t.is(sh.exitCode, 0, sh.stderr);
  t.regex(sh.stdout, /172\.17\.0\.100\/24/);
  // The command's argv reaches the node unchanged: sh -c gets one script, not words joined again.
  const quoted = await lab(['shell', '02-bridge-veth', 'mycontainer', 'sh', '-c', 'ls /dev; echo "two  spaces"'], env);
  t.is(quoted.exitCode, 0, quoted.stderr);
  t.regex(quoted.stdout, /^null$/m);
  t.regex(quoted.stdout, /^two {2}spaces$/m);
  const bad = await lab(['shell', '02-bridge-veth', 'nosuchnode', 'true'], env);
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /no node "nosuchnode"/);
  const clean = await lab(['clean', entry?.runId ?? ''], env);
  t.is(clean.exitCode, 0);
  t.regex(clean.stdout, /removed sandbox/);
  t.true(await waitFor(() => !alive(entry?.initPid ?? 0), 5_000));
  t.deepEqual(journal(dir), []);
});

test('lab shell into a kept sandbox enters a container started without CAP_NET_ADMIN without it too', async (t) => {
  const dir = stateDir();
  const env = { LAB_STATE_DIR: dir };
  const run = await lab(['run', '07-nptv6', '--check', '--keep', '--reporter', 'plain'], env);
  const [entry] = journal(dir);
  try {
    t.is(run.exitCode, 0, run.stdout + run.stderr);
    // Bit 12 of CapEff is CAP_NET_ADMIN; the same node's command in the live run is checked by lab 07 itself.
    const caps = (node: string) =>
      lab(
        [
          'shell',
          entry?.runId ?? '',
          node,
          'sh',
          '-c',
          'echo $(( 0x$(sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status) >> 12 & 1 ))',
        ],
        env,
      );
    const locked = await caps('locked');
    t.is(locked.exitCode, 0, locked.stderr);
    t.is(locked.stdout.trim(), '0', 'the locked container is entered without CAP_NET_ADMIN');
    const app = await caps('app');
    t.is(app.stdout.trim(), '1', 'another container keeps it');
  } finally {
    await lab(['clean', entry?.runId ?? ''], env);
  }
});
