// The sandbox's user namespace: its root maps to an unprivileged id range of the real machine, so a
// process in it is root for the sandbox's own namespaces and nobody for the real machine's.
import { randomInt } from 'node:crypto';
import { perlScript } from '../sys/perl.js';

export const ID_COUNT = 65_536; // a whole range, so the runbook's gid=5 (tty) and daemons' ids exist

// A per-run base, far above the ids distributions hand out (/etc/subuid starts at 100000), so two
// sandboxes never share an id and no real user owns one.
export function idBase(): number {
  return ID_COUNT * randomInt(1_024, 60_000);
}

// Contents of /proc/PID/uid_map and gid_map: inside 0..65535 -> outside base..base+65535.
export function idMap(base: number): string {
  return `0 ${base} ${ID_COUNT}\n`;
}

// Where the view (sys/perl/view.pl) puts what the keeper binds in: a tmpfs of the real root's on /run, which the keeper
// opens before its own /run hides it.
export const VIEW_DIR = { root: '/run/root', tools: '/run/tools', node: '/run/node' } as const;

// What the keeper's mount namespace is copied from (sys/perl/view.pl), made by the real root just before
// the keeper starts: a fresh, empty session keyring (nothing in the sandbox holds the runner's keys), a
// private mount namespace (nothing in it reaches the real one), a tmpfs on /run with, at VIEW_DIR, the
// product's tools folder and node binary bound in, and an idmapped view of the cached root owned by the
// sandbox's root; so the keeper reaches them whatever folders lead to them (a checkout under /tmp or in
// a private folder). Then every mount read-only but /proc and /sys (the view also nosuid and nodev).
// The keeper's namespace, owned by the sandbox's user namespace, is a copy of that one, and the kernel
// locks the flags of every mount it copies into a less privileged namespace: the sandbox can neither
// write the real filesystem nor lift a flag (a writable view would let a node write the real disk as
// the real root: a setuid-root file, say).
// argv prefix: run as the real root, then PROGRAM ARGS...; `userns` is the sandbox's user namespace file.
export function viewArgv(
  perl: string,
  userns: string,
  rootfs: string | undefined,
  tools: string,
  node: string,
): string[] {
  return [
    perl,
    '-e',
    perlScript('view'),
    userns,
    rootfs ?? '-',
    tools,
    node,
    VIEW_DIR.root,
    VIEW_DIR.tools,
    VIEW_DIR.node,
  ];
}
