# Runs ARGV with a new, empty session keyring: a process that enters the sandbox holds none of the
# runner's (or the person's) keys, which its root could otherwise read through it.
# perl -e TEXT PROGRAM ARGS...   (%NR: the system call numbers, set before this script)
use strict;
our %NR;

sub KEYCTL_JOIN_SESSION_KEYRING () { 1 }
sub ANONYMOUS ()                   { 0 }    # a new keyring with no name

syscall($NR{keyctl}, KEYCTL_JOIN_SESSION_KEYRING, ANONYMOUS) >= 0 or die "keyctl: $!\n";
exec { $ARGV[0] } @ARGV or die "$ARGV[0]: $!\n";
