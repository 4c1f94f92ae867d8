import { defineLab, hint, host, icmp, ip, observe, ping, WAN } from '../src/lab.js';
import { bridgeStep, BRIDGE_IP, C, CONTAINER_IP, vethStep } from './shared/runbook.js';

const UPLINK_IP = '10.0.2.15';
// The container pings the internet; until MASQUERADE no reply can come back.
const toInternet = (opts: { expectFail?: boolean } = {}) => ping(C, WAN.dns, opts);

export default defineLab({
  id: '03-masquerade',
  title: 'Reaching the internet: ip_forward and MASQUERADE',
  summary:
    'The container pings the internet (203.0.113.8 plays 8.8.8.8). First the host drops it, then forwards it with the wrong source, then MASQUERADE makes it work.',
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
      prediction: {
        question: 'The container pings 203.0.113.8 through its gateway. How far do its echo requests get?',
        choices: [
          'nowhere: they never leave the container',
          'to br0 on the host, but not out of eth0',
          'out of eth0, with no reply',
        ],
        answer: 1,
        why: 'the host receives them on br0, but they are not for the host, and a Linux host forwards nothing unless net.ipv4.ip_forward is 1.',
      },
      check: observe(['host:br0', 'host:eth0'], toInternet({ expectFail: true }))
        .expect('host:br0', icmp.echoRequest({ src: CONTAINER_IP, dst: WAN.dns, ttl: 64 }), {
          min: 3,
          why: 'the requests reach the host on br0',
          hints: [hint.notSeen('nothing reached br0: is the container wired to the bridge (step veth)?')],
        })
        .expectNone('host:eth0', icmp.echoRequest({ dst: WAN.dns }), {
          why: 'the host does not forward them',
          hints: [hint.failed('requests leave eth0: the host already forwards (sysctl net.ipv4.ip_forward says 1)')],
        }),
    },
    {
      id: 'forward',
      title: 'Let the host forward packets',
      explain:
        'net.ipv4.ip_forward=1 makes the host a router: a packet for someone else is sent on along the routing table, ' +
        'here out of eth0 towards the gateway, with its ttl lowered by one (63). But its source is still ' +
        `${CONTAINER_IP}, a private address the internet has no route back to, so no reply ever comes.`,
      run: [host('sysctl -w net.ipv4.ip_forward=1')],
      prediction: {
        question: 'After ip_forward=1, will the container get a reply?',
        choices: [
          'yes: the ping works now',
          'no: the requests leave eth0 with source 172.17.0.100 and nothing comes back',
          'no: the requests still stop at br0',
        ],
        answer: 1,
        why: `the host forwards them out of eth0 (ttl 63), but their source is still the private ${CONTAINER_IP}, and the internet has no route back to it.`,
      },
      mistakes: [
        {
          run: [host('sysctl -w net.ipv6.conf.all.forwarding=1')],
          hint: /sysctl -w net\.ipv4\.ip_forward=1/,
          why: 'forwarding turned on for IPv6, not IPv4',
        },
        {
          run: [
            host('sysctl -w net.ipv4.ip_forward=1'),
            host('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE'),
          ],
          hint: /MASQUERADE rule is there already/,
          why: 'MASQUERADE a step early',
        },
      ],
      check: observe(['host:br0', 'host:eth0'], toInternet({ expectFail: true }))
        .expect('host:eth0', icmp.echoRequest({ src: CONTAINER_IP, dst: WAN.dns, ttl: 63 }), {
          min: 3,
          why: 'forwarded, ttl 64 -> 63, source unchanged',
          hints: [
            hint.notSeen(
              'nothing reached eth0: is the host forwarding? (sysctl net.ipv4.ip_forward must say 1: sysctl -w net.ipv4.ip_forward=1)',
            ),
            hint.near(
              'src',
              UPLINK_IP,
              `the requests leave with source ${UPLINK_IP}: a MASQUERADE rule is there already, and this step is forwarding alone (iptables -t nat -S POSTROUTING)`,
            ),
          ],
        })
        .expectNone('host:eth0', icmp.echoReply(), {
          why: 'nobody can answer a private source',
          hints: [
            hint.failed('replies came back: something already rewrites the source (iptables -t nat -S POSTROUTING)'),
          ],
        }),
    },
    {
      id: 'masquerade',
      title: 'Hide the container behind the host: MASQUERADE',
      explain:
        'A MASQUERADE rule in the nat table rewrites the source of packets from 172.17.0.0/24 leaving by any interface ' +
        `but br0 to the address of that interface, ${UPLINK_IP}. Connection tracking remembers the rewrite and undoes it ` +
        'on the replies, so on eth0 the host pings the internet, and on br0 the container gets its replies.',
      run: [host('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE')],
      prediction: {
        question: 'With the MASQUERADE rule, which source address do the echo requests carry on eth0?',
        choices: [
          `${CONTAINER_IP}, the container's`,
          `${UPLINK_IP}, the host's uplink address`,
          `${BRIDGE_IP}, the bridge's`,
        ],
        answer: 1,
        why: `MASQUERADE rewrites the source to the address of the interface the packet leaves by (eth0: ${UPLINK_IP}); conntrack rewrites the replies back to ${CONTAINER_IP}.`,
      },
      mistakes: [
        {
          run: [host('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 -o br0 -j MASQUERADE')],
          hint: /MASQUERADE rule did not match/,
          why: '-o br0 instead of ! -o br0',
        },
        {
          run: [host('iptables -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE')],
          hint: /-t nat POSTROUTING/,
          why: 'without -t nat: the filter table has no POSTROUTING chain',
        },
        {
          run: [
            host('iptables -t nat -A POSTROUTING -s 172.17.0.100/32 -o eth0 -j MASQUERADE'),
            host('iptables -t nat -I POSTROUTING -s 172.17.0.0/24 -j RETURN'),
          ],
          hint: /did not match/,
          why: 'an earlier rule returns first',
        },
      ],
      check: observe(['host:br0', 'host:eth0'], toInternet())
        .expect('host:eth0', icmp.echoRequest({ src: UPLINK_IP, dst: WAN.dns, ttl: 63 }), {
          min: 3,
          why: "the source is now the host's uplink address",
          hints: [
            hint.near(
              'src',
              CONTAINER_IP,
              `requests leave eth0 with source ${CONTAINER_IP} and no reply: the MASQUERADE rule did not match them. It belongs in -t nat POSTROUTING with -s 172.17.0.0/24 and ! -o br0 (iptables -t nat -S POSTROUTING)`,
            ),
            hint.notSeen('nothing reached eth0: is the host still forwarding? (sysctl net.ipv4.ip_forward)'),
          ],
        })
        .expect('host:eth0', icmp.echoReply({ src: WAN.dns, dst: UPLINK_IP }), {
          min: 3,
          why: 'and the replies come back',
        })
        .expect('host:br0', icmp.echoReply({ src: WAN.dns, dst: CONTAINER_IP, ttl: 63 }), {
          min: 3,
          why: 'rewritten back to the container',
        })
        .expectNone('host:eth0', ip({ src: '172.17.0.0/24' }), {
          why: 'the private source never leaves the host',
          hints: [
            hint.failed(
              'a private source still leaves eth0: some packets were not rewritten (check -s and ! -o of the rule)',
            ),
          ],
        })
        .show('host', `conntrack -L -p icmp --reply-dst ${UPLINK_IP}`, {
          why: `conntrack's entry for the rewritten pings: sent from ${CONTAINER_IP}, answered to ${UPLINK_IP}`,
        })
        .show('host', 'iptables -t nat -L POSTROUTING -v -n', {
          why: 'pkts counts the connections it rewrote: a nat rule sees only the first packet of each',
          lines: /pkts|MASQUERADE/,
        }),
    },
  ],
});
