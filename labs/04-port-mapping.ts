import { defineLab, hint, host, http, httpGet, icmp, observe, on, ping, service, tcp, WAN } from '../src/lab.js';
import { bridgeStep, BRIDGE_IP, C, CONTAINER_IP, vethStep } from './shared/runbook.js';

const UPLINK_IP = '10.0.2.15';
const MAPPED = `http://${UPLINK_IP}:8080/`;
const OUTSIDE_8080 = `http://${WAN.web}:8080/`; // a web server on the internet's port 8080 (wan refuses it)
const SEED_RULE = `iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`; // the runbook's
const DOCKER_RULE = `iptables -t nat -A PREROUTING ! -i br0 -p tcp -m addrtype --dst-type LOCAL --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`;
// A userland proxy on the host's port 8080, as socat or docker-proxy would be (python3 is on every host).
const PROXY = `python3 -c 'import socket,threading
def pipe(a, b):
    while (d := a.recv(65536)):
        b.sendall(d)
    b.shutdown(socket.SHUT_WR)
srv = socket.create_server(("", 8080))
while True:
    c, _ = srv.accept()
    u = socket.create_connection(("${CONTAINER_IP}", 80))
    threading.Thread(target=pipe, args=(c, u)).start()
    threading.Thread(target=pipe, args=(u, c)).start()'`;

export default defineLab({
  id: '04-port-mapping',
  title: "Port mapping: DNAT from the host's port 8080 to the container's web server",
  summary:
    "The container serves HTTP on port 80. An outside client asks the host on port 8080: refused, until a DNAT rule maps it. The runbook's rule also takes the container's own traffic for port 8080; Docker's rule does not. The host itself needs a rule of its own, in nat OUTPUT.",
  topology: { containers: { [C]: {} } },
  steps: [
    bridgeStep,
    vethStep,
    {
      id: 'nat',
      title: 'Forwarding and MASQUERADE, as in lab 03',
      explain:
        "The container reaches the internet the way lab 03 built it: the host forwards, and rewrites the container's source to its own.",
      run: [
        host('sysctl -w net.ipv4.ip_forward=1'),
        host('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE'),
      ],
      prediction: {
        question: "With forwarding and MASQUERADE, which address do the internet's replies go to on eth0?",
        choices: [`${CONTAINER_IP}, the container's`, `${UPLINK_IP}, the host's`, 'none: no reply comes back'],
        answer: 1,
        why: `the internet only ever sees the host's address ${UPLINK_IP}; conntrack hands each reply on to the container.`,
      },
      mistakes: [
        {
          run: [host('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE')],
          hint: /ip_forward=1/,
          why: 'MASQUERADE without forwarding',
        },
        {
          run: [host('sysctl -w net.ipv4.ip_forward=1')],
          hint: /no MASQUERADE rule matched/,
          why: 'forwarding without MASQUERADE',
        },
      ],
      check: observe(['host:eth0'], ping(C, WAN.dns))
        .expect('host:eth0', icmp.echoRequest({ src: UPLINK_IP, dst: WAN.dns }), {
          min: 3,
          why: "the container's requests leave with the host's source",
          hints: [
            hint.notSeen('nothing left eth0: is the host forwarding? (sysctl -w net.ipv4.ip_forward=1)'),
            hint.near(
              'src',
              CONTAINER_IP,
              `requests leave eth0 with source ${CONTAINER_IP}: no MASQUERADE rule matched (iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE)`,
            ),
          ],
        })
        .expect('host:eth0', icmp.echoReply({ src: WAN.dns, dst: UPLINK_IP }), { min: 3 }),
    },
    {
      id: 'serve',
      title: 'Run a web server in the container',
      explain:
        "The container gets a resolver (the internet's 203.0.113.8 plays 8.8.8.8) and starts nginx, which listens on " +
        "port 80 of the container's own network namespace. The engine waits until it answers before going on.",
      run: [
        on(C, 'printf "nameserver 203.0.113.8\\n" > /etc/resolv.conf'),
        service(C, '/etc/init.d/nginx start', 'curl -sf -o /dev/null http://127.0.0.1/'),
      ],
      prediction: {
        question: 'nginx listens on port 80 in the container. Where does that port exist?',
        choices: [
          'on every address of the host',
          "only in the container's own network namespace",
          'nowhere until a port is published',
        ],
        answer: 1,
        why: "sockets belong to a network namespace: port 80 is open on the container's addresses, not on the host's.",
      },
      mistakes: [
        {
          run: [on(C, 'printf "nameserver 203.0.113.8\\n" > /etc/resolv.conf')],
          hint: /is nginx running/,
          why: 'the resolver, but no nginx',
        },
        {
          run: [service(C, '/etc/init.d/nginx start', 'curl -sf -o /dev/null http://127.0.0.1/')],
          hint: /no resolver/,
          why: 'nginx, but no resolver',
        },
      ],
      check: observe([`${C}:lo`], httpGet(C, 'http://127.0.0.1/'))
        .expect(`${C}:lo`, http.response(200, { sport: 80 }), {
          why: 'nginx answers inside the container',
          hints: [
            hint.notSeen(
              "no HTTP answer on the container's lo: is nginx running? (/etc/init.d/nginx start, in the container)",
            ),
          ],
        })
        .look(C, 'cat /etc/resolv.conf', {
          match: /^nameserver 203\.0\.113\.8$/,
          hints: [
            hint.failed(
              'the container has no resolver: printf "nameserver 203.0.113.8\\n" > /etc/resolv.conf (in the container)',
            ),
          ],
        }),
    },
    {
      id: 'observe',
      title: 'From outside, ask the host on port 8080: refused',
      explain:
        "The outside client (wan) connects to the host's address on port 8080. Nothing listens there, so the host " +
        'answers the SYN with RST,ACK, and no packet goes towards the container.',
      run: [],
      prediction: {
        question: "Nothing listens on the host's port 8080. What does the outside client get?",
        choices: ['a timeout: no answer at all', `a RST,ACK from ${UPLINK_IP}: refused`, "the container's web page"],
        answer: 1,
        why: 'the host answers a SYN for a port nobody listens on with RST,ACK at once; nothing is sent to the container.',
      },
      check: observe(['host:eth0', 'host:br0'], httpGet('wan', MAPPED, { expectFail: true }))
        .expect('host:eth0', tcp.syn({ dst: UPLINK_IP, dport: 8080 }))
        .expect('host:eth0', tcp.rstAck({ src: UPLINK_IP, sport: 8080 }), {
          why: 'nothing listens on 8080',
          hints: [
            hint.notSeen(
              'the host did not refuse: something listens on 8080 already, or a rule changed the path (iptables -t nat -S)',
            ),
          ],
        })
        .expectNone('host:br0', tcp({ dport: 80 }), {
          why: 'nothing is sent on to the container',
          hints: [
            hint.failed(
              'the client reached the container: a DNAT rule is there already (iptables -t nat -S PREROUTING)',
            ),
          ],
        }),
    },
    {
      id: 'dnat',
      title: 'Map port 8080 on the host to port 80 in the container: DNAT',
      explain:
        "The runbook's rule, in the nat table's PREROUTING chain, rewrites the destination of a connection for port 8080 to " +
        `${CONTAINER_IP}:80 before the host routes it, so it is forwarded to br0. The nat table sees only the first packet of ` +
        'each connection: the rule decides once, connection tracking remembers the mapping and rewrites every later packet, ' +
        'and the replies back. Its counter shows it: one packet counted for a connection of ten. On eth0 the client talks ' +
        `to ${UPLINK_IP}:8080, on br0 the same connection goes to ${CONTAINER_IP}:80. The rule names no address, and that ` +
        'is a flaw the next step shows.',
      run: [host(SEED_RULE)],
      prediction: {
        question:
          "The client's connection carries ten packets or so through the host. How many does the DNAT rule's counter count?",
        choices: [
          'all of them, each one rewritten by the rule',
          "one: the connection's first packet",
          'none: DNAT is not counted',
        ],
        answer: 1,
        why: "the nat table sees only a connection's first packet; conntrack rewrites the rest (and the replies) without asking the rule again.",
      },
      mistakes: [
        {
          run: [host(`iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}`)],
          hint: /must name the port, 172\.17\.0\.100:80/,
          why: 'no port: the SYN reaches the container on 8080, which refuses it',
        },
        {
          run: [host(`iptables -t nat -A OUTPUT -p tcp --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`)],
          hint: /PREROUTING/,
          why: "the OUTPUT chain, which only the host's own packets pass",
        },
        {
          run: [host(`iptables -t nat -A PREROUTING -p udp --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`)],
          hint: /-p tcp --dport 8080/,
          why: 'udp instead of tcp',
        },
      ],
      check: observe(['host:eth0', 'host:br0'], httpGet('wan', MAPPED))
        .expect('host:eth0', tcp.synAck({ src: UPLINK_IP, sport: 8080 }), {
          why: 'the handshake completes on 8080',
          hints: [
            hint.notSeen(
              'no SYN,ACK on eth0: the connection was not mapped. The rule belongs in -t nat PREROUTING, for -p tcp --dport 8080 (iptables -t nat -S PREROUTING)',
            ),
          ],
        })
        .expect('host:eth0', http.response(200, { src: UPLINK_IP, sport: 8080 }), {
          why: 'and HTTP 200 comes back from 10.0.2.15:8080',
        })
        .expectNone('host:eth0', tcp.rstAck({ sport: 8080 }), {
          hints: [
            hint.failed(
              'the host still refuses port 8080: the DNAT rule did not match (-p tcp --dport 8080, in PREROUTING)',
            ),
          ],
        })
        .expect('host:br0', tcp.syn({ src: WAN.gateway, dst: CONTAINER_IP, dport: 80 }), {
          why: "on br0 the destination is the container's port 80",
          hints: [
            hint.near(
              'dport',
              '8080',
              `the SYN reaches the container on port 8080, where nothing listens: the RST,ACK on eth0 (ttl 63) is the container's, turned back into ${UPLINK_IP}:8080 by conntrack. --to-destination must name the port, ${CONTAINER_IP}:80`,
            ),
            hint.near(
              'dport',
              undefined,
              `the SYN reaches the container on another port: --to-destination must be ${CONTAINER_IP}:80`,
            ),
            hint.near('dst', undefined, `the SYN goes to another address: --to-destination must be ${CONTAINER_IP}:80`),
          ],
        })
        .expect('host:br0', http.response(200, { src: CONTAINER_IP, sport: 80 }))
        .sameFlow('host:eth0', 'host:br0', {
          matcher: tcp.syn({ dport: 8080 }),
          rewritten: ['dst', 'dport'],
          why: 'one connection: only its destination differs',
        })
        .show('host', 'conntrack -L -p tcp --orig-port-dst 8080', {
          why: `conntrack's entry: the client's connection to ${UPLINK_IP}:8080, and the reply tuple from ${CONTAINER_IP}:80`,
        })
        .show('host', 'iptables -t nat -L PREROUTING -v -n', {
          why: 'pkts counts the connections it mapped: a nat rule sees only the first packet of each',
          lines: /pkts|DNAT/,
        })
        .look('host', 'iptables -t nat -L PREROUTING -v -n -x -Z', {
          match: /^\s*[1-3]\s+\d+\s+DNAT\s/,
          why: "the rule counted the connection's first packet, not its ten (-Z: counted afresh each time)",
          hints: [
            hint.failed(
              'the DNAT rule in PREROUTING counted no connection, or one per packet: iptables -t nat -L PREROUTING -v -n',
            ),
          ],
        }),
    },
    {
      id: 'hijack',
      title: "The runbook's rule takes the container's own traffic for port 8080",
      explain:
        'The rule names no address: it maps every TCP connection for port 8080 that enters the host, not only those for the ' +
        'host. The container fetches http://203.0.113.80:8080/, a web server on the internet. Its SYN enters the host by br0, ' +
        `meets the rule, and is rewritten to ${CONTAINER_IP}:80, its own address: on br0 it goes from the container to the ` +
        'container. The bridge does not send a frame back out of the port it came in by, so not even that arrives, and ' +
        'nothing goes to the internet. Any container, and with forwarding any machine routed through the host, loses port 8080 on the whole internet.',
      run: [],
      prediction: {
        question: "With the runbook's rule, the container fetches http://203.0.113.80:8080/. Where does its SYN go?",
        choices: [
          'out of eth0 to 203.0.113.80, masqueraded',
          `back to the container itself, ${CONTAINER_IP}:80`,
          'nowhere: the host drops it at once',
        ],
        answer: 1,
        why: "the rule matches any TCP for port 8080 entering the host, br0 included, and rewrites the destination to the container's own address.",
      },
      check: observe(['host:br0', 'host:eth0'], httpGet(C, OUTSIDE_8080, { expectFail: true }))
        .expect('host:br0', tcp.syn({ src: CONTAINER_IP, dst: CONTAINER_IP, dport: 80 }), {
          why: "the container's SYN for 203.0.113.80:8080, rewritten to its own port 80",
          hints: [
            hint.notSeen(
              "no SYN from the container to itself on br0: the runbook's rule, -A PREROUTING -p tcp --dport 8080 with no address, is not there (iptables -t nat -S PREROUTING)",
            ),
          ],
        })
        .expectNone('host:eth0', tcp({ dport: 8080 }), { why: 'nothing reaches the internet' }),
    },
    {
      id: 'docker-rule',
      title: "The rule Docker writes: only for the host's own addresses, not from the bridge",
      explain:
        'Docker maps a published port only for packets addressed to the host (-m addrtype --dst-type LOCAL, or -d with the ' +
        "host's address) that do not come from the containers' bridge (! -i br0): the container's traffic for other machines' port " +
        "8080 goes out as any other. Delete the runbook's rule and write that one. Docker also accepts the mapped traffic in " +
        `the filter FORWARD chain, and there the destination is already the rewritten one: -d ${CONTAINER_IP} --dport 80, never 8080, ` +
        'since filtering comes after nat PREROUTING.',
      run: [
        host(`iptables -t nat -D PREROUTING -p tcp --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`),
        host(DOCKER_RULE),
        host(`iptables -A FORWARD ! -i br0 -o br0 -p tcp -d ${CONTAINER_IP} --dport 80 -j ACCEPT`),
      ],
      prediction: {
        question: `Docker accepts the mapped connection in the filter FORWARD chain. Which destination port does its rule name?`,
        choices: ['8080, the published port', "80, the container's port", 'none: FORWARD cannot see ports'],
        answer: 1,
        why: 'nat PREROUTING has already rewritten the destination when the packet is routed and filtered: FORWARD sees 172.17.0.100:80.',
      },
      mistakes: [
        {
          run: [
            host(DOCKER_RULE),
            host(`iptables -A FORWARD ! -i br0 -o br0 -p tcp -d ${CONTAINER_IP} --dport 80 -j ACCEPT`),
          ],
          hint: /runbook's rule is still/,
          why: "Docker's rule added, the runbook's left first in the chain",
        },
        {
          run: [
            host(`iptables -t nat -D PREROUTING -p tcp --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`),
            host(DOCKER_RULE),
            host(`iptables -A FORWARD ! -i br0 -o br0 -p tcp -d ${CONTAINER_IP} --dport 8080 -j ACCEPT`),
          ],
          hint: /port 80, not 8080/,
          why: 'the FORWARD rule for the published port 8080',
        },
        {
          run: [host(`iptables -t nat -D PREROUTING -p tcp --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`)],
          hint: /was not mapped/,
          why: "the runbook's rule deleted and nothing written instead",
        },
      ],
      check: observe(['host:eth0', 'host:br0'], httpGet('wan', MAPPED), httpGet(C, OUTSIDE_8080, { expectFail: true }))
        .sameFlow('host:eth0', 'host:br0', {
          matcher: tcp.syn({ dst: UPLINK_IP, dport: 8080 }),
          rewritten: ['dst', 'dport'],
          why: 'the outside client is still mapped to the container',
          hints: [hint.failed(`wan's connection to ${UPLINK_IP}:8080 was not mapped to the container: ${DOCKER_RULE}`)],
        })
        .expect('host:eth0', tcp.syn({ src: UPLINK_IP, dst: WAN.web, dport: 8080 }), {
          why: "the container's own fetch of 203.0.113.80:8080 leaves for the internet, masqueraded",
          hints: [
            hint.notSeen(
              "the container's SYN for 203.0.113.80:8080 did not leave eth0: the runbook's rule is still in PREROUTING, first, and takes it (iptables -t nat -S PREROUTING; delete it with -D)",
            ),
          ],
        })
        .expectNone('host:br0', tcp.syn({ src: CONTAINER_IP, dst: CONTAINER_IP }), {
          why: 'no longer sent back to itself',
          hints: [
            hint.failed(
              "the container's SYN still comes back to itself: the runbook's rule is still in PREROUTING (iptables -t nat -D PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.100:80)",
            ),
          ],
        })
        .look('host', 'iptables -L FORWARD -v -n -x', {
          match: /^\s*[1-9]\d*\s+\d+\s+ACCEPT\s.*172\.17\.0\.100\s+tcp dpt:80$/,
          why: "FORWARD's ACCEPT for port 80 counts the mapped connection",
          hints: [
            hint.failed(
              `no FORWARD rule for ${CONTAINER_IP} port 80 counted the connection: FORWARD sees the destination after DNAT, port 80, not 8080 (iptables -L FORWARD -v -n)`,
            ),
          ],
        }),
    },
    {
      id: 'local',
      title: 'The host asks itself: its first packet meets nat OUTPUT, not nat PREROUTING',
      explain:
        `curl ${MAPPED} on the host is refused, with Docker\'s rule in place. Not because local packets skip PREROUTING: a ` +
        'packet for a local address loops through lo and crosses raw and mangle PREROUTING (the counting rule in raw shows it). ' +
        "But the nat table sees only a connection's first packet, at the first NAT hook it meets, and for a packet the host " +
        'makes that is nat OUTPUT: by the time it loops back, conntrack has decided there is nothing to rewrite. So the rule ' +
        `for the host goes in nat OUTPUT, for the host\'s own address. Then the container sees the host\'s own source, ${UPLINK_IP}. ` +
        `localhost:8080 stays refused: the rule names ${UPLINK_IP}, and Docker\'s excludes 127.0.0.0/8 on purpose, since a packet ` +
        'from 127.0.0.1 may not leave lo unless net.ipv4.conf.*.route_localnet=1. That is why Docker runs docker-proxy, a ' +
        "userland proxy on the port: it makes a new connection, and the container then sees the bridge's address, not the caller's.",
      arrange: [host('iptables -t raw -A PREROUTING -i lo -p tcp --dport 8080')],
      before: observe(['host:lo', 'host:br0'], httpGet('host', MAPPED, { expectFail: true }))
        .expect('host:lo', tcp.rstAck({ src: UPLINK_IP, sport: 8080 }), {
          why: 'refused: no nat rule rewrote the first packet',
        })
        .expectNone('host:br0', tcp({ dport: 80 }))
        .look('host', 'iptables -t raw -L PREROUTING -v -n -x', {
          match: /^\s*[1-9]\d*\s+\d+\s+\S*\s*6\s+--\s+lo\s.*tcp dpt:8080$/,
          why: 'yet the SYN crossed raw PREROUTING, on lo',
        }),
      run: [
        host(
          `iptables -t nat -A OUTPUT -p tcp -d ${UPLINK_IP} --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`,
        ),
      ],
      prediction: {
        question: "Which nat chain meets the first packet of the host's own connection to its own 10.0.2.15:8080?",
        choices: ['PREROUTING, when it loops back through lo', 'OUTPUT, before it is routed', 'POSTROUTING'],
        answer: 1,
        why: "a locally made packet meets nat OUTPUT first; its loop through lo crosses PREROUTING too, but nat has decided by then: it sees a connection's first packet once, at the first NAT hook.",
      },
      mistakes: [
        {
          run: [service('host', PROXY, `ss -Hltn 'sport = :8080' | grep -q LISTEN`)],
          hint: /userland proxy/,
          why: "a userland proxy (socat, docker-proxy) on the host's port 8080",
        },
        {
          run: [
            host(
              `iptables -t nat -A PREROUTING -i lo -p tcp -d ${UPLINK_IP} --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`,
            ),
          ],
          hint: /nat OUTPUT/,
          why: 'the rule in PREROUTING, for lo',
        },
        {
          run: [
            host(
              `iptables -t nat -A OUTPUT -p tcp -d ${UPLINK_IP} --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}`,
            ),
          ],
          hint: /must name the port/,
          why: 'no port in the OUTPUT rule',
        },
      ],
      check: observe(
        ['host:lo', 'host:br0'],
        httpGet('host', MAPPED),
        httpGet('host', 'http://127.0.0.1:8080/', { expectFail: true }),
      )
        .expect('host:br0', tcp.syn({ src: UPLINK_IP, dst: CONTAINER_IP, dport: 80 }), {
          why: "now the host's own request goes to the container, from the host's own address",
          hints: [
            hint.near(
              'src',
              BRIDGE_IP,
              `the container sees the bridge's address ${BRIDGE_IP}, not the host's ${UPLINK_IP}: a userland proxy (socat, docker-proxy) made a new connection. Stop it, and let nat OUTPUT rewrite the host's own packets (-t nat -A OUTPUT -p tcp -d ${UPLINK_IP} --dport 8080)`,
            ),
            hint.near(
              'dport',
              '8080',
              `the SYN reaches the container on port 8080: --to-destination must name the port, ${CONTAINER_IP}:80`,
            ),
            hint.notSeen(
              `nothing reached the container: the host's own first packet meets nat OUTPUT, not nat PREROUTING, so the rule belongs there (-t nat -A OUTPUT -p tcp -d ${UPLINK_IP} --dport 8080)`,
            ),
          ],
        })
        .expect('host:br0', http.response(200, { src: CONTAINER_IP, sport: 80 }))
        .expectNone('host:lo', tcp.rstAck({ src: UPLINK_IP, sport: 8080 }), {
          hints: [
            hint.failed(
              `still refused on lo: no OUTPUT rule matched (-p tcp -d ${UPLINK_IP} --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80)`,
            ),
          ],
        })
        .expect('host:lo', tcp.rstAck({ src: '127.0.0.1', sport: 8080 }), {
          why: 'localhost:8080 is not mapped: the host refuses it',
        }),
    },
  ],
});
