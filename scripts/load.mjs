#!/usr/bin/env node
// Load: N runs of a lab at once (default 50 of 03-masquerade), each in its own state folder. Prints one
// JSON line: how many passed, the slowest, and what was left (processes of a run, journal entries, cgroups).
// Usage: node scripts/load.mjs [N] [LAB]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labCgroups } from '../dist/src/sys/cgroupfs.js';

const n = Number(process.argv[2] ?? 50);
const lab = process.argv[3] ?? '03-masquerade';
const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'lab-load-'));

// Pids of live processes that inherited this run's state folder.
function leftOf(dir) {
  const needle = `LAB_STATE_DIR=${dir}\0`;
  return readdirSync('/proc').filter((p) => {
    try {
      return (
        /^\d+$/.test(p) &&
        !readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z ') &&
        readFileSync(`/proc/${p}/environ`, 'latin1').includes(needle)
      );
    } catch {
      return false;
    }
  });
}

// One run to its end: exit code, its JSON result, how long it took.
function run(i) {
  const dir = join(base, `s${i}`);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [main, 'run', lab, '--check', '--json'], {
      env: { ...process.env, CI: 'true', LAB_STATE_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', () => undefined);
    p.on('exit', (code) => {
      let result;
      try {
        result = JSON.parse(out);
      } catch {
        result = undefined;
      }
      resolve({ i, dir, code, ms: performance.now() - t0, result });
    });
  });
}

const t0 = performance.now();
const runs = await Promise.all(Array.from({ length: n }, (_, i) => run(i)));
const wallMs = performance.now() - t0;
await new Promise((r) => setTimeout(r, 2_000));
const left = runs.flatMap((r) => leftOf(r.dir));
const journals = runs.flatMap((r) => {
  try {
    return readdirSync(r.dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
});
const ids = new Set(runs.map((r) => r.result?.runId).filter(Boolean));
const cgroups = labCgroups().filter((d) => ids.has(d.slice(d.lastIndexOf('/lab-') + 5)));
const failed = runs
  .filter((r) => r.code !== 0)
  .map((r) => ({
    i: r.i,
    code: r.code,
    error: r.result?.error?.message,
    failedSteps: r.result?.steps?.filter((s) => s.status === 'failed').map((s) => s.id),
  }));
const summary = {
  lab,
  runs: n,
  passed: runs.filter((r) => r.code === 0).length,
  failed,
  refused: runs.filter((r) => r.code === 3).length,
  wallMs: Math.round(wallMs),
  slowestMs: Math.round(Math.max(...runs.map((r) => r.ms))),
  left,
  journals,
  cgroups,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
rmSync(base, { recursive: true, force: true });
process.exit(summary.passed === n && left.length === 0 && journals.length === 0 && cgroups.length === 0 ? 0 : 1);
