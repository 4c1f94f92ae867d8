// Saved progress, per user and lab, in $XDG_STATE_HOME/lab (or ~/.local/state/lab): steps done,
// predictions made and whether they were right, and the step reached.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { xdgState } from 'xdg-basedir';

export interface LabProgress {
  lab: string;
  updatedAt: string;
  reached: number; // index of the next step to do
  total: number;
  steps: Record<string, { done: boolean; how: 'ran' | 'typed' | 'skipped' | 'looked'; passed: boolean }>;
  predictions: Record<string, { choice: number; right: boolean }>;
}

// The folder progress lives in.
export function progressDir(): string {
  return join(process.env.XDG_STATE_HOME || xdgState || join(homedir(), '.local', 'state'), 'lab', 'progress');
}

const file = (lab: string): string => join(progressDir(), `${lab}.json`);

// A lab's saved progress, or undefined (none, or unreadable: then it is started afresh).
export function loadProgress(lab: string): LabProgress | undefined {
  try {
    const p = JSON.parse(readFileSync(file(lab), 'utf8')) as LabProgress;
    return p && p.lab === lab && typeof p.reached === 'number' ? p : undefined;
  } catch {
    return undefined;
  }
}

// A fresh record for a lab.
export function newProgress(lab: string, total: number): LabProgress {
  return { lab, updatedAt: new Date().toISOString(), reached: 0, total, steps: {}, predictions: {} };
}

// Writes it whole (a temporary file renamed), so a crash never leaves half a file.
export function saveProgress(p: LabProgress): void {
  mkdirSync(progressDir(), { recursive: true });
  p.updatedAt = new Date().toISOString();
  const tmp = `${file(p.lab)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(p, null, 2)}\n`);
  renameSync(tmp, file(p.lab));
}

// Forgets a lab; true when there was something to forget.
export function resetProgress(lab: string): boolean {
  const f = file(lab);
  if (!existsSync(f)) return false;
  rmSync(f, { force: true });
  return true;
}

// Every lab with saved progress.
export function allProgress(): LabProgress[] {
  if (!existsSync(progressDir())) return [];
  return readdirSync(progressDir())
    .filter((n) => n.endsWith('.json'))
    .map((n) => loadProgress(n.slice(0, -5)))
    .filter((p): p is LabProgress => p !== undefined);
}
