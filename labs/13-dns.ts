import { defineLab, hint, host, httpGet, icmp, observe, on, service, udp, WAN } from '../src/lab.js';
import { plug } from './shared/plug.js';

// A container on the host's bridge, forwarded and masqueraded to the internet, where 203.0.113.8 (playing
// 8.8.8.8) resolves www.example.com to the web server 203.0.113.80. The host runs a stub resolver on its lo.
const C = 'app';
const GW = '172.17.0.1';
const APP = '172.17.0.100';
const UPLINK_IP = '10.0.2.15';
const STUB = '127.0.0.53'; // systemd-resolved's stub listener
const EMBEDDED = '127.0.0.11'; // Docker's embedded DNS
const EMBEDDED_PORT = 5353; // where its resolver really listens (Docker picks a free port)
const NAME = 'www.example.com';
const URL = `http://${NAME}/`;
const QUERY = 'example'; // the name in a query's payload (length-prefixed labels: \x03www\x07example\x03com)
const RESOLV = (ns: string): string => `echo 'nameserver ${ns}' > /etc/resolv.conf`;
const DNAT = `iptables -t nat -A OUTPUT -d ${EMBEDDED} -p udp --dport 53 -j DNAT --to-destination ${EMBEDDED}:${EMBEDDED_PORT}`;
const UDP_LISTENS = (addr: string, port: number): string => `ss -Hlun 'sport = :${port}' | grep -q ${addr}:${port}`;

export default defineLab({
  id: '13-dns',
  title: "DNS inside containers: the copied 127.0.0.53, a resolver the container can reach, and Docker's 127.0.0.11",
  summary:
    "A container's resolv.conf copied from a systemd-resolved host says nameserver 127.0.0.53: the query goes to the " +
    "container's own lo and draws ICMP port unreachable, and nothing crosses br0. A resolver the container can reach " +
    "fixes it: query and answer cross br0, masqueraded out to the internet. Docker's embedded DNS at 127.0.0.11 is a DNAT " +
    "rule in the container's own namespace, to the port where its resolver listens.",
  topology: { containers: { [C]: {} } },
  tools: ['conntrack'],
  steps: [
    {
      id: 'stub',
      title: "The host's resolv.conf, copied: the query goes to the container's own lo and is refused",
      explain:
        `The host runs systemd-resolved: its resolv.conf says nameserver ${STUB}, a stub resolver listening on the host's lo ` +
        `(played here by dnsd, forwarding to ${WAN.dns}). A runtime that copies that file into the container as it is ` +
        `(a hand-made container whose set-up copies /etc/resolv.conf) gives the container the same line. But 127.0.0.0/8 is loopback: in the ` +
        `container it means the container's own lo, in its own network namespace, where nothing listens on port 53. The ` +
        `query never leaves the container; its kernel answers ICMP port unreachable, from ${STUB} to 127.0.0.1, and curl ` +
        `says "Could not resolve host". (A chroot would not: it shares the host's network namespace, and its lo. Docker, on ` +
        `its default bridge, copies the file but drops loopback nameservers, and falls back to 8.8.8.8 and 8.8.4.4 when ` +
        `none is left.)`,
      arrange: [
        host('ip link add br0 type bridge'),
        host(`ip addr add ${GW}/24 dev br0`),
        host('ip link set br0 up'),
        ...plug(C, APP, GW),
        host('sysctl -w net.ipv4.ip_forward=1'),
        host('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE'),
        service('wan', `dnsd --listen ${WAN.dns} ${NAME}=${WAN.web}`, UDP_LISTENS(WAN.dns, 53)),
        service('host', `dnsd --listen ${STUB} --forward ${WAN.dns}`, UDP_LISTENS(STUB, 53)),
        host(RESOLV(STUB)),
        on(C, RESOLV(STUB)),
      ],
      run: [],
      prediction: {
        question: `The container's resolv.conf says nameserver ${STUB}, as the host's does. curl ${URL} in the container: where does the DNS query go?`,
        choices: [
          "over br0 to the host's stub resolver, which answers",
          "onto the container's own lo, where nothing listens: ICMP port unreachable",
          'nowhere: curl refuses a loopback nameserver',
        ],
        answer: 1,
        why: `127.0.0.53 is loopback, and loopback is per network namespace: the query goes to the container's own lo, and its kernel answers port unreachable. The host's stub is on another lo.`,
      },
      check: observe([`${C}:lo`, 'host:br0', 'host:eth0'], httpGet(C, URL, { expectFail: true }))
        .expect(`${C}:lo`, udp({ src: '127.0.0.1', dst: STUB, dport: 53, payload: QUERY }), {
          why: `the query goes to ${STUB} on the container's own lo`,
          hints: [
            hint.notSeen(
              `no query on the container's lo: its resolv.conf must still say nameserver ${STUB} (cat /etc/resolv.conf in ${C})`,
            ),
          ],
        })
        .expect(`${C}:lo`, icmp.unreachable({ src: STUB, dst: '127.0.0.1', icmpCode: 3 }), {
          why: 'nothing listens there: port unreachable',
          hints: [
            hint.notSeen(`no port unreachable: something listens on ${STUB}:53 in the container (ss -lun in ${C})`),
          ],
        })
        .expectNone('host:br0', udp({ dport: 53 }), {
          why: 'no query crosses br0',
          hints: [
            hint.failed(
              'a DNS query crossed br0: the container asks a resolver outside it (cat /etc/resolv.conf in app)',
            ),
          ],
        })
        .look('host', `getent hosts ${NAME}`, {
          match: new RegExp(`^${WAN.web.replace(/\./g, '\\.')}\\s+${NAME.replace(/\./g, '\\.')}`),
          why: 'the same resolv.conf line works on the host, whose lo has the stub',
          hints: [hint.failed(`the host cannot resolve ${NAME}: its stub on ${STUB} must run (ss -lun on host)`)],
        }),
    },
    {
      id: 'nameserver',
      title: 'A resolver the container can reach: query and answer cross br0, masqueraded to the internet',
      explain:
        `The fix is a nameserver the container reaches through its gateway: here ${WAN.dns}, on the internet (the address ` +
        `Docker falls back to is 8.8.8.8). The query now leaves the container by its eth0 and crosses br0 like any other packet of the ` +
        `container; the host forwards it and MASQUERADE rewrites its source to ${UPLINK_IP}; the answer comes back the same ` +
        `way, and curl fetches the page. Replace the line: a nameserver appended after ${STUB} works too, but each lookup ` +
        'asks the dead stub first and is refused before it tries the next.',
      run: [on(C, RESOLV(WAN.dns))],
      prediction: {
        question: `With nameserver ${WAN.dns} in the container, which source does the query carry when it leaves the host's eth0?`,
        choices: [`${APP}, the container's`, `${UPLINK_IP}, the host's uplink address`, '127.0.0.1'],
        answer: 1,
        why: `the query is ordinary traffic of the container: forwarded by the host, and its source masqueraded to ${UPLINK_IP} like the container's pings; conntrack sends the answer back to ${APP}.`,
      },
      mistakes: [
        {
          run: [on(C, RESOLV('127.0.0.1'))],
          hint: /no DNS query crossed br0/,
          why: "localhost: the container's own lo again",
        },
        {
          run: [on(C, RESOLV(GW))],
          hint: /nothing listens on port 53 there/,
          why: "the gateway's address: the host's stub listens only on the host's lo",
        },
        {
          run: [on(C, `echo 'nameserver ${WAN.dns}' >> /etc/resolv.conf`)],
          hint: /asks .* first/,
          why: 'appended after 127.0.0.53 instead of replacing it',
        },
      ],
      check: observe([`${C}:lo`, 'host:br0', 'host:eth0'], httpGet(C, URL))
        .expect('host:br0', udp({ src: APP, dst: WAN.dns, dport: 53, payload: QUERY }), {
          why: 'the query crosses br0',
          hints: [
            hint.notSeen(
              `no DNS query crossed br0: the container must name a resolver it reaches through its gateway, not a loopback address (${RESOLV(WAN.dns)} in ${C})`,
            ),
            hint.near(
              'dst',
              GW,
              `the query went to the host's ${GW}, and nothing listens on port 53 there (the stub listens only on the host's lo): name a resolver on the internet (${RESOLV(WAN.dns)} in ${C})`,
            ),
          ],
        })
        .expect('host:br0', udp({ src: WAN.dns, sport: 53, dst: APP, payload: QUERY }), {
          why: 'and the answer comes back to the container',
        })
        .expect('host:eth0', udp({ src: UPLINK_IP, dst: WAN.dns, dport: 53, payload: QUERY }), {
          why: `masqueraded out of eth0 with the host's address`,
        })
        .expectNone(`${C}:lo`, udp({ dport: 53 }), {
          why: 'nothing is asked on the container lo any more',
          hints: [
            hint.failed(
              `the container still asks ${STUB} on its own lo first, and is refused before it tries the next nameserver: replace the line (${RESOLV(WAN.dns)}), do not append`,
            ),
          ],
        })
        .show('host', `conntrack -L -p udp --orig-src ${APP} --orig-dst ${WAN.dns}`, {
          why: `conntrack's entries for the queries: sent from ${APP}, answered to ${UPLINK_IP}`,
        }),
    },
    {
      id: 'embedded',
      title: "Docker's embedded DNS: 127.0.0.11 is a DNAT rule in the container's own namespace",
      explain:
        `On the networks a user creates (docker network create) Docker writes nameserver ${EMBEDDED} into the container's resolv.conf. Nothing in the ` +
        "container listens on port 53 there: dockerd opens a UDP socket inside the container's network namespace, on " +
        `${EMBEDDED} and a free port (here ${EMBEDDED_PORT}, played by dnsd, already running), and writes a DNAT rule in ` +
        `the container's own nat table, chain OUTPUT (Docker's DOCKER_OUTPUT), from ${EMBEDDED}:53 to that port. ` +
        'The nat table sees a connection only at the first NAT hook its first packet meets, and for a query sent in the ' +
        'container that is nat OUTPUT: the packet does pass raw and mangle PREROUTING when it comes in from lo (their ' +
        "counters show it), but a DNAT rule in nat PREROUTING never sees it. And the host's rules never touch the " +
        "container's lo: each network namespace has its own tables. " +
        "The resolver answers the names of containers itself (db here) and asks the host's upstream servers for the rest; " +
        `here it asks ${WAN.dns} from the container's namespace, so those queries cross br0, masqueraded as before ` +
        "(Docker also does, unless the upstream is on the host's own loopback).",
      arrange: [
        service(
          C,
          `dnsd --listen ${EMBEDDED} --port ${EMBEDDED_PORT} --forward ${WAN.dns} db=172.17.0.2`,
          UDP_LISTENS(EMBEDDED, EMBEDDED_PORT),
        ),
      ],
      run: [on(C, DNAT), on(C, RESOLV(EMBEDDED))],
      prediction: {
        question: `The container asks ${EMBEDDED}:53, and the DNAT rule sends it to ${EMBEDDED}:${EMBEDDED_PORT}. On the container's lo, which ports do the query and its answer show?`,
        choices: [
          'port 53 both ways: the rewrite is invisible',
          `the query to port ${EMBEDDED_PORT}, the answer from port 53`,
          `the query to port ${EMBEDDED_PORT}, the answer from port ${EMBEDDED_PORT}`,
        ],
        answer: 1,
        why: `nat OUTPUT rewrites the query before it reaches lo, so lo carries it to ${EMBEDDED_PORT}; conntrack undoes the rewrite on the answer before it reaches lo, so the client sees it come from port 53, the port it asked.`,
      },
      mistakes: [
        {
          run: [on(C, DNAT.replace('-A OUTPUT', '-A PREROUTING')), on(C, RESOLV(EMBEDDED))],
          hint: /nat OUTPUT/,
          why: 'the DNAT rule in nat PREROUTING, which a locally sent query never meets',
        },
        {
          run: [host(DNAT), on(C, RESOLV(EMBEDDED))],
          hint: /container's own nat OUTPUT/,
          why: "the DNAT rule in the host's namespace",
        },
        {
          run: [on(C, DNAT)],
          hint: /nameserver 127\.0\.0\.11/,
          why: 'the rule without resolv.conf naming 127.0.0.11',
        },
      ],
      check: observe([`${C}:lo`, 'host:br0'], httpGet(C, URL))
        .expect(`${C}:lo`, udp({ src: '127.0.0.1', dst: EMBEDDED, dport: EMBEDDED_PORT, payload: QUERY }), {
          why: `on lo the query already goes to port ${EMBEDDED_PORT}`,
          hints: [
            hint.near(
              'dport',
              '53',
              `the query to ${EMBEDDED} kept port 53, where nothing listens (port unreachable): the DNAT rule did not match it. It belongs in the container's own nat OUTPUT chain: the nat table sees a query sent in the container only at nat OUTPUT, never at nat PREROUTING, and the host's tables never see it (iptables -t nat -S OUTPUT in ${C}: ${DNAT})`,
            ),
            hint.notSeen(
              `no query to ${EMBEDDED} on the container's lo: its resolv.conf must say nameserver ${EMBEDDED} (${RESOLV(EMBEDDED)})`,
            ),
          ],
        })
        .expect(`${C}:lo`, udp({ src: EMBEDDED, sport: 53, dst: '127.0.0.1', payload: QUERY }), {
          why: 'the answer is back from port 53 before it reaches lo: conntrack undid the DNAT',
        })
        .expect('host:br0', udp({ src: APP, dst: WAN.dns, dport: 53, payload: QUERY }), {
          why: `the resolver asks ${WAN.dns} for the name, from the container's namespace: across br0`,
        })
        .expectNone(`${C}:lo`, icmp.unreachable(), {
          why: 'no query is refused',
          hints: [
            hint.failed(
              `a query was refused on the container's lo: the DNAT rule must send ${EMBEDDED}:53 to port ${EMBEDDED_PORT}`,
            ),
          ],
        })
        .look(C, 'getent hosts db', {
          inWindow: true,
          match: /^172\.17\.0\.2\s+db$/,
          why: 'the name of a container is answered by the embedded resolver itself',
        })
        .show(C, 'iptables -t nat -L OUTPUT -v -n', {
          why: "the rule in the container's own nat table; pkts counts the queries' connections, not their packets",
          lines: /pkts|DNAT/,
        })
        .show(C, `conntrack -L -p udp --orig-dst ${EMBEDDED}`, {
          why: `each entry: asked of ${EMBEDDED} port 53, answered from port ${EMBEDDED_PORT}`,
        }),
    },
  ],
});
