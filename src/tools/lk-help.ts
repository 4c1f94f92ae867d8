// lk --help: the commands, the rules each one writes, how drift is decided, and the exit codes.
export const LK_HELP = `lk: per-project container networks (bridge, /24, NAT, port forwards) in this network namespace

Usage:
  lk net create PROJECT                          bridge lk-PROJECT on the first free /24, masquerade, forward
  lk port PROJECT HOSTPORT[/tcp|/udp] IP:PORT    forward a host port to a container of the project
  lk unport PROJECT CONTAINER_IP                 remove that container's port forwards (when it stops)
  lk cleanup PROJECT                             remove the project's rules and its bridge
  lk status [--json]                             bridges, subnets and rules read back from the kernel, and drift
  lk --help                                      this text

PROJECT: lowercase letters, digits, "_" and "-", at most 12 characters (the bridge lk-PROJECT must fit in 15).

net create picks the first /24 from 10.1.1.0 up to 10.255.255.0 that overlaps no IPv4 subnet on any
interface of this namespace (read with ip -j addr, so a decoy on 10.1.1.0/24 makes it take 10.1.2.0/24),
gives the bridge .1/24, and adds (each rule commented lk:PROJECT:ROLE):
  nat    POSTROUTING     -s SUBNET ! -d SUBNET -j MASQUERADE          lk:PROJECT:masq
  filter LAB_FORWARD     -i lk-PROJECT ! -o lk-PROJECT -j ACCEPT      lk:PROJECT:out
  filter LAB_FORWARD     ! -i lk-PROJECT -o lk-PROJECT -j ACCEPT      lk:PROJECT:in
It creates the chains LAB_FORWARD (filter, jumped to from FORWARD) and LAB_PREROUTING (nat, jumped to
from PREROUTING) when they are missing; the jumps carry the comment lk:jump. MASQUERADE is only valid in
nat POSTROUTING, so that is where it lives (not in a PREROUTING chain). Run again on an existing project,
it keeps the subnet and puts back any of these rules that are missing. It does not touch ip_forward.
port adds a pair with one comment lk:PROJECT:port:HOSTPORT:IP:PORT:PROTO:
  nat    LAB_PREROUTING  ! -i lk-PROJECT -p PROTO --dport HOSTPORT -j DNAT --to-destination IP:PORT
  filter LAB_FORWARD     -d IP ! -i lk-PROJECT -o lk-PROJECT -p PROTO --dport PORT -j ACCEPT
unport removes every port pair of the project whose target is CONTAINER_IP (found by comment).
cleanup removes every rule whose comment names the project, then its bridge. The chains and jumps stay
while any other project has a bridge or rules; cleaning up the last project removes them too.

status never reads a file: what is expected follows from what the kernel has. A project whose bridge
lk-P exists must have its three rules above, and the chains and jumps must exist; a port forward is a
DNAT + ACCEPT pair, so half a pair is drift; rules naming a project with no bridge are stale. Each
missing or stale rule is named under "drift:". status exits 0 whether or not there is drift.

Exit codes: 0 done; 1 the kernel refused (e.g. no CAP_NET_ADMIN), its message is shown; 2 bad input
(a bad or too long name, an unknown project, a port already forwarded, nothing to remove); 3 environment
(no free /24 left between 10.1.1.0 and 10.255.255.0: remove a project with lk cleanup; or ip/iptables
missing); 70 internal error. A change spans two tables (filter, nat); each table changes atomically.
`;
