// A small journal of live sandboxes (run id -> keeper) so `lab shell` and `lab clean` can find them.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SandboxState {
  runId: string;
  lab: string;
  outerPid: number;
  initPid: number;
  runnerPid: number;
  kept: boolean;
  nodes: string[];
  containers?: Record<string, number>; // container name -> its PID 1
  startedAt: string;
}

// Where the journal lives; tests point it elsewhere.
export function stateDir(): string {
  return process.env.LAB_STATE_DIR ?? '/run/lab-runner';
}

// Records a live sandbox.
export function writeState(s: SandboxState): void {
  mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
  writeFileSync(join(stateDir(), `${s.runId}.json`), `${JSON.stringify(s, null, 2)}\n`);
}

// Forgets a sandbox, and the journal folder once it is empty.
export function removeState(runId: string): void {
  rmSync(join(stateDir(), `${runId}.json`), { force: true });
  try {
    rmdirSync(stateDir());
  } catch {
    // not empty, or already gone
  }
}

// Every recorded sandbox, newest first; unreadable entries are skipped.
export function listStates(): SandboxState[] {
  let names: string[];
  try {
    names = readdirSync(stateDir()).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: SandboxState[] = [];
  for (const n of names) {
    try {
      out.push(JSON.parse(readFileSync(join(stateDir(), n), 'utf8')) as SandboxState);
    } catch {
      // a half-written entry from a crash: clean will remove it
    }
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
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
