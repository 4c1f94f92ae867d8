// Looking at processes and namespaces from the outside, to prove nothing is left behind.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

// True when a process with this pid exists.
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// The PID namespace of a process, e.g. "pid:[4026532312]".
export function pidNamespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

// Pids of every process that lives in the given PID namespace.
export function processesIn(ns: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => pidNamespace(pid) === ns);
}

// Polls a condition every 20 ms until it holds or the bound passes.
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await delay(20);
  }
  return cond();
}

// The JSON journal entries in a state folder.
export function journal(dir: string): { runId: string; initPid: number; outerPid: number; kept: boolean }[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .map(
        (n) =>
          JSON.parse(readFileSync(`${dir}/${n}`, 'utf8')) as {
            runId: string;
            initPid: number;
            outerPid: number;
            kept: boolean;
          },
      );
  } catch {
    return [];
  }
}

// Pids of this process's descendants whose command line contains `needle`.
export function descendants(needle: string): number[] {
  const parent = new Map<number, number>();
  const cmd = new Map<number, string>();
  for (const n of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      parent.set(Number(n), Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${n}/status`, 'utf8'))?.[1]));
      cmd.set(Number(n), readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      // gone
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = pid, i = 0; p > 1 && i < 64; p = parent.get(p) ?? 0, i++) if (p === process.pid) return true;
    return false;
  };
  return [...cmd].filter(([pid, c]) => c.includes(needle) && mine(pid)).map(([pid]) => pid);
}
