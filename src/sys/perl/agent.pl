# The resident command runner of a node (see agent.ts). No modules: POSIX alone would slow every start.
# Protocol, runner to agent: "R ID LEN\n" then LEN bytes, the argv joined by NUL (run it);
# "K ID\n" (kill its process group); "D ID\n" (drop its pipes: a background child kept them open);
# "F ID LEN\n" then LEN bytes "NODES\0NODES": forget neighbour entries, as a command (see flush_neighbours).
# Agent to runner: "ready\n" once; "O ID LEN\n" or "E ID LEN\n" then LEN bytes of its stdout or stderr;
# "X ID c CODE\n" or "X ID s SIGNAL\n" when it ends; "C ID\n" once both its pipes are closed.
# Each command: its own process group, stdin /dev/null, SIGPIPE and SIGCHLD as a shell would leave them.
# Standard input at EOF (the runner is gone) ends the agent; the commands keep their own groups.
use strict;
our %NR;

# Named constants as constant subs: the constant and warnings modules would slow each start.
sub EINTR ()   { 4 }        # a signal (a command's end) interrupted a read or write: not an end
sub WNOHANG () { 1 }
sub CHUNK ()   { 65536 }
sub CLONE_NEWNET () { 0x40000000 }
sub RTM_NEWNEIGH () { 28 }
sub RTM_DELNEIGH () { 29 }
sub RTM_GETNEIGH () { 30 }
sub NLMSG_ERROR ()  { 2 }
sub NLMSG_DONE ()   { 3 }
sub NLM_F_DUMP ()   { 0x301 }       # a request for every entry
sub NUD_INCOMPLETE () { 0x01 }
sub NUD_KEPT ()     { 0x40 | 0x80 } # noarp and permanent: `ip neigh flush` leaves them
sub ROUNDS ()       { 10 }          # as ip: dump and delete again until a dump finds none

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

# Forks one command with its own process group and pipes; a code reference runs in the child instead.
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
    exit($argv->()) if ref $argv eq 'CODE';
    exec { $argv->[0] } @$argv or do { syswrite STDERR, "$argv->[0]: $!\n"; exit 127 };
  }
  close $ow;
  close $ew;
  $job{$id} = { pid => $pid, open => 2 };
  $fdjob{ fileno $or } = [ $id, 'O', $or ];
  $fdjob{ fileno $er } = [ $id, 'E', $er ];
}

# In each node of the first list the neighbour entries still waiting for an answer, in each of the
# second every learned one, as `ip -n NODE neigh flush nud incomplete` and `... flush all` do, through
# netlink: no program started. A node whose namespace is gone is passed over. Runs in a child: setns
# leaves the agent where it is.
sub flush_neighbours {
  my ($unresolved, $all) = map { [ split ' ', $_ // '' ] } @_;
  my $failed = 0;
  for my $job ((map { [ $_, 0 ] } @$unresolved), (map { [ $_, 1 ] } @$all)) {
    my ($node, $every) = @$job;
    my $ns;
    my $ok = open($ns, '<', "/run/netns/$node");
    next if !$ok && $! == 2;    # ENOENT: the node's namespace is gone, nothing to forget
    $ok &&= syscall($NR{setns}, fileno $ns, CLONE_NEWNET) == 0;
    $ok &&= flush_here($every);
    syswrite STDERR, "flush $node: $!\n" unless $ok;
    $failed ||= !$ok;
  }
  return $failed ? 1 : 0;
}

# Deletes this network namespace's entries: every one but noarp and permanent, or only incomplete ones.
sub flush_here {
  my ($every) = @_;
  socket(my $nl, 16, 3, 0) or return 0;    # AF_NETLINK, SOCK_RAW, NETLINK_ROUTE
  for my $round (1 .. ROUNDS) {
    my $seq = 1000 + $round;
    # nlmsghdr (length, type, flags, seq, port) and an empty ndmsg: every family, every interface.
    send($nl, pack('LSSLL CCSlSCC', 28, RTM_GETNEIGH, NLM_F_DUMP, $seq, 0, 0, 0, 0, 0, 0, 0, 0), 0) or return 0;
    my @gone;
    DUMP: while (1) {
      defined recv($nl, my $buf, CHUNK, 0) or return 0;
      return 0 unless length $buf;
      for (my $o = 0; $o + 16 <= length $buf;) {
        my ($len, $type, undef, $s) = unpack('LSSL', substr($buf, $o, 12));
        last if $len < 16;
        if ($s == $seq && $type == NLMSG_DONE) { last DUMP }
        if ($s == $seq && $type == NLMSG_ERROR) { $! = -unpack('l', substr($buf, $o + 16, 4)); return 0 }
        if ($s == $seq && $type == RTM_NEWNEIGH && $len >= 28) {
          my $state = unpack('S', substr($buf, $o + 24, 2));
          push @gone, substr($buf, $o, $len) if $every ? !($state & NUD_KEPT) : $state & NUD_INCOMPLETE;
        }
        $o += ($len + 3) & ~3;
      }
    }
    return 1 unless @gone;
    for my $m (@gone) {
      substr($m, 4, 8) = pack('SSL', RTM_DELNEIGH, 1, 1);    # the same entry, deleted (NLM_F_REQUEST)
      send($nl, $m, 0);
    }
  }
  return 1;
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
  while ($$in =~ /^([RKDF]) (\d+)(?: (\d+))?\n/) {
    my ($op, $id, $len, $head) = ($1, $2, $3 // 0, length $&);
    last if length($$in) < $head + $len;
    my $body = substr($$in, $head, $len);
    substr($$in, 0, $head + $len) = '';
    if    ($op eq 'R') { start($id, [ split /\0/, $body, -1 ]) }
    elsif ($op eq 'F') { my @lists = split /\0/, $body, -1; start($id, sub { flush_neighbours(@lists) }) }
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
