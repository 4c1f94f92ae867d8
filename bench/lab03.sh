#!/usr/bin/env bash
# Lab 03-masquerade done by hand, as a skilled engineer would script it: the reference that
# `npm run bench` times `lab check 03-masquerade` against. Same nodes, same container on an overlay
# of the same cached root filesystem, same step commands, same pings, tcpdump at the same points
# (armed before the probes, drained after 30 ms of quiet, drops checked), same 17 expectations.
#
# Usage: bench/lab03.sh [--skip STEP]... [--timings]
#   STEP: bridge veth observe forward masquerade (its commands are left out, its check still runs)
#   --timings: phase durations on stderr
# Prints one PASS/FAIL line per expectation. Exit: 0 all pass, 1 a check or command failed,
# 2 usage, 3 environment (not root, tool or root filesystem missing).
# Everything runs in its own unshare'd net, PID and mount namespaces with a private /run:
# when the script ends, the kernel removes every namespace, link, mount and process it made.
set -uo pipefail

STEPS=(bridge veth observe forward masquerade)
C=mycontainer BRIDGE_IP=172.17.0.1 CONTAINER_IP=172.17.0.100 NOBODY_IP=172.17.0.2 UPLINK_IP=10.0.2.15 DNS=203.0.113.8
# The product's probes: a ping answered at once waits up to 1 s, one the lesson says gets no reply 0.1 s.
PING=(ping -n -q -c 3 -i 0.005 -W 1)
PING_NOREPLY=(ping -n -q -c 3 -i 0.005 -W 0.1)
QUIET_US=30000 MAX_DRAIN_US=1000000

# ---------------------------------------------------------------- outside: arguments, environment
if [[ ${LAB03_INSIDE:-} != 1 ]]; then
  usage() { echo "usage: $0 [--skip STEP]... [--timings]   (STEP: ${STEPS[*]})" >&2; exit 2; }
  args=("$@")
  while (($#)); do
    case $1 in
      --skip) [[ " ${STEPS[*]} " == *" ${2:-?} "* ]] || { echo "lab03.sh: --skip: unknown step '${2:-}'" >&2; usage; }; shift 2 ;;
      --timings) shift ;;
      -h | --help) usage ;;
      *) echo "lab03.sh: unknown argument '$1'" >&2; usage ;;
    esac
  done
  ((EUID == 0)) || { echo "lab03.sh: needs root (namespaces): run it with sudo" >&2; exit 3; }
  for t in unshare nsenter ip tcpdump ping iptables sysctl mount stat; do
    command -v "$t" > /dev/null || { echo "lab03.sh: $t is missing: run bash scripts/setup.sh" >&2; exit 3; }
  done
  # The cached root filesystem: LAB03_ROOTFS, else the current recipe's build as the product sees it.
  if [[ -z ${LAB03_ROOTFS:-} ]]; then
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    LAB03_ROOTFS=$(node "$repo/dist/src/cli/main.js" rootfs build --json | sed -n 's/^  "path": "\(.*\)",$/\1/p')
    [[ -n $LAB03_ROOTFS ]] || { echo "lab03.sh: no root filesystem: run ./lab rootfs build" >&2; exit 3; }
  fi
  [[ -x $LAB03_ROOTFS/bin/sh ]] || { echo "lab03.sh: $LAB03_ROOTFS is not a root filesystem" >&2; exit 3; }
  # The keeper: new net, PID and mount namespaces, ended with us (--kill-child kills its PID 1,
  # and the kernel then removes every process, namespace, link and mount inside).
  LAB03_INSIDE=1 LAB03_ROOTFS=$LAB03_ROOTFS unshare --net --pid --fork --kill-child --mount --propagation private bash "${BASH_SOURCE[0]}" "${args[@]}" &
  keeper=$!
  trap 'kill -KILL $keeper 2> /dev/null' EXIT
  trap 'exit 130' INT TERM HUP
  wait $keeper
  exit $?
fi

# ---------------------------------------------------------------- inside: PID 1 of the sandbox
skip=() timings=0
while (($#)); do
  case $1 in
    --skip) skip+=("$2"); shift 2 ;;
    --timings) timings=1; shift ;;
  esac
done

failed=0 passed=0 cmd_failed=0 why=""
declare -A ready=() drops=() tdpid=() tdfd=() tderr=() pcap=()

# Kills what is still running; PID 1 exiting would take it anyway, this only makes it prompt.
cleanup() {
  local p
  for p in $(jobs -p); do kill -KILL "$p" 2> /dev/null; done
}
trap cleanup EXIT
trap 'exit 130' TERM

t_last=${EPOCHREALTIME/./}
# Phase durations on stderr with --timings.
phase() {
  local t=${EPOCHREALTIME/./}
  ((timings)) && printf 'lab03.sh: %-28s %6d ms\n' "$1" $(((t - t_last) / 1000)) >&2
  t_last=$t
}

# Seconds with six decimals, for read -t, from microseconds $2, into variable $1.
secs() { printf -v "$1" '%d.%06d' $(($2 / 1000000)) $(($2 % 1000000)); }

mount -t tmpfs -o mode=755 lab03 /run && mkdir -p /run/netns /run/lab03 || exit 3
mount -t proc proc /proc && mount -t sysfs sysfs /sys || exit 3
W=/run/lab03
mkfifo "$W/tick" && exec {tick}<> "$W/tick" # read -t on it is a sleep without a fork

# Sleeps $1 microseconds.
pause_us() {
  local t
  secs t "$1"
  read -r -t "$t" -u "$tick"
}

# Reads lines from fd $1 until one contains $2 (0), or EOF / $3 s pass (1); other lines go to $4.
wait_line() {
  local fd=$1 pat=$2 deadline=$((${EPOCHREALTIME/./} + $3 * 1000000)) log=$4 line left t
  while :; do
    left=$((deadline - ${EPOCHREALTIME/./}))
    ((left > 0)) || return 1
    secs t "$left"
    IFS= read -r -t "$t" -u "$fd" line || return 1
    [[ $line == *"$pat"* ]] && return 0
    printf '%s\n' "$line" >> "$log"
  done
}

# Runs a program in a node: the host and wan by their network namespace, the container in all of its own.
on() {
  local node=$1; shift
  if [[ $node == "$C" ]]; then
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 nsenter -t "$cinit" -m -u -i -n -p -C -r -w "$@"
  else
    nsenter --net="/run/netns/$node" "$@"
  fi
}

# A step command; a failure is reported and fails the run, as in the lab.
step_cmd() {
  local step=$1 node=$2 out; shift 2
  out=$(on "$node" "$@" 2>&1) && return 0
  echo "FAIL $step [$node] $*: exited $?: ${out//$'\n'/ }"
  cmd_failed=$((cmd_failed + 1))
}

# ---------------------------------------------------------------- the sandbox: host, wan, the container
for n in host wan $C; do ip netns add "$n" || exit 3; done
ip -n host link set lo up && ip -n wan link set lo up || exit 3
for n in host wan $C; do nsenter --net="/run/netns/$n" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 || exit 3; done
ip link add name eth0 netns host type veth peer name up0 netns wan &&
  ip -n host addr add "$UPLINK_IP/24" dev eth0 &&
  ip -n host link set eth0 up &&
  ip -n host route add default via 10.0.2.2 &&
  ip -n wan addr add 10.0.2.2/24 dev up0 &&
  ip -n wan link set up0 up &&
  ip -n wan addr add "$DNS/32" dev lo &&
  ip -n wan addr add 203.0.113.80/32 dev lo &&
  ip -n wan addr add 198.51.100.7/32 dev lo || exit 3
phase "nodes host, wan"

d=/run/containers/$C
mkdir -p "$d/upper" "$d/work" "$d/root" &&
  mount -t overlay overlay -o "lowerdir=$LAB03_ROOTFS,upperdir=$d/upper,workdir=$d/work" "$d/root" || exit 3
mkfifo "$W/container.out"
nsenter --net="/run/netns/$C" unshare --fork --pid --mount --uts --cgroup --ipc --root="$d/root" --wd=/ /bin/sh -c '
mount -t proc proc /proc || exit 1
mount -t sysfs sys /sys || exit 1
mount -t devtmpfs dev /dev || exit 1
mount -t devpts devpts /dev/pts -o gid=5,mode=620 || exit 1
hostname '"$C"' || exit 1
echo ready
while :; do sleep 86400; done' > "$W/container.out" 2>&1 &
cpid=$!
exec {cfd}< "$W/container.out"
wait_line "$cfd" ready 10 "$W/container.log" || { echo "lab03.sh: container did not start: $(< "$W/container.log")" >&2; exit 3; }
exec {cfd}<&-
read -r cinit _ < "/proc/$cpid/task/$cpid/children" # the container's PID 1 (unshare --fork's child)
phase "container on its overlay"

# ---------------------------------------------------------------- captures
# Starts tcpdump at each point (node:iface) and waits until each is listening (or has failed).
arm() {
  local step=$1 p node iface f; shift
  for p in "$@"; do
    node=${p%%:*} iface=${p#*:} f=$W/$step-$node-$iface
    mkfifo "$f.fifo"
    nsenter --net="/run/netns/$node" tcpdump -i "$iface" -nn -U --immediate-mode -w - > "$f.pcap" 2> "$f.fifo" &
    tdpid[$p]=$! pcap[$p]=$f.pcap tderr[$p]=$f.err
    exec {fd}< "$f.fifo"
    tdfd[$p]=$fd
  done
  for p in "$@"; do
    if wait_line "${tdfd[$p]}" 'listening on' 5 "${tderr[$p]}"; then ready[$p]=1; else ready[$p]=0; fi
  done
}

# Waits until every capture has been quiet for 30 ms (at most 1 s), stops them, reads their drop counts.
drain() {
  local start=${EPOCHREALTIME/./} last sizes prev="" since t p line
  last=$start
  while :; do
    sizes=$(stat -c %s "${pcap[@]}" 2> /dev/null)
    t=${EPOCHREALTIME/./}
    [[ $sizes != "$prev" ]] && prev=$sizes last=$t
    since=$((t - last))
    ((since >= QUIET_US || t - start >= MAX_DRAIN_US)) && break
    pause_us $((QUIET_US - since < 10000 ? QUIET_US - since : 10000))
  done
  for p in "${!tdpid[@]}"; do kill -TERM "${tdpid[$p]}" 2> /dev/null; done
  for p in "${!tdpid[@]}"; do
    drops[$p]=unknown
    # tcpdump prints its statistics on the way out; EOF on its stderr means it is gone.
    while IFS= read -r -t 2 -u "${tdfd[$p]}" line; do
      [[ $line =~ ^([0-9]+)\ packets?\ dropped\ by\ kernel ]] && drops[$p]=${BASH_REMATCH[1]}
      printf '%s\n' "$line" >> "${tderr[$p]}"
    done
    wait "${tdpid[$p]}" 2> /dev/null
    exec {tdfd[$p]}<&-
  done
}

# Packets at a point matching a BPF filter (the same fields as the lab's matcher), counted by tcpdump
# into $n; fails (and says why in $why) if tcpdump cannot count, so a bad filter never proves an absence.
count() {
  local out
  out=$(tcpdump --count -nn -r "${pcap[$1]}" "$2" 2>&1) && [[ $out =~ (^|$'\n')([0-9]+)\ packets? ]] && { n=${BASH_REMATCH[2]}; return 0; }
  why="tcpdump cannot count: ${out//$'\n'/ }"
  return 1
}

# Prints what was seen at a point, under a FAIL line.
seen_at() { tcpdump -nn -v -r "${pcap[$1]}" not ip6 2> /dev/null | head -n 8 | sed 's/^/      /'; }

# Why a capture cannot prove an absence, if it cannot, into $why.
doubt() {
  why=""
  if ((!${ready[$1]:-0})); then why="capture not ready: $(tr '\n' ' ' < "${tderr[$1]}" 2> /dev/null)"
  elif [[ ${drops[$1]} == unknown ]]; then why="drop count unknown"
  elif ((drops[$1] > 0)); then why="tcpdump dropped ${drops[$1]} packets"
  fi
}

# One line per expectation.
report() {
  if [[ $1 == PASS ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  echo "$1 $2"
}

# expect STEP POINT MIN LABEL FILTER: at least MIN matching packets were seen at POINT.
expect() {
  local step=$1 p=$2 min=$3 what="$4" n why
  if ((!${ready[$p]:-0})); then doubt "$p"; report FAIL "$step $p expect $what >=$min: $why"; return; fi
  count "$p" "$5" || { report FAIL "$step $p expect $what >=$min: $why"; return; }
  if ((n >= min)); then report PASS "$step $p expect $what >=$min: seen $n"
  else report FAIL "$step $p expect $what >=$min: seen $n"; seen_at "$p"; fi
}

# none STEP POINT LABEL FILTER: no matching packet at POINT, over a live capture with known zero drops.
none() {
  local step=$1 p=$2 what="$3" n why
  doubt "$p"
  if [[ -n $why ]]; then report FAIL "$step $p none $what: cannot prove: $why"; return; fi
  count "$p" "$4" || { report FAIL "$step $p none $what: $why"; return; }
  if ((n == 0)); then report PASS "$step $p none $what: none seen"
  else report FAIL "$step $p none $what: seen $n"; seen_at "$p"; fi
}

# True when the step's commands are to be left out (--skip).
skipped() { [[ " ${skip[*]} " == *" $1 "* ]]; }

# A step's check begins: fresh capture state, tcpdump armed at its points.
check_start() {
  local step=$1; shift
  ready=() drops=() tdpid=() tdfd=() tderr=() pcap=()
  arm "$step" "$@"
}
# Probe traffic; like the lab, only its packets are judged, not its exit code.
probe() { on "$@" > /dev/null 2>&1; }

# ---------------------------------------------------------------- step 1: bridge
if ! skipped bridge; then
  step_cmd bridge host ip link add br0 type bridge
  step_cmd bridge host ip addr add "$BRIDGE_IP/24" dev br0
  step_cmd bridge host ip link set dev br0 up
fi
phase "bridge: commands"
check_start bridge host:br0
phase "bridge: captures armed"
probe host ping -n -q -c 1 -i 0.005 -W 0.1 "$NOBODY_IP"
probe $C ping -n -q -c 1 -i 0.005 -W 0.1 "$BRIDGE_IP"
phase "bridge: probes"
drain
expect bridge host:br0 1 "ARP request src=$BRIDGE_IP dst=$NOBODY_IP" "arp[6:2] = 1 and arp src host $BRIDGE_IP and arp dst host $NOBODY_IP"
none bridge host:br0 "ARP reply" "arp[6:2] = 2"
none bridge host:br0 "ICMP echo-request src=$CONTAINER_IP" "icmp[icmptype] = icmp-echo and ip src host $CONTAINER_IP"
phase "bridge: drain and judge"

# ---------------------------------------------------------------- step 2: veth
if ! skipped veth; then
  step_cmd veth host ip link add veth1 type veth peer name eth0 netns $C
  step_cmd veth host ip link set dev veth1 up
  step_cmd veth host ip link set dev veth1 master br0
  step_cmd veth $C ip addr add "$CONTAINER_IP/24" dev eth0
  step_cmd veth $C ip link set dev eth0 up
  step_cmd veth $C ip link set lo up
  step_cmd veth $C ip route add default via "$BRIDGE_IP"
fi
phase "veth: commands"
check_start veth host:br0 host:veth1
phase "veth: captures armed"
probe $C "${PING[@]}" "$BRIDGE_IP"
phase "veth: probes"
drain
echo_req="icmp[icmptype] = icmp-echo and ip src host $CONTAINER_IP and ip dst host $BRIDGE_IP and ip[8] = 64"
echo_rep="icmp[icmptype] = icmp-echoreply and ip src host $BRIDGE_IP and ip dst host $CONTAINER_IP"
expect veth host:veth1 1 "ARP request src=$CONTAINER_IP dst=$BRIDGE_IP" "arp[6:2] = 1 and arp src host $CONTAINER_IP and arp dst host $BRIDGE_IP"
expect veth host:br0 1 "ARP reply src=$BRIDGE_IP dst=$CONTAINER_IP" "arp[6:2] = 2 and arp src host $BRIDGE_IP and arp dst host $CONTAINER_IP"
expect veth host:veth1 3 "ICMP echo-request src=$CONTAINER_IP dst=$BRIDGE_IP ttl=64" "$echo_req"
expect veth host:br0 3 "ICMP echo-request src=$CONTAINER_IP dst=$BRIDGE_IP ttl=64" "$echo_req"
expect veth host:br0 3 "ICMP echo-reply src=$BRIDGE_IP dst=$CONTAINER_IP" "$echo_rep"
expect veth host:veth1 3 "ICMP echo-reply src=$BRIDGE_IP dst=$CONTAINER_IP" "$echo_rep"
phase "veth: drain and judge"

# ---------------------------------------------------------------- step 3: observe (no commands)
check_start observe host:br0 host:eth0
phase "observe: captures armed"
probe $C "${PING_NOREPLY[@]}" "$DNS"
phase "observe: probes"
drain
expect observe host:br0 3 "ICMP echo-request src=$CONTAINER_IP dst=$DNS ttl=64" "icmp[icmptype] = icmp-echo and ip src host $CONTAINER_IP and ip dst host $DNS and ip[8] = 64"
none observe host:eth0 "ICMP echo-request dst=$DNS" "icmp[icmptype] = icmp-echo and ip dst host $DNS"
phase "observe: drain and judge"

# ---------------------------------------------------------------- step 4: forward
skipped forward || step_cmd forward host sysctl -w net.ipv4.ip_forward=1
phase "forward: commands"
check_start forward host:br0 host:eth0
phase "forward: captures armed"
probe $C "${PING_NOREPLY[@]}" "$DNS"
phase "forward: probes"
drain
expect forward host:eth0 3 "ICMP echo-request src=$CONTAINER_IP dst=$DNS ttl=63" "icmp[icmptype] = icmp-echo and ip src host $CONTAINER_IP and ip dst host $DNS and ip[8] = 63"
none forward host:eth0 "ICMP echo-reply" "icmp[icmptype] = icmp-echoreply"
phase "forward: drain and judge"

# ---------------------------------------------------------------- step 5: masquerade
skipped masquerade || step_cmd masquerade host iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE
phase "masquerade: commands"
check_start masquerade host:br0 host:eth0
phase "masquerade: captures armed"
probe $C "${PING[@]}" "$DNS"
phase "masquerade: probes"
drain
expect masquerade host:eth0 3 "ICMP echo-request src=$UPLINK_IP dst=$DNS ttl=63" "icmp[icmptype] = icmp-echo and ip src host $UPLINK_IP and ip dst host $DNS and ip[8] = 63"
expect masquerade host:eth0 3 "ICMP echo-reply src=$DNS dst=$UPLINK_IP" "icmp[icmptype] = icmp-echoreply and ip src host $DNS and ip dst host $UPLINK_IP"
expect masquerade host:br0 3 "ICMP echo-reply src=$DNS dst=$CONTAINER_IP ttl=63" "icmp[icmptype] = icmp-echoreply and ip src host $DNS and ip dst host $CONTAINER_IP and ip[8] = 63"
none masquerade host:eth0 "IP src=172.17.0.0/24" "ip src net 172.17.0.0/24"
phase "masquerade: drain and judge"

echo "# lab03.sh: $passed of $((passed + failed)) expectations passed, $cmd_failed step commands failed"
((failed == 0 && cmd_failed == 0)) && exit 0 || exit 1
