import { defineLab, hint, host, http, httpGet, observe, on, service, tcp, tcpConnect } from '../src/lab.js';
import { plug } from './shared/plug.js';

// Docker's default bridge, two containers on it, and a port published on the host's address.
const PUBLIC = '10.0.2.15'; // the host's address on eth0
const GW = '172.17.0.1';
const WEB = '172.17.0.2';
const CLIENT = '172.17.0.3';
const URL = `http://${PUBLIC}:8080/`;
const DNAT = `iptables -t nat -A PREROUTING -d ${PUBLIC} -p tcp --dport 8080 -j DNAT --to-destination ${WEB}:80`;
const HAIRPIN = `-s 172.17.0.0/24 -d 172.17.0.0/24 -j MASQUERADE`;

export default defineLab({
  id: '10-hairpin',
  title: "Hairpin NAT: a container reaches a published port through the host's address, from the same bridge",
  summary:
    "A web container is published on the host's address (port 8080 to 80). The outside reaches it; a neighbour on the same " +
    "bridge does not: the answer comes back from the container's own address and draws a reset. A hairpin MASQUERADE fixes " +
    'it, conntrack shows why, and br_netfilter is the other way Docker solves it.',
  topology: { containers: { web: {}, client: {} } },
  tools: ['conntrack'],
  steps: [
    {
      id: 'publish',
      title: "Publish the web container on the host's port 8080: the outside gets in",
      explain:
        "The scene is Docker's default bridge: br0 with 172.17.0.1, the web container (nginx, 172.17.0.2) and a client " +
        `container (172.17.0.3) on it, forwarding on, bridged traffic not seen by iptables. Publishing a port (docker run -p ` +
        `8080:80) is one DNAT rule: a connection to ${PUBLIC}:8080 is sent on to ${WEB}:80. wan, outside, connects and gets ` +
        "nginx's answer, from the address and port it asked.",
      arrange: [
        host('sysctl -w net.bridge.bridge-nf-call-iptables=0'),
        host('sysctl -w net.ipv4.ip_forward=1'),
        host('ip link add br0 type bridge'),
        host(`ip addr add ${GW}/24 dev br0`),
        host('ip link set br0 up'),
        ...plug('web', WEB, GW),
        ...plug('client', CLIENT, GW),
        service('web', '/etc/init.d/nginx start', 'curl -sf -o /dev/null http://127.0.0.1/'),
      ],
      run: [host(DNAT)],
      prediction: {
        question: `wan connects to ${PUBLIC}:8080. Which destination does the SYN carry when it reaches the web container?`,
        choices: [`${PUBLIC}:8080, as wan sent it`, `${WEB}:80: the host rewrote it`, 'none: nothing listens on 8080'],
        answer: 1,
        why: 'the DNAT rule in PREROUTING rewrites the destination before the host routes the packet, so it is routed to the container, port 80.',
      },
      check: observe(['host:eth0', 'host:veth-web'], httpGet('wan', URL))
        .expect('host:veth-web', tcp.syn({ dst: WEB, dport: 80 }), {
          why: 'the connection is sent on to the container',
          hints: [
            hint.notSeen(
              `nothing reached the container: the DNAT rule belongs in -t nat PREROUTING, -d ${PUBLIC} --dport 8080 (iptables -t nat -S PREROUTING)`,
            ),
            hint.near('dport', '8080', 'the SYN reached the container on port 8080: --to-destination must say port 80'),
          ],
        })
        .expect('host:eth0', http.response(200, { src: PUBLIC, sport: 8080 }), {
          why: 'and wan gets the answer from the address it asked',
        }),
    },
    {
      id: 'neighbour',
      title: "A neighbour on the same bridge fails: the answer comes back from the container's own address",
      explain:
        `The client asks ${PUBLIC}:8080 too. Its SYN goes to the host (its gateway), is rewritten to ${WEB}:80 and routed back ` +
        `into br0: the source is still ${CLIENT}. The web container answers ${CLIENT} directly, over the bridge: the host never ` +
        `sees the reply, so nothing rewrites its source back. The client gets a SYN,ACK from ${WEB}:80, which it never asked, ` +
        'and answers it with a reset.',
      run: [],
      check: observe(['host:veth-client'], tcpConnect('client', PUBLIC, 8080, { expectFail: true }))
        .expect('host:veth-client', tcp.synAck({ src: WEB, sport: 80, dst: CLIENT }), {
          why: "the answer comes from the container's own address",
        })
        .expect('host:veth-client', tcp({ src: CLIENT, dst: WEB, dport: 80, tcpFlags: 'RST' }), {
          why: 'and draws a reset: the client knows no such connection',
        }),
    },
    {
      id: 'masquerade',
      title: "The hairpin MASQUERADE: the host rewrites the client's source too, so the answer comes back through it",
      explain:
        `One more rule, ${HAIRPIN} in POSTROUTING: a connection routed from the bridge back into the bridge leaves the host ` +
        `with the host's source, ${GW}. The container answers the host, and the host undoes both rewrites: the client gets its ` +
        `answer from ${PUBLIC}:8080. Docker writes the same rule per published port (or matches --ctstate DNAT).`,
      run: [host(`iptables -t nat -A POSTROUTING ${HAIRPIN}`)],
      prediction: {
        question: "With the hairpin MASQUERADE, which source does the web container see on the client's SYN?",
        choices: [`${CLIENT}, the client's`, `${GW}, the host's on br0`, `${PUBLIC}, the host's public address`],
        answer: 1,
        why: 'MASQUERADE takes the address of the interface the packet leaves by: br0, 172.17.0.1. The container answers the host, which alone can undo the rewrite.',
      },
      check: observe(['host:veth-web', 'host:veth-client'], httpGet('client', URL))
        .expect('host:veth-web', tcp.syn({ src: GW, dst: WEB, dport: 80 }), {
          why: 'the container sees the host as the client',
          hints: [
            hint.near(
              'src',
              CLIENT,
              `the container still sees ${CLIENT}: the MASQUERADE rule did not match. It belongs in -t nat POSTROUTING with -s 172.17.0.0/24 -d 172.17.0.0/24 (iptables -t nat -S POSTROUTING)`,
            ),
            hint.notSeen(
              'nothing reached the container: is the DNAT rule still there? (iptables -t nat -S PREROUTING)',
            ),
          ],
        })
        .expect('host:veth-client', tcp.synAck({ src: PUBLIC, sport: 8080, dst: CLIENT }), {
          why: 'and the client gets its answer from the address it asked',
          hints: [
            hint.near(
              'src',
              WEB,
              `the answer still comes from ${WEB}: the container answered the client directly, so its source was not masqueraded`,
            ),
          ],
        })
        .expect('host:veth-client', http.response(200, { src: PUBLIC, sport: 8080 }), {
          why: "nginx's page, through the hairpin",
        }),
    },
    {
      id: 'conntrack',
      title: 'conntrack shows both tuples: what the client sent, and what the container answered',
      explain:
        'Connection tracking holds one entry per connection with two tuples: the original direction as the client sent it ' +
        `(${CLIENT} to ${PUBLIC}:8080) and the reply direction as it will come back (from ${WEB}:80 to ${GW}). The two ` +
        'rewrites are nothing more than the difference between them.',
      run: [],
      check: observe(['host:veth-client'], httpGet('client', URL))
        .expect('host:veth-client', http.response(200, { src: PUBLIC, sport: 8080 }), {
          why: 'a connection to look at',
        })
        .look('host', `conntrack -L -p tcp --dport 8080 -s ${CLIENT}`, {
          match: new RegExp(
            `src=${CLIENT.replace(/\./g, '\\.')} dst=${PUBLIC.replace(/\./g, '\\.')} sport=\\d+ dport=8080 .*src=${WEB.replace(/\./g, '\\.')} dst=${GW.replace(/\./g, '\\.')} sport=80 dport=\\d+`,
          ),
          why: 'original tuple to the public address, reply tuple from the container to the host',
          hints: [
            hint.failed(
              'no entry with both rewrites: are the DNAT and the hairpin MASQUERADE both in place? (iptables -t nat -S)',
            ),
          ],
        }),
    },
    {
      id: 'br-netfilter',
      title: 'The other way: let iptables see bridged traffic (br_netfilter), and drop the hairpin MASQUERADE',
      explain:
        'Docker also sets net.bridge.bridge-nf-call-iptables=1: bridged IPv4 frames then pass through iptables and conntrack ' +
        "as if routed. The container's direct answer to the client, bridged from veth-web to veth-client, meets the " +
        `connection's conntrack entry on the way and gets its source rewritten back to ${PUBLIC}:8080. The container now sees ` +
        "the client's own address, which the MASQUERADE hid.",
      run: [host(`iptables -t nat -D POSTROUTING ${HAIRPIN}`), host('sysctl -w net.bridge.bridge-nf-call-iptables=1')],
      prediction: {
        question: 'Without the MASQUERADE but with bridge-nf-call-iptables=1, which source does the web container see?',
        choices: [`${GW}, as with the MASQUERADE`, `${CLIENT}, the client's own`, `${PUBLIC}`],
        answer: 1,
        why: 'nothing rewrites the source any more; only the reply is rewritten, on the bridge, by conntrack.',
      },
      check: observe(['host:veth-web', 'host:veth-client'], httpGet('client', URL))
        .expect('host:veth-web', tcp.syn({ src: CLIENT, dst: WEB, dport: 80 }), {
          why: 'the container sees the client itself',
          hints: [
            hint.near(
              'src',
              GW,
              `the container still sees ${GW}: the hairpin MASQUERADE is still there (iptables -t nat -D POSTROUTING ${HAIRPIN})`,
            ),
          ],
        })
        .expect('host:veth-client', tcp.synAck({ src: PUBLIC, sport: 8080, dst: CLIENT }), {
          why: 'and the bridged answer is rewritten on the bridge',
          hints: [
            hint.near(
              'src',
              WEB,
              `the answer comes from ${WEB} again: iptables does not see bridged frames (sysctl -w net.bridge.bridge-nf-call-iptables=1 on the host)`,
            ),
          ],
        }),
    },
  ],
});
