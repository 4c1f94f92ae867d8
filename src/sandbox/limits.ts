// The limits of one sandbox: defaults every lab fits, the lab's own `limits`, then LAB_* variables
// (the machine's operator has the last word). cgroup.ts applies them; the fs layer caps its mounts.
import { UsageError } from '../errors.js';

export interface SandboxLimits {
  pids: number; // processes and threads of the whole sandbox at once
  memoryMb: number; // MiB of memory of the whole sandbox (no swap beyond it)
  diskMb: number; // MiB of writable bytes: each tmpfs and container writable layer
  cpuShare: number; // relative CPU weight under contention, cgroup v2 scale: 100 is an ordinary service
}

// What a lab may declare: any of the limits, the others keep their defaults.
export type LabLimits = Partial<SandboxLimits>;

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = { pids: 512, memoryMb: 512, diskMb: 256, cpuShare: 100 };

// Each limit's bounds and its environment variable; below the minimum the sandbox itself cannot start.
export const LIMIT_RULES: Readonly<
  Record<keyof SandboxLimits, { min: number; max: number; env: string; what: string }>
> = {
  pids: { min: 64, max: 65_536, env: 'LAB_PIDS', what: 'processes' },
  memoryMb: { min: 64, max: 1_048_576, env: 'LAB_MEMORY_MB', what: 'MiB of memory' },
  diskMb: { min: 16, max: 1_048_576, env: 'LAB_DISK_MB', what: 'MiB of writable space' },
  cpuShare: { min: 1, max: 10_000, env: 'LAB_CPU_SHARE', what: 'CPU weight' },
};

const KEYS = Object.keys(LIMIT_RULES) as (keyof SandboxLimits)[];

// Problems of a lab's `limits` field, each naming its field (empty when it is fine or absent).
export function limitsProblems(value: unknown, field = 'limits'): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [`${field}: must be an object, e.g. { pids: 1024, memoryMb: 768 }`];
  const p: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const rule = LIMIT_RULES[k as keyof SandboxLimits];
    if (!rule) p.push(`${field}.${k}: unknown limit (known: ${KEYS.join(', ')})`);
    else if (!inRange(v, rule))
      p.push(
        `${field}.${k}: ${JSON.stringify(v) ?? String(v)} must be a whole number from ${rule.min} to ${rule.max} (${rule.what})`,
      );
  }
  return p;
}

// The limits of one sandbox: defaults, then the lab's (validated by the loader), then LAB_* variables;
// a bad variable is a usage error naming it.
export function resolveLimits(lab: LabLimits = {}, env: NodeJS.ProcessEnv = process.env): SandboxLimits {
  const out: SandboxLimits = { ...DEFAULT_LIMITS };
  for (const k of KEYS) {
    const rule = LIMIT_RULES[k];
    const fromLab = lab[k];
    if (fromLab !== undefined) out[k] = fromLab;
    const raw = env[rule.env];
    if (raw === undefined || raw === '') continue;
    const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!inRange(n, rule))
      throw new UsageError(
        'BAD_LIMIT',
        `${rule.env}=${JSON.stringify(raw)}: must be a whole number from ${rule.min} to ${rule.max} (${rule.what})`,
        `unset ${rule.env} for the default (${DEFAULT_LIMITS[k]}), or give a number in range`,
      );
    out[k] = n;
  }
  return out;
}

// True when limits are switched off on purpose (LAB_LIMITS=off): the only way to run without them.
export function limitsOff(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LAB_LIMITS === 'off';
}

// The words a step's record uses when the sandbox hit one of its limits.
export function limitReached(kind: 'pids' | 'memoryMb', limits: SandboxLimits): string {
  return kind === 'pids'
    ? `the sandbox reached its limit of ${limits.pids} processes`
    : `the sandbox reached its limit of ${limits.memoryMb} MiB of memory`;
}

function inRange(v: unknown, rule: { min: number; max: number }): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= rule.min && v <= rule.max;
}
