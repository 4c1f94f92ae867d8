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
// at DST in the keeper's mount namespace (open_tree and mount_setattr(MOUNT_ATTR_IDMAP) here, setns,
// move_mount there; util-linux 2.38 has no tool for it; the keeper made DST). Run as the real root:
// perl -e IDMAP_PL SRC DST, the keeper's pid on stdin (it may start before the keeper is up). Perl (in
// every Debian) starts in 2 ms where python took 18; x86_64 system call numbers, as the python had.
export const IDMAP_PL = String.raw`
use strict;
my ($src, $dst, $none) = (@ARGV[0, 1], ''); # syscall passes strings by pointer: no literals
my $pid = <STDIN> // ''; chomp $pid;
die "no keeper pid on stdin\n" unless $pid =~ /^\d+$/;
sub ok { my ($r, $what) = @_; die "$what: $!\n" if $r < 0; $r }
my $fd = ok(syscall(428, -100, $src, 1 | 02000000), "open_tree $src");
open(my $user, '<', "/proc/$pid/ns/user") or die "/proc/$pid/ns/user: $!\n";
my $attr = pack('QQQQ', 0x100000, 0, 0, fileno $user);
ok(syscall(442, $fd, $none, 0x1000, $attr, length $attr), "idmap $src");
open(my $mnt, '<', "/proc/$pid/ns/mnt") or die "/proc/$pid/ns/mnt: $!\n";
ok(syscall(308, fileno $mnt, 0x20000), 'setns mnt');
ok(syscall(429, $fd, $none, -100, $dst, 4), "move_mount $dst");
`;
