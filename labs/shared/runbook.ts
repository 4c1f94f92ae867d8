// The runbook's bridge and veth steps, shared by the labs that start from a wired container.
import { arp, hint, host, icmp, observe, on, ping, type StepDef } from '../../src/lab.js';

export const C = 'mycontainer';
export const BRIDGE_IP = '172.17.0.1';
export const CONTAINER_IP = '172.17.0.100';
const NOBODY_IP = '172.17.0.2'; // not the container's: the host's ARP retries must not teach the container anything

// br0 with the containers' gateway address; proved by the host asking on br0 for a container.
export const bridgeStep: StepDef = {
  id: 'bridge',
  title: 'Create the bridge br0 on the host',
  explain:
    'A bridge is a virtual switch. Containers plug into it, and the host talks to them through it, so br0 gets the ' +
    'address the containers will use as their gateway: 172.17.0.1/24. Once br0 is up, the host owns 172.17.0.0/24 ' +
    'and looks for its neighbours there with ARP (who has 172.17.0.2?), but nothing is plugged in yet, so nobody answers.',
  run: [
    host('ip link add br0 type bridge'),
    host(`ip addr add ${BRIDGE_IP}/24 dev br0`),
    host('ip link set dev br0 up'),
  ],
  prediction: {
    question: 'br0 is up with 172.17.0.1/24 and nothing is plugged in. The host pings 172.17.0.2: what shows on br0?',
    choices: ['nothing at all', 'ARP requests (who has 172.17.0.2?) and no answer', 'echo requests and no reply'],
    answer: 1,
    why: 'before any echo request the host must learn the MAC of 172.17.0.2, so it asks on br0 with ARP; nobody is plugged in to answer.',
  },
  mistakes: [
    {
      run: [host('ip link add br0 type bridge'), host('ip link set dev br0 up')],
      hint: /172\.17\.0\.1\/24/,
      why: 'a bridge without its address',
    },
    {
      run: [host('ip link add br0 type bridge'), host(`ip addr add ${BRIDGE_IP}/24 dev br0`)],
      hint: /interface is down/,
      why: 'a bridge left down: the capture on br0 says so',
    },
    {
      run: [
        host('ip link add br0 type bridge'),
        host(`ip addr add ${CONTAINER_IP}/24 dev br0`),
        host('ip link set dev br0 up'),
      ],
      hint: /asks from another address/,
      why: "the container's address on the bridge",
    },
  ],
  check: observe(
    ['host:br0'],
    ping('host', NOBODY_IP, { count: 1, expectFail: true }),
    ping(C, BRIDGE_IP, { count: 1, expectFail: true }),
  )
    .expect('host:br0', arp.request({ src: BRIDGE_IP, dst: NOBODY_IP }), {
      why: 'br0 is up with 172.17.0.1/24: the host asks on it who has 172.17.0.2',
      hints: [
        hint.notSeen(
          'no ARP on br0: is br0 up (ip link set dev br0 up) and does it have 172.17.0.1/24 (ip addr add 172.17.0.1/24 dev br0)?',
        ),
        hint.near(
          'src',
          undefined,
          'the host asks from another address: br0 must have 172.17.0.1/24 (ip -br addr show br0)',
        ),
      ],
    })
    .expectNone('host:br0', arp.reply(), {
      why: 'no container is plugged in yet, so nobody answers',
      hints: [
        hint.failed('something answered on br0: is something already plugged into it? (ip link show master br0)'),
      ],
    })
    .expectNone('host:br0', icmp.echoRequest({ src: CONTAINER_IP }), {
      why: 'the container has no link yet: nothing reaches br0',
    }),
};

// The runbook's veth lines: one end on br0, the other as the container's eth0 with its address and route.
const VETH_RUN = [
  host(`ip link add veth1 type veth peer name eth0 netns ${C}`),
  host('ip link set dev veth1 up'),
  host('ip link set dev veth1 master br0'),
  on(C, `ip addr add ${CONTAINER_IP}/24 dev eth0`),
  on(C, 'ip link set dev eth0 up'),
  on(C, 'ip link set lo up'),
  on(C, `ip route add default via ${BRIDGE_IP}`),
];

// The veth pair: one end on br0, the other as the container's eth0 with its address and route.
export const vethStep: StepDef = {
  id: 'veth',
  title: 'Plug the container into br0 with a veth pair',
  explain:
    'A veth pair is a virtual cable: what goes in one end comes out of the other. veth1 stays on the host and is ' +
    "enslaved to br0; its peer moves into the container's network namespace, where it is called eth0 and gets " +
    '172.17.0.100/24 and a default route via the bridge. Now a ping from the container first asks (ARP) who has ' +
    '172.17.0.1, then sends echo requests, and the host answers: the same packets pass veth1 and br0.',
  run: VETH_RUN,
  prediction: {
    question: 'The container pings its gateway 172.17.0.1 for the first time. What is the first packet on veth1?',
    choices: ['an ICMP echo request', 'an ARP request: who has 172.17.0.1?', 'nothing: the container has no route'],
    answer: 1,
    why: 'the gateway is on the link, so the container first asks for its MAC address with ARP; the echo requests follow.',
  },
  mistakes: [
    {
      run: VETH_RUN.filter((c) => !c.cmd.includes('master br0')),
      hint: /master br0/,
      why: 'veth1 not plugged into the bridge',
    },
    {
      run: VETH_RUN.filter((c) => !c.cmd.startsWith('ip route add default')),
      hint: /no default route/,
      why: 'no default route in the container',
    },
    {
      run: VETH_RUN.filter((c) => c.cmd !== 'ip link set lo up'),
      hint: /loopback is down/,
      why: "the container's loopback left down",
    },
  ],
  check: observe(['host:br0', 'host:veth1'], ping(C, BRIDGE_IP))
    .expect('host:veth1', arp.request({ src: CONTAINER_IP, dst: BRIDGE_IP }), {
      why: 'the container asks who has its gateway',
      hints: [
        hint.notSeen(
          'nothing reached veth1: are both ends up (ip link set dev veth1 up; in the container: ip link set dev eth0 up), with 172.17.0.100/24 on eth0 and a default route via 172.17.0.1?',
        ),
        hint.near('src', undefined, 'the container asks from another address: its eth0 must have 172.17.0.100/24'),
      ],
    })
    .expect('host:br0', arp.reply({ src: BRIDGE_IP, dst: CONTAINER_IP }), {
      why: 'the host answers on the bridge',
      hints: [
        hint.notSeen(
          'the host did not answer on br0: is veth1 plugged into the bridge? (ip link set dev veth1 master br0)',
        ),
      ],
    })
    .expect('host:veth1', icmp.echoRequest({ src: CONTAINER_IP, dst: BRIDGE_IP, ttl: 64 }), { min: 3 })
    .expect('host:br0', icmp.echoRequest({ src: CONTAINER_IP, dst: BRIDGE_IP, ttl: 64 }), { min: 3 })
    .expect('host:br0', icmp.echoReply({ src: BRIDGE_IP, dst: CONTAINER_IP }), { min: 3 })
    .expect('host:veth1', icmp.echoReply({ src: BRIDGE_IP, dst: CONTAINER_IP }), { min: 3 })
    .look(C, 'ip -o link show lo', {
      match: /[<,]UP[,>]/,
      why: 'its loopback is up',
      hints: [hint.failed("the container's loopback is down: ip link set lo up (in the container)")],
    })
    .look(C, 'ip route', {
      match: /^default via 172\.17\.0\.1 dev eth0/,
      why: 'its way out is the bridge',
      hints: [
        hint.failed('the container has no default route: ip route add default via 172.17.0.1 (in the container)'),
      ],
    }),
};
