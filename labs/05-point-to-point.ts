import {
  defineLab,
  hint,
  host,
  HOST,
  icmp,
  observe,
  on,
  ping,
  service,
  tcp,
  tcpConnect,
  tcpRead,
  WAN,
} from '../src/lab.js';

const C = 'web';
const HOST_ADDR = '10.171.1.1'; // NixOS hostAddress
const LOCAL_ADDR = '10.171.1.2'; // NixOS localAddress
const PORT = 12345;
const HELLO = /^Hello, world!$/;

// Who is talking: from the host over the veth, or from the internet through eth0.
const greeting = (from: string) => tcpRead(from, LOCAL_ADDR, PORT, HELLO);

// The point-to-point link: a /32 at each end and a route each way.
const VETH_RUN = [
  host(`ip link add ve-${C} type veth peer name host0 netns ${C}`),
  host(`ip addr add ${HOST_ADDR}/32 dev ve-${C}`),
  host(`ip link set ve-${C} up`),
  host(`ip route add ${LOCAL_ADDR}/32 dev ve-${C}`),
  on(C, 'ip link set host0 up'),
  on(C, `ip addr add ${LOCAL_ADDR}/32 dev host0`),
  on(C, `ip route add ${HOST_ADDR}/32 dev host0`),
];

export default defineLab({
  id: '05-point-to-point',
  title: 'Point to point: one veth per container, no bridge (systemd-nspawn --network-veth, NixOS privateNetwork)',
  summary:
    'A container wired the systemd-nspawn way: no bridge, one veth pair, a /32 address at each end and a route each way. ' +
    'The host reaches its greeting service; the container cannot reach the internet until the host forwards and masquerades; ' +
    'and the port the container opens must be opened on the host.',
  topology: { containers: { [C]: {} } },
  steps: [
    {
      id: 'veth',
      title: 'A veth pair with an address at each end: ve-web on the host, host0 in the container',
      explain:
        'With --network-veth (NixOS: privateNetwork = true), systemd-nspawn gives the container its own network namespace and ' +
        'one veth pair: ve-web stays on the host, host0 goes into the container. There is no bridge and no shared subnet as ' +
        `Docker makes: NixOS puts hostAddress ${HOST_ADDR} on ve-web and localAddress ${LOCAL_ADDR} on host0, each a /32, ` +
        'and adds a route to the other end on each side. The container runs the greeting service of the NixOS example, a ' +
        `loop around \`nc -l -p ${PORT}\` (-N closes the connection once the greeting is sent). The host connects: the ` +
        'handshake crosses ve-web, then the greeting comes back in a segment carrying data (PSH).',
      arrange: [
        on(C, 'ip link set lo up'),
        service(
          C,
          `while true; do echo "Hello, world!" | nc -N -l -p ${PORT}; done`,
          `ss -Hltn 'sport = :${PORT}' | grep -q LISTEN`,
        ),
      ],
      run: VETH_RUN,
      prediction: {
        question: `The host connects to ${LOCAL_ADDR}:${PORT}. Which source address does its SYN carry on ve-${C}?`,
        choices: [
          `${HOST.addr}, the host's uplink address`,
          `${HOST_ADDR}, the address on ve-${C}`,
          'none yet: the two /32s share no subnet, so the host cannot send it',
        ],
        answer: 1,
        why: `the route to ${LOCAL_ADDR}/32 leads out of ve-${C}, and the kernel takes the source from the interface the packet leaves by: ${HOST_ADDR}. A /32 needs no shared subnet, only a route each way.`,
      },
      mistakes: [
        {
          run: VETH_RUN.filter((c) => !c.cmd.startsWith(`ip route add ${LOCAL_ADDR}`)),
          hint: new RegExp(`ip route add ${LOCAL_ADDR}/32 dev ve-${C}`),
          why: "no host route to the container's /32",
        },
        {
          run: VETH_RUN.filter((c) => !c.cmd.startsWith(`ip route add ${HOST_ADDR}`)),
          hint: /route back/,
          why: 'no route back in the container',
        },
      ],
      check: observe([`host:ve-${C}`], greeting('host'))
        .expect(`host:ve-${C}`, tcp.syn({ src: HOST_ADDR, dst: LOCAL_ADDR, dport: PORT }), {
          why: 'the host opens the connection over ve-web',
          hints: [
            hint.notSeen(
              `no SYN on ve-${C}: has the host a route to ${LOCAL_ADDR} through it? (ip route get ${LOCAL_ADDR} must say dev ve-${C}; ip route add ${LOCAL_ADDR}/32 dev ve-${C}), and is ve-${C} up?`,
            ),
            hint.near(
              'src',
              undefined,
              `the SYN leaves from another address: ve-${C} must have ${HOST_ADDR}/32 (ip -br addr show ve-${C})`,
            ),
          ],
        })
        .expect(`host:ve-${C}`, tcp.synAck({ src: LOCAL_ADDR, sport: PORT, dst: HOST_ADDR }), {
          why: 'the container answers from its /32',
          hints: [
            hint.notSeen(
              `the SYN reached ve-${C} but the container did not answer: is host0 up with ${LOCAL_ADDR}/32, and has the container a route back? (in the container: ip route add ${HOST_ADDR}/32 dev host0)`,
            ),
          ],
        })
        .expect(`host:ve-${C}`, tcp.with('PSH', { src: LOCAL_ADDR, sport: PORT, payload: 'Hello, world!' }), {
          why: 'and sends the greeting',
        }),
    },
    {
      id: 'observe',
      title: 'The container pings the internet: the requests stop at the host',
      explain:
        `nspawn also gives the container a default route via the host end, ${HOST_ADDR}. Now the container can address the ` +
        `internet (${WAN.dns} plays 8.8.8.8), and its echo requests do reach the host on ve-web, but the host does not forward ` +
        'packets that are not its own: nothing leaves by eth0. This is the "100% packet loss" a NixOS container with ' +
        'privateNetwork = true shows at first: the setting isolates the container, and reaching anything beyond the host needs NAT.',
      run: [on(C, `ip route add default via ${HOST_ADDR}`)],
      prediction: {
        question: `The container pings ${WAN.dns} through its new default route. Which of the host's interfaces see its echo requests?`,
        choices: ['none: the container still has no way out', `ve-${C} only`, `ve-${C} and eth0, with no reply`],
        answer: 1,
        why: `the default route sends them to ${HOST_ADDR}, so they reach ve-${C}; but they are not for the host, and it forwards nothing while net.ipv4.ip_forward is 0.`,
      },
      mistakes: [
        {
          run: [on(C, `ip route add default via ${HOST.addr}`)],
          hint: /default route via/,
          why: "the host's uplink address as gateway: not on any link of the container",
        },
        {
          run: [on(C, 'ip route add 203.0.113.0/24 via 10.0.0.1')],
          hint: /default route via/,
          why: 'a route through a gateway nobody has',
        },
      ],
      // stopsAt, written out to carry a hint on each half.
      check: observe([`host:ve-${C}`, 'host:eth0'], ping(C, WAN.dns, { expectFail: true }))
        .expect(`host:ve-${C}`, icmp.echoRequest({ src: LOCAL_ADDR, dst: WAN.dns }), {
          why: 'the requests reach ve-web and go no further',
          hints: [
            hint.notSeen(
              `nothing reached ve-${C}: has the container a default route via ${HOST_ADDR}? (in the container: ip route; ip route add default via ${HOST_ADDR})`,
            ),
          ],
        })
        .expectNone('host:eth0', icmp.echoRequest({ src: LOCAL_ADDR, dst: WAN.dns }), {
          why: 'the requests reach ve-web and go no further',
          hints: [
            hint.failed('the requests leave eth0: the host already forwards (sysctl net.ipv4.ip_forward says 1)'),
          ],
        }),
    },
    {
      id: 'nat',
      title: "Forward and masquerade the container's address out of eth0",
      explain:
        'Two lines make the host a NAT router for this one container: ip_forward lets it send the requests on, and a MASQUERADE ' +
        `rule for the container's address leaving by eth0 rewrites their source to ${HOST.addr}. It is the same conversation on ` +
        'both sides of the host, only its source differs; connection tracking rewrites the replies back to the container.',
      run: [
        host('sysctl -w net.ipv4.ip_forward=1'),
        host(`iptables -t nat -A POSTROUTING -s ${LOCAL_ADDR}/32 -o eth0 -j MASQUERADE`),
      ],
      prediction: {
        question: `The requests leave eth0 as ${HOST.addr}. What destination do the replies carry when they reach ve-${C}?`,
        choices: [
          `${HOST.addr}: the host keeps them, they are addressed to it`,
          `${LOCAL_ADDR}: the host rewrites them back to the container`,
          `${HOST_ADDR}, the host's end of the veth`,
        ],
        answer: 1,
        why: `connection tracking remembers that ${LOCAL_ADDR} was rewritten to ${HOST.addr}, and undoes it on the replies before routing them to ve-${C}.`,
      },
      mistakes: [
        {
          run: [host(`iptables -t nat -A POSTROUTING -s ${LOCAL_ADDR}/32 -o eth0 -j MASQUERADE`)],
          hint: /ip_forward/,
          why: 'MASQUERADE without forwarding',
        },
        {
          run: [host('sysctl -w net.ipv4.ip_forward=1')],
          hint: /MASQUERADE rule did not match/,
          why: 'forwarding without MASQUERADE',
        },
        {
          run: [
            host('sysctl -w net.ipv4.ip_forward=1'),
            host(`iptables -t nat -A POSTROUTING -s ${LOCAL_ADDR}/32 -o ve-${C} -j MASQUERADE`),
          ],
          hint: /MASQUERADE rule did not match/,
          why: 'MASQUERADE on the wrong interface',
        },
      ],
      check: observe([`host:ve-${C}`, 'host:eth0'], ping(C, WAN.dns))
        .expect('host:eth0', icmp.echoRequest({ src: HOST.addr, dst: WAN.dns }), {
          min: 3,
          why: "the requests leave with the host's address",
          hints: [
            hint.notSeen(
              'nothing left eth0: is the host forwarding? (sysctl net.ipv4.ip_forward must say 1: sysctl -w net.ipv4.ip_forward=1)',
            ),
            hint.near(
              'src',
              LOCAL_ADDR,
              `the requests leave eth0 with source ${LOCAL_ADDR} and no reply comes: the MASQUERADE rule did not match them. It belongs in -t nat POSTROUTING with -s ${LOCAL_ADDR}/32 and -o eth0 (iptables -t nat -S POSTROUTING)`,
            ),
          ],
        })
        .expect(`host:ve-${C}`, icmp.echoReply({ src: WAN.dns, dst: LOCAL_ADDR }), {
          min: 3,
          why: 'replies come back to the container',
        })
        .sameFlow(`host:ve-${C}`, 'host:eth0', {
          matcher: icmp.echoRequest({ src: LOCAL_ADDR }),
          rewritten: ['src'],
          why: 'one conversation, its source rewritten',
        })
        .expectNone('host:eth0', icmp.echoRequest({ src: LOCAL_ADDR }), {
          why: 'the private address never leaves',
          hints: [
            hint.failed(
              `${LOCAL_ADDR} leaves eth0 unrewritten: check -s and -o of the MASQUERADE rule (iptables -t nat -S POSTROUTING)`,
            ),
          ],
        }),
    },
    {
      id: 'firewall',
      title: `Let the outside reach TCP ${PORT} in the container, and nothing else`,
      explain:
        "NixOS opens a service's port with networking.firewall.allowedTCPPorts. Inside a container with privateNetwork that " +
        'setting has no effect on what reaches it: traffic for the container is forwarded by the host, so the rule must live on ' +
        `the host, in its FORWARD chain. Here the outside (wan, which has a route to ${LOCAL_ADDR} via the host) may reach port ` +
        `${PORT}, and any other port, such as ssh's 22, is dropped before it reaches ve-web. Without the rules, port 22 reaches ` +
        'the container, which answers with a reset: that packet must never get there.',
      arrange: [on('wan', `ip route add ${LOCAL_ADDR}/32 via ${HOST.addr}`)],
      run: [
        host(`iptables -A FORWARD -i eth0 -o ve-${C} -p tcp --dport ${PORT} -j ACCEPT`),
        host(`iptables -A FORWARD -i eth0 -o ve-${C} -j DROP`),
      ],
      prediction: {
        question: `With the two rules, wan connects to port 22 of ${LOCAL_ADDR}. What does wan get back?`,
        choices: ['a reset from the container: nothing listens on 22', 'a reset from the host', 'nothing at all'],
        answer: 2,
        why: "the host's DROP rule discards the SYN in FORWARD without a word (REJECT would answer); the container never sees it, so it cannot reset it either.",
      },
      mistakes: [
        {
          run: [
            host(`iptables -A FORWARD -i eth0 -o ve-${C} -j DROP`),
            host(`iptables -A FORWARD -i eth0 -o ve-${C} -p tcp --dport ${PORT} -j ACCEPT`),
          ],
          hint: /come before the DROP/,
          why: 'the DROP first: rules match in order',
        },
        {
          run: [on(C, `iptables -A INPUT -p tcp --dport ${PORT} -j ACCEPT`), on(C, 'iptables -A INPUT -j DROP')],
          hint: /not in the container/,
          why: 'the rules in the container instead of the host',
        },
      ],
      check: observe(
        ['host:eth0', `host:ve-${C}`],
        greeting('wan'),
        tcpConnect('wan', LOCAL_ADDR, 22, { expectFail: true }),
      )
        .expect(`host:ve-${C}`, tcp.payload('Hello, world!', { src: LOCAL_ADDR, sport: PORT }), {
          why: `${PORT} is answered`,
          hints: [
            hint.notSeen(
              `no greeting on ve-${C}: wan's connection to port ${PORT} was not forwarded. Is the host forwarding (sysctl net.ipv4.ip_forward), and does the ACCEPT for --dport ${PORT} come before the DROP? Rules match in order (iptables -S FORWARD)`,
            ),
            hint.near(
              'sport',
              undefined,
              `wan's connection reached the container on ve-${C} but no greeting came back: the container answers the outside only through its default route via ${HOST_ADDR} (in the container: ip route)`,
            ),
          ],
        })
        .expect('host:eth0', tcp.syn({ dst: LOCAL_ADDR, dport: 22 }), { why: 'port 22 is asked for on eth0' })
        .expectNone(`host:ve-${C}`, tcp({ dst: LOCAL_ADDR, dport: 22 }), {
          why: 'and dropped by the host: nothing reaches the container',
          hints: [
            hint.failed(
              `port 22 reached ve-${C}: the host forwarded it. The rules belong on the host, in FORWARD with -i eth0 -o ve-${C}, not in the container (iptables -S FORWARD, on the host)`,
            ),
          ],
        }),
    },
  ],
});
