import { arp, defineLab, host, HOST, icmp, link, observe, on, ping, service, stopContainer, tcp, tcpConnect, tcpRead, WAN, type LabCommand } from '../src/lab.js';

// Two projects, one container each; `lk` (on PATH in every node) plays Locker.
const A = 'a1'; // project alpha
const B = 'b1'; // project beta
const A_NET = '10.1.2'; // alpha's /24: the first free one, since the decoy holds 10.1.1.0/24
const B_NET = '10.1.3';
const A_IP = `${A_NET}.2`;
const B_IP = `${B_NET}.2`;

// What lxc does when it starts a container of a project: a veth into the project's bridge, an address, a route.
function plug(c: string, project: string, net: string): LabCommand[] {
  return [
    host(`ip link add ve-${c} type veth peer name eth0 netns ${c}`),
    host(`ip link set ve-${c} master lk-${project} up`),
    on(c, 'ip link set eth0 up'),
    on(c, `ip addr add ${net}.2/24 dev eth0`),
    on(c, `ip route add default via ${net}.1`),
  ];
}

export default defineLab({
  id: '06-project-networks',
  title: 'Project networks: a bridge and a /24 per project, rules in their own chains (Locker)',
  summary:
    'Two projects get a bridge each on the first free /24, skipping one the host already uses. Their rules live in the chains ' +
    'LAB_FORWARD and LAB_PREROUTING, each with a comment naming its project, so stopping a container or cleaning up a project ' +
    'removes exactly its rules; and status reads the kernel back and names what drifted.',
  topology: {
    containers: { [A]: {}, [B]: {} },
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
      check: observe(['host:lk-alpha', 'host:lk-beta'], ping('host', A_IP, { count: 1, expectFail: true }), ping('host', B_IP, { count: 1, expectFail: true }))
        .expect('host:lk-alpha', arp.request({ src: `${A_NET}.1`, dst: A_IP }), { why: 'alpha\'s bridge has 10.1.2.1/24: the decoy\'s 10.1.1.0/24 was skipped' })
        .expect('host:lk-beta', arp.request({ src: `${B_NET}.1`, dst: B_IP }), { why: 'beta\'s bridge has the next free one' })
        .look('host', 'ip -br addr show decoy0', { match: /10\.1\.1\.5\/24/, why: 'the decoy still holds 10.1.1.0/24' }),
    },
    {
      id: 'chains',
      title: 'Forwarding through the project chains',
      explain:
        'The containers are plugged into their project\'s bridge, as lxc does when Locker starts them. This host drops forwarded ' +
        'traffic unless a rule accepts it (FORWARD policy DROP, as on a hardened host). lk net create added, in the filter table, ' +
        'the chain LAB_FORWARD with a jump from FORWARD and two ACCEPT rules per bridge (out of it, into it), and MASQUERADE for ' +
        'the project\'s /24. The seed puts that MASQUERADE rule in PREROUTING: iptables refuses it there, since MASQUERADE only ' +
        'exists in the nat table\'s POSTROUTING chain, which is where lk puts it. What is left is to let the host forward.',
      arrange: [host('iptables -P FORWARD DROP'), ...plug(A, 'alpha', A_NET), ...plug(B, 'beta', B_NET)],
      run: [host('sysctl -w net.ipv4.ip_forward=1')],
      check: observe([`host:lk-alpha`, 'host:lk-beta', 'host:eth0'], ping(A, WAN.dns), ping(B, WAN.dns))
        .sameFlow('host:lk-alpha', 'host:eth0', { matcher: icmp.echoRequest({ src: A_IP }), rewritten: ['src'], why: 'alpha leaves masqueraded' })
        .sameFlow('host:lk-beta', 'host:eth0', { matcher: icmp.echoRequest({ src: B_IP }), rewritten: ['src'], why: 'beta too' })
        .expect('host:lk-alpha', icmp.echoReply({ src: WAN.dns, dst: A_IP }), { min: 3 })
        .expect('host:lk-beta', icmp.echoReply({ src: WAN.dns, dst: B_IP }), { min: 3 })
        .look('host', 'iptables -S FORWARD', { match: /^-A FORWARD .*-j LAB_FORWARD$/, why: 'FORWARD jumps to the lab\'s chain' }),
    },
    {
      id: 'ports',
      title: 'A port forward into alpha\'s container, proven from the internet',
      explain:
        'alpha\'s container serves a greeting on port 80. `lk port` adds a pair of rules with one comment naming the project, ' +
        'the port and the target: a DNAT in LAB_PREROUTING (nat) from the host\'s port 8080 to 10.1.2.2:80, and an ACCEPT in ' +
        'LAB_FORWARD for that target. From wan it is one connection: to 10.0.2.15:8080 on eth0, to 10.1.2.2:80 on lk-alpha.',
      arrange: [service(A, 'while true; do echo "hello from alpha" | nc -N -l -p 80; done', `ss -Hltn 'sport = :80' | grep -q LISTEN`)],
      run: [host(`lk port alpha 8080 ${A_IP}:80`)],
      check: observe(['host:eth0', 'host:lk-alpha'], tcpRead('wan', HOST.addr, 8080, /^hello from alpha$/))
        .sameFlow('host:eth0', 'host:lk-alpha', { matcher: tcp.syn({ dport: 8080 }), rewritten: ['dst', 'dport'], why: 'DNAT: the destination changes, nothing else' })
        .expect('host:lk-alpha', tcp.payload('hello from alpha', { src: A_IP, sport: 80 })),
    },
    {
      id: 'stop',
      title: 'Stop alpha\'s container: its port forward goes with it',
      explain:
        'Locker\'s stop command stops the container and removes its port-forward rules, found by their comment. A rule left ' +
        'behind would keep sending the internet to an address nobody serves (or, later, to another container that gets it). ' +
        'Locker only notices the containers it stops itself: one stopped by other means leaves its rules until someone removes them.',
      run: [stopContainer(A), host(`lk unport alpha ${A_IP}`)],
      check: observe(['host:eth0', 'host:lk-alpha'], tcpConnect('wan', HOST.addr, 8080, { expectFail: true }))
        .expect('host:eth0', tcp.rstAck({ src: HOST.addr, sport: 8080 }), { why: 'the host itself refuses: no rule sends 8080 on' })
        .expectNone('host:lk-alpha', tcp({ dst: A_IP, dport: 80 }), { why: 'nothing is forwarded to the stopped container' })
        .look('host', 'cat /run/lab/containers.events', { match: new RegExp(`^stopped ${A} `), why: 'the container is stopped' }),
    },
    {
      id: 'cleanup',
      title: 'Clean up alpha: its rules go, the chains stay for beta',
      explain:
        '`lk cleanup alpha` removes every rule whose comment names alpha (masquerade, forward) and its bridge, but keeps the ' +
        'chains LAB_FORWARD and LAB_PREROUTING and their jumps, because beta still runs: its traffic still flows. With the ' +
        'bridge gone, 10.1.2.0/24 is no longer on any interface of the host: the next lk net create may take it again.',
      run: [host('lk cleanup alpha')],
      check: observe(['host:lk-beta', 'host:eth0'], ping(B, WAN.dns), ping('host', A_IP, { count: 1, expectFail: true }))
        .expect('host:eth0', icmp.echoRequest({ dst: A_IP }), { why: 'alpha\'s /24 is free again: the host sends 10.1.2.2 to its default route' })
        .sameFlow('host:lk-beta', 'host:eth0', { matcher: icmp.echoRequest({ src: B_IP }), rewritten: ['src'], why: 'beta is still masqueraded' })
        .expect('host:lk-beta', icmp.echoReply({ src: WAN.dns, dst: B_IP }), { min: 3, why: 'and gets its replies' })
        .look('host', 'iptables-save', { noMatch: /lk:alpha/, why: 'no rule names alpha' })
        .look('host', 'iptables -t nat -S PREROUTING', { match: /-j LAB_PREROUTING$/, why: 'the jumps stay' })
        .look('host', 'ip -br link', { noMatch: /^lk-alpha/, why: 'alpha\'s bridge is gone' }),
    },
    {
      id: 'status',
      title: 'Status reads the kernel, and names the drift',
      explain:
        'Locker\'s status shows the rules and links the kernel actually has, never what the configuration says, so a difference ' +
        'shows. Someone deletes beta\'s outgoing ACCEPT rule by hand: beta\'s containers can no longer reach out, and `lk status` ' +
        'names the missing rule under drift.',
      run: [host('iptables -D LAB_FORWARD -i lk-beta ! -o lk-beta -m comment --comment lk:beta:out -j ACCEPT')],
      check: observe(['host:lk-beta', 'host:eth0'], ping(B, WAN.dns, { expectFail: true }))
        .stopsAt(icmp.echoRequest({ src: B_IP, dst: WAN.dns }), { seenAt: 'host:lk-beta', neverAt: 'host:eth0', why: 'without the rule, FORWARD drops beta\'s requests' })
        .look('host', 'lk status', { match: /^ {2}beta: .*missing.*-i lk-beta ! -o lk-beta/, why: 'status names the missing rule' }),
    },
  ],
});

