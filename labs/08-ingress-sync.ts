import { defineLab, hint, host, link, observe, on, restartContainer, service, tcp, tcpConnect, tcpRead } from '../src/lab.js';

// Docknat: traffic arriving on the overlay interface ts0 goes to a container through a DNAT rule.
const C = 'svc';
const GW = '172.17.0.1';
const OLD = '172.17.0.2';
const MID = '172.17.0.3';
const NEW = '172.17.0.4';
const TS_HOST = '100.64.0.1'; // the host's overlay address, as tailscale gives from 100.64.0.0/10
const BANNER = 'while true; do echo "hello from svc" | nc -N -l -p 80; done';
const LISTENING = `ss -Hltn 'sport = :80' | grep -q LISTEN`;
const ruleFor = (ip: string): string => `iptables -t nat -S PREROUTING | grep -q -- '-i ts0 .*--to-destination ${ip}$'`;

// The watcher: one DNAT rule on ts0 per running container, rebuilt on every container event.
const WATCHER = `cat > /run/lab/docknat.sh <<'EOF'
# docknat in a few lines: one DNAT rule on ts0 per running container, following the container events
state=/run/lab/docknat; mkdir -p $state
# The rules there should be, one per running container, written as iptables -S prints them.
want() {
  for f in $state/*; do [ -f "$f" ] && echo "-A PREROUTING -i ts0 -m comment --comment \\"docknat $(basename "$f")\\" -j DNAT --to-destination $(cat "$f")"; done
}
# Removes the rules nobody wants and adds the missing ones; a rule that is right is never touched,
# so traffic to a running container never meets a moment without its rule.
resync() {
  w=$(want)
  iptables -t nat -S PREROUTING | grep -- '-i ts0 .*-j DNAT' | while read -r rule; do
    printf '%s\\n' "$w" | grep -qxF -- "$rule" || eval "iptables -t nat $(printf '%s' "$rule" | sed 's/^-A /-D /')"
  done
  printf '%s\\n' "$w" | while read -r rule; do
    [ -n "$rule" ] && ! iptables -t nat -S PREROUTING | grep -qxF -- "$rule" && eval "iptables -t nat $rule"
  done
}
tail -n +1 -F /run/lab/containers.events | while read -r event name addrs; do
  ip4=$(echo "$addrs" | tr , '\\n' | grep -m1 -E '^[0-9]+[.]' | cut -d/ -f1)
  case $event in
    stopped) rm -f "$state/$name" ;;
    *) [ -n "$ip4" ] && echo "$ip4" > "$state/$name" ;;
  esac
  resync
done
EOF`;

export default defineLab({
  id: '08-ingress-sync',
  title: 'Ingress from an overlay network, kept in sync with the containers (Docknat)',
  summary:
    'A second machine reaches a container through the host\'s overlay interface ts0 and one DNAT rule. Written by hand, the rule ' +
    'goes stale as soon as the container comes back with another address; a watcher that follows the container events keeps ' +
    'exactly one rule per running container.',
  topology: {
    containers: { [C]: {} },
    nodes: { peer: { role: 'a second machine on the overlay network (tailscale-like)' } },
    links: [link('host:ts0 <-> peer:ts0', { 'host:ts0': `${TS_HOST}/24`, 'peer:ts0': '100.64.0.2/24' })],
  },
  steps: [
    {
      id: 'static',
      title: 'A hand-written DNAT rule works, until the container restarts',
      explain:
        'Docknat\'s author ran Consul and Nomad over Tailscale beside Docker: containers on other machines could reach each other, ' +
        'but not the ones on the same node, because Docker and Tailscale each manage their own rules. The fix is one rule in the ' +
        `nat table: -A PREROUTING -i ts0 -j DNAT --to-destination <container ip>. Written by hand for ${OLD}, it works: the peer ` +
        `gets the greeting. Then the container restarts and comes back as ${MID}, as a Docker container may. The rule still sends ` +
        `everything to ${OLD}: the peer's connection goes to an address nobody has, and no answer comes.`,
      arrange: [
        host('ip link add br0 type bridge'),
        host('ip link set br0 up'),
        host(`ip addr add ${GW}/24 dev br0`),
        host(`ip link add ve-${C} type veth peer name eth0 netns ${C}`),
        host(`ip link set ve-${C} master br0 up`),
        on(C, 'ip link set eth0 up'),
        on(C, `ip addr add ${OLD}/24 dev eth0`),
        on(C, `ip route add default via ${GW}`),
        host('sysctl -w net.ipv4.ip_forward=1'),
        service(C, BANNER, LISTENING),
      ],
      run: [
        host(`iptables -t nat -A PREROUTING -i ts0 -j DNAT --to-destination ${OLD}`),
        on('peer', `nc -d -w 2 ${TS_HOST} 80`, { readOnly: true }),
        restartContainer(C, { address: `${MID}/24`, gateway: GW }),
      ],
      prediction: {
        question: `The peer connects to ${TS_HOST}:80. Which destination does its SYN carry as the host captures it on ts0?`,
        choices: [`${TS_HOST}, the host's overlay address`, `${OLD}, already rewritten by the rule`, `${MID}, the container's new address`],
        answer: 0,
        why: `a capture on ts0 sees the packet as it arrives, before nat PREROUTING: the DNAT to ${OLD} happens after, and shows on br0.`,
      },
      check: observe(['host:ts0', 'host:br0'], tcpConnect('peer', TS_HOST, 80, { expectFail: true }))
        .expect('host:ts0', tcp.syn({ dst: TS_HOST, dport: 80 }), { why: 'the peer asks on the overlay' })
        .expect('host:br0', tcp.syn({ dst: OLD, dport: 80 }), {
          why: 'the stale rule still sends it to the old address',
          hints: [
            hint.notSeen(`no SYN for ${OLD} on br0: the DNAT rule did not match the peer's traffic. It goes in -t nat PREROUTING, with -i ts0 (iptables -t nat -S PREROUTING)`),
            hint.near('dst', MID, `the SYN went to the new address ${MID}: this step shows the rule written by hand for ${OLD}, which the restart leaves stale (iptables -t nat -S PREROUTING)`),
          ],
        })
        .expectNone('host:br0', tcp({ sport: 80 }), { why: 'nobody answers', hints: [hint.failed(`something answered from port 80 on br0: the rule reached a live container. Was it restarted as ${MID}? (the step's last command)`)] })
        .expectNone('host:br0', tcp({ dst: MID }), { why: 'nothing goes to the container\'s new address', hints: [hint.failed(`a packet went to the new address ${MID}: a rule names it already; here the only rule is the hand-written one for ${OLD} (iptables -t nat -S PREROUTING)`)] }),
    },
    {
      id: 'sync',
      title: 'A watcher follows the container events and keeps one rule per container',
      explain:
        'Docknat watches the running containers and rewrites the rules. Here the watcher is a small shell loop that the lab ' +
        'starts and the sandbox stops at teardown: it follows the sandbox\'s container events (/run/lab/containers.events, one ' +
        'line per started, stopped or address event), keeps the address of each running container, and after every event deletes ' +
        'the DNAT rules on ts0 and writes one per container. Started, it replaces the stale rule at once; after another restart ' +
        `(now ${NEW}) the rule follows, and the peer's traffic with it. It only knows what the events tell it, as Docknat only knows ` +
        'what Docker reports.',
      arrange: [host(WATCHER)],
      run: [
        service('host', 'sh /run/lab/docknat.sh', ruleFor(MID)),
        restartContainer(C, { address: `${NEW}/24`, gateway: GW, waitFor: ruleFor(NEW) }),
        service(C, BANNER, LISTENING),
      ],
      prediction: {
        question: `The peer connects to ${TS_HOST}:80 and the rule sends it to ${NEW}. What differs between the SYN on ts0 and on br0?`,
        choices: ['only the destination address', 'the destination address and port', 'the source and the destination: the host masquerades too'],
        answer: 0,
        why: `the watcher's rule is a DNAT --to-destination ${NEW} with no port: only the destination address changes; the container sees the peer's own address and port.`,
      },
      check: observe(['host:ts0', 'host:br0'], tcpRead('peer', TS_HOST, 80, /^hello from svc$/))
        .sameFlow('host:ts0', 'host:br0', { matcher: tcp.syn({ dst: TS_HOST, dport: 80 }), rewritten: ['dst'], why: 'DNAT to the container\'s current address' })
        .expect('host:br0', tcp.syn({ dst: NEW, dport: 80 }), {
          why: `the traffic follows the container to ${NEW}`,
          hints: [
            hint.near('dst', undefined, `the SYN went to an old address of the container, not ${NEW}: the rule did not follow it. Is the watcher running, and does it rewrite the rules on each event? (iptables -t nat -S PREROUTING; tail /run/lab/containers.events)`),
            hint.notSeen(`no SYN on br0: no DNAT rule on ts0 is left. The watcher must write one per running container (iptables -t nat -S PREROUTING)`),
          ],
        })
        .look('host', "iptables -t nat -S PREROUTING | grep -c -- '-i ts0'", { match: /^1$/, why: 'exactly one rule per container: no stale ones', hints: [hint.failed('not exactly one DNAT rule on ts0: stale rules stay beside the new one, and the first that matches wins. The watcher must delete them before writing (iptables -t nat -S PREROUTING)')] }),
    },
  ],
});
