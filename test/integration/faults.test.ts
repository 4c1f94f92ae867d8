// Fault injection: a hung command, a flood of output, the keeper, a capture or a container killed in
// the middle of a step, the CLI killed at random instants, a full pcap disk. Each run is judged by its
// exit code and message, and must leave nothing (no journal entry, no process of the run).
import test from '../helpers/root-test.js';
import { tempDir } from '../helpers/temp.js';
import { execa } from 'execa';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { lab, labProcess, MAIN, ROOT } from '../helpers/cli.js';
import { journal, pidNamespace, waitFor } from '../helpers/procs.js';

const FAULTS = 'fixtures/labs/faults.ts';

// Pids of live processes started under this state folder (they inherit LAB_STATE_DIR), optionally matching.
function processesOf(dir: string, cmd = ''): number[] {
  const needle = `LAB_STATE_DIR=${dir}\0`;
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid)
    .filter((n) => {
      try {
        if (readFileSync(`/proc/${n}/stat`, 'utf8').includes(') Z ')) return false;
        return (
          readFileSync(`/proc/${n}/environ`, 'latin1').includes(needle) &&
          readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(cmd)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

// True when a `sleep 4` runs in the PID namespace of this container.
function sleeping(container: number | undefined): boolean {
  if (!container) return false;
  const ns = pidNamespace(container);
  return readdirSync('/proc').some((n) => {
    try {
      return (
        /^\d+$/.test(n) &&
        readFileSync(`/proc/${n}/cmdline`, 'utf8') === 'sleep\u00004\u0000' &&
        pidNamespace(Number(n)) === ns
      );
    } catch {
      return false;
    }
  });
}

async function nothingLeft(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, dir: string): Promise<void> {
  await waitFor(() => processesOf(dir).length === 0, 5_000);
  t.deepEqual(processesOf(dir), [], 'no process of the run is left');
  t.deepEqual(journal(dir), [], 'no journal entry is left');
}

const stateDir = (): string => tempDir('lab-fault-');

test('a command that never ends stops at its bound, whole tree killed, naming command, node and bound', async (t) => {
  const dir = stateDir();
  const t0 = performance.now();
  // --pause-on-fail holds the sandbox up after the failed step: the killed command's group is looked at
  // while nothing else (the teardown) could have ended it.
  const run = labProcess(['run', FAULTS, '--check', '--until', 'hang', '--reporter', 'plain', '--pause-on-fail'], {
    LAB_STATE_DIR: dir,
  });
  let out = '';
  run.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => /lab shell /.test(out), 30_000);
  t.true(performance.now() - t0 < 15_000, 'bounded by the step, not by the sleep');
  t.deepEqual(
    processesOf(dir, 'sleep\u00001000'),
    [],
    'the background sleep of the killed command is gone too (its process group was killed, not only its leader)',
  );
  run.stdin?.end();
  const r = await run;
  t.is(r.exitCode, 1, out);
  t.regex(
    out,
    /`sh -c "sleep 1000 & sleep 1000"` in host did not end within its bound of 1 s: its whole process tree was killed/,
  );
  await nothingLeft(t, dir);
});

test('a lab bound outside the limits is exit 2 naming the field', async (t) => {
  const dir = tempDir('lab-bound-');
  const file = join(dir, 'bound.mjs');
  const src = readFileSync(join(ROOT, 'dist/fixtures/labs/faults.js'), 'utf8')
    .replace('timeoutMs: 1_000', 'timeoutMs: 10')
    .replace('timeoutMs: 1e3', 'timeoutMs: 10')
    .replace(/from '\.\.\/\.\.\/src\/lab\.js'/, `from '${join(ROOT, 'dist/src/lab.js')}'`);
  mkdirSync(dir, { recursive: true });
  (await import('node:fs')).writeFileSync(file, src);
  const r = await lab(['check', file]);
  t.is(r.exitCode, 2, r.stderr);
  t.regex(r.stderr, /steps\[0\]\.run\[0\]\.timeoutMs: must be a whole number of ms from 1000 to 300000/);
});

test('200 MB of output: bounded head and tail, said to be cut, the real exit code, small peak memory', async (t) => {
  const dir = stateDir();
  const proc = execa(
    process.execPath,
    [MAIN, 'run', FAULTS, '--check', '--skip', 'hang', '--until', 'flood', '--json'],
    { reject: false, cwd: ROOT, env: { CI: 'true', LAB_STATE_DIR: dir }, timeout: 120_000 },
  );
  let peakKb = 0;
  const sample = setInterval(() => {
    try {
      peakKb = Math.max(
        peakKb,
        Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? 0),
      );
    } catch {
      // gone
    }
  }, 50);
  const r = await proc;
  clearInterval(sample);
  const result = JSON.parse(String(r.stdout)) as {
    steps: { id: string; commands: { exitCode: number; output: string; ok: boolean }[] }[];
  };
  const flood = result.steps.find((s) => s.id === 'flood')?.commands[0];
  t.is(flood?.exitCode, 3, 'the real exit code');
  t.true(flood?.ok);
  t.regex(flood?.output ?? '', /\[\.\.\. \d+ bytes of output cut \.\.\.\]/, 'says it was cut');
  t.true((flood?.output.length ?? Infinity) < 200_000, 'a bounded head and tail');
  t.true(peakKb > 0 && peakKb < 250_000, `peak RSS ${peakKb} kB`);
  await nothingLeft(t, dir);
});

// Starts the long step and kills what `victim` names when its first command runs; returns the run's result.
async function killDuringStep(
  victim: (dir: string, entry: { initPid: number; containers?: Record<string, number> }) => number[],
) {
  const dir = stateDir();
  const proc = labProcess(['run', FAULTS, '--check', '--skip', 'hang', '--skip', 'flood', '--reporter', 'plain'], {
    LAB_STATE_DIR: dir,
  });
  // The step is under way once the container runs its `sleep 4` (reporters print a step when it ends).
  const entryOf = () =>
    journal(dir)[0] as unknown as { initPid: number; containers?: Record<string, number> } | undefined;
  const started = await waitFor(() => sleeping(entryOf()?.containers?.box), 150_000); // it may wait for a slot first
  await delay(300);
  const entry = entryOf();
  const pids = started && entry ? victim(dir, entry) : [];
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  const r = await proc;
  return { dir, pids, exitCode: r.exitCode, out: String(r.stdout) + String(r.stderr) };
}

test('the keeper killed during a step: that step fails, saying the sandbox died during it (exit 1)', async (t) => {
  const r = await killDuringStep((_d, e) => [e.initPid]);
  t.is(r.pids.length, 1);
  t.is(r.exitCode, 1, r.out);
  t.regex(r.out, /the sandbox died during step long/);
  t.regex(r.out, /=> long: failed/);
  await nothingLeft(t, r.dir);
});

// The hub restarts a capture that died between check windows (a death inside a window fails that
// check: session.test.ts), so the verdict stays honest and the run passes.
test("a capture child killed during a step's commands is replaced for the check window: honest verdict, nothing left", async (t) => {
  const r = await killDuringStep((dir) =>
    processesOf(dir, `${process.execPath}\0${join(ROOT, 'dist/src/capture/child.js')}`).slice(0, 1),
  );
  t.is(r.pids.length, 1);
  t.is(r.exitCode, 0, r.out);
  t.regex(r.out, /PASS seen 1 ICMP echo-reply src=203\.0\.113\.8 at host:eth0/);
  await nothingLeft(t, r.dir);
});

test('a container killed during a step: its command fails and the step with it (exit 1)', async (t) => {
  const r = await killDuringStep((_d, e) => (e.containers?.box ? [e.containers.box] : []));
  t.is(r.pids.length, 1);
  t.is(r.exitCode, 1, r.out);
  t.regex(r.out, /\[box\] \$ sleep 4 {3}\(exit signal\)/);
  await nothingLeft(t, r.dir);
});

test('kill -9 of the CLI at random instants, then lab clean: nothing is left', async (t) => {
  const dir = stateDir();
  for (const at of [150, 600, 1_100, 1_700, 2_400]) {
    const proc = labProcess(['run', '02-bridge-veth', '--check', '--reporter', 'plain'], { LAB_STATE_DIR: dir });
    await delay(at + Math.floor(Math.random() * 200));
    try {
      if (proc.pid) process.kill(proc.pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // the run was already over: nothing to kill
    }
    await proc;
  }
  // The keepers see their pipes close and go; only journal entries may survive, and clean removes them.
  t.true(await waitFor(() => processesOf(dir).length === 0, 5_000), `left: ${processesOf(dir).join(' ')}`);
  const cleaned = await lab(['clean'], { LAB_STATE_DIR: dir });
  t.is(cleaned.exitCode, 0, cleaned.stdout + cleaned.stderr);
  await nothingLeft(t, dir);
});

test('a full pcap disk (a small tmpfs in a private mount namespace) is exit 3 naming the file', async (t) => {
  const dir = stateDir();
  const pcaps = tempDir('lab-full-');
  const script = 'mount -t tmpfs -o size=16k lab-full "$1" && head -c 20000 /dev/zero > "$1/filler"; shift; exec "$@"';
  const r = await execa(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      pcaps,
      process.execPath,
      MAIN,
      'run',
      'fixtures/labs/probes.ts',
      '--check',
      '--save-pcap',
      pcaps,
      '--reporter',
      'plain',
    ],
    { reject: false, cwd: ROOT, env: { CI: 'true', LAB_STATE_DIR: dir }, timeout: 60_000 },
  );
  t.is(r.exitCode, 3, String(r.stdout));
  t.regex(String(r.stdout) + String(r.stderr), /cannot write .*host-eth0\.pcap: no space left on its disk/);
  t.deepEqual(readdirSync(pcaps), [], 'the real folder was never written: the tmpfs was private');
  await nothingLeft(t, dir);
});
