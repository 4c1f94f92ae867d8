import {
  arp,
  defineLab,
  hint,
  host,
  HOST,
  icmp,
  link,
  observe,
  on,
  ping,
  service,
  stopContainer,
  tcp,
  tcpConnect,
  tcpRead,
  WAN,
  type LabCommand,
} from '../src/lab.js';

// Two projects, one container each; `lk` (on PATH in every node) plays Locker.
const A = 'a1'; // project alpha
const A2 = 'a2'; // alpha's second container, on the same bridge
const B = 'b1'; // project beta
const A_NET = '10.1.2'; // alpha's /24: the first free one, since the decoy holds 10.1.1.0/24
const B_NET = '10.1.3';
const A_IP = `${A_NET}.2`;
const B_IP = `${B_NET}.2`;
const A2_IP = `${A_NET}.3`;
const LAN = '10.1.1.1'; // the decoy network's machine
// A greeting server with a listen queue: connections that come back to back never meet a closed port.
const GREETER = `perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => 80, Listen => 16, ReuseAddr => 1) or die $!; while ($c = $s->accept) { print $c "hello from alpha\\n"; close $c }'`;
const SAME_BRIDGE = 'iptables -I LAB_FORWARD -i lk-alpha -o lk-alpha -j ACCEPT'; // what Docker writes for docker0

// What lxc does when it starts a container of a project: a veth into the project's bridge, an address, a route.
function plug(c: string, project: string, net: string, last = 2): LabCommand[] {
  return [
    host(`ip link add ve-${c} type veth peer name eth0 netns ${c}`),
    host(`ip link set ve-${c} master lk-${project} up`),
    on(c, 'ip link set eth0 up'),
    on(c, `ip addr add ${net}.${last}/24 dev eth0`),
    on(c, `ip route add default via ${net}.1`),
  ];
}

export default defineLab({
  id: '06-project-networks',
  title: 'Project networks: a bridge and a /24 per project, rules in their own chains (Locker)',
  summary:
    'Two projects get a bridge each on the first free /24, skipping one the host already uses. Their rules live in the chains ' +
    "LAB_FORWARD and LAB_PREROUTING, each with a comment naming its project, so removing a container's port forward or cleaning up a " +
    'project removes exactly its rules; and status reads the kernel back and names what drifted. On the way, the packets show what the ' +
    'seed does not say: containers of one bridge cannot talk while bridged traffic is filtered, projects are not isolated, the ' +
    "stateless inbound rule lets a routed LAN in, and the port forward takes other containers' traffic for that port.",
  topology: {
    containers: { [A]: {}, [A2]: {}, [B]: {} },
    nodes: { lan: { role: 'a network the host already belongs to, on 10.1.1.0/24 (the decoy)' } },
    links: [link('host:decoy0 <-> lan:eth0', { 'host:decoy0': '10.1.1.5/24', 'lan:eth0': '10.1.1.1/24' })],
  },
  steps: [
    {
      id: 'bridges',
      title: 'One bridge per project, on the first free /24',
      explain:
        'Locker gives each project its own bridge and a /24 between 10.1.1.0 and 10.255.255.0 that no interface of the host ' +
        'already reaches. Its bridge is called locker_PROJECT; here lk-PROJECT, since an interface name has at most 15 ' +
        'characters and locker_ would leave 8 for the project. The host already sits on 10.1.1.0/24 (decoy0, a link to an ' +
        'existing network), so alpha gets 10.1.2.0/24 and beta 10.1.3.0/24, and each bridge takes the first address, .1. ' +
        'The host now asks on each bridge for its first container, which is not plugged in yet.',
      run: [host('lk net create alpha'), host('lk net create beta')],
      prediction: {
        question: `Both bridges are up and nothing is plugged in. The host pings ${A_IP} once: what shows on lk-alpha?`,
        choices: [
          'nothing: no container is plugged in',
          `an ARP request from ${A_NET}.1 (who has ${A_IP}?), unanswered`,
          `an echo request to ${A_IP}, unanswered`,
        ],
        answer: 1,
        why: `${A_IP} is on lk-alpha's /24, so the host must first learn its MAC address: it asks with ARP from the bridge's own ${A_NET}.1, and nobody answers.`,
      },
      mistakes: [
        {
          run: [host('lk net create alpha')],
          hint: /no interface lk-beta/,
          why: "only alpha's network: the capture on lk-beta says it is missing",
        },
        {
          run: [host('lk net create beta'), host('lk net create alpha')],
          hint: /first free \/24/,
          why: 'beta first: it takes 10.1.2.0/24, alpha the next one',
        },
      ],
      check: observe(
        ['host:lk-alpha', 'host:lk-beta'],
        ping('host', A_IP, { count: 1, expectFail: true }),
        ping('host', B_IP, { count: 1, expectFail: true }),
      )
        .expect('host:lk-alpha', arp.request({ src: `${A_NET}.1`, dst: A_IP }), {
          why: "alpha's bridge has 10.1.2.1/24: the decoy's 10.1.1.0/24 was skipped",
          hints: [
            hint.notSeen(
              `no ARP for ${A_IP} on lk-alpha: does the bridge exist, up, with ${A_NET}.1/24? (lk net create alpha; ip -br addr show lk-alpha)`,
            ),
            hint.near(
              'src',
              undefined,
              `the host asks on lk-alpha from another address: alpha's bridge must have ${A_NET}.1/24, the first address of the first free /24 (ip -br addr show lk-alpha)`,
            ),
          ],
        })
        .expect('host:lk-beta', arp.request({ src: `${B_NET}.1`, dst: B_IP }), {
          why: "beta's bridge has the next free one",
          hints: [
            hint.notSeen(
              `no ARP for ${B_IP} on lk-beta: beta needs a bridge of its own on the next free /24, ${B_NET}.1/24 (lk net create beta; ip -br addr show lk-beta)`,
            ),
          ],
        })
        .look('host', 'ip -br addr show decoy0', {
          match: /10\.1\.1\.5\/24/,
          why: 'the decoy still holds 10.1.1.0/24',
          hints: [
            hint.failed(
              'decoy0 lost 10.1.1.5/24: a project must never take a /24 the host already uses (ip -br addr show decoy0)',
            ),
          ],
        }),
    },
    {
      id: 'chains',
      title: 'Forwarding through the project chains',
      explain:
        "The containers are plugged into their project's bridge, as lxc does when Locker starts them. This host drops forwarded " +
        'traffic unless a rule accepts it (FORWARD policy DROP, as on a hardened host). lk net create added, in the filter table, ' +
        'the chain LAB_FORWARD with a jump from FORWARD and two ACCEPT rules per bridge (out of it, into it), and MASQUERADE for ' +
        "the project's /24. The seed puts that MASQUERADE rule in PREROUTING: iptables refuses it there, since MASQUERADE only " +
        "exists in the nat table's POSTROUTING chain, which is where lk puts it. What is left is to let the host forward.",
      // br_netfilter on, as wherever Docker runs (the sandbox starts every lab with it off): the next step is about it.
      arrange: [
        host('iptables -P FORWARD DROP'),
        host('sysctl -w net.bridge.bridge-nf-call-iptables=1'),
        ...plug(A, 'alpha', A_NET),
        ...plug(A2, 'alpha', A_NET, 3),
        ...plug(B, 'beta', B_NET),
      ],
      run: [host('sysctl -w net.ipv4.ip_forward=1')],
      prediction: {
        question: `With ip_forward=1, which source do alpha's echo requests carry on eth0?`,
        choices: [
          `${A_IP}, the container's own`,
          `${HOST.addr}, the host's uplink address`,
          `${A_NET}.1, alpha's bridge`,
        ],
        answer: 1,
        why: `lk put a MASQUERADE rule for ${A_NET}.0/24 in nat POSTROUTING: leaving by eth0, the source becomes eth0's address, ${HOST.addr}, and the replies are rewritten back.`,
      },
      mistakes: [
        {
          run: [host('iptables -P FORWARD ACCEPT')],
          hint: /ip_forward/,
          why: 'the FORWARD policy opened instead of forwarding turned on',
        },
        {
          run: [host('sysctl -w net.ipv4.conf.lk-alpha.forwarding=1')],
          hint: /ip_forward on/,
          why: "forwarding on alpha's bridge only: the replies, coming in by eth0, are not forwarded",
        },
      ],
      check: observe([`host:lk-alpha`, 'host:lk-beta', 'host:eth0'], ping(A, WAN.dns), ping(B, WAN.dns))
        .sameFlow('host:lk-alpha', 'host:eth0', {
          matcher: icmp.echoRequest({ src: A_IP }),
          rewritten: ['src'],
          why: 'alpha leaves masqueraded',
          hints: [
            hint.near(
              'src',
              A_IP,
              `alpha's requests leave eth0 with source ${A_IP}: nothing masqueraded them. MASQUERADE only works in -t nat POSTROUTING (iptables -t nat -S POSTROUTING | grep lk:alpha)`,
            ),
          ],
        })
        .sameFlow('host:lk-beta', 'host:eth0', {
          matcher: icmp.echoRequest({ src: B_IP }),
          rewritten: ['src'],
          why: 'beta too',
        })
        .expect('host:lk-alpha', icmp.echoReply({ src: WAN.dns, dst: A_IP }), {
          min: 3,
          hints: [
            hint.notSeen(
              `no reply came back to lk-alpha. If nothing of alpha's left eth0, the host did not forward: is ip_forward on (sysctl net.ipv4.ip_forward must say 1), and does FORWARD, whose policy is DROP, jump to LAB_FORWARD (iptables -S FORWARD)? If the requests left as ${A_IP}, nothing masqueraded them: MASQUERADE works only in nat POSTROUTING (iptables -t nat -S POSTROUTING | grep lk:alpha)`,
            ),
          ],
        })
        .expect('host:lk-beta', icmp.echoReply({ src: WAN.dns, dst: B_IP }), {
          min: 3,
          hints: [
            hint.notSeen(
              'no reply came back to lk-beta: is the host forwarding? (sysctl net.ipv4.ip_forward; iptables -S LAB_FORWARD | grep lk:beta)',
            ),
          ],
        })
        .look('host', 'iptables -S FORWARD', {
          match: /^-A FORWARD .*-j LAB_FORWARD$/,
          why: "FORWARD jumps to the lab's chain",
          hints: [
            hint.failed(
              "FORWARD does not jump to LAB_FORWARD: with policy DROP, no project's packet is forwarded (iptables -S FORWARD)",
            ),
          ],
        }),
    },
    {
      id: 'same-bridge',
      title: 'Two containers of one project, on one bridge: dropped until a rule accepts them',
      explain:
        `The seed says Locker's containers can talk to each other. ${A} and ${A2} are both on lk-alpha, yet ${A}'s pings to ` +
        `${A2_IP} cross ve-${A} and never reach ve-${A2}. The bridge hands its frames to iptables (br_netfilter is loaded and ` +
        'net.bridge.bridge-nf-call-iptables is 1, as wherever Docker runs; the lab set it, since a sandbox starts with 0), so ' +
        'bridged IPv4 traffic passes the FORWARD chain ' +
        "with -i lk-alpha -o lk-alpha. lk's two rules match only traffic leaving the bridge (-i lk-alpha ! -o lk-alpha) or entering it " +
        '(! -i lk-alpha -o lk-alpha), never traffic that stays, and the policy is DROP. ARP is not IPv4: it still passes, so the ' +
        `neighbours resolve and only the pings die. Docker adds -i docker0 -o docker0 -j ACCEPT for this; here: ${SAME_BRIDGE}.`,
      before: observe([`host:ve-${A}`, `host:ve-${A2}`], ping(A, A2_IP, { expectFail: true }))
        .expect(`host:ve-${A}`, icmp.echoRequest({ src: A_IP, dst: A2_IP }), { why: `${A} sends` })
        .expectNone(`host:ve-${A2}`, icmp.echoRequest({ src: A_IP, dst: A2_IP }), {
          why: "the bridge's trip through FORWARD drops them",
        }),
      run: [host(SAME_BRIDGE)],
      prediction: {
        question: `${A} pings ${A2_IP}, a container on the same bridge. Before any new rule, where do the echo requests get?`,
        choices: [
          `to ${A2}: a bridge just switches frames`,
          `onto ve-${A} only: FORWARD drops them on the bridge`,
          'nowhere: the container has no route',
        ],
        answer: 1,
        why: "with br_netfilter, bridged IPv4 frames pass iptables FORWARD; -i lk-alpha -o lk-alpha matches neither of lk's ACCEPT rules and the policy is DROP.",
      },
      mistakes: [
        {
          run: [host('iptables -I LAB_FORWARD -i lk-beta -o lk-beta -j ACCEPT')],
          hint: /-i lk-alpha -o lk-alpha/,
          why: "the rule for the other project's bridge",
        },
        {
          run: [host('sysctl -w net.bridge.bridge-nf-call-iptables=0')],
          hint: /bridge-nf-call-iptables is 0/,
          why: 'bridged traffic hidden from the firewall altogether',
        },
      ],
      check: observe([`host:ve-${A}`, `host:ve-${A2}`], ping(A, A2_IP))
        .expect(`host:ve-${A2}`, icmp.echoRequest({ src: A_IP, dst: A2_IP }), {
          min: 3,
          why: 'now the requests cross the bridge',
          hints: [
            hint.notSeen(
              `${A}'s requests still do not reach ve-${A2}: traffic that stays on the bridge passes FORWARD as -i lk-alpha -o lk-alpha, and only a rule for exactly that accepts it (${SAME_BRIDGE})`,
            ),
          ],
        })
        .expect(`host:ve-${A}`, icmp.echoReply({ src: A2_IP, dst: A_IP }), { min: 3 })
        .look('host', 'sysctl -n net.bridge.bridge-nf-call-iptables', {
          match: /^1$/,
          why: 'and the firewall still sees bridged traffic',
          hints: [
            hint.failed(
              `bridge-nf-call-iptables is 0: iptables no longer sees any bridged traffic, of every project; set it back to 1 and accept this bridge's own traffic with a rule (${SAME_BRIDGE})`,
            ),
          ],
        }),
    },
    {
      id: 'ports',
      title: "A port forward into alpha's container, proven from the internet",
      explain:
        "alpha's container serves a greeting on port 80. `lk port` adds a pair of rules with one comment naming the project, " +
        "the port and the target: a DNAT in LAB_PREROUTING (nat) from the host's port 8080 to 10.1.2.2:80, and an ACCEPT in " +
        'LAB_FORWARD for that target. From wan it is one connection: to 10.0.2.15:8080 on eth0, to 10.1.2.2:80 on lk-alpha.',
      arrange: [service(A, GREETER, `ss -Hltn 'sport = :80' | grep -q LISTEN`)],
      run: [host(`lk port alpha 8080 ${A_IP}:80`)],
      prediction: {
        question: `wan connects to ${HOST.addr}:8080. Which source address does its SYN carry on lk-alpha?`,
        choices: ["wan's own address, unchanged", `${HOST.addr}, the host's`, `${A_NET}.1, alpha's bridge`],
        answer: 0,
        why: 'DNAT rewrites the destination (address and port) and nothing else: the container sees who is really calling, and answers through the host, which undoes the rewrite.',
      },
      mistakes: [
        {
          run: [host(`lk port alpha 8080 ${A_IP}:8080`)],
          hint: /must name the port, 10\.1\.2\.2:80/,
          why: "the container's port given as 8080",
        },
        {
          run: [host(`lk port alpha 80 ${A_IP}:80`)],
          hint: /DNAT for 8080 in LAB_PREROUTING/,
          why: 'the host port given as 80',
        },
      ],
      check: observe(['host:eth0', 'host:lk-alpha'], tcpRead('wan', HOST.addr, 8080, /^hello from alpha$/))
        .sameFlow('host:eth0', 'host:lk-alpha', {
          matcher: tcp.syn({ dport: 8080 }),
          rewritten: ['dst', 'dport'],
          why: 'DNAT: the destination changes, nothing else',
          hints: [
            hint.near(
              'dport',
              '8080',
              `the SYN reaches lk-alpha still for port 8080: the DNAT target must name the port, ${A_IP}:80 (iptables -t nat -S LAB_PREROUTING)`,
            ),
          ],
        })
        .expect('host:lk-alpha', tcp.payload('hello from alpha', { src: A_IP, sport: 80 }), {
          hints: [
            hint.notSeen(
              `nothing from ${A_IP}:80 on lk-alpha: the connection was not sent on. Is there a DNAT for 8080 in LAB_PREROUTING (iptables -t nat -S LAB_PREROUTING; lk port alpha 8080 ${A_IP}:80)?`,
            ),
          ],
        }),
    },
    {
      id: 'exposure',
      title: "What the rules let through: a routed LAN, other projects, and other containers' port 8080",
      explain:
        'The seed\'s security notes admit that containers of different projects reach each other; the rules show more. lk\'s "in" ' +
        'rule (! -i lk-alpha -o lk-alpha -j ACCEPT) is stateless: it accepts anything into the bridge. The LAN machine on the decoy ' +
        `network, given a route to ${A_NET}.0/24 via the host, reads ${A_IP}:80 directly, with no port forward at all; and since that ` +
        "rule comes first, the port forward's own ACCEPT never counts a packet. The MASQUERADE rule has no -o: " +
        `${A} reaches ${B_IP}, masqueraded as beta's bridge ${B_NET}.1. And the port forward\'s DNAT names no address: ${B} fetching ` +
        `203.0.113.80:8080, a server on the internet, gets alpha's greeting. Docker writes these rules stricter: its "in" rule accepts ` +
        "only replies (-m conntrack --ctstate RELATED,ESTABLISHED) besides the published ports, its DNAT matches only the host's own " +
        'addresses (-m addrtype --dst-type LOCAL), and its isolation chains drop traffic from one bridge to another.',
      arrange: [on('lan', `ip route add ${A_NET}.0/24 via 10.1.1.5`)],
      run: [],
      prediction: {
        question: `${B} (project beta) fetches 203.0.113.80:8080, a web server on the internet. What does it get?`,
        choices: [
          "the internet server's answer: the port forward is for the host",
          "alpha's greeting: the DNAT takes any port 8080 entering the host",
          'nothing: projects are isolated',
        ],
        answer: 1,
        why: "the DNAT rule is ! -i lk-alpha -p tcp --dport 8080 with no address: beta's SYN enters by lk-beta, matches, and goes to 10.1.2.2:80.",
      },
      check: observe(
        [`host:lk-alpha`, 'host:lk-beta', `host:ve-${B}`, 'host:eth0'],
        tcpRead('lan', A_IP, 80, /^hello from alpha$/),
        tcpRead(B, WAN.web, 8080, /^hello from alpha$/),
        ping(A, B_IP),
      )
        .expect('host:lk-alpha', tcp.syn({ src: LAN, dst: A_IP, dport: 80 }), {
          why: 'the LAN reaches the container straight, no DNAT: the "in" rule accepts it',
        })
        .look('host', 'iptables -L LAB_FORWARD -v -n -x', {
          match: /^\s*0\s+0\s+ACCEPT\s.*lk:alpha:port:/,
          why: 'the port forward\'s ACCEPT has never counted a packet: the "in" rule above it took them all',
        })
        .sameFlow(`host:ve-${B}`, 'host:lk-alpha', {
          matcher: tcp.syn({ src: B_IP, dst: WAN.web, dport: 8080 }),
          rewritten: ['src', 'dst', 'dport'],
          why: `beta's fetch of 203.0.113.80:8080 is taken to ${A_IP}:80 (and masqueraded)`,
        })
        .expectNone('host:eth0', tcp({ dport: 8080 }), { why: 'it never reaches the internet' })
        .sameFlow('host:lk-alpha', 'host:lk-beta', {
          matcher: icmp.echoRequest({ src: A_IP, dst: B_IP }),
          rewritten: ['src'],
          why: `${A} reaches the other project's ${B}, masqueraded as ${B_NET}.1`,
        }),
    },
    {
      id: 'stop',
      title: "alpha's container stops by other means: its port forward stays behind",
      explain:
        "Locker removes a container's port forward when it stops the container itself. It cannot see a container that crashed or " +
        "was stopped with lxc's own tools: then the rules stay until someone removes them (the seed says so). Here the container " +
        `stops that way: its processes die and, as with lxc, its veth goes with it. The stale DNAT still sends wan's connection to ` +
        `${A_IP}, an address nobody has now: the host asks on lk-alpha who has it, nobody answers, and wan gets no answer at all ` +
        "until it gives up. (Had the veth stayed, the dead container's namespace would have refused at once, a RST,ACK with ttl 63.)",
      run: [stopContainer(A), host(`ip link del ve-${A}`)],
      prediction: {
        question: `alpha's container stopped by other means; its rules stay. wan connects to ${HOST.addr}:8080: what comes back?`,
        choices: ['nothing: the connection times out', `a reset from the host, ${HOST.addr}:8080`, "alpha's greeting"],
        answer: 0,
        why: `the stale DNAT still sends the SYN to ${A_IP}, which nobody has any more: no ARP answer, no reset, nothing.`,
      },
      mistakes: [
        { run: [stopContainer(A)], hint: /veth/, why: 'the container stopped, its veth left plugged in' },
        {
          run: [stopContainer(A), host(`ip link del ve-${A}`), host(`lk unport alpha ${A_IP}`)],
          hint: /by other means/,
          why: "the rules removed already, as Locker's own stop would",
        },
      ],
      check: observe(['host:eth0', 'host:lk-alpha'], tcpConnect('wan', HOST.addr, 8080, { expectFail: true }))
        .expect('host:eth0', tcp.syn({ dst: HOST.addr, dport: 8080 }), { why: 'wan asks' })
        .expectNone('host:eth0', tcp.rstAck({ sport: 8080, ttl: 63 }), {
          why: 'no reset from the dead container',
          hints: [
            hint.failed(
              `a RST,ACK with ttl 63 came back: the stopped container's namespace still has its veth and address, and refused. A container stopped for real takes its veth with it (ip link del ve-${A})`,
            ),
          ],
        })
        .expectNone('host:eth0', tcp.rstAck({ sport: 8080, ttl: 64 }), {
          why: 'and none from the host: the stale rule sends the SYN on',
          hints: [
            hint.failed(
              `the host itself refused: the port forward is gone already. A container stopped by other means leaves its rules; lk unport comes in the next step`,
            ),
          ],
        })
        .look('host', 'iptables -t nat -S LAB_PREROUTING', {
          match: /lk:alpha:port:8080:/,
          why: 'the DNAT is still there',
          hints: [
            hint.failed(
              'the DNAT is gone already: a container stopped by other means leaves its rules (lk unport comes next)',
            ),
          ],
        })
        .look('host', 'cat /run/lab/containers.events', {
          match: new RegExp(`^stopped ${A} `),
          why: 'the container is stopped',
          hints: [
            hint.failed(`${A} was not stopped (cat /run/lab/containers.events): the step's first command stops it`),
          ],
        }),
    },
    {
      id: 'unport',
      title: 'Remove the stale port forward: the host refuses again',
      explain:
        "`lk unport` does by hand what Locker's stop does for its own containers: it removes both rules of each port forward to that " +
        'address, found by their comment. A stale rule would keep sending the internet to an address nobody serves, or, once another ' +
        'container gets that address, to the wrong container. With no rule, the SYN is for the host itself, and nothing listens there.',
      run: [host(`lk unport alpha ${A_IP}`)],
      prediction: {
        question: `The port forward is removed. wan connects to ${HOST.addr}:8080: what comes back?`,
        choices: ['nothing: the SYN is dropped', `a reset from the host, ${HOST.addr}:8080`, `a reset from ${A_IP}`],
        answer: 1,
        why: 'with no rule to send 8080 on, the SYN is for the host itself, and nothing on the host listens on 8080: its kernel answers with a reset.',
      },
      mistakes: [
        {
          run: [host(`lk unport alpha ${A2_IP}`)],
          hint: /lk unport alpha 10\.1\.2\.2/,
          why: "the other container's address (lk: nothing to remove)",
        },
        {
          run: [host('iptables -t nat -F LAB_PREROUTING')],
          hint: /half a port forward/,
          why: 'the DNAT flushed by hand, its ACCEPT left',
        },
      ],
      check: observe(['host:eth0', 'host:lk-alpha'], tcpConnect('wan', HOST.addr, 8080, { expectFail: true }))
        .expect('host:eth0', tcp.rstAck({ src: HOST.addr, sport: 8080 }), {
          why: 'the host itself refuses: no rule sends 8080 on',
          hints: [
            hint.notSeen(
              `no reset from the host: the stale port forward still sends 8080 to ${A_IP} (lk unport alpha ${A_IP}; iptables -t nat -S LAB_PREROUTING)`,
            ),
          ],
        })
        .expectNone('host:lk-alpha', tcp({ dst: A_IP, dport: 80 }), {
          why: 'nothing is forwarded to the stopped container',
        })
        .look('host', 'lk status', {
          noMatch: /^ {2}alpha: port /,
          why: 'no half port forward left',
          hints: [
            hint.failed(
              `half a port forward is left (lk status names it under drift): remove port forwards with lk unport alpha ${A_IP}, which takes both rules`,
            ),
          ],
        }),
    },
    {
      id: 'cleanup',
      title: 'Clean up alpha: its rules go, the chains stay for beta',
      explain:
        '`lk cleanup alpha` removes every rule whose comment names alpha (masquerade, forward) and its bridge, but keeps the ' +
        'chains LAB_FORWARD and LAB_PREROUTING and their jumps, because beta still runs: its traffic still flows. With the ' +
        'bridge gone, 10.1.2.0/24 is no longer on any interface of the host: the next lk net create may take it again. The same-bridge ' +
        "rule is not Locker's (it has no lk comment): it goes by hand.",
      run: [host('lk cleanup alpha'), host('iptables -D LAB_FORWARD -i lk-alpha -o lk-alpha -j ACCEPT')],
      prediction: {
        question: `After the cleanup the host pings ${A_IP} once. Where does its echo request go?`,
        choices: [
          'nowhere: the host knows 10.1.2.0/24 is gone and refuses',
          'out of eth0, to the default route',
          'out of lk-beta, the remaining bridge',
        ],
        answer: 1,
        why: `no interface of the host is on 10.1.2.0/24 any more, so ${A_IP} is like any address of the internet: the default route sends it out of eth0.`,
      },
      mistakes: [
        {
          run: [host('ip link del lk-alpha')],
          hint: /every rule with its comment/,
          why: 'the bridge deleted by hand, its rules left',
        },
        {
          run: [host('lk cleanup beta')],
          hint: /no interface lk-beta/,
          why: "the other project cleaned up: beta's bridge is gone",
        },
      ],
      check: observe(
        ['host:lk-beta', 'host:eth0'],
        ping(B, WAN.dns),
        ping('host', A_IP, { count: 1, expectFail: true }),
      )
        .expect('host:eth0', icmp.echoRequest({ dst: A_IP }), {
          why: "alpha's /24 is free again: the host sends 10.1.2.2 to its default route",
          hints: [
            hint.notSeen(
              `no request for ${A_IP} on eth0: 10.1.2.0/24 is still on an interface of the host (ip -br addr; lk cleanup alpha removes lk-alpha)`,
            ),
            hint.near(
              'dst',
              undefined,
              `no request for ${A_IP} on eth0, only other traffic: 10.1.2.0/24 is still on an interface of the host, so the ping went there (ip route get ${A_IP}; lk cleanup alpha removes lk-alpha)`,
            ),
          ],
        })
        .sameFlow('host:lk-beta', 'host:eth0', {
          matcher: icmp.echoRequest({ src: B_IP }),
          rewritten: ['src'],
          why: 'beta is still masqueraded',
        })
        .expect('host:lk-beta', icmp.echoReply({ src: WAN.dns, dst: B_IP }), {
          min: 3,
          why: 'and gets its replies',
          hints: [
            hint.notSeen(
              "beta got no replies: the cleanup took beta's rules or the shared chains with it; only rules naming alpha may go (iptables -S LAB_FORWARD; iptables -t nat -S POSTROUTING)",
            ),
          ],
        })
        .look('host', 'iptables-save', {
          noMatch: /lk:alpha|lk-alpha/,
          why: 'no rule names alpha or its bridge',
          hints: [
            hint.failed(
              'rules naming alpha are left: cleanup must remove every rule with its comment (iptables-save | grep lk:alpha), and the same-bridge rule goes by hand',
            ),
          ],
        })
        .look('host', 'iptables -t nat -S PREROUTING', {
          match: /-j LAB_PREROUTING$/,
          why: 'the jumps stay',
          hints: [
            hint.failed(
              'the jump to LAB_PREROUTING is gone: the chains and their jumps stay while beta runs (iptables -t nat -S PREROUTING)',
            ),
          ],
        })
        .look('host', 'ip -br link', {
          noMatch: /^lk-alpha/,
          why: "alpha's bridge is gone",
          hints: [hint.failed("lk-alpha is still there: cleanup removes the project's bridge (ip -br link)")],
        }),
    },
    {
      id: 'status',
      title: 'Status reads the kernel, and names the drift',
      explain:
        "Locker's status shows the rules and links the kernel actually has, never what the configuration says, so a difference " +
        "shows. Someone deletes beta's outgoing ACCEPT rule by hand: beta's containers can no longer reach out, and `lk status` " +
        'names the missing rule under drift.',
      run: [host('iptables -D LAB_FORWARD -i lk-beta ! -o lk-beta -m comment --comment lk:beta:out -j ACCEPT')],
      prediction: {
        question: "With beta's outgoing ACCEPT rule deleted, where do beta's echo requests stop?",
        choices: [
          'in the container: it lost its route',
          "on lk-beta: the host's FORWARD drops them",
          'beyond eth0: they leave, and the replies are dropped',
        ],
        answer: 1,
        why: 'the requests still reach the host on lk-beta, but no rule of LAB_FORWARD accepts them any more, and the FORWARD policy is DROP: nothing leaves by eth0.',
      },
      mistakes: [
        {
          run: [host('iptables -D LAB_FORWARD ! -i lk-beta -o lk-beta -m comment --comment lk:beta:in -j ACCEPT')],
          hint: /another rule deleted/,
          why: 'the "in" rule deleted: requests leave, replies are dropped',
        },
        {
          run: [
            host(
              'iptables -t nat -D POSTROUTING -s 10.1.3.0/24 ! -d 10.1.3.0/24 -m comment --comment lk:beta:masq -j MASQUERADE',
            ),
          ],
          hint: /another rule deleted/,
          why: 'the MASQUERADE rule deleted: requests leave with the private source',
        },
      ],
      // stopsAt, written out to carry a hint on each half.
      check: observe(['host:lk-beta', 'host:eth0'], ping(B, WAN.dns, { expectFail: true }))
        .expect('host:lk-beta', icmp.echoRequest({ src: B_IP, dst: WAN.dns }), {
          why: "without the rule, FORWARD drops beta's requests",
          hints: [
            hint.notSeen(`nothing from ${B_IP} on lk-beta: is ${B} still plugged into its bridge? (ip -br link)`),
          ],
        })
        .expectNone('host:eth0', icmp.echoRequest({ dst: WAN.dns }), {
          why: "without the rule, FORWARD drops beta's requests",
          hints: [
            hint.failed(
              "beta's requests still leave eth0: its outgoing rule is still there; was another rule deleted? (iptables -S LAB_FORWARD | grep lk:beta)",
            ),
          ],
        })
        .look('host', 'lk status', {
          match: /^ {2}beta: .*missing.*-i lk-beta ! -o lk-beta/,
          why: 'status names the missing rule',
          hints: [
            hint.failed(
              'lk status does not name the missing outgoing rule (-i lk-beta ! -o lk-beta): compare it with the kernel (lk status; iptables -S LAB_FORWARD)',
            ),
          ],
        }),
    },
  ],
});
