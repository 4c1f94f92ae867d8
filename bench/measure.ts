// Runs a command and measures it: wall time, CPU of its whole process tree, peak RSS of its largest process.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export const HAVE_TIME = existsSync('/usr/bin/time');

export interface Sample {
  wallMs: number;
  cpuMs?: number; // user + sys of every process the command waited for (GNU time, 10 ms resolution)
  maxRssKiB?: number; // the largest single process of the tree
  exitCode: number;
  output: string;
}

const dir = mkdtempSync(join(tmpdir(), 'lab-bench-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
let seq = 0;

// One run of argv under /usr/bin/time (when installed); wall time is measured here, to the microsecond.
export async function timed(argv: string[], env: Record<string, string> = {}): Promise<Sample> {
  const out = join(dir, `time-${seq++}`);
  const full = HAVE_TIME ? ['/usr/bin/time', '-f', '%U %S %M', '-o', out, ...argv] : argv;
  const t = performance.now();
  const r = await execa(full[0]!, full.slice(1), { reject: false, all: true, env, timeout: 300_000 });
  const wallMs = performance.now() - t;
  const sample: Sample = {
    wallMs: Math.round(wallMs * 10) / 10,
    exitCode: r.exitCode ?? -1,
    output: String(r.all ?? ''),
  };
  if (HAVE_TIME && existsSync(out)) {
    // GNU time writes "Command exited with non-zero status N" before the figures when the command fails.
    const [user, sys, rss] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    if (Number.isFinite(user) && Number.isFinite(sys)) sample.cpuMs = Math.round((user! + sys!) * 1000);
    if (Number.isFinite(rss)) sample.maxRssKiB = rss!;
  }
  return sample;
}

// The middle value (the upper one of an even count).
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
}

// Median of a field over samples that have it.
export function medianOf(samples: Sample[], f: (s: Sample) => number | undefined): number {
  return median(samples.map(f).filter((x): x is number => x !== undefined));
}

// "2.2x", or "n/a" when either side is missing.
export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}x` : 'n/a';
}

export const secs = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'n/a');
export const mib = (kib: number): string => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : 'n/a');
