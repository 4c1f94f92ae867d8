// The limits of one sandbox: defaults every lab fits, the lab's own `limits`, then LAB_* variables
// (the machine's operator has the last word). cgroup.ts applies them; the fs layer caps its mounts.
import { UsageError } from '../errors.js';
import { DEFAULT_LIMITS, inRange, LIMIT_RULES, type LabLimits, type SandboxLimits } from '../model/limits.js';

const KEYS = Object.keys(LIMIT_RULES) as (keyof SandboxLimits)[];

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
