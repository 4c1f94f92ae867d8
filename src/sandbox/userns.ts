// The sandbox's user namespace: its root maps to an unprivileged id range of the real machine, so a
// process in it is root for the sandbox's own namespaces and nobody for the real machine's.
import { randomInt } from 'node:crypto';

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

// Gives a directory tree owned by the real root an idmapped view owned by the sandbox's root, mounted
// at DST in the keeper's mount namespace (the keeper made DST), read-only, nosuid and nodev, flags the
// sandbox cannot lift: a writable view would let a node write the real disk as the real root (a
// setuid-root file, say). The kernel locks the flags of every mount it copies into a namespace of a
// less privileged user namespace, so the view is attached in a private mount namespace of the real
// root's first, copied into one of the sandbox's user namespace (locked there), and that copy is what
// moves into the keeper's. util-linux 2.38 has no tool for it. Run as the real root: perl -e IDMAP_PL
// SRC DST, the keeper's pid on stdin (it may start before the keeper is up). Perl (in every Debian)
// starts in 2 ms where python took 18; x86_64 system call numbers, as the python had.
export const IDMAP_PL = String.raw`
use strict;
my ($src, $dst, $none, $slash) = (@ARGV[0, 1], '', '/'); # syscall passes strings by pointer: no literals
my $pid = <STDIN> // ''; chomp $pid;
die "no keeper pid on stdin\n" unless $pid =~ /^\d+$/;
sub ok { my ($r, $what) = @_; die "$what: $!\n" if $r < 0; $r }
open(my $user, '<', "/proc/$pid/ns/user") or die "/proc/$pid/ns/user: $!\n";
open(my $mnt, '<', "/proc/$pid/ns/mnt") or die "/proc/$pid/ns/mnt: $!\n";
my $fd = ok(syscall(428, -100, $src, 1 | 02000000), "open_tree $src");
# MOUNT_ATTR_IDMAP | RDONLY | NOSUID | NODEV, mapped by the sandbox's user namespace.
my $attr = pack('QQQQ', 0x100000 | 1 | 2 | 4, 0, 0, fileno $user);
ok(syscall(442, $fd, $none, 0x1000, $attr, length $attr), "idmap $src");
ok(syscall(272, 0x20000), 'unshare mnt');
ok(syscall(165, $none, $slash, $none, 0x40000 | 0x4000, 0), 'make / private'); # MS_PRIVATE | MS_REC: nothing leaves
ok(syscall(429, $fd, $none, -100, $src, 4), "attach $src");
ok(syscall(308, fileno $user, 0x10000000), 'setns user');
ok(syscall(272, 0x20000), 'unshare mnt as the sandbox');
my $locked = ok(syscall(428, -100, $src, 1 | 02000000), "open_tree $src, locked");
ok(syscall(308, fileno $mnt, 0x20000), 'setns mnt');
ok(syscall(429, $locked, $none, -100, $dst, 4), "move_mount $dst");
`;
