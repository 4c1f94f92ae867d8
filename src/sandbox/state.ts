// A small journal of live sandboxes (run id -> keeper) so `lab shell`, `lab ps` and `lab clean` can find them.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import type { NsRecord } from './ns-handles.js';
import { checkoutRoot, currentOwner } from './proc-info.js';

export interface SandboxState {
  runId: string;
  lab: string;
  outerPid: number;
  initPid: number;
  idBase?: number; // the real uid of the sandbox's root (see keeper.ts)
  runnerPid: number;
  kept: boolean;
  nodes: string[];
  containers?: Record<string, number>; // container name -> its PID 1
  withoutNetAdmin?: string[]; // containers started without CAP_NET_ADMIN: entered without it too
  startedAt: string;
  namespaces?: NsRecord; // each node's namespaces (device and inode) as the runner opened them: `lab shell` finds these or refuses
  cgroups?: string[]; // the sandbox's cgroup folders (its limits), removed with it
  // Filled in by writeState; absent in entries written by older versions.
  uid?: number; // the user the run belongs to (the one behind sudo, if any)
  user?: string;
  checkout?: string; // repository root of the lab that ran it
}

// Where the journal lives; tests point it elsewhere.
export function stateDir(): string {
  return process.env.LAB_STATE_DIR ?? '/run/lab-runner';
}

// Records a live sandbox, with who ran it and from which checkout.
export function writeState(s: SandboxState): void {
  mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
  const owner = currentOwner();
  const entry: SandboxState = {
    ...s,
    uid: s.uid ?? owner.uid,
    user: s.user ?? owner.user,
    checkout: s.checkout ?? checkoutRoot(),
  };
  writeFileSync(join(stateDir(), `${s.runId}.json`), `${JSON.stringify(entry, null, 2)}\n`);
}

// Forgets a sandbox, and the journal folder once it is empty.
export function removeState(runId: string): void {
  rmSync(join(stateDir(), `${runId}.json`), { force: true });
  removeEmptyStateDir();
}

// Removes the journal folder if nothing is left in it.
export function removeEmptyStateDir(): void {
  try {
    rmdirSync(stateDir());
  } catch {
    // not empty, or already gone, or not ours
  }
}

// Every recorded sandbox, newest first; unreadable entries are skipped.
export function listStates(): SandboxState[] {
  try {
    return readJournal().states;
  } catch {
    return [];
  }
}

// The journal, or an environment error when this user may not read it (so nobody is told "nothing there").
export function readJournal(): { states: SandboxState[]; broken: string[] } {
  let names: string[];
  try {
    names = readdirSync(stateDir()).filter((n) => n.endsWith('.json'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { states: [], broken: [] };
    throw new EnvironmentError(
      'NO_PRIVILEGE',
      `cannot read the sandbox journal ${stateDir()}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : String(err)}`,
      'run it as root (e.g. with sudo), as the labs themselves are run',
    );
  }
  const states: SandboxState[] = [];
  const broken: string[] = [];
  for (const n of names) {
    try {
      states.push(JSON.parse(readFileSync(join(stateDir(), n), 'utf8')) as SandboxState);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM')
        throw new EnvironmentError(
          'NO_PRIVILEGE',
          `cannot read the sandbox journal entry ${join(stateDir(), n)}: permission denied`,
          'run it as root (e.g. with sudo)',
        );
      if (code !== 'ENOENT') broken.push(n); // a half-written entry from a crash: clean removes it
    }
  }
  return { states: states.sort((a, b) => b.startedAt.localeCompare(a.startedAt)), broken };
}

// True when a process with this pid exists.
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
