# The resident command runner of a node (see agent.ts). No modules: POSIX alone would slow every start.
# Protocol, runner to agent: "R ID LEN\n" then LEN bytes, the argv joined by NUL (run it);
# "K ID\n" (kill its process group); "D ID\n" (drop its pipes: a background child kept them open).
# Agent to runner: "ready\n" once; "O ID LEN\n" or "E ID LEN\n" then LEN bytes of its stdout or stderr;
# "X ID c CODE\n" or "X ID s SIGNAL\n" when it ends; "C ID\n" once both its pipes are closed.
# Each command: its own process group, stdin /dev/null, SIGPIPE and SIGCHLD as a shell would leave them.
# Standard input at EOF (the runner is gone) ends the agent; the commands keep their own groups.
use strict;

# Named constants as constant subs: the constant and warnings modules would slow each start.
sub EINTR ()   { 4 }        # a signal (a command's end) interrupted a read or write: not an end
sub WNOHANG () { 1 }
sub CHUNK ()   { 65536 }

$0 = 'lab-agent';
my (%job, %fdjob);
pipe(my $sigr, my $sigw) or die "pipe: $!";
$SIG{CHLD} = sub { syswrite $sigw, 'c' };
$SIG{PIPE} = 'IGNORE';

# Writes all of a frame to the runner; a runner that is gone ends the agent.
sub out {
  my ($s) = @_;
  my $o = 0;
  while ($o < length $s) {
    my $n = syswrite STDOUT, $s, length($s) - $o, $o;
    if (!defined $n) {
      next if $! == EINTR;
      exit 0;
    }
    $o += $n;
  }
}

# Forks one command with its own process group and pipes.
sub start {
  my ($id, $argv) = @_;
  my ($or, $ow, $er, $ew, $pid);
  unless (pipe($or, $ow) && pipe($er, $ew) && defined($pid = fork)) {
    out("E $id 5\nfork\nX $id c 126\nC $id\n");
    return;
  }
  if (!$pid) {
    setpgrp(0, 0);
    $SIG{CHLD} = 'DEFAULT';
    $SIG{PIPE} = 'DEFAULT';
    open STDIN,  '<',  '/dev/null';
    open STDOUT, '>&', $ow;
    open STDERR, '>&', $ew;
    exec { $argv->[0] } @$argv or do { syswrite STDERR, "$argv->[0]: $!\n"; exit 127 };
  }
  close $ow;
  close $ew;
  $job{$id} = { pid => $pid, open => 2 };
  $fdjob{ fileno $or } = [ $id, 'O', $or ];
  $fdjob{ fileno $er } = [ $id, 'E', $er ];
}

# One of a command's pipes is closed (or dropped); the second one tells the runner.
sub closed {
  my ($fd) = @_;
  my ($id, undef, $fh) = @{ delete $fdjob{$fd} };
  close $fh;
  out("C $id\n") unless --$job{$id}{open};
  delete $job{$id} unless $job{$id}{open} || $job{$id}{pid} > 0;
}

# Tells the runner of every command that ended.
sub reap {
  while ((my $p = waitpid(-1, WNOHANG)) > 0) {
    my ($id) = grep { $job{$_}{pid} == $p } keys %job;
    next unless defined $id;
    out($? & 127 ? "X $id s " . ($? & 127) . "\n" : "X $id c " . ($? >> 8) . "\n");
    $job{$id}{pid} = 0;
    delete $job{$id} unless $job{$id}{open};
  }
}

# Forwards what a command wrote, or notes a closed pipe.
sub forward {
  my ($fd) = @_;
  my ($id, $tag, $fh) = @{ $fdjob{$fd} };
  my $n = sysread $fh, my $buf, CHUNK;
  return if !defined $n && $! == EINTR;
  if ($n) { out("$tag $id $n\n$buf") }
  else    { closed($fd) }
}

# Carries out every whole request read so far.
sub requests {
  my ($in) = @_;
  while ($$in =~ /^([RKD]) (\d+)(?: (\d+))?\n/) {
    my ($op, $id, $len, $head) = ($1, $2, $3 // 0, length $&);
    last if length($$in) < $head + $len;
    my $body = substr($$in, $head, $len);
    substr($$in, 0, $head + $len) = '';
    if    ($op eq 'R') { start($id, [ split /\0/, $body, -1 ]) }
    elsif ($op eq 'K') { kill '-KILL', $job{$id}{pid} if $job{$id} && $job{$id}{pid} > 0 }
    else               { closed($_) for grep { $fdjob{$_}[0] eq $id } keys %fdjob }
  }
}

my $in = '';
out("ready\n");
while (1) {
  my $rin = '';
  vec($rin, 0, 1) = 1;
  vec($rin, fileno($sigr), 1) = 1;
  vec($rin, $_, 1) = 1 for keys %fdjob;
  next if select(my $rout = $rin, undef, undef, undef) < 0;
  if (vec($rout, fileno($sigr), 1)) {
    sysread $sigr, my $x, 64;
    reap();
  }
  for my $fd (keys %fdjob) {
    forward($fd) if vec($rout, $fd, 1) && $fdjob{$fd};
  }
  if (vec($rout, 0, 1)) {
    my $n = sysread STDIN, $in, CHUNK, length $in;
    exit 0 unless $n || (!defined $n && $! == EINTR);
    requests(\$in);
  }
}
