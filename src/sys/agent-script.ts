// The resident command runner of a node (see agent.ts), in Perl: perl-base is Essential in Debian, so
// it is in every node, containers' roots included, and it starts in 2 ms where Node takes 60 (no
// modules: POSIX alone would take 9 ms; waitpid's WNOHANG is 1 on Linux).
// Protocol, runner to agent: "R ID LEN\n" then LEN bytes, the argv joined by NUL (run it);
// "K ID\n" (kill its process group); "D ID\n" (drop its pipes: a background child kept them open).
// Agent to runner: "ready\n" once; "O ID LEN\n" or "E ID LEN\n" then LEN bytes of its stdout or stderr;
// "X ID c CODE\n" or "X ID s SIGNAL\n" when it ends; "C ID\n" once both its pipes are closed.
// Each command: its own process group, stdin /dev/null, SIGPIPE and SIGCHLD as a shell would leave them.
// Standard input at EOF (the runner is gone) ends the agent; the commands keep their own groups.
export const AGENT_PL = String.raw`
use strict;
$0 = 'lab-agent';
my (%job, %fdjob);
pipe(my $sigr, my $sigw) or die "pipe: $!";
$SIG{CHLD} = sub { syswrite $sigw, 'c' };
$SIG{PIPE} = 'IGNORE';
# A signal (a command's end) interrupts a blocked read or write: EINTR (4 on Linux) is not an end.
sub out { my ($s, $o) = (shift, 0); while ($o < length $s) { my $n = syswrite STDOUT, $s, length($s) - $o, $o; if (!defined $n) { next if $! == 4; exit 0 } $o += $n } }
sub start {
  my ($id, $argv) = @_;
  my ($or, $ow, $er, $ew, $pid);
  unless (pipe($or, $ow) && pipe($er, $ew) && defined($pid = fork)) { out("E $id 5\nfork\nX $id c 126\nC $id\n"); return }
  if (!$pid) {
    setpgrp(0, 0); $SIG{CHLD} = 'DEFAULT'; $SIG{PIPE} = 'DEFAULT';
    open STDIN, '<', '/dev/null'; open STDOUT, '>&', $ow; open STDERR, '>&', $ew;
    exec { $argv->[0] } @$argv or do { syswrite STDERR, "$argv->[0]: $!\n"; exit 127 };
  }
  close $ow; close $ew;
  $job{$id} = { pid => $pid, open => 2 };
  $fdjob{fileno $or} = [$id, 'O', $or]; $fdjob{fileno $er} = [$id, 'E', $er];
}
sub closed { my ($fd) = @_; my ($id, undef, $fh) = @{delete $fdjob{$fd}}; close $fh; out("C $id\n") unless --$job{$id}{open}; delete $job{$id} unless $job{$id}{open} || $job{$id}{pid} > 0 }
my $in = '';
out("ready\n");
while (1) {
  my $rin = ''; vec($rin, 0, 1) = 1; vec($rin, fileno($sigr), 1) = 1; vec($rin, $_, 1) = 1 for keys %fdjob;
  next if select(my $rout = $rin, undef, undef, undef) < 0;
  if (vec($rout, fileno($sigr), 1)) {
    sysread $sigr, my $x, 64;
    while ((my $p = waitpid(-1, 1)) > 0) {
      my ($id) = grep { $job{$_}{pid} == $p } keys %job; next unless defined $id;
      out($? & 127 ? "X $id s " . ($? & 127) . "\n" : "X $id c " . ($? >> 8) . "\n");
      $job{$id}{pid} = 0; delete $job{$id} unless $job{$id}{open};
    }
  }
  for my $fd (keys %fdjob) {
    next unless vec($rout, $fd, 1) && $fdjob{$fd};
    my ($id, $tag, $fh) = @{$fdjob{$fd}};
    my $n = sysread $fh, my $buf, 65536;
    next if !defined $n && $! == 4;
    if ($n) { out("$tag $id $n\n$buf") } else { closed($fd) }
  }
  if (vec($rout, 0, 1)) {
    my $n = sysread STDIN, $in, 65536, length $in;
    exit 0 unless $n || (!defined $n && $! == 4);
    while ($in =~ /^([RKD]) (\d+)(?: (\d+))?\n/) {
      my ($op, $id, $len, $head) = ($1, $2, $3 // 0, length $&);
      last if length($in) < $head + $len;
      my $body = substr($in, $head, $len); substr($in, 0, $head + $len) = '';
      if ($op eq 'R') { start($id, [split /\0/, $body, -1]) }
      elsif ($op eq 'K') { kill '-KILL', $job{$id}{pid} if $job{$id} && $job{$id}{pid} > 0 }
      else { closed($_) for grep { $fdjob{$_}[0] eq $id } keys %fdjob }
    }
  }
}
`;
