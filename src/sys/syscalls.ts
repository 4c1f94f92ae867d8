// System call numbers for the runner's Perl, per architecture: Perl's syscall() takes bare numbers,
// and x86_64's numbers on arm64 would call other system calls. From the kernel's uapi headers
// (asm/unistd_64.h on x86_64; asm-generic/unistd.h, which arm64 uses).
import { EnvironmentError } from '../errors.js';

const NAMES = [
  'setns',
  'unshare',
  'mount',
  'umount2',
  'pivot_root',
  'sethostname',
  'init_module',
  'keyctl',
  'add_key',
  'open_tree',
  'move_mount',
  'mount_setattr',
  'openat2',
] as const;
export type SyscallName = (typeof NAMES)[number];

// Node's name of an architecture -> the kernel's name and its numbers.
const TABLES: Record<string, { arch: string; nr: Record<SyscallName, number> }> = {
  x64: {
    arch: 'x86_64',
    nr: {
      setns: 308,
      unshare: 272,
      mount: 165,
      umount2: 166,
      pivot_root: 155,
      sethostname: 170,
      init_module: 175,
      keyctl: 250,
      add_key: 248,
      open_tree: 428,
      move_mount: 429,
      mount_setattr: 442,
      openat2: 437,
    },
  },
  arm64: {
    arch: 'aarch64',
    nr: {
      setns: 268,
      unshare: 97,
      mount: 40,
      umount2: 39,
      pivot_root: 41,
      sethostname: 161,
      init_module: 105,
      keyctl: 219,
      add_key: 217,
      open_tree: 428,
      move_mount: 429,
      mount_setattr: 442,
      openat2: 437,
    },
  },
};

// The numbers of this machine's architecture; any other architecture is refused, naming it.
export function syscallNumbers(arch: string = process.arch): Record<SyscallName, number> {
  const table = TABLES[arch];
  if (!table) {
    const known = Object.values(TABLES)
      .map((t) => t.arch)
      .join(' and ');
    throw new EnvironmentError(
      'UNSUPPORTED_ARCH',
      `this machine's architecture (${arch}) is not supported: the sandbox's system calls are known for ${known} only`,
      `run lab on an ${known} machine`,
    );
  }
  return table.nr;
}

// A Perl statement that fills %main::NR with this architecture's numbers, to run before a script.
export function perlSyscallTable(arch: string = process.arch): string {
  const nr = syscallNumbers(arch);
  return `BEGIN { %main::NR = (${NAMES.map((n) => `${n} => ${nr[n]}`).join(', ')}) }`;
}
