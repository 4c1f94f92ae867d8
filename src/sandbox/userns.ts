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

// Where VIEW_PL puts what the keeper binds in: a tmpfs of the real root's on /run, which the keeper
// opens before its own /run hides it.
export const VIEW_DIR = { root: '/run/root', tools: '/run/tools', node: '/run/node' } as const;

// What the keeper's mount namespace is copied from, made by the real root just before the keeper
// starts: perl -e VIEW_PL USERNS ROOTFS|- TOOLS NODE PROGRAM ARGS... takes a fresh, empty session
// keyring (so nothing in the sandbox holds the runner's keys), unshares a private mount namespace
// (nothing in it reaches the real one), and mounts a tmpfs on /run with, at VIEW_DIR, the product's
// tools folder and node binary bound in, and an idmapped view of ROOTFS owned by the sandbox's root
// (USERNS: the sandbox's user namespace file); so the keeper reaches them whatever folders lead to
// them (a checkout under /tmp or in a private folder). Then every mount read-only but /proc and /sys
// (the view also nosuid and nodev), and exec PROGRAM. The keeper's namespace, owned by the sandbox's
// user namespace, is a copy of that one, and the kernel locks the flags of every mount it copies into
// a less privileged namespace: the sandbox can neither write the real filesystem nor lift a flag (a
// writable view would let a node write the real disk as the real root: a setuid-root file, say).
// util-linux 2.38 has no tool for it; perl is in every Debian and starts quickly. x86_64 numbers.
export const VIEW_PL = String.raw`
use strict;
my ($userns, $src, $tools, $node) = splice @ARGV, 0, 4;
my ($none, $slash, $run, $tmpfs, $mode) = ('', '/', '/run', 'tmpfs', 'mode=755,size=64k');
my ($root, $t, $n) = ('${VIEW_DIR.root}', '${VIEW_DIR.tools}', '${VIEW_DIR.node}');
sub ok { my ($r, $what) = @_; die "$what: $!\n" if $r < 0; $r }
ok(syscall(250, 1, 0), 'new session keyring'); # KEYCTL_JOIN_SESSION_KEYRING, anonymous
ok(syscall(272, 0x20000), 'unshare mnt');
ok(syscall(165, $none, $slash, $none, 0x40000 | 0x4000, 0), 'make / private'); # MS_PRIVATE | MS_REC
ok(syscall(165, $tmpfs, $run, $tmpfs, 0, $mode), 'tmpfs on /run');
mkdir $t or die "$t: $!\n";
open(my $f, '>', $n) or die "$n: $!\n";
close $f;
ok(syscall(165, $tools, $t, $none, 4096, 0), "bind $tools"); # MS_BIND
ok(syscall(165, $node, $n, $none, 4096, 0), "bind $node");
if ($src ne '-') {
  mkdir $root or die "$root: $!\n";
  open(my $user, '<', $userns) or die "$userns: $!\n";
  my $fd = ok(syscall(428, -100, $src, 1 | 02000000), "open_tree $src"); # a detached clone
  my $attr = pack('QQQQ', 0x100000 | 1 | 2 | 4, 0, 0, fileno $user); # MOUNT_ATTR_IDMAP | RDONLY | NOSUID | NODEV
  ok(syscall(442, $fd, $none, 0x1000, $attr, length $attr), "idmap $src");
  ok(syscall(429, $fd, $none, -100, $root, 4), "attach $src");
}
my ($ro, $rw) = (pack('QQQQ', 1, 0, 0, 0), pack('QQQQ', 0, 1, 0, 0));
ok(syscall(442, -100, $slash, 0x8000, $ro, length $ro), 'read-only /'); # AT_RECURSIVE
# But /proc and /sys: the kernel lets the keeper mount its own only as writable as those in view are.
my @open = ('/proc', '/sys');
for my $d (@open) { ok(syscall(442, -100, $d, 0x8000, $rw, length $rw), "writable $d") }
exec { $ARGV[0] } @ARGV or die "$ARGV[0]: $!\n";
`;
