// A sandbox's own cgroup: every process of the sandbox joins it before it execs (see joinArgv), so
// its limits (limits.ts) hold for the whole sandbox; its counters say when a limit was reached, and
// it is removed with the sandbox. cgroup v1 (a group per controller hierarchy) and v2 (one group).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import {
  CONTROLLERS,
  controllerPlaces,
  machineView,
  unifiedMounts,
  type CgroupView,
  type Controller,
  type ControllerPlace,
  labCgroups,
} from '../sys/cgroupfs.js';
import { limitsOff } from './limits.js';
import { type SandboxLimits } from '../model/limits.js';

export interface CgroupWrite {
  file: string;
  value: string;
  optional?: boolean; // written only where the kernel has it (swap accounting)
}

export interface CgroupPlan {
  dirs: string[]; // one per hierarchy (v2: one)
  writes: CgroupWrite[]; // in order (v1: memsw after the memory limit it may not be below)
  pidsEvents: string; // "max N": forks refused at pids.max
  oomEvents: string; // v2 memory.events / v1 memory.oom_control: "oom_kill N"
}

// Times the sandbox hit its process limit and had a process killed for memory, since it started.
export interface LimitCounts {
  pids: number;
  oom: number;
}

const REMOVE_MS = 5_000; // how long the group's last processes may take to exit at removal
const KILL_AFTER_MS = 1_000; // then what is still in it is killed
const STALE_MS = 60_000; // an empty sandbox group this old belongs to a run that died without teardown
const NAME = /^lab-\d\d-[0-9a-f]{8}$/;

// The group's name: the run id, so `lab clean` and the final check know it.
export function cgroupName(runId: string): string {
  return `lab-${runId}`;
}

// The folders to make and the files to write for one sandbox; pure, so both versions are tested anywhere.
export function cgroupPlan(places: Map<Controller, ControllerPlace>, runId: string, limits: SandboxLimits): CgroupPlan {
  const dir = (c: Controller): string => join(place(places, c).parent, cgroupName(runId));
  const bytes = String(limits.memoryMb * 1024 * 1024);
  const [p, m, c] = [dir('pids'), dir('memory'), dir('cpu')];
  const v2 = place(places, 'memory').version === 2;
  const writes: CgroupWrite[] = [{ file: join(p, 'pids.max'), value: String(limits.pids) }];
  if (v2)
    writes.push(
      { file: join(m, 'memory.max'), value: bytes },
      { file: join(m, 'memory.swap.max'), value: '0', optional: true },
    );
  else
    writes.push(
      { file: join(m, 'memory.limit_in_bytes'), value: bytes },
      { file: join(m, 'memory.memsw.limit_in_bytes'), value: bytes, optional: true },
    );
  if (place(places, 'cpu').version === 2) writes.push({ file: join(c, 'cpu.weight'), value: String(limits.cpuShare) });
  else
    writes.push({
      file: join(c, 'cpu.shares'),
      value: String(Math.max(2, Math.round((limits.cpuShare * 1024) / 100))),
    });
  return {
    dirs: [...new Set([p, m, c])],
    writes,
    pidsEvents: join(p, 'pids.events'),
    oomEvents: join(m, v2 ? 'memory.events' : 'memory.oom_control'),
  };
}

export class SandboxCgroup {
  private constructor(
    readonly plan: CgroupPlan | undefined, // undefined: limits switched off (LAB_LIMITS=off)
    private readonly runId: string,
  ) {}

  // Makes the sandbox's group and writes its limits, or says (exit 3) which controller is missing.
  static create(
    runId: string,
    limits: SandboxLimits,
    view: () => CgroupView = machineView,
    env: NodeJS.ProcessEnv = process.env,
  ): SandboxCgroup {
    if (limitsOff(env)) return new SandboxCgroup(undefined, runId);
    const v = view();
    const places = controllerPlaces(v);
    const missing = CONTROLLERS.filter((c) => !places.has(c));
    if (missing.length) throw missingControllers(missing, v);
    const plan = cgroupPlan(places, runId, limits);
    sweepStale(staleParents(plan.dirs.map((d) => dirname(d))));
    const made: string[] = [];
    try {
      for (const d of plan.dirs) {
        mkdirSync(d);
        made.push(d);
      }
      for (const w of plan.writes) if (!w.optional || existsSync(w.file)) writeFileSync(w.file, w.value);
    } catch (err) {
      for (const d of made.reverse()) rmdirQuietly(d);
      const e = err as NodeJS.ErrnoException;
      throw new EnvironmentError(
        'NO_CGROUP',
        `cannot set up the sandbox's cgroup (its limits): ${e.code ?? ''} ${e.path ?? ''}: ${e.message}`.replace(
          /\s+/g,
          ' ',
        ),
        'run as root on a machine whose cgroups are writable (/sys/fs/cgroup), or set LAB_LIMITS=off to run without limits',
      );
    }
    return new SandboxCgroup(plan, runId);
  }

  // The group of a sandbox another process made, from its journal's folders: joined and counted, never
  // removed from here. Its counters are the files of those folders that the kernel keeps.
  static adopt(runId: string, dirs: string[]): SandboxCgroup {
    if (!dirs.length) return new SandboxCgroup(undefined, runId);
    const file = (names: string[]): string =>
      dirs.flatMap((d) => names.map((n) => join(d, n))).find((f) => existsSync(f)) ?? '';
    return new SandboxCgroup(
      {
        dirs,
        writes: [],
        pidsEvents: file(['pids.events']),
        oomEvents: file(['memory.events', 'memory.oom_control']),
      },
      runId,
    );
  }

  // The group's folders, for the journal (empty when limits are off).
  get dirs(): string[] {
    return this.plan?.dirs ?? [];
  }

  // argv prefix: a process that enters the sandbox moves itself into the group, then execs the rest.
  joinArgv(): string[] {
    return joinArgv(this.dirs);
  }

  // How often each limit was reached so far (0 and 0 without limits).
  counts(): LimitCounts {
    if (!this.plan) return { pids: 0, oom: 0 };
    return { pids: counter(this.plan.pidsEvents, 'max'), oom: counter(this.plan.oomEvents, 'oom_kill') };
  }

  // Removes the group once its processes are gone (killing any left); returns what could not be removed.
  remove(): Promise<string[]> {
    return removeCgroups(this.dirs, this.runId);
  }
}

// The prefix that joins these groups (one cgroup.procs per hierarchy) and execs the rest of the argv;
// the real root writes the files before anything of the sandbox runs, in the real mount namespace, with
// the machine's own shell (no PATH lookup).
export function joinArgv(dirs: string[]): string[] {
  if (!dirs.length) return [];
  return [
    '/bin/sh',
    '-c',
    'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"',
    'lab-cgroup',
    ...dirs.map((d) => join(d, 'cgroup.procs')),
    '--',
  ];
}

// Removes a sandbox's groups (from its run or its journal entry): waits for their processes to exit,
// kills what is still there after a moment, then removes each folder. Only folders named after the run.
export async function removeCgroups(dirs: string[], runId: string): Promise<string[]> {
  const left: string[] = [];
  for (const d of dirs) {
    if (basename(d) !== cgroupName(runId) || !d.startsWith('/') || dirname(d) === d) {
      left.push(`cgroup ${d}: not a group of run ${runId}, left alone`);
      continue;
    }
    const start = Date.now();
    let killed = false;
    for (;;) {
      const err = rmdirQuietly(d);
      if (!err) break;
      if (Date.now() - start > REMOVE_MS) {
        left.push(`cgroup ${d}: ${err}`);
        break;
      }
      if (!killed && Date.now() - start > KILL_AFTER_MS) {
        killed = true;
        killMembers(d);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return left;
}

// Where dead runs' groups may be: this runner's parents, and every folder that holds a sandbox's group
// (v1 puts a group under its runner's own group: a runner in another cgroup, an earlier login or CI job,
// leaves its groups where this one's parents never look).
export function staleParents(own: string[]): string[] {
  return [...new Set([...own, ...labCgroups().map((d) => dirname(d))])];
}

// Removes the empty groups of runs that died without their teardown (a runner killed with SIGKILL: its
// keeper went with its pipe, its group stayed): nothing runs in them and they are older than any start.
// A kept sandbox's group holds its keeper, so it is never empty while the sandbox lives.
export function sweepStale(parents: string[], now = Date.now()): string[] {
  const removed: string[] = [];
  for (const parent of new Set(parents)) {
    let names: string[];
    try {
      names = readdirSync(parent).filter((n) => NAME.test(n));
    } catch {
      continue;
    }
    for (const n of names) {
      const d = join(parent, n);
      try {
        if (now - statSync(d).mtimeMs < STALE_MS || (readText(join(d, 'cgroup.procs')) ?? 'unknown').trim() !== '')
          continue;
        rmdirSync(d);
        removed.push(d);
      } catch {
        // in use again, or gone meanwhile
      }
    }
  }
  return removed;
}

// The processes of a group (of one hierarchy) get SIGKILL; v2 does it in one write.
function killMembers(dir: string): void {
  if (existsSync(join(dir, 'cgroup.kill'))) {
    try {
      return void writeFileSync(join(dir, 'cgroup.kill'), '1');
    } catch {
      // fall back to one by one
    }
  }
  for (const pid of (readText(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

// rmdir that says why it failed (undefined: removed, or already gone).
function rmdirQuietly(dir: string): string | undefined {
  try {
    rmdirSync(dir);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? undefined : code === 'EBUSY' ? 'processes still in it' : String(code ?? err);
  }
}

// A named count in a cgroup events file ("max 3", "oom_kill 1"); 0 when absent.
function counter(file: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readText(file) ?? '');
  return m ? Number(m[1]) : 0;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function place(places: Map<Controller, ControllerPlace>, c: Controller): ControllerPlace {
  const p = places.get(c);
  if (!p) throw new Error(`no ${c} controller`);
  return p;
}

// Exit 3 naming the missing controllers and what to run for them.
function missingControllers(missing: Controller[], view: CgroupView): EnvironmentError {
  const unified = unifiedMounts(view).find((u) => missing.every((c) => u.available.includes(c)));
  const how = unified
    ? `enable them: echo '${missing.map((c) => `+${c}`).join(' ')}' > ${join(unified.point, 'cgroup.subtree_control')}`
    : `mount them, e.g. ${missing.map((c) => `mkdir -p /sys/fs/cgroup/${c} && mount -t cgroup -o ${c} cgroup /sys/fs/cgroup/${c}`).join('; ')} (or boot with cgroup v2 and these controllers enabled)`;
  return new EnvironmentError(
    'NO_CGROUP',
    `the sandbox's limits need the ${missing.join(', ')} cgroup controller${missing.length > 1 ? 's' : ''}, which ${missing.length > 1 ? 'are' : 'is'} not usable on this machine`,
    `${how}; or set LAB_LIMITS=off to run without limits (never with untrusted users)`,
  );
}
