# Gives every prebuilt node its start from one process: enters the network namespace of each node in turn
# (setns) and writes its sysctls to /proc/sys (one marked "?" is skipped where this kernel lacks it); for a plain node ("uts") it also makes a UTS namespace of
# its own named after it (unshare, sethostname) and pins it at UTS_DIR/NODE (a bind mount of
# /proc/self/ns/uts, as `ip netns add` pins a network namespace). nsenter, sysctl, unshare and hostname
# would cost four programs per node. Runs in the keeper.
# perl -e TEXT UTS_DIR NODE uts|- "k=v k=v" ...   (%NR: the system call numbers, set before this script)
# syscall() passes strings by pointer, so no literal goes to it. No single quote in this file: the
# baseline passes it to perl in single quotes.
use strict;
our %NR;

sub CLONE_NEWNET () { 0x40000000 }
sub CLONE_NEWUTS () { 0x04000000 }
sub MS_BIND ()      { 4096 }

my $uts_dir = shift @ARGV;
while (my ($node, $uts, $list) = splice @ARGV, 0, 3) {
  open(my $ns, "<", "/run/netns/$node") or die "/run/netns/$node: $!\n";
  syscall($NR{setns}, fileno $ns, CLONE_NEWNET) == 0 or die "setns $node: $!\n";
  for (split " ", $list) {
    my ($k, $v) = split /=/, $_, 2;
    my $optional = $k =~ s/^[?]//;
    (my $path = "/proc/sys/$k") =~ tr{.}{/};
    next if $optional and not -e $path;
    open(my $f, ">", $path) or die "$path: $!\n";
    print $f "$v\n";
    close $f or die "$path: $!\n";
  }
  next unless $uts eq "uts";
  my ($name, $pin, $self, $none) = ($node, "$uts_dir/$node", "/proc/self/ns/uts", "none");
  syscall($NR{unshare}, CLONE_NEWUTS) == 0 or die "unshare uts $node: $!\n";
  syscall($NR{sethostname}, $name, length $name) == 0 or die "sethostname $node: $!\n";
  open(my $p, ">", $pin) or die "$pin: $!\n";
  close $p;
  syscall($NR{mount}, $self, $pin, $none, MS_BIND, 0) == 0 or die "pin $pin: $!\n";
}
