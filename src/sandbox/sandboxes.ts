// Every sandbox on this machine that the journal or a keeper process tells of, and what state it is in.
import { readdirSync, readFileSync } from 'node:fs';
import { KEEPER_MARK } from './keeper.js';
import { aliveSince, checkoutRoot, currentOwner, startedAtMs, userName } from './proc-info.js';
import { readJournal } from './state.js';

export type SandboxLife = 'running' | 'kept' | 'dead';

export interface SandboxView {
  runId: string;
  lab: string; // '?' for a keeper with no entry in this journal
  uid?: number;
  user?: string;
  checkout?: string;
  state: SandboxLife;
  startedAt: string;
  ageMs: number;
  keeperPids: number[]; // live keeper processes (found by their mark, so never a reused pid)
  initPid?: number;
  runnerPid?: number;
  journaled: boolean; // false: a keeper whose entry is in another journal (another LAB_STATE_DIR), or none
  mine: boolean; // same user and same checkout as the caller
  cgroups?: string[]; // its cgroup folders, as journaled
}

// Keeper processes on the machine, by run id (found by the mark in their command line).
export function findKeepers(): Map<string, number[]> {
  const found = new Map<string, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const i = argv.indexOf(KEEPER_MARK);
    const runId = i >= 0 ? argv[i + 1] : undefined;
    if (runId) found.set(runId, [...(found.get(runId) ?? []), Number(name)]);
  }
  return found;
}

// The real uid a process runs as, from /proc/PID/status.
function processUid(pid: number): number | undefined {
  try {
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return uid === undefined ? undefined : Number(uid);
  } catch {
    return undefined;
  }
}

// True when a keeper's parent is a live runner (not init, which adopts the keepers of kept runs).
function hasLiveRunner(pid: number): boolean {
  try {
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    if (!ppid || ppid === 1) return false;
    return readFileSync(`/proc/${ppid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}

// The journal's sandboxes and any other keeper, classified: running (its runner is alive), kept, or dead.
export function listSandboxes(now = Date.now()): { sandboxes: SandboxView[]; broken: string[] } {
  const me = currentOwner();
  const here = checkoutRoot();
  const keepers = findKeepers();
  const { states, broken } = readJournal();
  const sandboxes: SandboxView[] = states.map((s) => {
    const pids = keepers.get(s.runId) ?? [];
    keepers.delete(s.runId);
    const since = Date.parse(s.startedAt);
    const runnerAlive = aliveSince(s.runnerPid, since);
    const state: SandboxLife = !pids.length ? 'dead' : s.kept ? 'kept' : runnerAlive ? 'running' : 'dead';
    return {
      runId: s.runId,
      lab: s.lab,
      ...(s.uid === undefined ? {} : { uid: s.uid, user: s.user ?? userName(s.uid) }),
      ...(s.checkout ? { checkout: s.checkout } : {}),
      state,
      startedAt: s.startedAt,
      ageMs: now - since,
      keeperPids: pids,
      initPid: s.initPid,
      runnerPid: s.runnerPid,
      journaled: true,
      mine: s.uid === me.uid && s.checkout === here,
      ...(s.cgroups ? { cgroups: s.cgroups } : {}),
    };
  });
  for (const [runId, pids] of keepers) {
    const first = pids[0] ?? 0;
    const started = startedAtMs(first) ?? now;
    const uid = processUid(first);
    sandboxes.push({
      runId,
      lab: '?',
      ...(uid === undefined ? {} : { uid, user: userName(uid) }),
      state: pids.some(hasLiveRunner) ? 'running' : 'kept',
      startedAt: new Date(started).toISOString(),
      ageMs: now - started,
      keeperPids: pids,
      journaled: false,
      mine: false,
    });
  }
  return { sandboxes, broken };
}

// "3 s", "4 min", "2 h", "5 d": an age a person reads at a glance.
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
