import { defineLab, host, http, httpGet, icmp, observe, on, ping, service, tcp, WAN } from '../src/lab.js';
import { bridgeStep, C, CONTAINER_IP, vethStep } from './shared/runbook.js';

const UPLINK_IP = '10.0.2.15';
const MAPPED = `http://${UPLINK_IP}:8080/`;

export default defineLab({
  id: '04-port-mapping',
  title: 'Port mapping: DNAT from the host\'s port 8080 to the container\'s web server',
  summary: 'The container serves HTTP on port 80. An outside client asks the host on port 8080: refused, until a DNAT rule maps it; and the host itself needs a rule of its own.',
  topology: { containers: { [C]: {} } },
  steps: [
    bridgeStep,
    vethStep,
    {
      id: 'nat',
      title: 'Forwarding and MASQUERADE, as in lab 03',
      explain: 'The container reaches the internet the way lab 03 built it: the host forwards, and rewrites the container\'s source to its own.',
      run: [host('sysctl -w net.ipv4.ip_forward=1'), host('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE')],
      check: observe(['host:eth0'], ping(C, WAN.dns)).expect('host:eth0', icmp.echoReply({ src: WAN.dns, dst: UPLINK_IP }), { min: 3 }),
    },
    {
      id: 'serve',
      title: 'Run a web server in the container',
      explain:
        'The container gets a resolver (the internet\'s 203.0.113.8 plays 8.8.8.8) and starts nginx, which listens on ' +
        'port 80 of the container\'s own network namespace. The engine waits until it answers before going on.',
      run: [on(C, 'printf "nameserver 203.0.113.8\\n" > /etc/resolv.conf'), service(C, '/etc/init.d/nginx start', 'curl -sf -o /dev/null http://127.0.0.1/')],
      check: observe([`${C}:lo`], httpGet(C, 'http://127.0.0.1/'))
        .expect(`${C}:lo`, http.response(200, { sport: 80 }), { why: 'nginx answers inside the container' })
        .look(C, 'cat /etc/resolv.conf', { match: /^nameserver 203\.0\.113\.8$/ }),
    },
    {
      id: 'observe',
      title: 'From outside, ask the host on port 8080: refused',
      explain:
        'The outside client (wan) connects to the host\'s address on port 8080. Nothing listens there, so the host ' +
        'answers the SYN with RST,ACK, and no packet goes towards the container.',
      run: [],
      check: observe(['host:eth0', 'host:br0'], httpGet('wan', MAPPED, { expectFail: true }))
        .expect('host:eth0', tcp.syn({ dst: UPLINK_IP, dport: 8080 }))
        .expect('host:eth0', tcp.rstAck({ src: UPLINK_IP, sport: 8080 }), { why: 'nothing listens on 8080' })
        .expectNone('host:br0', tcp({ dport: 80 }), { why: 'nothing is sent on to the container' }),
    },
    {
      id: 'dnat',
      title: 'Map port 8080 on the host to port 80 in the container: DNAT',
      explain:
        'A DNAT rule in the nat table\'s PREROUTING chain rewrites the destination of packets arriving for port 8080 ' +
        `to ${CONTAINER_IP}:80 before the host routes them, so they are forwarded to br0. Connection tracking rewrites ` +
        `the replies back: on eth0 the client talks to ${UPLINK_IP}:8080, on br0 the same connection goes to ${CONTAINER_IP}:80.`,
      run: [host(`iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`)],
      check: observe(['host:eth0', 'host:br0'], httpGet('wan', MAPPED))
        .expect('host:eth0', tcp.synAck({ src: UPLINK_IP, sport: 8080 }), { why: 'the handshake completes on 8080' })
        .expect('host:eth0', http.response(200, { src: UPLINK_IP, sport: 8080 }), { why: 'and HTTP 200 comes back from 10.0.2.15:8080' })
        .expectNone('host:eth0', tcp.rstAck({ sport: 8080 }))
        .expect('host:br0', tcp.syn({ src: WAN.gateway, dst: CONTAINER_IP, dport: 80 }), { why: 'on br0 the destination is the container\'s port 80' })
        .expect('host:br0', http.response(200, { src: CONTAINER_IP, sport: 80 }))
        .sameFlow('host:eth0', 'host:br0', { matcher: tcp.syn({ dport: 8080 }), rewritten: ['dst', 'dport'], why: 'one connection: only its destination differs' }),
    },
    {
      id: 'local',
      title: 'The host asks itself: PREROUTING does not see it',
      explain:
        'Packets the host sends itself never pass PREROUTING: they are made locally and go through the OUTPUT chain, ' +
        `so curl ${MAPPED} on the host is refused even with the DNAT rule. The same rule in the nat table\'s OUTPUT ` +
        'chain, for the host\'s own address, sends them to the container too.',
      before: observe(['host:lo', 'host:br0'], httpGet('host', MAPPED, { expectFail: true }))
        .expect('host:lo', tcp.rstAck({ src: UPLINK_IP, sport: 8080 }), { why: 'refused: the DNAT rule is not in this path' })
        .expectNone('host:br0', tcp({ dport: 80 })),
      run: [host(`iptables -t nat -A OUTPUT -p tcp -d ${UPLINK_IP} --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`)],
      check: observe(['host:lo', 'host:br0'], httpGet('host', MAPPED))
        .expect('host:br0', tcp.syn({ dst: CONTAINER_IP, dport: 80 }), { why: 'now the host\'s own request goes to the container' })
        .expect('host:br0', http.response(200, { src: CONTAINER_IP, sport: 80 }))
        .expectNone('host:lo', tcp.rstAck({ sport: 8080 })),
    },
  ],
});
