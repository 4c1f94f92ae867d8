// `lab clean`: removes sandboxes (one by run id, this user's dead ones, or all), saying exactly what it did.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { aliveSince, currentOwner } from './proc-info.js';
import { findKeepers, listSandboxes, type SandboxView } from './sandboxes.js';
import { removeEmptyStateDir, stateDir } from './state.js';
import { cgroupName, removeCgroups } from './cgroup.js';
import { labCgroups } from '../sys/cgroupfs.js';

export { findKeepers } from './sandboxes.js';

const GONE_MS = 5_000; // how long a killed keeper may take to disappear

export interface CleanOutcome {
  runId: string;
  lab: string;
  state: string;
  removed: string[]; // what was really removed, one line each
  failed?: { reason: string; privilege: boolean }; // what could not be removed, and why
}

export interface CleanReport {
  listed: SandboxView[]; // every sandbox seen before cleaning (what --all lists first)
  outcomes: CleanOutcome[];
  left: LeftAlone[]; // seen and deliberately not touched
}

// A sandbox `lab clean` did not touch, with whose it is and which process keeps it, so a person can judge.
export interface LeftAlone {
  runId: string;
  lab: string;
  state: string;
  why: string;
  journaled: boolean;
  user?: string;
  uid?: number;
  checkout?: string;
  pid?: number; // the runner of a running sandbox, else its keeper
}

// Removes one sandbox (`run`), every one in this journal (`all`; a live one of another user or checkout
// only with `force`), or this user's dead ones from this checkout.
export async function cleanSandboxes(
  opts: { run?: string; all?: boolean; force?: boolean } = {},
): Promise<CleanReport> {
  const { sandboxes, broken } = listSandboxes();
  const report: CleanReport = { listed: sandboxes, outcomes: [], left: [] };
  if (opts.run) {
    const s = sandboxes.find((x) => x.runId === opts.run);
    if (!s)
      throw new UsageError(
        'UNKNOWN_RUN',
        `no sandbox with run id "${opts.run}"`,
        sandboxes.length
          ? `known run ids: ${sandboxes.map((x) => x.runId).join(', ')} (see \`lab ps\`)`
          : 'there is no sandbox at all (`lab ps` lists them)',
      );
    report.outcomes.push(await removeSandbox(s));
    return report;
  }
  for (const s of sandboxes) {
    const why = opts.all ? whyLeftByAll(s, Boolean(opts.force)) : whyLeft(s);
    if (why) report.left.push(leftAlone(s, why));
    else report.outcomes.push(await removeSandbox(s));
  }
  for (const name of broken) {
    if (opts.all)
      report.outcomes.push(
        removeEntry({ runId: name.replace(/\.json$/, ''), lab: '?', state: 'dead', removed: [] }, name),
      );
    else
      report.left.push({
        runId: name.replace(/\.json$/, ''),
        lab: '?',
        state: 'dead',
        why: 'unreadable journal entry (owner unknown): --all removes it',
        journaled: true,
      });
  }
  return report;
}

// What a report says of a sandbox left alone: whose it is, from where, and its process.
function leftAlone(s: SandboxView, why: string): LeftAlone {
  const pid = s.state === 'running' && s.runnerPid ? s.runnerPid : s.keeperPids[0];
  return {
    runId: s.runId,
    lab: s.lab,
    state: s.state,
    why,
    journaled: s.journaled,
    ...(s.uid === undefined ? {} : { uid: s.uid, user: s.user ?? String(s.uid) }),
    ...(s.checkout ? { checkout: s.checkout } : {}),
    ...(pid ? { pid } : {}),
  };
}

// Why `lab clean --all` leaves a sandbox alone: another journal's, or (without --force) a live one that is
// another user's or another checkout's, or whose owner is unknown. Dead ones of anybody go.
function whyLeftByAll(s: SandboxView, force: boolean): string | undefined {
  if (!s.journaled) return 'its entry is in another journal (another LAB_STATE_DIR): `lab clean RUN` removes it';
  if (force || s.state === 'dead' || s.mine) return undefined;
  const what = s.state === 'running' ? 'a run in progress' : 'a sandbox kept with --keep';
  if (s.uid === undefined || !s.checkout) return `${what} whose owner is not recorded: --force removes it`;
  return `${what} ${s.uid !== currentOwner().uid ? `of another user (${s.user ?? s.uid})` : `of another checkout (${s.checkout})`}: --force removes it`;
}

// Why plain `lab clean` leaves a sandbox alone, or undefined when it is this user's dead run.
function whyLeft(s: SandboxView): string | undefined {
  if (!s.journaled) return 'not in this journal';
  if (s.state === 'running') return 'a run in progress';
  if (s.state === 'kept') return `kept with --keep: \`lab clean ${s.runId}\` removes it`;
  if (s.uid === undefined || !s.checkout)
    return `no owner recorded (an older version ran it): \`lab clean ${s.runId}\` removes it`;
  if (s.mine) return undefined;
  return s.uid !== currentOwner().uid
    ? `belongs to another user (${s.user ?? s.uid})`
    : `from another checkout (${s.checkout})`;
}

// Stops a sandbox's keeper (everything inside dies with it), then removes its journal entry.
async function removeSandbox(s: SandboxView): Promise<CleanOutcome> {
  const out: CleanOutcome = { runId: s.runId, lab: s.lab, state: s.state, removed: [] };
  const pids = s.keeperPids;
  const killed: number[] = [];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ESRCH') continue; // it ended by itself meanwhile: not ours to claim
      out.failed = {
        reason: `cannot stop keeper pid ${pid}: ${code === 'EPERM' ? 'permission denied' : String(err)}`,
        privilege: code === 'EPERM',
      };
      return out;
    }
  }
  if (pids.length) {
    const watch = [...pids, ...(s.initPid && aliveSince(s.initPid, Date.parse(s.startedAt)) ? [s.initPid] : [])];
    const stillThere = await waitGone(s.runId, watch);
    if (stillThere.length) {
      out.failed = {
        reason: `keeper pid ${stillThere.join(', ')} still running ${GONE_MS / 1000} s after SIGKILL`,
        privilege: false,
      };
      return out;
    }
    if (killed.length)
      out.removed.push(
        `stopped keeper pid ${killed.join(', ')}: every process, namespace and mount of the sandbox went with it`,
      );
  }
  // Its cgroup (its limits) once nothing runs in it: as journaled, or found by its name.
  const groups = s.cgroups ?? labCgroups().filter((d) => d.endsWith(`/${cgroupName(s.runId)}`));
  const stuck = await removeCgroups(groups, s.runId);
  if (stuck.length) return { ...out, failed: { reason: stuck.join('; '), privilege: false } };
  if (groups.length) out.removed.push(`cgroup ${groups.join(', ')}`);
  return s.journaled ? removeEntry(out, `${s.runId}.json`) : out;
}

// Removes one journal entry, reporting a refusal instead of claiming it.
function removeEntry(out: CleanOutcome, name: string): CleanOutcome {
  const path = join(stateDir(), name);
  try {
    rmSync(path);
    out.removed.push(`journal entry ${path}`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') out.removed.push(`journal entry ${path} (already gone: its runner removed it)`);
    else
      out.failed = {
        reason: `cannot remove journal entry ${path}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : String(err)}`,
        privilege: code === 'EACCES' || code === 'EPERM',
      };
  }
  removeEmptyStateDir();
  return out;
}

// Waits (bounded) until these pids and the run's keeper mark are gone; returns the ones still there.
async function waitGone(runId: string, pids: number[]): Promise<number[]> {
  const end = Date.now() + GONE_MS;
  const left = (): number[] =>
    [...pids.filter(exists), ...(findKeepers().get(runId) ?? [])].filter((p, i, a) => a.indexOf(p) === i);
  while (left().length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return left();
}

// True while the process runs (a zombie has already let go of everything: it counts as gone).
function exists(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
