import { arp, defineLab, hint, icmp, link, observe, on, ping, service, tcp, tcpRead, udp } from '../src/lab.js';

// Two machines on one underlay link, a bridge and a container on each, and a VXLAN tunnel between the bridges.
const M1 = '192.0.2.1';
const M2 = '192.0.2.2';
const C1 = '10.42.0.1';
const C2 = '10.42.0.2';
const VNI = 42;
const PORT = 4789;

// The commands that give one machine its half of the overlay: a bridge, the container's veth in it, and a
// VXLAN device for VNI 42 towards the other machine, in the bridge too.
const half = (m: string, local: string, remote: string, veth: string) => [
  on(m, 'ip link add br0 type bridge'),
  on(m, 'ip link set br0 up'),
  on(m, `ip link set ${veth} master br0`),
  on(m, `ip link add vxlan${VNI} type vxlan id ${VNI} dstport ${PORT} local ${local} remote ${remote}`),
  on(m, `ip link set vxlan${VNI} master br0`),
  on(m, `ip link set vxlan${VNI} up`),
];

// Outer UDP to the VXLAN port, VNI 42, carrying `inner`.
const tunnel = (inner: Parameters<ReturnType<typeof udp.to>['inner']>[0]) =>
  udp.to(PORT).vxlan({ vni: VNI }).inner(inner);

export default defineLab({
  id: '09-vxlan',
  title: 'VXLAN: one layer-2 network over two machines (the overlay of Docker swarm, Flannel, Cilium)',
  summary:
    'Two machines share only an IP link (the underlay). A bridge on each, a container on each bridge, and a VXLAN device in ' +
    'each bridge make one Ethernet segment across both: every frame between the containers crosses the underlay inside UDP ' +
    'port 4789 with a 24-bit network identifier (VNI 42). The checks look inside the tunnel: the VNI, the carried ARP and ICMP, ' +
    'what a too-big packet meets, and what anyone on the underlay can read.',
  topology: {
    containers: { c1: {}, c2: {} },
    nodes: { m1: { role: 'the first machine (a Docker host of the swarm)' }, m2: { role: 'the second machine' } },
    links: [
      link('m1:eth0 <-> m2:eth0'),
      link('m1:veth-c1 <-> c1:eth0', { 'c1:eth0': `${C1}/24` }),
      link('m2:veth-c2 <-> c2:eth0', { 'c2:eth0': `${C2}/24` }),
    ],
  },
  steps: [
    {
      id: 'underlay',
      title: 'The underlay: the two machines reach each other over plain IP',
      explain:
        `A tunnel rides on a network that already works. Here it is one link between m1 and m2, ${M1} and ${M2} in a ` +
        'documentation range; in a data centre it would be routers and many hops. VXLAN needs nothing from it but UDP from one ' +
        'machine to the other, so that is what to prove first.',
      run: [on('m1', `ip addr add ${M1}/24 dev eth0`), on('m2', `ip addr add ${M2}/24 dev eth0`)],
      prediction: {
        question: `m1 pings ${M2}. What crosses m1's eth0 before the first echo request?`,
        choices: ['nothing: the link is point to point', `an ARP who-has ${M2}, answered by m2`, 'a VXLAN packet'],
        answer: 1,
        why: "eth0 is an Ethernet link: m1 needs m2's MAC address before it can send the request, and asks for it with ARP. There is no tunnel yet.",
      },
      check: observe(['m1:eth0'], ping('m1', M2))
        .expect('m1:eth0', icmp.echoRequest({ src: M1, dst: M2 }), {
          why: 'm1 sends over the underlay',
          hints: [
            hint.notSeen(
              `nothing left m1's eth0: has m1 its address? (ip -br addr show eth0 on m1; ip addr add ${M1}/24 dev eth0)`,
            ),
            hint.near('src', undefined, `the request leaves with another source: m1's eth0 must have ${M1}/24`),
          ],
        })
        .expect('m1:eth0', icmp.echoReply({ src: M2, dst: M1 }), {
          why: 'm2 answers',
          hints: [hint.notSeen(`m2 did not answer: has m2 ${M2}/24 on its eth0? (ip -br addr on m2)`)],
        }),
    },
    {
      id: 'tunnel-m1',
      title: 'A tunnel on one side only: c1\'s frames cross in VXLAN, and m2 answers "port unreachable"',
      explain:
        `On m1: a bridge br0 with c1's veth in it, and vxlan${VNI}, a VXLAN device for VNI ${VNI} whose far end is ${M2}, in the ` +
        'same bridge. Every frame the bridge sends to vxlan42 leaves m1 wrapped: a UDP packet to port 4789 carrying an 8-byte ' +
        'VXLAN header (the VNI) and the whole Ethernet frame. Write dstport 4789: without it Linux uses 8472, its default from ' +
        'before IANA gave VXLAN a port. c1 pings c2: its ARP who-has crosses the underlay inside UDP. m2 has no VXLAN device ' +
        'yet, so no socket listens on 4789 there, and m2 says so with ICMP port unreachable.',
      run: half('m1', M1, M2, 'veth-c1'),
      prediction: {
        question: `c1 pings ${C2}. What does m1 send over the underlay?`,
        choices: [
          'nothing: c2 is on another machine, and c1 has no route to it',
          `UDP to ${M2}:${PORT} carrying c1's ARP who-has ${C2}`,
          "the echo request, with c2's address, routed by m1",
        ],
        answer: 1,
        why: `c1 thinks c2 is on its own link (${C1}/24), so it asks for c2's MAC with a broadcast; the bridge floods it to vxlan42, which wraps it in UDP to ${M2}. No echo request leaves: ARP is never answered.`,
      },
      check: observe(['m1:eth0'], ping('c1', C2, { expectFail: true }))
        .expect('m1:eth0', tunnel(arp.request({ src: C1, dst: C2 })), {
          why: "c1's question crosses the underlay inside VXLAN",
          hints: [
            hint.notSeen(
              "no ARP inside VXLAN on the underlay: is c1's veth in the bridge, and vxlan42 too? (bridge link on m1 must list veth-c1 and vxlan42 with master br0; ip link set vxlan42 master br0)",
            ),
            hint.near(
              'vni',
              undefined,
              `the frames cross with another VNI: vxlan42 must be made with id ${VNI} (ip -d link show vxlan42)`,
            ),
            hint.near(
              'dport',
              '8472',
              `the tunnel uses port 8472, Linux's old default: give dstport ${PORT} when you make vxlan42`,
            ),
          ],
        })
        .expect('m1:eth0', icmp.unreachable({ src: M2, dst: M1, icmpCode: 3 }), {
          why: 'm2 has nothing listening on 4789 yet: port unreachable',
          hints: [
            hint.notSeen(
              `m2 did not answer port unreachable: did anything reach it? The remote of vxlan42 must be ${M2} (ip -d link show vxlan42 on m1)`,
            ),
          ],
        }),
    },
    {
      id: 'tunnel-m2',
      title: 'Both sides: c1 and c2 talk as if on one switch, every frame inside UDP 4789 with VNI 42',
      explain:
        'The same on m2, towards m1. Now a frame that leaves c2 is wrapped by m2 and unwrapped by m1, and the bridges forward ' +
        'as if vxlan42 were one more port on one switch. On the underlay, each packet is UDP between the machines with VNI 42, ' +
        "and inside it the containers' own ARP and ICMP, untouched. Both ends must agree on the VNI: a frame with another VNI " +
        'finds no device on the far side and is dropped without a word.',
      run: half('m2', M2, M1, 'veth-c2'),
      prediction: {
        question: `c1 pings ${C2}. What TTL does the echo request have when it reaches c2?`,
        choices: [
          '63: m1 routed it',
          '62: both machines routed it',
          '64: nothing routed it, the tunnel is one layer-2 segment',
        ],
        answer: 2,
        why: 'the machines bridge the frame and wrap it; nothing decrements the inner TTL. Only the outer UDP packet is routed (here not even that: one link).',
      },
      check: observe(['c2:eth0', 'm1:eth0', 'm2:veth-c2'], ping('c2', C1), ping('c1', C2))
        .expect('c2:eth0', arp.request({ src: C2, dst: C1 }), { why: 'c2 asks for c1 first' })
        .expect('m1:eth0', tunnel(arp.request({ src: C2, dst: C1 })), {
          why: "c2's question crosses from m2 in VNI 42",
          hints: [
            hint.notSeen(
              "c2's ARP does not cross the underlay in VXLAN: on m2, are veth-c2 and vxlan42 in br0, and vxlan42 up? (bridge link on m2)",
            ),
            hint.near(
              'vni',
              undefined,
              `m2's tunnel uses another VNI: both ends must make vxlan42 with id ${VNI} (ip -d link show vxlan42 on m2)`,
            ),
          ],
        })
        .expect('m1:eth0', tunnel(icmp.echoRequest({ src: C1, dst: C2, ttl: 64 })), {
          why: 'the echo request inside VXLAN, its TTL untouched',
        })
        .expect('m1:eth0', tunnel(icmp.echoReply({ src: C2, dst: C1 })), {
          why: 'and the reply, wrapped by m2',
          hints: [
            hint.notSeen(
              'no reply inside VXLAN: m2 must unwrap the request and wrap the reply (its vxlan42 up, in br0, remote 192.0.2.1)',
            ),
          ],
        })
        .expect('m2:veth-c2', icmp.echoRequest({ src: C1, dst: C2, ttl: 64 }), {
          why: "after decapsulation, c1's request reaches c2 as a plain frame",
        }),
    },
    {
      id: 'no-bare-icmp',
      title: 'No ICMP crosses the underlay bare: a must-not-see looks inside the tunnel unless told not to',
      explain:
        "The containers' ICMP is on the underlay, but only inside UDP: no router between the machines sees an ICMP packet. " +
        'A check that says "no echo request on eth0" looks inside tunnels too, so here it would fail: the requests are there, ' +
        'encapsulated. To say "no bare ICMP", the check counts the outer packets only ({ outerOnly: true }).',
      run: [],
      check: observe(['m1:eth0'], ping('c1', C2))
        .expect('m1:eth0', tunnel(icmp.echoRequest({ src: C1, dst: C2 })), { why: 'the requests cross, inside VXLAN' })
        .expectNone('m1:eth0', icmp.any(), {
          outerOnly: true,
          why: 'but no ICMP crosses bare',
          hints: [
            hint.failed(
              "ICMP crosses the underlay bare: is m1 routing the containers' traffic instead of bridging it into the tunnel? (ip route on m1 and c1)",
            ),
          ],
        }),
    },
    {
      id: 'mtu',
      title: "MTU: a 1500-byte packet with DF does not fit in the tunnel; the containers' MTU goes down to 1450",
      explain:
        'Wrapping costs 50 bytes: an outer IPv4 (20), UDP (8) and VXLAN (8) header and the inner Ethernet header (14). The ' +
        'underlay carries 1500, so vxlan42 carries at most 1450, and Linux gives it that MTU. The containers still believe ' +
        "in 1500: a full-size packet with DF (don't fragment) reaches the bridge and cannot go on. The VXLAN device answers " +
        'with ICMP "fragmentation needed, MTU 1450", written as if from c2. Setting the containers\' MTU to 1450 makes them ' +
        "build packets that fit; Docker's overlay driver and Flannel do exactly this.",
      before: observe(['m1:veth-c1', 'm1:eth0'], ping('c1', C2, { size: 1472, df: true, count: 2, expectFail: true }))
        .expect('m1:veth-c1', icmp.echoRequest({ src: C1, dst: C2, len: 1500, df: true }), {
          why: 'c1 sends 1500 bytes with DF',
        })
        .expect('m1:veth-c1', icmp.fragNeeded({ src: C2, dst: C1, mtu: 1450 }), {
          why: 'the tunnel cannot carry it: fragmentation needed, MTU 1450',
        })
        .expectNone('m1:eth0', tunnel(icmp.echoRequest({ len: 1500 })), { why: 'and it never crosses' }),
      run: [on('c1', 'ip link set eth0 mtu 1450'), on('c2', 'ip link set eth0 mtu 1450')],
      prediction: {
        question: 'With MTU 1450 in c1, c1 pings c2 with 1472 bytes of data and DF. What leaves c1?',
        choices: [
          'the 1500-byte packet, dropped in the tunnel as before',
          'nothing: ping fails at once with "message too long"',
          'two fragments',
        ],
        answer: 1,
        why: "DF forbids fragments and the packet does not fit c1's own link any more: the kernel refuses it before it leaves (ping: local error: message too long, mtu=1450).",
      },
      check: observe(
        ['m1:veth-c1', 'm2:veth-c2', 'm1:eth0'],
        ping('c1', C2, { size: 1422, df: true, count: 2 }),
        ping('c2', C1, { size: 1422, df: true, count: 2 }),
        ping('c1', C2, { size: 1472, df: true, count: 1, expectFail: true }),
        ping('c2', C1, { size: 1472, df: true, count: 1, expectFail: true }),
      )
        .expect('m1:eth0', tunnel(icmp.echoRequest({ src: C1, dst: C2, len: 1450, df: true })), {
          why: 'the largest packet that fits crosses whole',
          hints: [
            hint.notSeen(
              'no 1450-byte request inside VXLAN: with MTU 1450 in both containers a 1422-byte ping with DF must cross (ip link show eth0 in c1 and c2)',
            ),
          ],
        })
        .expect('m1:eth0', tunnel(icmp.echoRequest({ src: C2, dst: C1, len: 1450, df: true })), { why: 'both ways' })
        .expectNone('m1:veth-c1', icmp.fragNeeded(), {
          why: 'c1 never sends what the tunnel cannot carry',
          hints: [
            hint.failed(
              'the tunnel still answers "fragmentation needed" to c1: c1\'s eth0 must have MTU 1450 (ip link set eth0 mtu 1450 in c1)',
            ),
          ],
        })
        .expectNone('m2:veth-c2', icmp.fragNeeded(), {
          why: 'nor does c2',
          hints: [
            hint.failed(
              'the tunnel still answers "fragmentation needed" to c2: c2\'s eth0 must have MTU 1450 (ip link set eth0 mtu 1450 in c2)',
            ),
          ],
        })
        .look('c1', 'ip -o link show eth0', {
          match: /mtu 1450 /,
          why: 'c1 builds packets that fit',
          hints: [hint.failed("c1's eth0 has another MTU: ip link set eth0 mtu 1450 in c1")],
        })
        .look('c2', 'ip -o link show eth0', {
          match: /mtu 1450 /,
          why: 'and so does c2',
          hints: [hint.failed("c2's eth0 has another MTU: ip link set eth0 mtu 1450 in c2")],
        }),
    },
    {
      id: 'in-the-clear',
      title:
        'The tunnel carries the inner packet in the clear: anyone on the underlay reads the VNI, the addresses and the data',
      explain:
        'VXLAN isolates networks by VNI; it does not hide anything. c2 runs a service that answers with a secret; c1 reads it. ' +
        "On the underlay, the UDP packet shows VNI 42, the containers' addresses and ports, and the secret itself, byte for " +
        "byte. Encryption is another layer: IPsec or WireGuard under the tunnel (Docker's overlay --opt encrypted, Cilium " +
        'with WireGuard).',
      run: [
        service(
          'c2',
          'while true; do echo "password=hunter2" | nc -N -l -p 5432; done',
          "ss -Hltn 'sport = :5432' | grep -q LISTEN",
        ),
      ],
      prediction: {
        question: 'c1 reads the secret from c2:5432 through the tunnel. What can a machine on the underlay read?',
        choices: [
          'only that m1 and m2 exchange UDP',
          'the VNI, but not what is inside',
          "the VNI, the containers' addresses and ports, and the secret",
        ],
        answer: 2,
        why: 'VXLAN adds a header and nothing else: the inner frame is carried as it was, readable by anyone who captures the underlay.',
      },
      check: observe(['m1:eth0'], tcpRead('c1', C2, 5432, /password=hunter2/)).expect(
        'm1:eth0',
        tunnel(tcp.payload('password=hunter2', { src: C2, sport: 5432, dst: C1 })),
        {
          why: 'the secret crosses the underlay readable',
          hints: [
            hint.notSeen('the secret did not cross: is the service running in c2? (ss -ltn in c2 must list 5432)'),
            hint.near('inner.sport', undefined, 'the answer came from another port: the service listens on 5432'),
          ],
        },
      ),
    },
  ],
});
