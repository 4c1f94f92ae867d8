# What the keeper's mount namespace is copied from, made by the real root just before the keeper starts
# (see sandbox/userns.ts): a fresh, empty session keyring; a private mount namespace; a tmpfs on /run
# with the product's tools folder and node binary bound in, and an idmapped view of ROOTFS owned by the
# sandbox's root; then every mount read-only but /proc and /sys (the view also nosuid and nodev), and
# exec PROGRAM. util-linux 2.38 has no tool for open_tree and mount_setattr.
# perl -e TEXT USERNS ROOTFS|- TOOLS NODE ROOT_AT TOOLS_AT NODE_AT PROGRAM ARGS...
# (%NR: the system call numbers, set before this script; syscall() passes strings by pointer, so no
# literal goes to it.)
use strict;
our %NR;

sub KEYCTL_JOIN_SESSION_KEYRING () { 1 }
sub CLONE_NEWNS ()                 { 0x20000 }
sub MS_BIND ()                     { 4096 }
sub MS_REC ()                      { 0x4000 }
sub MS_PRIVATE ()                  { 0x40000 }
sub AT_FDCWD ()                    { -100 }
sub AT_EMPTY_PATH ()               { 0x1000 }
sub AT_RECURSIVE ()                { 0x8000 }
sub OPEN_TREE_CLONE ()             { 1 }
sub OPEN_TREE_CLOEXEC ()           { 02000000 }
sub MOVE_MOUNT_F_EMPTY_PATH ()     { 4 }
sub MOUNT_ATTR_RDONLY ()           { 1 }
sub MOUNT_ATTR_NOSUID ()           { 2 }
sub MOUNT_ATTR_NODEV ()            { 4 }
sub MOUNT_ATTR_IDMAP ()            { 0x100000 }

my ($userns, $src, $tools, $node, $root, $t, $n) = splice @ARGV, 0, 7;
my ($none, $slash, $run, $tmpfs, $mode) = ('', '/', '/run', 'tmpfs', 'mode=755,size=64k');
sub ok { my ($r, $what) = @_; die "$what: $!\n" if $r < 0; $r }

# struct mount_attr { attr_set, attr_clr, propagation, userns_fd }
sub mount_attr { pack('QQQQ', @_) }

ok(syscall($NR{keyctl}, KEYCTL_JOIN_SESSION_KEYRING, 0), 'new session keyring');
ok(syscall($NR{unshare}, CLONE_NEWNS), 'unshare mnt');
ok(syscall($NR{mount}, $none, $slash, $none, MS_PRIVATE | MS_REC, 0), 'make / private');
ok(syscall($NR{mount}, $tmpfs, $run, $tmpfs, 0, $mode), 'tmpfs on /run');
mkdir $t or die "$t: $!\n";
open(my $f, '>', $n) or die "$n: $!\n";
close $f;
ok(syscall($NR{mount}, $tools, $t, $none, MS_BIND, 0), "bind $tools");
ok(syscall($NR{mount}, $node, $n, $none, MS_BIND, 0), "bind $node");
if ($src ne '-') {
  mkdir $root or die "$root: $!\n";
  open(my $user, '<', $userns) or die "$userns: $!\n";
  my $fd = ok(syscall($NR{open_tree}, AT_FDCWD, $src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC), "open_tree $src");
  my $attr = mount_attr(MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0, fileno $user);
  ok(syscall($NR{mount_setattr}, $fd, $none, AT_EMPTY_PATH, $attr, length $attr), "idmap $src");
  ok(syscall($NR{move_mount}, $fd, $none, AT_FDCWD, $root, MOVE_MOUNT_F_EMPTY_PATH), "attach $src");
}
my ($ro, $rw) = (mount_attr(MOUNT_ATTR_RDONLY, 0, 0, 0), mount_attr(0, MOUNT_ATTR_RDONLY, 0, 0));
ok(syscall($NR{mount_setattr}, AT_FDCWD, $slash, AT_RECURSIVE, $ro, length $ro), 'read-only /');
# But /proc and /sys: the kernel lets the keeper mount its own only as writable as those in view are.
my @open = ('/proc', '/sys'); # copies: syscall() may not be handed a literal (read-only) string
for my $d (@open) { ok(syscall($NR{mount_setattr}, AT_FDCWD, $d, AT_RECURSIVE, $rw, length $rw), "writable $d") }
exec { $ARGV[0] } @ARGV or die "$ARGV[0]: $!\n";
