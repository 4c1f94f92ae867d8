// Lab 03 --check (the built CLI) against bench/lab03.sh (the same work by hand): paired runs, then many at once.
import { medianOf, timed, type Sample } from './measure.js';

export interface Contender {
  name: string;
  argv: string[];
  env: Record<string, string>;
}

// The two sides, as a user and an engineer would start them. The script is told where the cached root
// filesystem is (an engineer knows it), so it does not start node to ask.
export function contenders(root: string, rootfs: string): { product: Contender; script: Contender } {
  return {
    product: { name: './lab check 03-masquerade', argv: [`${root}lab`, 'check', '03-masquerade'], env: { CI: 'true' } },
    script: { name: 'bench/lab03.sh', argv: ['bash', `${root}bench/lab03.sh`], env: { LAB03_ROOTFS: rootfs } },
  };
}

export interface SideSummary {
  runs: number;
  passed: number;
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
  samples: Omit<Sample, 'output'>[];
  failures: string[]; // the tail of each failed run's output
}

// Medians of a side's samples; failed runs are counted and kept for the report.
export function summarize(samples: Sample[]): SideSummary {
  const failed = samples.filter((s) => s.exitCode !== 0);
  return {
    runs: samples.length,
    passed: samples.length - failed.length,
    wallMs: medianOf(samples, (s) => s.wallMs),
    cpuMs: medianOf(samples, (s) => s.cpuMs),
    maxRssKiB: medianOf(samples, (s) => s.maxRssKiB),
    samples: samples.map(({ output: _o, ...rest }) => rest),
    failures: failed.map((s) => `exit ${s.exitCode}: ${s.output.trim().split('\n').slice(-8).join('\n')}`),
  };
}

// n runs of each, alternating which goes first (ABBA...), after one unmeasured warm-up of each.
export async function paired(a: Contender, b: Contender, n: number): Promise<[Sample[], Sample[]]> {
  await timed(a.argv, a.env);
  await timed(b.argv, b.env);
  const sa: Sample[] = [];
  const sb: Sample[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      sa.push(await timed(a.argv, a.env));
      sb.push(await timed(b.argv, b.env));
    } else {
      sb.push(await timed(b.argv, b.env));
      sa.push(await timed(a.argv, a.env));
    }
  }
  return [sa, sb];
}

export interface AtOnce {
  copies: number;
  passed: number;
  wallMs: number; // from starting them all until the last one ended
  slowestMs: number;
  fastestMs: number;
  cpuMs: number; // all copies together
  failures: string[];
}

// k copies started together.
export async function atOnce(c: Contender, k: number): Promise<AtOnce> {
  const t = performance.now();
  const samples = await Promise.all(Array.from({ length: k }, () => timed(c.argv, c.env)));
  const wallMs = performance.now() - t;
  const walls = samples.map((s) => s.wallMs);
  const failed = samples.filter((s) => s.exitCode !== 0);
  return {
    copies: k,
    passed: k - failed.length,
    wallMs,
    slowestMs: Math.max(...walls),
    fastestMs: Math.min(...walls),
    cpuMs: samples.reduce((sum, s) => sum + (s.cpuMs ?? NaN), 0),
    failures: failed.map((s) => `exit ${s.exitCode}: ${s.output.trim().split('\n').slice(-8).join('\n')}`),
  };
}
