import { defineLab, hint, host, http, httpGet, observe, on, service, tcp, udp, udpSend, WAN } from '../src/lab.js';
import { plug } from './shared/plug.js';

// Two containers on br0 behind the host; wan is the outside client.
const PUBLIC = '10.0.2.15'; // the host's address on eth0
const GW = '172.17.0.1';
const WEB1 = '172.17.0.2';
const WEB2 = '172.17.0.3';
const CLIENT = WAN.gateway; // wan's address on the host's uplink: its packets' source
const URL = `http://${PUBLIC}:8080/`;
const DNAT_TCP = `iptables -t nat -A PREROUTING -d ${PUBLIC} -p tcp --dport 8080 -j DNAT --to-destination ${WEB1}:80`;
const COUNT = `iptables -t mangle -A PREROUTING -d ${PUBLIC} -p tcp --dport 8080`;
const udpRule = (to: string) => `-d ${PUBLIC} -p udp --dport 5000 -j DNAT --to-destination ${to}:5000`;
const STREAM_PORT = 40000; // the stream's source port: one socket, one conntrack entry
// A long UDP flow, as a metrics agent or a syslog forwarder sends: 100 datagrams a second from one socket.
const STREAM = `python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", ${STREAM_PORT}))
while True:
    s.sendto(b"tick", ("${PUBLIC}", 5000))
    time.sleep(0.01)'`;
const STREAM_UP = `ss -Huan 'sport = :${STREAM_PORT}' | grep -q .`;
const stream = (dst?: string) => udp({ src: CLIENT, sport: STREAM_PORT, dport: 5000, ...(dst ? { dst } : {}) });
const esc = (s: string) => s.replace(/\./g, '\\.');
// tcpdump on br0 until five of the stream's datagrams have crossed it: where they go, in the check's window.
const AT_BR0 = `timeout 3 tcpdump -c 5 -lni br0 udp src port ${STREAM_PORT}`;
const atBr0 = (to: string, why: string) => ({
  match: new RegExp(`> ${esc(to)}\\.5000: UDP`),
  why,
  inWindow: true,
});

export default defineLab({
  id: '11-conntrack',
  title: 'conntrack does the NAT: a rule decides once per connection',
  summary:
    "A DNAT rule's counter says 1 for a connection of six packets: the nat table sees only a connection's first packet, " +
    'and connection tracking rewrites the rest. So a changed rule does not move a flow that is already going: a UDP ' +
    'stream keeps its old destination until its conntrack entry is deleted.',
  topology: { containers: { web1: {}, web2: {} } },
  tools: ['conntrack'],
  steps: [
    {
      id: 'count',
      title: 'Count the packets: the DNAT rule sees one per connection, a mangle rule sees them all',
      explain:
        `The scene: br0 with ${GW}, two containers on it, web1 (${WEB1}, nginx) and web2 (${WEB2}), forwarding on. ` +
        `Publish web1's port 80 on ${PUBLIC}:8080 with a DNAT rule, and next to it a rule with no target in the mangle ` +
        'table: it does nothing but count the packets it matches. wan fetches the page: its connection sends six packets ' +
        '(SYN, ACK, the request, an ACK, FIN, ACK). The mangle rule counts six. The DNAT rule counts one: the nat table is ' +
        "asked only for a connection's first packet. Its answer is written into the connection's conntrack entry (the " +
        'original tuple and the reply tuple, conntrack -L), and conntrack rewrites every later packet, and every reply, ' +
        'from that entry without asking any nat rule again.',
      arrange: [
        host('sysctl -w net.ipv4.ip_forward=1'),
        host('ip link add br0 type bridge'),
        host(`ip addr add ${GW}/24 dev br0`),
        host('ip link set br0 up'),
        ...plug('web1', WEB1, GW),
        ...plug('web2', WEB2, GW),
        service('web1', '/etc/init.d/nginx start', 'curl -sf -o /dev/null http://127.0.0.1/'),
      ],
      run: [host(DNAT_TCP), host(COUNT)],
      prediction: {
        question: `wan's connection to ${PUBLIC}:8080 sends six packets. How many does the DNAT rule count?`,
        choices: [
          'six: every packet is rewritten by the rule',
          "one: the connection's first",
          'none: DNAT counts nothing',
        ],
        answer: 1,
        why: "the nat table sees only a connection's first packet; conntrack remembers the rewrite and applies it to the other five and to every reply. The mangle rule, outside nat, counts all six.",
      },
      mistakes: [
        {
          run: [host(DNAT_TCP), host(`iptables -t nat -I PREROUTING -d ${PUBLIC} -p tcp --dport 8080`)],
          hint: /nat table sees only/,
          why: 'the counting rule in the nat table, where it too sees one packet',
        },
        {
          run: [
            host(`iptables -t nat -A OUTPUT -d ${PUBLIC} -p tcp --dport 8080 -j DNAT --to-destination ${WEB1}:80`),
            host(COUNT),
          ],
          hint: /PREROUTING/,
          why: "the DNAT rule in OUTPUT, which only the host's own packets pass",
        },
        {
          run: [host(DNAT_TCP), host(`iptables -t mangle -A PREROUTING -d ${WEB1} -p tcp --dport 80`)],
          hint: /before nat/,
          why: 'counting the rewritten destination in mangle PREROUTING, which comes before the DNAT',
        },
      ],
      check: observe(['host:eth0', 'host:veth-web1'], httpGet('wan', URL))
        .expect('host:veth-web1', tcp.syn({ src: CLIENT, dst: WEB1, dport: 80 }), {
          why: 'the connection is sent on to web1',
          hints: [
            hint.notSeen(
              `nothing reached web1: the DNAT rule belongs in -t nat PREROUTING, which packets from outside pass (${DNAT_TCP})`,
            ),
          ],
        })
        .expect('host:eth0', http.response(200, { src: PUBLIC, sport: 8080 }), {
          why: "wan gets nginx's page from the address it asked",
        })
        .look('host', 'iptables -t mangle -L PREROUTING -v -n -x -Z', {
          match: /^\s*([5-9]|[1-9]\d+)\s+\d+\s+6\s+--.*10\.0\.2\.15\s+tcp dpt:8080$/,
          why: 'the mangle rule counted every packet of the connection (-Z: counted afresh each time)',
          hints: [
            hint.read(
              /tcp dpt:80$/,
              `the counting rule names ${WEB1} port 80: mangle PREROUTING comes before nat PREROUTING, so the packets still carry ${PUBLIC}:8080 there`,
            ),
            hint.failed(
              `no rule in mangle PREROUTING counted the connection's packets: the nat table sees only its first packet, so count in another table (${COUNT})`,
            ),
          ],
        })
        .look('host', 'iptables -t nat -L PREROUTING -v -n -x -Z', {
          match: /^\s*1\s+\d+\s+DNAT\s.*tcp dpt:8080 to:172\.17\.0\.2:80$/,
          why: "the DNAT rule counted one packet: the connection's first",
          hints: [
            hint.failed('the DNAT rule did not count exactly one packet (iptables -t nat -L PREROUTING -v -n -x)'),
          ],
        })
        .show('host', `conntrack -L -p tcp --orig-port-dst 8080`, {
          why: `the connection's entry: the original tuple to ${PUBLIC}:8080, the reply tuple from ${WEB1}:80`,
        }),
    },
    {
      id: 'stream',
      title: 'A UDP stream to web1: one conntrack entry for a flow with no connection',
      explain:
        `UDP has no connections, but conntrack makes one of each flow: the datagrams of one source address and port to ` +
        `one destination address and port share an entry, kept 30 seconds after the last one (longer, up to 120, once it is answered). Map ` +
        `UDP port 5000 of ${PUBLIC} to web1, then start the stream on wan: a sender that keeps one socket and sends 100 ` +
        `datagrams a second from port ${STREAM_PORT}, as a metrics agent or a syslog forwarder does. The rule decides for ` +
        'the first datagram; every later one reaches web1 through the entry. A datagram from another port is another flow, ' +
        'with an entry of its own, and the rule decides for it too. (web1 listens on nothing and answers port ' +
        'unreachable; the sender ignores that, and conntrack still calls the flow [UNREPLIED].)',
      run: [host(`iptables -t nat -A PREROUTING ${udpRule(WEB1)}`), service('wan', STREAM, STREAM_UP)],
      prediction: {
        question: 'How many conntrack entries does the stream of 100 datagrams a second make?',
        choices: ['one per datagram', 'one: same source and destination, so one flow', 'none: UDP is not tracked'],
        answer: 1,
        why: 'conntrack tracks UDP by its addresses and ports: the stream is one entry, renewed by every datagram, and the DNAT rule decided only once for it.',
      },
      mistakes: [
        {
          run: [
            service('wan', STREAM, STREAM_UP),
            host('sleep 1'),
            host(`iptables -t nat -A PREROUTING ${udpRule(WEB1)}`),
          ],
          hint: /before the rule/,
          why: 'the stream started a second before the rule: its entry says "to the host itself"',
        },
        {
          run: [
            host(
              `iptables -t nat -A PREROUTING -d ${PUBLIC} -p tcp --dport 5000 -j DNAT --to-destination ${WEB1}:5000`,
            ),
            service('wan', STREAM, STREAM_UP),
          ],
          hint: /-p udp/,
          why: 'the rule for tcp',
        },
      ],
      check: observe(['host:veth-web1', 'host:veth-web2'], udpSend('wan', PUBLIC, 5000, 'another flow'))
        .expect('host:veth-web1', stream(WEB1), {
          min: 3,
          why: 'the stream reaches web1',
          hints: [
            hint.failed(
              `the stream did not reach web1. Is the rule there, for -p udp (iptables -t nat -S PREROUTING)? If the stream started before the rule, its conntrack entry says "to the host itself" and the rule is never asked (conntrack -L -p udp)`,
            ),
          ],
        })
        .expectNone('host:veth-web2', udp({ dport: 5000 }))
        .look('host', AT_BR0, atBr0(WEB1, 'on br0 the stream goes to web1'))
        .look('host', `conntrack -L -p udp --orig-port-dst 5000`, {
          match: new RegExp(`sport=${STREAM_PORT} dport=5000 .*src=${esc(WEB1)} dst=${esc(CLIENT)} sport=5000`),
          why: 'one entry: the original tuple to the host, the reply tuple from web1',
          hints: [hint.failed('no conntrack entry maps the stream to web1 (conntrack -L -p udp)')],
        }),
    },
    {
      id: 'move',
      title: 'Point the rule at web2: new flows go there, the stream does not move',
      explain:
        'web1 is being replaced by web2, as a container manager or kube-proxy would change a rule when a backend moves: ' +
        'delete the rule for web1 and add one for web2. A new flow, a datagram from another port, is asked of the rules and ' +
        'goes to web2. The stream is not: its conntrack entry exists, so no nat rule is asked, and it keeps going to web1, ' +
        'for as long as it sends more often than every 30 seconds. Deleting the rule alone would not stop it either.',
      run: [
        host(`iptables -t nat -D PREROUTING ${udpRule(WEB1)}`),
        host(`iptables -t nat -A PREROUTING ${udpRule(WEB2)}`),
      ],
      prediction: {
        question: "The rule now says web2. Where do the stream's next datagrams go?",
        choices: [
          'to web2: the rule changed',
          'to web1: its conntrack entry still says so',
          'nowhere: the flow is cut',
        ],
        answer: 1,
        why: "the nat table is asked only for a flow's first packet; the stream's entry was made under the old rule, and conntrack goes on rewriting to web1.",
      },
      mistakes: [
        {
          run: [host(`iptables -t nat -A PREROUTING ${udpRule(WEB2)}`)],
          hint: /old rule is still there/,
          why: 'the rule for web2 appended after the old one',
        },
        {
          run: [host(`iptables -t nat -D PREROUTING ${udpRule(WEB1)}`)],
          hint: /no rule sends/,
          why: 'the old rule deleted, no new one',
        },
        {
          run: [
            host(`iptables -t nat -D PREROUTING ${udpRule(WEB1)}`),
            host(`iptables -t nat -A PREROUTING ${udpRule(WEB2)}`),
            host('conntrack -F'),
          ],
          hint: /entry was deleted/,
          why: "conntrack flushed a step early: the rule change alone is this step's lesson",
        },
      ],
      check: observe(['host:veth-web1', 'host:veth-web2'], udpSend('wan', PUBLIC, 5000, 'new flow'))
        .expect('host:veth-web1', stream(WEB1), {
          min: 3,
          why: 'the stream still goes to web1',
          hints: [
            hint.notSeen(
              'the stream no longer reaches web1: its conntrack entry was deleted (conntrack -D or -F). This step changes the rule alone, to show that the rule does not move it',
            ),
          ],
        })
        .expectNone('host:veth-web2', stream(), {
          why: 'the rule change did not move it',
          hints: [hint.failed('the stream moved to web2: its conntrack entry was deleted (conntrack -D or -F)')],
        })
        .expectNone('host:veth-web1', udp({ dport: 5000, payload: 'new flow' }), {
          why: 'a new flow is not sent to web1',
          hints: [
            hint.failed(
              `the new datagram went to web1: the old rule is still there, first in PREROUTING, and still decides for new flows (iptables -t nat -D PREROUTING ${udpRule(WEB1)})`,
            ),
          ],
        })
        .expect('host:veth-web2', udp({ dst: WEB2, dport: 5000, payload: 'new flow' }), {
          why: 'a new flow is asked of the rules, and goes to web2',
          hints: [
            hint.failed(
              `the new datagram did not reach web2: no rule sends port 5000 to web2 (iptables -t nat -A PREROUTING ${udpRule(WEB2)})`,
            ),
          ],
        })
        .look('host', AT_BR0, atBr0(WEB1, 'on br0 the stream still goes to web1'))
        .show('host', 'conntrack -L -p udp --orig-port-dst 5000', {
          why: 'two entries, one per flow: the stream made under the old rule, the new datagram under the new one',
        }),
    },
    {
      id: 'flush',
      title: "Delete the stream's conntrack entry: its next datagram is a new flow, and goes to web2",
      explain:
        'The stream will move only when its entry goes. conntrack -D deletes entries that match, here every UDP entry ' +
        `whose original destination port is 5000, on the host, where the NAT is done: conntrack tables are per network ` +
        "namespace, like the rules. The stream's next datagram finds no entry, is a new flow, and the rule sends it to " +
        'web2. This is what kube-proxy does when the backend of a UDP service changes, and Docker when it publishes a UDP port.',
      run: [host('conntrack -D -p udp --orig-port-dst 5000')],
      prediction: {
        question: "After conntrack -D, where does the stream's next datagram go?",
        choices: [
          'to web1 still',
          "to web2: a new entry is made, by the rule's current answer",
          'nowhere: the flow was deleted',
        ],
        answer: 1,
        why: 'with no entry the next datagram is the first of a new flow; the nat table is asked, and the rule says web2.',
      },
      mistakes: [
        {
          run: [on('web1', 'conntrack -D -p udp')],
          hint: /on the host, where the NAT/,
          why: "conntrack -D in web1: its table is its own namespace's",
        },
        {
          run: [host(`conntrack -D -p udp --orig-dst ${WEB1}`)],
          hint: /original destination is 10\.0\.2\.15/,
          why: "web1's address as the original destination: it is the reply's source",
        },
        {
          run: [host(`iptables -t nat -F PREROUTING`), host(`iptables -t nat -A PREROUTING ${udpRule(WEB2)}`)],
          hint: /still in the host's table/,
          why: 'rewriting the rules again instead of deleting the entry',
        },
      ],
      check: observe(['host:veth-web1', 'host:veth-web2'], udpSend('wan', PUBLIC, 5000, 'another flow'))
        .expectNone('host:veth-web1', stream(), {
          why: 'nothing of the stream reaches web1 any more',
          hints: [
            hint.failed(
              `the stream still goes to web1: its entry is still in the host's table (conntrack -L -p udp). Delete it on the host, where the NAT is done, by its original tuple (conntrack -D -p udp --orig-port-dst 5000) or its reply tuple (--reply-src ${WEB1}): its original destination is 10.0.2.15, the address wan sends to`,
            ),
          ],
        })
        .expect('host:veth-web2', stream(WEB2), {
          min: 3,
          why: 'it reaches web2 instead',
          hints: [
            hint.failed(
              'the stream did not reach web2: is the rule for web2 still there? (iptables -t nat -S PREROUTING)',
            ),
          ],
        })
        .look('host', `conntrack -L -p udp --orig-port-dst 5000`, {
          match: new RegExp(`sport=${STREAM_PORT} dport=5000 .*src=${esc(WEB2)} dst=${esc(CLIENT)} sport=5000`),
          noMatch: new RegExp(`src=${esc(WEB1)} dst=${esc(CLIENT)}`),
          why: "the stream's new entry: its reply tuple from web2",
          hints: [hint.failed('no entry maps the stream to web2 alone (conntrack -L -p udp)')],
        })
        .look('host', AT_BR0, atBr0(WEB2, 'on br0 the stream goes to web2 now')),
    },
  ],
});
