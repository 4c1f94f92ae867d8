import { defineLab, host, icmp, ip, observe, ping, WAN } from '../src/lab.js';
import { bridgeStep, BRIDGE_IP, C, CONTAINER_IP, vethStep } from './shared/runbook.js';

const UPLINK_IP = '10.0.2.15';
// The container pings the internet; until MASQUERADE no reply can come back.
const toInternet = (opts: { expectFail?: boolean } = {}) => ping(C, WAN.dns, opts);

export default defineLab({
  id: '03-masquerade',
  title: 'Reaching the internet: ip_forward and MASQUERADE',
  summary: 'The container pings the internet (203.0.113.8 plays 8.8.8.8). First the host drops it, then forwards it with the wrong source, then MASQUERADE makes it work.',
  topology: { containers: { [C]: {} } },
  steps: [
    bridgeStep,
    vethStep,
    {
      id: 'observe',
      title: 'Ping the internet from the container: not working',
      explain:
        `The container sends its echo requests to its gateway ${BRIDGE_IP}, so they arrive on br0 with ttl 64. ` +
        `But they are not for the host, and a Linux host does not forward packets unless told to: ` +
        `nothing leaves through the uplink eth0.`,
      run: [],
      check: observe(['host:br0', 'host:eth0'], toInternet({ expectFail: true }))
        .expect('host:br0', icmp.echoRequest({ src: CONTAINER_IP, dst: WAN.dns, ttl: 64 }), { min: 3, why: 'the requests reach the host on br0' })
        .expectNone('host:eth0', icmp.echoRequest({ dst: WAN.dns }), { why: 'the host does not forward them' }),
    },
    {
      id: 'forward',
      title: 'Let the host forward packets',
      explain:
        'net.ipv4.ip_forward=1 makes the host a router: a packet for someone else is sent on along the routing table, ' +
        'here out of eth0 towards the gateway, with its ttl lowered by one (63). But its source is still ' +
        `${CONTAINER_IP}, a private address the internet has no route back to, so no reply ever comes.`,
      run: [host('sysctl -w net.ipv4.ip_forward=1')],
      check: observe(['host:br0', 'host:eth0'], toInternet({ expectFail: true }))
        .expect('host:eth0', icmp.echoRequest({ src: CONTAINER_IP, dst: WAN.dns, ttl: 63 }), { min: 3, why: 'forwarded, ttl 64 -> 63, source unchanged' })
        .expectNone('host:eth0', icmp.echoReply(), { why: 'nobody can answer a private source' }),
    },
    {
      id: 'masquerade',
      title: 'Hide the container behind the host: MASQUERADE',
      explain:
        'A MASQUERADE rule in the nat table rewrites the source of packets from 172.17.0.0/24 leaving by any interface ' +
        `but br0 to the address of that interface, ${UPLINK_IP}. Connection tracking remembers the rewrite and undoes it ` +
        'on the replies, so on eth0 the host pings the internet, and on br0 the container gets its replies.',
      run: [host('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE')],
      check: observe(['host:br0', 'host:eth0'], toInternet())
        .expect('host:eth0', icmp.echoRequest({ src: UPLINK_IP, dst: WAN.dns, ttl: 63 }), { min: 3, why: 'the source is now the host\'s uplink address' })
        .expect('host:eth0', icmp.echoReply({ src: WAN.dns, dst: UPLINK_IP }), { min: 3, why: 'and the replies come back' })
        .expect('host:br0', icmp.echoReply({ src: WAN.dns, dst: CONTAINER_IP, ttl: 63 }), { min: 3, why: 'rewritten back to the container' })
        .expectNone('host:eth0', ip({ src: '172.17.0.0/24' }), { why: 'the private source never leaves the host' }),
    },
  ],
});
