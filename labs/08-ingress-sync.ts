import {
  arp,
  defineLab,
  hint,
  host,
  HOST,
  link,
  observe,
  on,
  ping,
  restartContainer,
  service,
  tcp,
  tcpConnect,
  tcpRead,
  udp,
  WAN,
} from '../src/lab.js';

// Docknat: traffic arriving on the overlay interface ts0 goes to a container through a DNAT rule.
const C = 'svc';
const GW = '172.17.0.1';
const OLD = '172.17.0.2';
const MID = '172.17.0.3';
const NEW = '172.17.0.4';
const TS_HOST = '100.64.0.1'; // the host's overlay address, as tailscale gives from 100.64.0.0/10
const BANNER = 'while true; do echo "hello from svc" | nc -N -l -p 80; done';
const LISTENING = `ss -Hltn 'sport = :80' | grep -q LISTEN`;
const STREAM_PORT = 5000;
// A UDP stream from the peer (gossip, metrics): one socket, so one flow for as long as it runs.
const STREAM = `bash -c 'exec 3<>/dev/udp/${TS_HOST}/${STREAM_PORT}; while :; do echo tick >&3; sleep 0.02; done'`;
const STREAMING = `ss -Hun 'dport = :${STREAM_PORT}' | grep -q .`;
// The stream's conntrack entry, mapped to `ip` (its reply comes from there).
const streamTo = (ip: string): RegExp =>
  new RegExp(`^ipv4 .* udp .* dport=${STREAM_PORT} .*src=${ip.replace(/\./g, '\\.')} `);
const ruleFor = (ip: string): string => `iptables -t nat -S PREROUTING | grep -q -- '-i ts0 .*--to-destination ${ip}$'`;

// The watcher: one DNAT rule on ts0 per running container, brought in line on every container event.
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
    "A second machine reaches a container through the host's overlay interface ts0 and one DNAT rule. Written by hand, the rule " +
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
        "Docknat's author ran Consul and Nomad over Tailscale beside Docker: containers on other machines could reach each other, " +
        'but not the ones on the same node, because Docker and Tailscale each manage their own rules. The fix is one rule in the ' +
        `nat table: -A PREROUTING -i ts0 -j DNAT --to-destination <container ip>. Written by hand for ${OLD}, it works: the peer ` +
        `gets the greeting, and starts a UDP stream to port ${STREAM_PORT} as well. Then the container restarts and comes back as ${MID}, ` +
        `as a Docker container may. The rule still sends everything to ${OLD}: the peer's connection goes to an address nobody has, ` +
        "and no answer comes. Everything: the rule names no port, so port 22, meant for the host's own SSH, and the overlay's " +
        'gossip go to the container too. Written with -p tcp --dport 80 it would take only the service. And without -i ts0 it would ' +
        "take every interface's traffic, the internet's included.",
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
        service('peer', STREAM, STREAMING),
        restartContainer(C, { address: `${MID}/24`, gateway: GW }),
      ],
      prediction: {
        question: `The peer connects to ${TS_HOST}:80. Which destination does its SYN carry as the host captures it on ts0?`,
        choices: [
          `${TS_HOST}, the host's overlay address`,
          `${OLD}, already rewritten by the rule`,
          `${MID}, the container's new address`,
        ],
        answer: 0,
        why: `a capture on ts0 sees the packet as it arrives, before nat PREROUTING: the DNAT to ${OLD} happens after, and shows on br0.`,
      },
      mistakes: [
        {
          run: [
            host(`iptables -t nat -A PREROUTING -j DNAT --to-destination ${OLD}`),
            service('peer', STREAM, STREAMING),
            restartContainer(C, { address: `${MID}/24`, gateway: GW }),
          ],
          hint: /no -i ts0/,
          why: 'the rule without -i ts0',
        },
        {
          run: [
            host(`iptables -t nat -A PREROUTING -i ts0 -j DNAT --to-destination ${MID}`),
            service('peer', STREAM, STREAMING),
            restartContainer(C, { address: `${MID}/24`, gateway: GW }),
          ],
          hint: /new address 172\.17\.0\.3/,
          why: 'the rule written for the address after the restart',
        },
        {
          run: [
            host(`iptables -t nat -A POSTROUTING -o ts0 -j DNAT --to-destination ${OLD}`),
            service('peer', STREAM, STREAMING),
            restartContainer(C, { address: `${MID}/24`, gateway: GW }),
          ],
          hint: /-t nat PREROUTING, with -i ts0/,
          why: 'DNAT in POSTROUTING (iptables refuses it)',
        },
      ],
      check: observe(
        ['host:ts0', 'host:br0'],
        tcpConnect('peer', TS_HOST, 80, { expectFail: true }),
        tcpConnect('peer', TS_HOST, 22, { expectFail: true }),
        tcpConnect('wan', HOST.addr, 80, { expectFail: true }),
      )
        .expect('host:ts0', tcp.syn({ dst: TS_HOST, dport: 80 }), { why: 'the peer asks on the overlay' })
        .expect('host:br0', tcp.syn({ dst: OLD, dport: 22 }), {
          why: 'port 22, meant for the host, goes to the container too: the rule names no port',
        })
        .expectNone('host:br0', tcp({ src: WAN.gateway }), {
          why: "the internet's traffic for the host is not taken: the rule is for ts0 only",
          hints: [
            hint.failed(
              `wan's connection to the host's ${HOST.addr}:80 went to the container too: the rule has no -i ts0, so it takes traffic from every interface (iptables -t nat -A PREROUTING -i ts0 -j DNAT --to-destination ${OLD})`,
            ),
          ],
        })
        .expect('host:br0', tcp.syn({ dst: OLD, dport: 80 }), {
          why: 'the stale rule still sends it to the old address',
          hints: [
            hint.notSeen(
              `no SYN for ${OLD} on br0: the DNAT rule did not match the peer's traffic. It goes in -t nat PREROUTING, with -i ts0 (iptables -t nat -S PREROUTING)`,
            ),
            hint.near(
              'dst',
              MID,
              `the SYN went to the new address ${MID}: this step shows the rule written by hand for ${OLD}, which the restart leaves stale (iptables -t nat -S PREROUTING)`,
            ),
          ],
        })
        .expectNone('host:br0', tcp({ sport: 80 }), {
          why: 'nobody answers',
          hints: [
            hint.failed(
              `something answered from port 80 on br0: the rule reached a live container. Was it restarted as ${MID}? (the step's last command)`,
            ),
          ],
        })
        .look('host', 'cat /proc/net/nf_conntrack', {
          match: streamTo(OLD),
          why: `the peer's UDP stream is mapped to ${OLD}, as the rule said when it started`,
          hints: [
            hint.failed(
              `no UDP stream from the peer is mapped to ${OLD}: it starts after the rule, in this step (cat /proc/net/nf_conntrack)`,
            ),
          ],
        })
        .expectNone('host:br0', tcp({ dst: MID }), {
          why: "nothing goes to the container's new address",
          hints: [
            hint.failed(
              `a packet went to the new address ${MID}: a rule names it already; here the only rule is the hand-written one for ${OLD} (iptables -t nat -S PREROUTING)`,
            ),
          ],
        }),
    },
    {
      id: 'sync',
      title: 'A watcher follows the container events and keeps one rule per container',
      explain:
        'Docknat watches the running containers and keeps the rules in line. Here the watcher is a small shell loop that the lab ' +
        "starts and the sandbox stops at teardown: it follows the sandbox's container events (/run/lab/containers.events, one " +
        'line per started, stopped or address event), keeps the address of each running container, and after every event deletes ' +
        'the DNAT rules on ts0 nobody wants and adds the missing ones; a rule that is right is never touched. Started, it replaces the ' +
        `stale rule at once; after another restart (now ${NEW}) the rule follows, and new connections with it. Only new ones: the ` +
        `UDP stream the peer started in the first step still goes to ${OLD}, through both rewrites, because conntrack keeps a flow's ` +
        'first mapping and never asks the rules again. The watcher only knows what the events tell it, as Docknat only knows what ' +
        'Docker reports. Docknat itself differs: it polls Docker, and writes one rule per published port (-p and --dport), so the ' +
        'host keeps its other ports and two containers do not compete; the rules here name no port, so with two containers only ' +
        'the first rule would ever match.',
      arrange: [host(WATCHER)],
      run: [
        service('host', 'sh /run/lab/docknat.sh', ruleFor(MID)),
        restartContainer(C, { address: `${NEW}/24`, gateway: GW, waitFor: ruleFor(NEW) }),
        service(C, BANNER, LISTENING),
      ],
      prediction: {
        question: `The peer connects to ${TS_HOST}:80 and the rule sends it to ${NEW}. What differs between the SYN on ts0 and on br0?`,
        choices: [
          'only the destination address',
          'the destination address and port',
          'the source and the destination: the host masquerades too',
        ],
        answer: 0,
        why: `the watcher's rule is a DNAT --to-destination ${NEW} with no port: only the destination address changes; the container sees the peer's own address and port.`,
      },
      mistakes: [
        {
          run: [
            restartContainer(C, { address: `${NEW}/24`, gateway: GW }),
            host(`iptables -t nat -R PREROUTING 1 -i ts0 -j DNAT --to-destination ${NEW}`),
            service(C, BANNER, LISTENING),
          ],
          hint: /no watcher runs/,
          why: 'the rule swapped by hand, no watcher',
        },
        {
          run: [
            service('host', 'sh /run/lab/docknat.sh', ruleFor(MID)),
            restartContainer(C, { address: `${NEW}/24`, gateway: GW, waitFor: ruleFor(NEW) }),
          ],
          hint: /started again/,
          why: 'the watcher, but the service not started again after the restart',
        },
      ],
      check: observe(['host:ts0', 'host:br0'], tcpRead('peer', TS_HOST, 80, /^hello from svc$/))
        .sameFlow('host:ts0', 'host:br0', {
          matcher: tcp.syn({ dst: TS_HOST, dport: 80 }),
          rewritten: ['dst'],
          why: "DNAT to the container's current address",
        })
        .expect('host:br0', tcp.syn({ dst: NEW, dport: 80 }), {
          why: `the traffic follows the container to ${NEW}`,
          hints: [
            hint.near(
              'dst',
              undefined,
              `the SYN went to an old address of the container, not ${NEW}: the rule did not follow it. Is the watcher running, and does it rewrite the rules on each event? (iptables -t nat -S PREROUTING; tail /run/lab/containers.events)`,
            ),
            hint.notSeen(
              `no SYN on br0: no DNAT rule on ts0 is left. The watcher must write one per running container (iptables -t nat -S PREROUTING)`,
            ),
          ],
        })
        .expect('host:br0', tcp.synAck({ src: NEW, sport: 80 }), {
          why: 'and the service answers from its new address',
          hints: [
            hint.near(
              'tcpFlags',
              undefined,
              `the container refused port 80: the rule followed, but nothing listens after the restart. The service is not started again by itself (the step's last command)`,
            ),
            hint.notSeen(
              `nothing answers from ${NEW}:80: is the service started again after the restart (the step's last command)?`,
            ),
          ],
        })
        .look('host', "iptables -t nat -S PREROUTING | grep -c -- '-i ts0'", {
          match: /^1$/,
          why: 'exactly one rule per container: no stale ones',
          hints: [
            hint.failed(
              'not exactly one DNAT rule on ts0: stale rules stay beside the new one, and the first that matches wins. The watcher must delete them before writing (iptables -t nat -S PREROUTING)',
            ),
          ],
        })
        .look('host', 'ps -e -o args=', {
          match: /^sh \/run\/lab\/docknat\.sh$/,
          why: 'a watcher runs, and will follow the next restart too',
          hints: [
            hint.failed(
              'no watcher runs: a rule swapped by hand is right until the next restart, then stale again. Start the watcher (sh /run/lab/docknat.sh)',
            ),
          ],
        })
        .look('host', 'cat /proc/net/nf_conntrack', {
          match: streamTo(OLD),
          why: `yet the UDP stream started earlier is still mapped to ${OLD}: conntrack keeps a flow's first mapping`,
          hints: [
            hint.failed(
              `the peer's UDP stream is not mapped to ${OLD} any more: it started in the first step and nothing has deleted its conntrack entry yet (cat /proc/net/nf_conntrack)`,
            ),
          ],
        }),
    },
    {
      id: 'conntrack',
      title: 'A rule does not move a flow: conntrack -D does',
      explain:
        `The peer's UDP stream still goes to ${OLD}, an address nobody has: the host asks on br0 who has it, and the datagrams die. ` +
        "Changing a rule never moves an existing flow, because the nat table sees only a flow's first packet; the mapping lives " +
        'in the conntrack entry, refreshed by every datagram, so it never expires while the stream runs. Deleting the entry makes ' +
        `the next datagram a first packet again: it meets the current rule and goes to ${NEW}. Docker and kube-proxy do this ` +
        '(conntrack -D) when a UDP mapping changes.',
      run: [host(`conntrack -D -p udp --dport ${STREAM_PORT}`)],
      prediction: {
        question: `The stream's conntrack entry is deleted. Where does the peer's next datagram go?`,
        choices: [
          `still to ${OLD}: the flow is the same`,
          `to ${NEW}: it is a first packet again, and meets the current rule`,
          'nowhere: the flow is dropped for good',
        ],
        answer: 1,
        why: 'with no entry, the next datagram is a new flow: nat PREROUTING maps it with the rule as it is now.',
      },
      mistakes: [
        {
          run: [
            host('iptables -t nat -D PREROUTING 1'),
            host(
              `iptables -t nat -A PREROUTING -i ts0 -m comment --comment "docknat ${C}" -j DNAT --to-destination ${NEW}`,
            ),
          ],
          hint: /conntrack -D/,
          why: 'the rule deleted and written again',
        },
        {
          run: [host(`conntrack -D -p tcp --dport ${STREAM_PORT}`)],
          hint: /conntrack -D -p udp/,
          why: 'the entries of the wrong protocol',
        },
      ],
      // The stream sends every 20 ms: the probes keep the window open for several of its datagrams.
      check: observe(
        ['host:br0'],
        tcpRead('peer', TS_HOST, 80, /^hello from svc$/),
        ping('peer', TS_HOST, { count: 12 }),
      )
        .expect('host:br0', udp({ dst: NEW, dport: STREAM_PORT }), {
          why: `the stream now goes to ${NEW}`,
          hints: [
            hint.notSeen(
              `the stream does not reach ${NEW}: its conntrack entry still maps it to ${OLD}. A rule, rewritten or not, never moves a flow; delete the entry (conntrack -D -p udp --dport ${STREAM_PORT})`,
            ),
          ],
        })
        .expectNone('host:br0', arp.request({ dst: OLD }), { why: `nobody asks for ${OLD} any more` })
        .look('host', 'cat /proc/net/nf_conntrack', {
          match: streamTo(NEW),
          why: `its new entry maps it to ${NEW}`,
          hints: [
            hint.failed(
              `the stream's conntrack entry is not mapped to ${NEW}: delete the old one with -p udp (conntrack -D -p udp --dport ${STREAM_PORT})`,
            ),
          ],
        }),
    },
    {
      id: 'same-node',
      title: "The seed's bug: a container on this node cannot use the overlay address",
      explain:
        `Docknat's author saw containers on other machines reach each other through the overlay, but not the ones on the same node. ` +
        `The rule shows why: it is for -i ts0, and a container of this host reaching ${TS_HOST}:80 (the address the service is ` +
        'advertised on, say by Consul) sends its SYN in by br0. No rule maps it: it is for the host itself, where nothing listens, ' +
        "and the host refuses. Docker solves the same case with a DNAT for the host's own addresses (-m addrtype --dst-type LOCAL) " +
        'plus MASQUERADE of the traffic that turns back into its own bridge, or with docker-proxy.',
      run: [],
      prediction: {
        question: `${C} itself connects to ${TS_HOST}:80, where the peer reaches it. What comes back?`,
        choices: ['its own greeting, through the host', `a reset from the host, ${TS_HOST}:80`, 'nothing: a timeout'],
        answer: 1,
        why: 'the SYN enters the host by br0, not ts0: the DNAT rule does not match, and nothing on the host listens on port 80.',
      },
      check: observe(['host:br0'], tcpConnect(C, TS_HOST, 80, { expectFail: true }))
        .expect('host:br0', tcp.rstAck({ src: TS_HOST, sport: 80 }), {
          why: 'the host itself refuses: the rule is for -i ts0 only',
        })
        .expectNone('host:br0', tcp.syn({ src: NEW, dst: NEW }), { why: 'nothing is turned back to the container' }),
    },
  ],
});
