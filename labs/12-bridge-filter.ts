import {
  arp,
  defineLab,
  hint,
  host,
  http,
  httpGet,
  icmp,
  observe,
  on,
  ping,
  service,
  tcp,
  tcpConnect,
  WAN,
} from '../src/lab.js';
import { plug } from './shared/plug.js';

// Docker's default bridge with two containers, and the host filtering what it forwards.
const PUBLIC = '10.0.2.15'; // the host's address on eth0
const GW = '172.17.0.1';
const A = '172.17.0.2';
const B = '172.17.0.3'; // nginx
const CLIENT = WAN.gateway; // wan's address on the host's uplink
const MAPPED = `http://${PUBLIC}:8080/`;
const BRIDGED = 'iptables -A FORWARD -i br0 -o br0 -j ACCEPT';
const OUT = 'iptables -A FORWARD -i br0 ! -o br0 -j ACCEPT';
const REPLIES = 'iptables -A FORWARD -o br0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT';
const PORT_RULE = `iptables -A FORWARD ! -i br0 -o br0 -p tcp -d ${B} --dport 80 -j ACCEPT`;

export default defineLab({
  id: '12-bridge-filter',
  title: 'Filtering a bridge: FORWARD DROP, br_netfilter, stateful rules, and the address after DNAT',
  summary:
    'Docker sets the FORWARD policy to DROP. Routed traffic stops; traffic between two containers on one bridge does not, ' +
    'until br_netfilter hands bridged frames to iptables: then their pings stop at the bridge and their ARP still ' +
    'passes, until -i br0 -o br0 is accepted. A stateful rule lets replies in and keeps new connections from outside ' +
    'out, and a rule for a published port must name the address after DNAT.',
  topology: { containers: { a: {}, b: {} } },
  steps: [
    {
      id: 'policy',
      title: 'FORWARD policy DROP: the routed ping stops, the bridged one does not',
      explain:
        `The scene: br0 with ${GW}, containers a (${A}) and b (${B}, nginx) on it, forwarding on and the containers ` +
        "masqueraded to the internet, as Docker sets a host up. Docker also sets the policy of the filter table's " +
        'FORWARD chain to DROP: whatever the host routes and no rule accepts is dropped. a pings the internet: its ' +
        'requests reach the host on br0 and go no further. a pings b: that works, because a to b is not routed at all. ' +
        'The bridge switches the frame from veth-a to veth-b as a switch does, and iptables never sees it.',
      arrange: [
        host('sysctl -w net.ipv4.ip_forward=1'),
        host('ip link add br0 type bridge'),
        host(`ip addr add ${GW}/24 dev br0`),
        host('ip link set br0 up'),
        ...plug('a', A, GW),
        ...plug('b', B, GW),
        host('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE'),
        service('b', '/etc/init.d/nginx start', 'curl -sf -o /dev/null http://127.0.0.1/'),
      ],
      run: [host('iptables -P FORWARD DROP')],
      prediction: {
        question: 'FORWARD drops by default now. a pings b, on the same bridge: does it work?',
        choices: ['no: FORWARD drops it', 'yes: a bridged frame never passes iptables', 'only the first ping'],
        answer: 1,
        why: 'a to b is switched by the bridge, not routed by the host; without br_netfilter a bridged frame never meets an iptables chain.',
      },
      mistakes: [
        {
          run: [host('iptables -P INPUT DROP')],
          hint: /FORWARD chain/,
          why: 'the INPUT policy, which only packets for the host meet',
        },
        {
          run: [host('iptables -t nat -P PREROUTING DROP', { expectFail: true })],
          hint: /FORWARD chain/,
          why: 'a DROP policy in the nat table (iptables refuses it)',
        },
        {
          run: [host('sysctl -w net.ipv4.ip_forward=0')],
          hint: /ip_forward/,
          why: 'forwarding turned off instead of filtered',
        },
      ],
      check: observe(['host:br0', 'host:eth0', 'host:veth-b'], ping('a', B), ping('a', WAN.dns, { expectFail: true }))
        .expect('host:veth-b', icmp.echoRequest({ src: A, dst: B }), { min: 3, why: 'a to b crosses the bridge' })
        .expect('host:br0', icmp.echoRequest({ src: A, dst: WAN.dns }), {
          min: 3,
          why: 'the ping for the internet reaches the host',
        })
        .expectNone('host:eth0', icmp.echoRequest({ dst: WAN.dns }), {
          why: 'and is not forwarded',
          hints: [
            hint.failed(
              "a's ping for the internet still leaves eth0: nothing drops it. The policy belongs to the filter table's FORWARD chain: iptables -P FORWARD DROP",
            ),
          ],
        })
        .look('host', 'sysctl net.ipv4.ip_forward', {
          match: /= 1$/,
          why: 'the host still forwards: it filters instead',
          hints: [
            hint.failed(
              'net.ipv4.ip_forward is 0: that stops all forwarding. Docker keeps it 1 and filters in FORWARD instead (sysctl -w net.ipv4.ip_forward=1; iptables -P FORWARD DROP)',
            ),
          ],
        })
        .look('host', 'iptables -S FORWARD', {
          match: /^-P FORWARD DROP$/,
          hints: [hint.failed('the FORWARD chain does not drop by default: iptables -P FORWARD DROP')],
        }),
    },
    {
      id: 'br-netfilter',
      title: "br_netfilter: bridged IPv4 meets FORWARD too, and a's ping stops at the bridge",
      explain:
        'net.bridge.bridge-nf-call-iptables=1 makes the bridge hand every IPv4 frame it forwards to iptables, as if it ' +
        'were routed: the FORWARD chain, with -i and -o both br0. Docker sets it so that its rules (and conntrack, lab 10) ' +
        "see traffic between containers. Under the DROP policy, a's echo requests now enter the bridge on veth-a and " +
        "never leave it on veth-b. ARP is not IPv4, so iptables does not see it: a still learns b's MAC address. The " +
        "sysctl is the host's, where br0 is: on this kernel every network namespace has its own bridge-nf-call-* " +
        'settings, so writing it in a container, or in any other namespace, changes nothing for br0.',
      run: [host('sysctl -w net.bridge.bridge-nf-call-iptables=1')],
      prediction: {
        question: 'With bridge-nf-call-iptables=1, a pings b. What crosses to veth-b?',
        choices: [
          'nothing at all',
          "a's ARP request, and b answers it; no echo request",
          'the echo requests, but no reply comes back',
        ],
        answer: 1,
        why: 'iptables sees bridged IPv4 and FORWARD drops it; ARP is not IPv4 and crosses the bridge as before.',
      },
      mistakes: [
        {
          run: [on('a', 'sysctl -w net.bridge.bridge-nf-call-iptables=1')],
          hint: /per network namespace/,
          why: 'the sysctl written in the container',
        },
        {
          run: [host('sysctl -w net.bridge.bridge-nf-call-ip6tables=1')],
          hint: /bridge-nf-call-iptables=1/,
          why: 'the IPv6 one: the ping is IPv4',
        },
      ],
      check: observe(['host:veth-a', 'host:veth-b'], ping('a', B, { expectFail: true }))
        .expect('host:veth-a', icmp.echoRequest({ src: A, dst: B }), {
          min: 3,
          why: "a's echo requests enter the bridge",
        })
        .expectNone('host:veth-b', icmp.echoRequest({ src: A }), {
          why: 'and FORWARD drops them',
          hints: [
            hint.failed(
              'the echo requests crossed the bridge: iptables does not see bridged frames. Set the sysctl on the host, where br0 is (it is per network namespace): sysctl -w net.bridge.bridge-nf-call-iptables=1',
            ),
          ],
        })
        .expect('host:veth-b', arp.request({ src: A, dst: B }), {
          why: 'ARP still crosses: it is not IPv4',
          hints: [
            hint.notSeen(
              "a's ARP request did not cross the bridge: iptables sees only IPv4, so something else drops ARP (bridge-nf-call-arptables and arptables rules: leave them)",
            ),
          ],
        })
        .expect('host:veth-a', arp.reply({ src: B, dst: A }), { why: 'and b answers it' })
        .show('host', 'iptables -L FORWARD -v -n -x', {
          why: "the policy's counter: the packets FORWARD dropped",
          lines: /policy/,
        }),
    },
    {
      id: 'same-bridge',
      title: 'Accept what the bridge forwards to itself: -i br0 -o br0',
      explain:
        'Docker writes iptables -A FORWARD -i docker0 -o docker0 -j ACCEPT for this. A bridged packet enters and leaves by ' +
        "the bridge, so iptables sees -i br0 and -o br0, not the ports veth-a and veth-b (those are the physdev match's, " +
        '-m physdev --physdev-in veth-a). The rule accepts both directions: the requests and the replies.',
      run: [host(BRIDGED)],
      prediction: {
        question: "A rule written -i veth-a -o veth-b: does it let a's ping through to b?",
        choices: [
          'yes: those are the ports it crosses',
          'no: iptables sees the bridge, br0, as the way in and out',
          'only the replies',
        ],
        answer: 1,
        why: 'for a bridged packet -i and -o are the bridge device; the ports are what -m physdev matches. That rule counts 0 packets.',
      },
      mistakes: [
        {
          run: [host('iptables -A FORWARD -i veth-a -o veth-b -j ACCEPT')],
          hint: /not its ports/,
          why: 'the ports instead of the bridge',
        },
        {
          run: [host('iptables -A INPUT -i br0 -j ACCEPT')],
          hint: /not INPUT/,
          why: 'the INPUT chain: the packet is not for the host',
        },
        {
          run: [host('iptables -A FORWARD -i br0 -o br0 -p icmp --icmp-type echo-request -j ACCEPT')],
          hint: /replies were dropped/,
          why: 'echo requests only',
        },
      ],
      check: observe(['host:veth-a', 'host:veth-b'], ping('a', B))
        .expect('host:veth-b', icmp.echoRequest({ src: A, dst: B }), {
          min: 3,
          why: "a's requests cross the bridge again",
          hints: [
            hint.notSeen(
              `nothing crossed to b: a bridged packet passes FORWARD (not INPUT: it is not for the host), and iptables sees the bridge as its way in and out, not its ports: ${BRIDGED}`,
            ),
          ],
        })
        .expect('host:veth-a', icmp.echoReply({ src: B, dst: A }), {
          min: 3,
          why: "and b's replies come back",
          hints: [
            hint.notSeen(`b answered, but its replies were dropped in FORWARD: accept both directions (${BRIDGED})`),
          ],
        })
        .look('host', 'iptables -L FORWARD -v -n -x', {
          match: /^\s*[1-9]\d*\s+\d+\s+ACCEPT\s+\S+\s+--\s+br0\s+br0\s/,
          why: 'the rule counted the bridged packets',
          hints: [hint.failed(`no FORWARD rule for -i br0 -o br0 counted a packet: ${BRIDGED}`)],
        }),
    },
    {
      id: 'stateful',
      title: 'Stateful: replies come in, new connections from outside do not',
      explain:
        'The containers should reach the internet, and the internet should not reach them. Two rules, as Docker writes: ' +
        'accept what leaves the bridge for elsewhere (-i br0 ! -o br0), and towards the bridge accept only what ' +
        'conntrack knows as part of a connection already going (ESTABLISHED) or tied to one (RELATED, such as an ICMP error about it). ' +
        `a fetches a page from ${WAN.web}: its SYN goes out, the SYN,ACK comes back and is ESTABLISHED. wan here has a route ` +
        `to 172.17.0.0/24 via the host, as a machine on the host's own LAN can: its SYN to b (${B}:80) is NEW, and dropped.`,
      arrange: [on('wan', `ip route add 172.17.0.0/24 via ${PUBLIC}`)],
      run: [host(OUT), host(REPLIES)],
      prediction: {
        question: `wan sends a SYN to ${B}:80; a fetches a page from the internet. Which gets through?`,
        choices: [
          'both: the rules accept traffic towards br0',
          "a's fetch; wan's SYN is NEW and dropped",
          'neither: the replies are dropped too',
        ],
        answer: 1,
        why: "the rule towards br0 accepts only packets of connections conntrack already knows; a's connection began inside, wan's SYN begins a new one.",
      },
      mistakes: [
        {
          run: [host(OUT), host('iptables -A FORWARD -o br0 -j ACCEPT')],
          hint: /only ESTABLISHED,RELATED/,
          why: 'stateless: everything towards br0 accepted',
        },
        {
          run: [host(OUT)],
          hint: /--ctstate ESTABLISHED,RELATED/,
          why: 'the way out only: the replies are dropped',
        },
        {
          run: [host(OUT), host('iptables -A FORWARD -o br0 -m conntrack --ctstate NEW,ESTABLISHED,RELATED -j ACCEPT')],
          hint: /only ESTABLISHED,RELATED/,
          why: 'NEW accepted too',
        },
      ],
      check: observe(
        ['host:eth0', 'host:veth-a', 'host:veth-b'],
        httpGet('a', `http://${WAN.web}/`),
        tcpConnect('wan', B, 80, { expectFail: true }),
      )
        .expect('host:eth0', tcp.syn({ src: PUBLIC, dst: WAN.web, dport: 80 }), {
          why: "a's SYN leaves, masqueraded",
          hints: [hint.notSeen(`nothing of a's fetch left eth0: accept what leaves the bridge for elsewhere (${OUT})`)],
        })
        .expect('host:veth-a', tcp.synAck({ src: WAN.web, dst: A }), {
          why: 'the SYN,ACK is ESTABLISHED, and comes in',
          hints: [
            hint.notSeen(`the SYN,ACK came back to eth0 but never reached a: accept replies towards br0 (${REPLIES})`),
          ],
        })
        .expect('host:veth-a', http.response(200, { src: WAN.web }), { why: 'and so does the page' })
        .expect('host:eth0', tcp.syn({ src: CLIENT, dst: B, dport: 80 }), { why: "wan's SYN for b reaches the host" })
        .expectNone('host:veth-b', tcp.syn({ src: CLIENT }), {
          why: 'and is dropped: it is NEW',
          hints: [
            hint.failed(
              `a new connection from outside reached b: the rule towards br0 must accept only ESTABLISHED,RELATED (${REPLIES})`,
            ),
          ],
        }),
    },
    {
      id: 'post-dnat',
      title: 'A published port: FORWARD sees the address after DNAT, 172.17.0.3:80, never 8080',
      explain:
        `b's port 80 is published on ${PUBLIC}:8080 (the DNAT rule docker run -p 8080:80 writes). wan's connection is ` +
        'rewritten in nat PREROUTING, before the host routes it; it is then routed to b, so it meets FORWARD (not INPUT), ' +
        `and there its destination is already ${B}:80. It is NEW, so FORWARD drops it until a rule accepts it, and that ` +
        `rule must name ${B} port 80: one for port 8080 never matches (its counter stays 0). Docker writes the same, ` +
        '-d 172.17.0.3 ! -i docker0 -o docker0 --dport 80.',
      arrange: [
        host(`iptables -t nat -A PREROUTING -d ${PUBLIC} -p tcp --dport 8080 -j DNAT --to-destination ${B}:80`),
      ],
      before: observe(['host:eth0', 'host:veth-b'], httpGet('wan', MAPPED, { expectFail: true }))
        .expect('host:eth0', tcp.syn({ dst: PUBLIC, dport: 8080 }), { why: "wan's SYN reaches the host" })
        .expectNone('host:veth-b', tcp.syn({ src: CLIENT }), { why: 'and FORWARD drops it: it is NEW' }),
      run: [host(PORT_RULE)],
      prediction: {
        question: 'The published port is 8080. Which port does the FORWARD rule that lets it in name?',
        choices: [
          '8080, as the client asked',
          '80: FORWARD sees the destination after DNAT',
          'none: DNAT skips FORWARD',
        ],
        answer: 1,
        why: `nat PREROUTING rewrote the destination before routing; FORWARD filters ${B}:80.`,
      },
      mistakes: [
        {
          run: [host(`iptables -A FORWARD ! -i br0 -o br0 -p tcp -d ${B} --dport 8080 -j ACCEPT`)],
          hint: /after DNAT/,
          why: 'the published port 8080',
        },
        {
          run: [host(`iptables -A FORWARD -p tcp -d ${PUBLIC} --dport 8080 -j ACCEPT`)],
          hint: /after DNAT/,
          why: "the host's address and port, as the client sent them",
        },
        {
          run: [host('iptables -A INPUT -p tcp --dport 8080 -j ACCEPT')],
          hint: /not INPUT/,
          why: 'the INPUT chain: after DNAT the packet is not for the host',
        },
      ],
      check: observe(['host:eth0', 'host:veth-b'], httpGet('wan', MAPPED))
        .expect('host:veth-b', tcp.syn({ src: CLIENT, dst: B, dport: 80 }), {
          why: "wan's connection reaches b, port 80",
          hints: [
            hint.notSeen(
              `nothing reached b: after DNAT the packet is routed to b, so it meets FORWARD (not INPUT) with destination ${B}:80, not ${PUBLIC}:8080: ${PORT_RULE}`,
            ),
          ],
        })
        .expect('host:eth0', http.response(200, { src: PUBLIC, sport: 8080 }), {
          why: 'and wan gets the page from the address it asked',
        })
        .look('host', 'iptables -L FORWARD -v -n -x', {
          match: /^\s*[1-9]\d*\s+\d+\s+ACCEPT\s.*172\.17\.0\.3\s+tcp dpt:80$/,
          why: 'the rule for port 80 counted the connection',
          hints: [hint.failed(`no FORWARD rule for ${B} port 80 counted the connection: ${PORT_RULE}`)],
        }),
    },
  ],
});
