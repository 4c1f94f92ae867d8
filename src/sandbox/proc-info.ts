// What /proc and /etc/passwd say about processes and users, for journals, locks and pins.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat); undefined if gone.
export function startTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

// When a process started, in ms since the epoch (boot time + its start ticks at 100 Hz, the Linux USER_HZ).
export function startedAtMs(pid: number): number | undefined {
  const ticks = startTicks(pid);
  if (ticks === undefined) return undefined;
  const btime = Number(/^btime\s+(\d+)/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  return btime * 1000 + ticks * 10;
}

// True when the process exists and started no later than `notAfterMs` (so a reused pid does not count).
export function aliveSince(pid: number, notAfterMs: number): boolean {
  const started = startedAtMs(pid);
  // 1 s of slack: boot time is whole seconds, and the entry is written just after the process starts.
  return started !== undefined && started <= notAfterMs + 1000;
}

// A user name for a uid, from /etc/passwd; the number itself when there is none.
export function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && Number(id) === uid && id !== '') return name;
    }
  } catch {
    // no passwd file
  }
  return String(uid);
}

// The user a run belongs to: the one behind sudo when there is one, else the process's own uid.
export function currentOwner(): { uid: number; user: string } {
  const own = process.getuid?.() ?? 0;
  const sudo = Number(process.env.SUDO_UID);
  const uid = own === 0 && Number.isInteger(sudo) && process.env.SUDO_UID ? sudo : own;
  return { uid, user: userName(uid) };
}

// The checkout this code runs from (its repository root), with symlinks resolved.
export function checkoutRoot(): string {
  const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}
