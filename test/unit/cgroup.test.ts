// The sandbox's cgroup on both kernels' layouts: where it goes, which files get which limits, what is
// said when a controller is missing, and its counters, against fake mount tables and a fake tree.
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError } from '../../src/errors.js';
import { cgroupPlan, joinArgv, removeCgroups, SandboxCgroup } from '../../src/sandbox/cgroup.js';
import { DEFAULT_LIMITS } from '../../src/model/limits.js';
import { controllerPlaces, type CgroupView } from '../../src/sys/cgroupfs.js';

const MiB = 1024 * 1024;

// A hybrid machine like this one: v1 hierarchies, the runner's memory group nested, an empty v2 beside.
const HYBRID: CgroupView = {
  mountinfo: [
    '30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
    '33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '34 30 0:30 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
    '35 30 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n'),
  selfCgroup: '8:pids:/\n4:memory:/process_api/abc\n2:cpuacct:/\n1:cpu:/\n0::/\n',
  read: () => '',
};

// A default Debian bookworm/trixie: one unified hierarchy, systemd has the controllers enabled.
const unified = (
  point: string,
  subtree: string,
  available = 'cpuset cpu io memory hugetlb pids rdma misc',
): CgroupView => ({
  mountinfo: `25 20 0:22 / ${point} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`,
  selfCgroup: '0::/user.slice/user-0.slice/session-3.scope\n',
  read: (p) =>
    p.endsWith('cgroup.subtree_control') ? subtree : p.endsWith('cgroup.controllers') ? available : undefined,
});

test("cgroup v1: a group per hierarchy, under the runner's own; memory with swap, CPU shares", (t) => {
  const plan = cgroupPlan(controllerPlaces(HYBRID), '03-0123abcd', DEFAULT_LIMITS);
  t.deepEqual(plan.dirs, [
    '/sys/fs/cgroup/pids/lab-03-0123abcd',
    '/sys/fs/cgroup/memory/process_api/abc/lab-03-0123abcd',
    '/sys/fs/cgroup/cpu/lab-03-0123abcd',
  ]);
  t.deepEqual(plan.writes, [
    { file: '/sys/fs/cgroup/pids/lab-03-0123abcd/pids.max', value: '512' },
    { file: '/sys/fs/cgroup/memory/process_api/abc/lab-03-0123abcd/memory.limit_in_bytes', value: String(512 * MiB) },
    {
      file: '/sys/fs/cgroup/memory/process_api/abc/lab-03-0123abcd/memory.memsw.limit_in_bytes',
      value: String(512 * MiB),
      optional: true,
    },
    { file: '/sys/fs/cgroup/cpu/lab-03-0123abcd/cpu.shares', value: '1024' },
  ]);
  t.is(plan.pidsEvents, '/sys/fs/cgroup/pids/lab-03-0123abcd/pids.events');
  t.is(plan.oomEvents, '/sys/fs/cgroup/memory/process_api/abc/lab-03-0123abcd/memory.oom_control');
});

test('cgroup v2: one group at the root, memory.max and no swap, cpu.weight', (t) => {
  const plan = cgroupPlan(controllerPlaces(unified('/sys/fs/cgroup', 'cpuset cpu io memory pids')), '03-0123abcd', {
    ...DEFAULT_LIMITS,
    memoryMb: 300,
    cpuShare: 50,
  });
  t.deepEqual(plan.dirs, ['/sys/fs/cgroup/lab-03-0123abcd']);
  t.deepEqual(plan.writes, [
    { file: '/sys/fs/cgroup/lab-03-0123abcd/pids.max', value: '512' },
    { file: '/sys/fs/cgroup/lab-03-0123abcd/memory.max', value: String(300 * MiB) },
    { file: '/sys/fs/cgroup/lab-03-0123abcd/memory.swap.max', value: '0', optional: true },
    { file: '/sys/fs/cgroup/lab-03-0123abcd/cpu.weight', value: '50' },
  ]);
  t.is(plan.oomEvents, '/sys/fs/cgroup/lab-03-0123abcd/memory.events');
});

test('a missing controller is exit 3 saying what to run, or LAB_LIMITS=off; never a run without limits', (t) => {
  const v2off = t.throws(
    () => SandboxCgroup.create('03-0123abcd', DEFAULT_LIMITS, () => unified('/sys/fs/cgroup', 'cpu io'), {}),
    { instanceOf: EnvironmentError },
  );
  t.is(v2off?.exitCode, 3);
  t.is(
    v2off?.message,
    "the sandbox's limits need the pids, memory cgroup controllers, which are not usable on this machine",
  );
  t.regex(
    v2off?.hint ?? '',
    /^enable them: echo '\+pids \+memory' > \/sys\/fs\/cgroup\/cgroup\.subtree_control; or set LAB_LIMITS=off/,
  );
  const none = t.throws(
    () => SandboxCgroup.create('03-0123abcd', DEFAULT_LIMITS, () => ({ ...HYBRID, mountinfo: '' }), {}),
    { instanceOf: EnvironmentError },
  );
  t.regex(none?.hint ?? '', /mount -t cgroup -o pids cgroup \/sys\/fs\/cgroup\/pids/);
  const off = SandboxCgroup.create('03-0123abcd', DEFAULT_LIMITS, () => ({ ...HYBRID, mountinfo: '' }), {
    LAB_LIMITS: 'off',
  });
  t.deepEqual(off.dirs, []);
  t.deepEqual(off.joinArgv(), []);
  t.deepEqual(off.counts(), { pids: 0, oom: 0 });
});

test('on a (fake) v2 tree: the group is made, its limits written, its counters read, and it is removed', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'lab-cgroup-'));
  try {
    writeFileSync(join(root, 'cgroup.subtree_control'), 'cpu memory pids\n');
    const view: CgroupView = { ...unified(root, 'cpu memory pids'), read: (p) => readFileSync(p, 'utf8') };
    const cg = SandboxCgroup.create('03-0123abcd', { ...DEFAULT_LIMITS, pids: 100 }, () => view, {});
    const dir = join(root, 'lab-03-0123abcd');
    t.deepEqual(cg.dirs, [dir]);
    t.is(readFileSync(join(dir, 'pids.max'), 'utf8'), '100');
    t.is(readFileSync(join(dir, 'memory.max'), 'utf8'), String(512 * MiB));
    t.is(readFileSync(join(dir, 'cpu.weight'), 'utf8'), '100');
    t.deepEqual(cg.joinArgv().slice(-2), [join(dir, 'cgroup.procs'), '--']);
    t.deepEqual(cg.counts(), { pids: 0, oom: 0 });
    writeFileSync(join(dir, 'pids.events'), 'max 3\n');
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n');
    t.deepEqual(cg.counts(), { pids: 3, oom: 1 });
    // The kernel's folder empties itself; the fake's files go first.
    for (const f of ['pids.max', 'memory.max', 'cpu.weight', 'pids.events', 'memory.events']) rmSync(join(dir, f));
    t.deepEqual(await cg.remove(), []);
    t.throws(() => readFileSync(join(dir, 'pids.max')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('removal touches only folders named after the run', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'lab-cgroup-'));
  try {
    mkdirSync(join(root, 'system.slice'));
    t.deepEqual(await removeCgroups([join(root, 'system.slice')], '03-0123abcd'), [
      `cgroup ${join(root, 'system.slice')}: not a group of run 03-0123abcd, left alone`,
    ]);
    t.deepEqual(joinArgv([]), [], 'no limits: nothing joined');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
