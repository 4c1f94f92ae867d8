// `lab clean`: removes kept sandboxes and any left by a crashed runner; live runs are left alone.
import { readdirSync, readFileSync } from 'node:fs';
import { KEEPER_MARK, killQuietly } from './keeper.js';
import { isAlive, listStates, removeState } from './state.js';

export interface CleanReport {
  removed: { runId: string; lab: string; reason: string }[];
  live: { runId: string; lab: string }[];
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

// True when a keeper's parent is still a running runner (not init, which adopts orphans).
function hasLiveRunner(pid: number): boolean {
  try {
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    if (!ppid || ppid === 1) return false;
    return readFileSync(`/proc/${ppid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}

// Kills every sandbox whose runner is gone or that was kept; `all` also stops live runs.
export function cleanSandboxes(opts: { all?: boolean } = {}): CleanReport {
  const report: CleanReport = { removed: [], live: [] };
  const keepers = findKeepers();
  for (const s of listStates()) {
    const live = !s.kept && isAlive(s.runnerPid) && keepers.has(s.runId);
    if (live && !opts.all) {
      report.live.push({ runId: s.runId, lab: s.lab });
      keepers.delete(s.runId);
      continue;
    }
    for (const pid of keepers.get(s.runId) ?? []) killQuietly(pid);
    keepers.delete(s.runId);
    removeState(s.runId);
    report.removed.push({ runId: s.runId, lab: s.lab, reason: s.kept ? 'kept' : live ? 'live run stopped (--all)' : 'runner gone' });
  }
  for (const [runId, pids] of keepers) {
    // No journal entry here: a run journaling elsewhere, or starting right now, still has its runner.
    if (pids.some(hasLiveRunner) && !opts.all) {
      report.live.push({ runId, lab: '?' });
      continue;
    }
    for (const pid of pids) killQuietly(pid);
    report.removed.push({ runId, lab: '?', reason: 'keeper without a journal entry' });
  }
  return report;
}
