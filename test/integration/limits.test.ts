// Limits per sandbox: a fork bomb in a container stops at the sandbox's process limit while the real
// machine can still fork, a 2 GiB allocation is killed at its memory limit, each step's record names
// the limit, LAB_* variables and a lab's own limits set them, and the sandbox's cgroup goes with it.
import test from '../helpers/root-test.js';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabEvents } from '../../src/engine/events.js';
import { loadLab } from '../../src/engine/loader.js';
import { LabSession } from '../../src/engine/session.js';
import { listStates } from '../../src/sandbox/state.js';
import { labCgroups, machineView, unifiedMounts } from '../../src/sys/cgroupfs.js';
import { cgroupName, joinArgv, removeCgroups, staleParents, sweepStale } from '../../src/sandbox/cgroup.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { lab } from '../helpers/cli.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/labs/limits.ts', import.meta.url));

// The run's cgroup folders, as its journal entry records them.
function groupsOf(runId: string): string[] {
  return listStates().find((s) => s.runId === runId)?.cgroups ?? [];
}

const read = (dir: string | undefined, file: string): string =>
  readFileSync(join(dir ?? '/nonexistent', file), 'utf8').trim();
const pidsGroup = (dirs: string[]): string | undefined => dirs.find((d) => d.includes('/pids/')) ?? dirs[0];

// Resolves once the group holds at least `n` tasks (the bomb reached the limit), or after the bound.
async function untilTasks(dir: string | undefined, n: number, boundMs: number): Promise<number> {
  const end = Date.now() + boundMs;
  let now = 0;
  while (Date.now() < end) {
    now = Number(read(dir, 'pids.current'));
    if (now >= n) return now;
    await new Promise((r) => setTimeout(r, 20));
  }
  return now;
}

// Resolves true once a process is in the group (a readiness signal, bounded).
async function untilMember(dir: string, boundMs: number): Promise<boolean> {
  const end = Date.now() + boundMs;
  while (Date.now() < end) {
    if (read(dir, 'cgroup.procs') !== '') return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

test.serial(
  "a fork bomb stops at the lab's process limit while the machine forks; a 2 GiB allocation is killed; each record names its limit; the cgroup goes at close",
  async (t) => {
    const session = await LabSession.open(await loadLab(FIXTURE), { events: new LabEvents() });
    const dirs = groupsOf(session.runId);
    try {
      t.true(dirs.length > 0, 'the run journals its cgroup');
      const pids = pidsGroup(dirs);
      t.is(read(pids, 'pids.max'), '200', "the lab's own limit");
      let most = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          most = Math.max(most, Number(read(pids, 'pids.current')));
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const bomb = session.runCommands('bomb');
      // During the bomb, at its limit, the real machine still starts processes.
      const reached = await untilTasks(pids, 195, 5_000);
      const real = await execa(
        'sh',
        [
          '-c',
          'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true || exit 1; done; echo forked',
        ],
        { reject: false, timeout: 10_000 },
      );
      const [rec] = await bomb;
      sampling = false;
      await sampler;
      t.true(reached >= 195, `the bomb filled the sandbox to its limit (${reached} tasks)`);
      t.is(real.stdout, 'forked', `the real machine forks during the bomb: ${real.stderr}`);
      t.true(most <= 200, `never more than 200 tasks in the sandbox (saw ${most})`);
      t.true(Number(/^max (\d+)$/m.exec(read(pids, 'pids.events'))?.[1]) > 0, 'the kernel refused forks at pids.max');
      t.is(rec?.limit, 'the sandbox reached its limit of 200 processes');
      t.false(rec?.ok, 'the step fails');
      t.regex(rec?.output ?? '', /the sandbox reached its limit of 200 processes$/);

      const [mem] = await session.runCommands('memory');
      t.is(mem?.limit, 'the sandbox reached its limit of 512 MiB of memory');
      t.false(mem?.ok);
      t.notRegex(mem?.output ?? '', /allocated/, 'the allocation never completed');

      const [after] = await session.runCommands('after');
      t.is(after?.output, 'still here', 'the sandbox is usable once the bomb and the allocation are gone');
      t.true(after?.ok);
      t.is(after?.limit, undefined, 'a later command is not blamed for an earlier limit');
    } finally {
      const report = await session.close();
      t.deepEqual(report.leftovers, []);
    }
    t.deepEqual(
      labCgroups().filter((d) => dirs.includes(d) || d.endsWith(session.runId)),
      [],
      'no cgroup of the run is left',
    );
  },
);

test.serial('LAB_* variables set the cgroup files, over the lab', async (t) => {
  const saved = { ...process.env };
  Object.assign(process.env, { LAB_PIDS: '300', LAB_MEMORY_MB: '384', LAB_CPU_SHARE: '50' });
  let session: LabSession | undefined;
  try {
    session = await LabSession.open(await loadLab(FIXTURE), { events: new LabEvents() });
  } finally {
    for (const k of ['LAB_PIDS', 'LAB_MEMORY_MB', 'LAB_CPU_SHARE']) if (saved[k] === undefined) delete process.env[k];
  }
  const dirs = groupsOf(session.runId);
  try {
    const v1 = dirs.length > 1; // a group per controller hierarchy
    const at = (controller: string): string | undefined => dirs.find((d) => d.includes(`/${controller}/`)) ?? dirs[0];
    t.is(read(at('pids'), 'pids.max'), '300');
    t.is(Number(read(at('memory'), v1 ? 'memory.limit_in_bytes' : 'memory.max')), 384 * 1024 * 1024);
    t.is(read(at('cpu'), v1 ? 'cpu.shares' : 'cpu.weight'), v1 ? '512' : '50');
    // What a container runs is in the group too.
    const [rec] = await session.runCommands('after');
    t.true(rec?.ok);
    const members = dirs.flatMap((d) => read(d, 'cgroup.procs').split('\n')).filter(Boolean);
    t.true(members.length >= 3, `the keeper, the container and the command runners are in it: ${members.join(' ')}`);
  } finally {
    await session.close();
  }
  t.deepEqual(
    labCgroups().filter((d) => d.endsWith(session.runId)),
    [],
  );
});

test('bad limits exit 2 before anything is built, naming the variable or the field', async (t) => {
  const env = await lab(['run', FIXTURE, '--check'], { LAB_MEMORY_MB: '512M' });
  t.is(env.exitCode, 2, env.stderr);
  t.regex(env.stderr, /LAB_MEMORY_MB="512M": must be a whole number from 64/);
  const field = await lab([
    'run',
    fileURLToPath(new URL('../../../fixtures/labs/bad-limits.ts', import.meta.url)),
    '--check',
  ]);
  t.is(field.exitCode, 2, field.stderr);
  t.regex(field.stderr, /bad-limits\.ts: 3 problems[\s\S]*limits\.pids: 3 must be a whole number/);
});

// The v2 half on a real kernel, as far as a hybrid machine allows: its cgroup2 hierarchy has no
// controllers to limit with, but joining, the kill of what is left and the removal are the same.
test('on the cgroup2 hierarchy, a process joins the group before it runs; what is left is killed and the group removed', async (t) => {
  const point = unifiedMounts(machineView())[0]?.point;
  if (!point) return t.pass('no cgroup2 hierarchy on this machine');
  const runId = `99-${randomBytes(4).toString('hex')}`;
  const dir = join(point, cgroupName(runId));
  mkdirSync(dir);
  const [sh = 'sh', ...rest] = joinArgv([dir]);
  try {
    const r = await execa(sh, [...rest, 'cat', '/proc/self/cgroup'], { timeout: 10_000 });
    t.regex(r.stdout, new RegExp(`^0::/${cgroupName(runId)}$`, 'm'));
    const sleeper = execa(sh, [...rest, 'sleep', '60'], { reject: false });
    t.true(await untilMember(dir, 20_000), 'the sleeper is in the group');
    t.deepEqual(await removeCgroups([dir], runId), []);
    t.is((await sleeper).signal, 'SIGKILL', 'what was left in the group was killed');
  } finally {
    await removeCgroups([dir], runId);
  }
  t.deepEqual(
    labCgroups().filter((d) => d === dir),
    [],
  );
});

// Serial: with its clock moved on, the sweep would take any empty group made by a test beside it.
test.serial(
  'a new sandbox sweeps the empty groups of runs that died without teardown, never one in use or just made',
  async (t) => {
    const point = unifiedMounts(machineView())[0]?.point;
    if (!point) return t.pass('no cgroup2 hierarchy on this machine');
    const [dead, busy, fresh] = [0, 1, 2].map(() => `99-${randomBytes(4).toString('hex')}`) as [string, string, string];
    const dir = (id: string): string => join(point, cgroupName(id));
    for (const id of [dead, busy, fresh]) mkdirSync(dir(id));
    const [sh = 'sh', ...rest] = joinArgv([dir(busy)]);
    const sleeper = execa(sh, [...rest, 'sleep', '60'], { reject: false });
    try {
      if (!(await untilMember(dir(busy), 20_000))) return t.fail('the sleeper never joined its group');
      t.deepEqual(
        sweepStale([point]).filter((d) => d.includes('/lab-99-')),
        [],
        'nothing is a minute old yet',
      );
      t.deepEqual(
        sweepStale([point], Date.now() + 120_000)
          .filter((d) => [dead, busy, fresh].some((id) => d.endsWith(id)))
          .sort(),
        [dir(dead), dir(fresh)].sort(),
        'the empty ones, once old',
      );
      t.not(read(dir(busy), 'cgroup.procs'), '', 'the group in use stays, its process in it');
    } finally {
      await removeCgroups([dir(busy)], busy);
      await sleeper;
      for (const id of [dead, fresh]) await removeCgroups([dir(id)], id);
    }
    t.deepEqual(
      labCgroups().filter((d) => d.includes('/lab-99-')),
      [],
    );
  },
);

// A runner in another cgroup (v1 puts groups under the runner's own: an earlier login, another CI job)
// left a group where this runner's parents never look; a new sandbox's sweep looks there too.
test.serial("the sweep also looks where another runner's dead groups are, not only under this runner", async (t) => {
  const point = unifiedMounts(machineView())[0]?.point;
  if (!point) return t.pass('no cgroup2 hierarchy on this machine');
  const other = join(point, `lab-other-runner-${randomBytes(4).toString('hex')}`);
  const id = `99-${randomBytes(4).toString('hex')}`;
  const dead = join(other, cgroupName(id));
  mkdirSync(dead, { recursive: true });
  try {
    t.true(staleParents([point]).includes(other), "the other runner's folder is among the places swept");
    // Only that folder with the clock moved on: other places hold groups of tests running beside this one.
    t.deepEqual(sweepStale([other], Date.now() + 120_000), [dead]);
  } finally {
    await removeCgroups([dead], id);
    rmdirSync(other);
  }
  t.deepEqual(
    labCgroups().filter((d) => d.startsWith(other)),
    [],
  );
});

test('LAB_LIMITS=off runs without a cgroup, on purpose', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-limits-off-'));
  const env = { LAB_LIMITS: 'off', LAB_STATE_DIR: dir };
  let runId = '';
  try {
    const run = await lab(['run', '02-bridge-veth', '--check', '--keep'], env);
    t.is(run.exitCode, 0, run.stdout + run.stderr);
    const name = readdirSync(dir).find((f) => f.endsWith('.json')) ?? '';
    runId = name.replace(/\.json$/, '');
    const entry = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { initPid: number; cgroups?: string[] };
    t.deepEqual(entry.cgroups, []);
    t.deepEqual(
      labCgroups().filter((d) => d.endsWith(runId)),
      [],
    );
    t.notRegex(readFileSync(`/proc/${entry.initPid}/cgroup`, 'utf8'), /lab-/, 'the keeper is in no sandbox group');
  } finally {
    if (runId) t.is((await lab(['clean', runId], env)).exitCode, 0);
    rmSync(dir, { recursive: true, force: true });
  }
});
