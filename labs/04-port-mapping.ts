import { defineLab, hint, host, http, httpGet, icmp, observe, on, ping, service, tcp, WAN } from '../src/lab.js';
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
      prediction: {
        question: 'With forwarding and MASQUERADE, which address do the internet\'s replies go to on eth0?',
        choices: [`${CONTAINER_IP}, the container's`, `${UPLINK_IP}, the host's`, 'none: no reply comes back'],
        answer: 1,
        why: `the internet only ever sees the host's address ${UPLINK_IP}; conntrack hands each reply on to the container.`,
      },
      check: observe(['host:eth0'], ping(C, WAN.dns))
        .expect('host:eth0', icmp.echoRequest({ src: UPLINK_IP, dst: WAN.dns }), {
          min: 3,
          why: 'the container\'s requests leave with the host\'s source',
          hints: [
            hint.notSeen('nothing left eth0: is the host forwarding? (sysctl -w net.ipv4.ip_forward=1)'),
            hint.near('src', CONTAINER_IP, `requests leave eth0 with source ${CONTAINER_IP}: no MASQUERADE rule matched (iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE)`),
          ],
        })
        .expect('host:eth0', icmp.echoReply({ src: WAN.dns, dst: UPLINK_IP }), { min: 3 }),
    },
    {
      id: 'serve',
      title: 'Run a web server in the container',
      explain:
        'The container gets a resolver (the internet\'s 203.0.113.8 plays 8.8.8.8) and starts nginx, which listens on ' +
        'port 80 of the container\'s own network namespace. The engine waits until it answers before going on.',
      run: [on(C, 'printf "nameserver 203.0.113.8\\n" > /etc/resolv.conf'), service(C, '/etc/init.d/nginx start', 'curl -sf -o /dev/null http://127.0.0.1/')],
      prediction: {
        question: 'nginx listens on port 80 in the container. Where does that port exist?',
        choices: ['on every address of the host', 'only in the container\'s own network namespace', 'nowhere until a port is published'],
        answer: 1,
        why: 'sockets belong to a network namespace: port 80 is open on the container\'s addresses, not on the host\'s.',
      },
      check: observe([`${C}:lo`], httpGet(C, 'http://127.0.0.1/'))
        .expect(`${C}:lo`, http.response(200, { sport: 80 }), { why: 'nginx answers inside the container', hints: [hint.notSeen('no HTTP answer on the container\'s lo: is nginx running? (/etc/init.d/nginx start, in the container)')] })
        .look(C, 'cat /etc/resolv.conf', { match: /^nameserver 203\.0\.113\.8$/, hints: [hint.failed('the container has no resolver: printf "nameserver 203.0.113.8\\n" > /etc/resolv.conf (in the container)')] }),
    },
    {
      id: 'observe',
      title: 'From outside, ask the host on port 8080: refused',
      explain:
        'The outside client (wan) connects to the host\'s address on port 8080. Nothing listens there, so the host ' +
        'answers the SYN with RST,ACK, and no packet goes towards the container.',
      run: [],
      prediction: {
        question: 'Nothing listens on the host\'s port 8080. What does the outside client get?',
        choices: ['a timeout: no answer at all', `a RST,ACK from ${UPLINK_IP}: refused`, 'the container\'s web page'],
        answer: 1,
        why: 'the host answers a SYN for a port nobody listens on with RST,ACK at once; nothing is sent to the container.',
      },
      check: observe(['host:eth0', 'host:br0'], httpGet('wan', MAPPED, { expectFail: true }))
        .expect('host:eth0', tcp.syn({ dst: UPLINK_IP, dport: 8080 }))
        .expect('host:eth0', tcp.rstAck({ src: UPLINK_IP, sport: 8080 }), { why: 'nothing listens on 8080', hints: [hint.notSeen('the host did not refuse: something listens on 8080 already, or a rule changed the path (iptables -t nat -S)')] })
        .expectNone('host:br0', tcp({ dport: 80 }), { why: 'nothing is sent on to the container', hints: [hint.failed('the client reached the container: a DNAT rule is there already (iptables -t nat -S PREROUTING)')] }),
    },
    {
      id: 'dnat',
      title: 'Map port 8080 on the host to port 80 in the container: DNAT',
      explain:
        'A DNAT rule in the nat table\'s PREROUTING chain rewrites the destination of packets arriving for port 8080 ' +
        `to ${CONTAINER_IP}:80 before the host routes them, so they are forwarded to br0. Connection tracking rewrites ` +
        `the replies back: on eth0 the client talks to ${UPLINK_IP}:8080, on br0 the same connection goes to ${CONTAINER_IP}:80.`,
      run: [host(`iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80`)],
      prediction: {
        question: 'After the DNAT rule, which destination do the client\'s SYNs have on br0?',
        choices: [`${UPLINK_IP}:8080, unchanged`, `${CONTAINER_IP}:80`, 'none: they do not reach br0'],
        answer: 1,
        why: 'DNAT rewrites the destination in PREROUTING, before the host routes the packet, so it is forwarded to br0 already rewritten.',
      },
      check: observe(['host:eth0', 'host:br0'], httpGet('wan', MAPPED))
        .expect('host:eth0', tcp.synAck({ src: UPLINK_IP, sport: 8080 }), {
          why: 'the handshake completes on 8080',
          hints: [hint.notSeen('no SYN,ACK on eth0: the connection was not mapped. The rule belongs in -t nat PREROUTING, for -p tcp --dport 8080 (iptables -t nat -S PREROUTING)')],
        })
        .expect('host:eth0', http.response(200, { src: UPLINK_IP, sport: 8080 }), { why: 'and HTTP 200 comes back from 10.0.2.15:8080' })
        .expectNone('host:eth0', tcp.rstAck({ sport: 8080 }), { hints: [hint.failed('the host still refuses port 8080: the DNAT rule did not match (-p tcp --dport 8080, in PREROUTING)')] })
        .expect('host:br0', tcp.syn({ src: WAN.gateway, dst: CONTAINER_IP, dport: 80 }), {
          why: 'on br0 the destination is the container\'s port 80',
          hints: [hint.near('dport', undefined, `the SYN reaches the container on another port: --to-destination must be ${CONTAINER_IP}:80`), hint.near('dst', undefined, `the SYN goes to another address: --to-destination must be ${CONTAINER_IP}:80`)],
        })
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
      prediction: {
        question: 'The host\'s own packets never pass PREROUTING. Which nat chain must the rule for them go in?',
        choices: ['PREROUTING, once more', 'OUTPUT', 'POSTROUTING'],
        answer: 1,
        why: 'locally made packets go through the nat OUTPUT chain before routing; a DNAT rule there maps them like PREROUTING maps the others.',
      },
      check: observe(['host:lo', 'host:br0'], httpGet('host', MAPPED))
        .expect('host:br0', tcp.syn({ dst: CONTAINER_IP, dport: 80 }), {
          why: 'now the host\'s own request goes to the container',
          hints: [hint.notSeen(`nothing reached the container: the host's own packets pass the nat OUTPUT chain, so the rule belongs there (-t nat -A OUTPUT -p tcp -d ${UPLINK_IP} --dport 8080)`)],
        })
        .expect('host:br0', http.response(200, { src: CONTAINER_IP, sport: 80 }))
        .expectNone('host:lo', tcp.rstAck({ sport: 8080 }), { hints: [hint.failed(`still refused on lo: no OUTPUT rule matched (-p tcp -d ${UPLINK_IP} --dport 8080 -j DNAT --to-destination ${CONTAINER_IP}:80)`)] }),
    },
  ],
});
