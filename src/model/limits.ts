// The limits a sandbox runs under, as a lab may declare them: processes, memory, writable space, CPU
// weight, with the defaults every lab fits and each limit's bounds. src/sandbox/limits.ts resolves them.

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

export function inRange(v: unknown, rule: { min: number; max: number }): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= rule.min && v <= rule.max;
}
