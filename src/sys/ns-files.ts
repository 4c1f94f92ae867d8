// Namespace files the real root can trust: opened without following any symbolic link below a
// kernel-made starting point (a /proc/PID path), checked to be the namespace expected (its device and
// inode) and never one of the real machine's, then handed to nsenter as /proc/RUNNER/fd/N, a path
// into this process's own open files that nothing in a sandbox can change.
import { closeSync, fstatSync, openSync, statSync, constants as fsc } from 'node:fs';

export type NsKind = 'user' | 'mnt' | 'pid' | 'uts' | 'ipc' | 'net' | 'cgroup';
export const NS_KINDS: readonly NsKind[] = ['user', 'mnt', 'pid', 'uts', 'ipc', 'net', 'cgroup'];

// nsenter's option for each kind.
export const NSENTER_OPTION: Record<NsKind, string> = {
  user: '--user',
  mnt: '--mount',
  pid: '--pid',
  uts: '--uts',
  ipc: '--ipc',
  net: '--net',
  cgroup: '--cgroup',
};

export const O_PATH = 0o10000000; // Linux: a handle on the file itself, no open side effects (a FIFO, a device)

// Why a namespace file was refused, in words naming what was found instead.
export class NsRefused extends Error {}

// "dev:ino" of an open file: how a namespace is recorded and compared.
export function fileId(fd: number): string {
  const s = fstatSync(fd);
  return `${s.dev}:${s.ino}`;
}

let nsfsDev: number | undefined;
let real: Set<string> | undefined;

// Every namespace of the real machine this process can see: its own and those of PID 1.
export function realNamespaceIds(): Set<string> {
  if (real) return real;
  real = new Set();
  for (const pid of ['self', '1']) {
    for (const kind of NS_KINDS) {
      try {
        const s = statSync(`/proc/${pid}/ns/${kind}`);
        real.add(`${s.dev}:${s.ino}`);
      } catch {
        // PID 1 may be out of reach (a machine that is itself a container)
      }
    }
  }
  return real;
}

// The device of the kernel's namespace files: a namespace is a file on it.
function nsDevice(): number {
  nsfsDev ??= statSync('/proc/self/ns/net').dev;
  return nsfsDev;
}

// Opens `start` (a kernel-made /proc path, followed) then each component of `rel` with O_NOFOLLOW:
// a symbolic link anywhere below the start is refused. The last component gets `flags` (O_PATH by default).
export function openBeneath(start: string, rel: string, flags = O_PATH): number {
  const parts = rel.split('/').filter((p) => p !== '');
  if (!parts.length || parts.some((p) => p === '.' || p === '..')) throw new NsRefused(`bad path ${rel}`);
  let dir = openSync(start, O_PATH | fsc.O_DIRECTORY);
  try {
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      let next: number;
      try {
        next = openSync(`/proc/self/fd/${dir}/${part}`, fsc.O_NOFOLLOW | (last ? flags : O_PATH | fsc.O_DIRECTORY));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const where = parts.slice(0, i + 1).join('/');
        throw new NsRefused(
          code === 'ENOTDIR' || code === 'ELOOP'
            ? `/${where} is a symbolic link or not a folder`
            : `/${where} cannot be opened (${code})`,
        );
      }
      closeSync(dir);
      dir = next;
    }
    return dir;
  } catch (err) {
    closeSync(dir);
    throw err;
  }
}

// Checks an open namespace file: a namespace (not a link, not a plain file), the one expected if one
// was recorded, and none of the real machine's. Closes it and throws NsRefused otherwise.
export function checkNamespace(fd: number, expected: string | undefined, where: string): number {
  const s = fstatSync(fd);
  const id = `${s.dev}:${s.ino}`;
  let why: string | undefined;
  if (s.isSymbolicLink()) why = `${where} is a symbolic link`;
  else if (s.dev !== nsDevice()) why = `${where} is not a namespace file`;
  else if (realNamespaceIds().has(id)) why = `${where} is a namespace of the real machine`;
  else if (expected !== undefined && id !== expected) why = `${where} is not the namespace the sandbox was built with`;
  if (why) {
    closeSync(fd);
    throw new NsRefused(why);
  }
  return fd;
}

// A namespace file reached through a kernel-made path (/proc/PID/ns/KIND), checked as above.
export function openNamespace(path: string, expected: string | undefined): number {
  let fd: number;
  try {
    fd = openSync(path, O_PATH);
  } catch (err) {
    throw new NsRefused(`${path} cannot be opened (${(err as NodeJS.ErrnoException).code})`);
  }
  return checkNamespace(fd, expected, path);
}

// The path of this process's open file `fd`: what nsenter opens, the very file checked here.
export function fdPath(fd: number): string {
  return `/proc/${process.pid}/fd/${fd}`;
}

// Closes files, ignoring those already closed.
export function closeAll(fds: Iterable<number>): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
