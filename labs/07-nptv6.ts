import {
  defineLab,
  hint,
  host,
  HOST,
  icmp6,
  ip,
  nptExplain,
  nptMap,
  observe,
  on,
  ping,
  WAN,
  type LabCommand,
} from '../src/lab.js';

// nat66 (on PATH in every node, containers included) plays Slick NAT's slnat: NPTv6 in the namespace it runs in.
const APP = 'app'; // behind the host's mapping
const TENANT = 'tenant'; // maps its own prefix in its own namespace
const LOCKED = 'locked'; // the same, but without CAP_NET_ADMIN

const LAN = 'fd00:0:0:1'; // br0's ULA /64
const APP_IP = `${LAN}::2`;
const APP_MAP = { from: `${LAN}::/64`, to: '2001:db8:1:1::/64' }; // inside HOST.delegated6, which wan routes to the host
const TENANT_IN = 'fd00:0:0:2::1';
const TENANT_MAP = { from: 'fd00:0:0:2::/64', to: '2001:db8:1:2::/64' };
const LOCKED_IN = 'fd00:0:0:3::1';
const LOCKED_MAP = { from: 'fd00:0:0:3::/64', to: '2001:db8:1:3::/64' };

// Bit 12 of the effective capabilities is CAP_NET_ADMIN.
const CAP_NET_ADMIN_BIT =
  'echo "CAP_NET_ADMIN: $( [ $(( 0x$(sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status) >> 12 & 1 )) -eq 1 ] && echo yes || echo no)"';

const APP_OUT = nptMap(APP_IP, APP_MAP.from, APP_MAP.to);
const TENANT_OUT = nptMap(TENANT_IN, TENANT_MAP.from, TENANT_MAP.to);
const LOCKED_OUT = nptMap(LOCKED_IN, LOCKED_MAP.from, LOCKED_MAP.to);

// A container on br0 with an inner address on its loopback (standing in for what it serves), and the
// host's route to its external prefix; `ip` runs where `at` says.
function tenantWiring(
  c: string,
  n: number,
  inner: string,
  external: string,
  at: (cmd: string) => LabCommand,
): LabCommand[] {
  const onBr0 = `${LAN}::${n}`;
  return [
    host(`ip link add ve-${c} type veth peer name eth0 netns ${c}`),
    host(`ip link set ve-${c} master br0 up`),
    at('ip link set eth0 up'),
    at(`ip addr add ${onBr0}/64 dev eth0`),
    at(`ip route add default via ${LAN}::1`),
    at('ip link set lo up'),
    at(`ip addr add ${inner}/128 dev lo`),
    host(`ip route add ${external} via ${onBr0}`),
  ];
}

export default defineLab({
  id: '07-nptv6',
  title: 'NPTv6: stateless prefix translation per network namespace (Slick NAT)',
  summary:
    "Containers on a ULA prefix reach the IPv6 internet through prefix mappings: the host maps one container's prefix, another " +
    'container maps its own in its own namespace, and one without CAP_NET_ADMIN is refused. Every translated address is ' +
    'checked to the bit, including the word the checksum-neutral adjustment changes.',
  topology: { containers: { [APP]: {}, [TENANT]: {}, [LOCKED]: { netAdmin: false } } },
  steps: [
    {
      id: 'mapping',
      title: "The host maps the containers' ULA prefix to one of its own",
      explain:
        `The containers live on ${LAN}::/64, a unique local prefix that no one routes on the internet. The host's provider routes ` +
        `${HOST.delegated6} to it, and Slick NAT's slnat (here nat66, which uses the kernel's NPT targets: ip6tables SNPT and DNPT, ` +
        `in the mangle table only) maps ${APP_MAP.from} to ${APP_MAP.to} on eth0. The translation is stateless: no connection ` +
        `table, only arithmetic on the prefix. But the address that leaves is not 2001:db8:1:1::2. ${nptExplain(APP_IP, APP_MAP.from, APP_MAP.to)} ` +
        "The replies are translated back on their way in, so on br0 they go to the container's own address.",
      arrange: [
        host('ip link add br0 type bridge'),
        host('ip link set br0 up'),
        host(`ip addr add ${LAN}::1/64 dev br0`),
        host(`ip link add ve-${APP} type veth peer name eth0 netns ${APP}`),
        host(`ip link set ve-${APP} master br0 up`),
        on(APP, 'ip link set eth0 up'),
        on(APP, `ip addr add ${APP_IP}/64 dev eth0`),
        on(APP, `ip route add default via ${LAN}::1`),
      ],
      run: [
        host('sysctl -w net.ipv6.conf.all.forwarding=1'),
        host(`nat66 eth0 add ${APP_MAP.from} ${APP_MAP.to}`),
        host('nat66 status', { readOnly: true }),
      ],
      prediction: {
        question: `NPTv6 keeps no connection table. Can the replies to ${APP_OUT} find their way back to ${APP_IP}?`,
        choices: [
          'no: without state, the host cannot know whom they are for',
          `yes: the same arithmetic, reversed, maps ${APP_OUT} back to ${APP_IP}`,
          'only the first reply, before the mapping is forgotten',
        ],
        answer: 1,
        why: 'the mapping is a function of the address alone, and it can be inverted: the host rewrites the destination prefix (and the adjusted word) back on the way in, for every packet, with nothing to remember.',
      },
      mistakes: [
        {
          run: [host(`nat66 eth0 add ${APP_MAP.from} ${APP_MAP.to}`)],
          hint: /forwarding IPv6/,
          why: 'the mapping without IPv6 forwarding',
        },
        {
          run: [host('sysctl -w net.ipv4.ip_forward=1'), host(`nat66 eth0 add ${APP_MAP.from} ${APP_MAP.to}`)],
          hint: /forwarding IPv6/,
          why: 'IPv4 forwarding turned on instead of IPv6',
        },
        {
          run: [
            host('sysctl -w net.ipv6.conf.all.forwarding=1'),
            host(`nat66 eth0 add ${APP_MAP.from} 2001:db8:1:1::/48`),
          ],
          hint: /same length/,
          why: 'prefixes of different lengths (nat66 refuses)',
        },
      ],
      check: observe(['host:br0', 'host:eth0'], ping(APP, WAN.dns6))
        .expect('host:eth0', icmp6.echoRequest({ src: APP_OUT, dst: WAN.dns6 }), {
          min: 3,
          why: `the exact address: ${APP_OUT}`,
          hints: [
            hint.notSeen(
              'nothing left eth0: is the host forwarding IPv6? (sysctl net.ipv6.conf.all.forwarding must say 1)',
            ),
            hint.near(
              'src',
              APP_IP,
              `the requests leave eth0 with their ULA source ${APP_IP}: no mapping translated them. Is it there (nat66 status)? If nat66 refused the add, read why: both must be prefixes of the same length, /64 here (nat66 eth0 add ${APP_MAP.from} ${APP_MAP.to})`,
            ),
            hint.near(
              'src',
              undefined,
              `the requests leave eth0 with another address than ${APP_OUT}: check both prefixes of the mapping, ${APP_MAP.from} to ${APP_MAP.to}, of the same length (nat66 status)`,
            ),
          ],
        })
        .expect('host:br0', icmp6.echoReply({ src: WAN.dns6, dst: APP_IP }), {
          min: 3,
          why: 'replies translated back to the internal address',
          hints: [
            hint.notSeen(
              `no reply reached ${APP_IP} on br0: did the requests leave eth0 as ${APP_OUT}, an address of ${HOST.delegated6} that wan routes back to the host? (nat66 status)`,
            ),
          ],
        })
        .sameFlow('host:br0', 'host:eth0', {
          matcher: icmp6.echoRequest({ src: APP_IP }),
          rewritten: ['src'],
          why: 'one conversation, only the source prefix rewritten',
        })
        .expectNone('host:eth0', ip({ src: 'fd00::/8' }), {
          why: 'no ULA source leaves the host',
          hints: [hint.failed('a ULA source leaves eth0 untranslated: the mapping does not cover it (nat66 status)')],
        }),
    },
    {
      id: 'isolation',
      title: 'A container maps its own prefix, in its own namespace',
      explain:
        "Mappings belong to a network namespace, as Slick NAT's belong to the namespace that wrote them: each container has its " +
        `own table. The tenant container has an inner prefix, ${TENANT_MAP.from} (one address of it on its loopback), and maps it on its eth0 to ` +
        `${TENANT_MAP.to} itself; the host only routes that prefix to it. Its traffic is already translated when it reaches br0 and ` +
        `leaves eth0 unchanged, as ${TENANT_OUT}. nat66 status reads the rules back from the kernel, so each namespace lists only its own.`,
      arrange: tenantWiring(TENANT, 3, TENANT_IN, TENANT_MAP.to, (cmd) => on(TENANT, cmd)),
      run: [
        on(TENANT, `nat66 eth0 add ${TENANT_MAP.from} ${TENANT_MAP.to}`),
        on(TENANT, 'nat66 status', { readOnly: true }),
      ],
      prediction: {
        question:
          'The wan answers the tenant. Which destination do the replies carry on br0, on their way to the tenant?',
        choices: [
          `${TENANT_IN}: the host translates them back`,
          `${TENANT_OUT}: the tenant translates them back itself`,
          `${LAN}::3, its address on br0`,
        ],
        answer: 1,
        why: `the host has no mapping for ${TENANT_MAP.to}, only a route to the tenant: the replies cross br0 still addressed to ${TENANT_OUT}, and the tenant's own table rewrites them on its eth0.`,
      },
      mistakes: [
        {
          run: [host(`nat66 eth0 add ${TENANT_MAP.from} ${TENANT_MAP.to}`)],
          hint: /tenant's own namespace/,
          why: "the tenant's mapping added on the host",
        },
        {
          run: [on(TENANT, `nat66 eth0 add ${APP_MAP.from} ${TENANT_MAP.to}`)],
          hint: /tenant's own namespace/,
          why: "the tenant maps the host's LAN prefix, not its own",
        },
      ],
      check: observe(['host:br0', 'host:eth0'], ping(TENANT, WAN.dns6, { src: TENANT_IN }), ping(APP, WAN.dns6))
        .expect('host:br0', icmp6.echoRequest({ src: TENANT_OUT, dst: WAN.dns6 }), {
          min: 3,
          why: 'translated inside the tenant, before br0',
          hints: [
            hint.near(
              'src',
              TENANT_IN,
              `on br0 the tenant's requests still carry ${TENANT_IN}: the tenant has not mapped them. The mapping goes in the tenant's own namespace, on its eth0 (in the tenant: nat66 eth0 add ${TENANT_MAP.from} ${TENANT_MAP.to}; nat66 status)`,
            ),
            hint.notSeen(
              'no request from the tenant on br0: does it still send from its inner address? (in the tenant: ip -br addr; ip route)',
            ),
          ],
        })
        .expect('host:eth0', icmp6.echoRequest({ src: TENANT_OUT, dst: WAN.dns6 }), {
          min: 3,
          why: 'and left alone by the host',
        })
        .expect('host:eth0', icmp6.echoRequest({ src: APP_OUT, dst: WAN.dns6 }), {
          min: 3,
          why: 'the app still leaves with its own prefix',
        })
        .expect('host:br0', icmp6.echoReply({ src: WAN.dns6, dst: TENANT_OUT }), { min: 3 })
        .look(TENANT, 'nat66 status', {
          match: /fd00:0:0:2::\/64/,
          noMatch: /fd00:0:0:1::\/64/,
          why: 'the tenant sees only its own mapping',
          hints: [
            hint.failed(
              `the tenant's nat66 status does not list ${TENANT_MAP.from} alone: the mapping must be made in the tenant (nat66 status, in the tenant)`,
            ),
          ],
        })
        .look('host', 'nat66 status', {
          match: /fd00:0:0:1::\/64/,
          noMatch: /fd00:0:0:2::\/64/,
          why: 'the host only its own',
          hints: [
            hint.failed(
              `the host's nat66 status must list its own ${APP_MAP.from} and not the tenant's ${TENANT_MAP.from}: was the tenant's mapping made on the host? (nat66 status, on the host)`,
            ),
          ],
        }),
    },
    {
      id: 'privilege',
      title: 'Without CAP_NET_ADMIN a container is refused; with it, the mapping works',
      explain:
        "Slick NAT's guide offers a privileged container or an unprivileged one given net_admin. The locked container runs " +
        "without CAP_NET_ADMIN, so the kernel refuses to let it change its own netfilter tables: nat66 fails with the kernel's " +
        '"Permission denied". The host\'s administrator, who has the capability, can enter just the container\'s network namespace ' +
        `(nsenter --net) and add the same mapping there; then the locked container's traffic leaves as ${LOCKED_OUT}.`,
      arrange: tenantWiring(LOCKED, 4, LOCKED_IN, LOCKED_MAP.to, (cmd) =>
        host(`ip -n ${LOCKED} ${cmd.replace(/^ip /, '')}`),
      ),
      run: [
        on(LOCKED, `nat66 eth0 add ${LOCKED_MAP.from} ${LOCKED_MAP.to}`, { expectFail: true, readOnly: true }),
        host(`nsenter --net=/run/netns/${LOCKED} nat66 eth0 add ${LOCKED_MAP.from} ${LOCKED_MAP.to}`),
      ],
      prediction: {
        question: `The host adds the locked container's mapping with nsenter --net. Which destination do the replies carry on br0?`,
        choices: [
          `${LOCKED_IN}: the host translated them back`,
          `${LOCKED_OUT}: the mapping lives in the container's namespace`,
          'none come: a mapping made by the host cannot serve the container',
        ],
        answer: 1,
        why: `nsenter --net runs nat66 in the container's network namespace, so the rules land in the container's tables, as if it had made them: the host only routes ${LOCKED_MAP.to} to it, and the container translates back on its own eth0.`,
      },
      mistakes: [
        {
          run: [on(LOCKED, `nat66 eth0 add ${LOCKED_MAP.from} ${LOCKED_MAP.to}`, { expectFail: true })],
          hint: /nsenter --net/,
          why: "only the container's own attempt, which the kernel refuses",
        },
        {
          run: [host(`nat66 eth0 add ${LOCKED_MAP.from} ${LOCKED_MAP.to}`)],
          hint: /belongs in the container's/,
          why: "the mapping added in the host's namespace",
        },
      ],
      check: observe(['host:br0', 'host:eth0'], ping(LOCKED, WAN.dns6, { src: LOCKED_IN }))
        .expect('host:eth0', icmp6.echoRequest({ src: LOCKED_OUT, dst: WAN.dns6 }), {
          min: 3,
          why: 'the mapping made with the capability works',
          hints: [
            hint.notSeen(
              'nothing left eth0: is the host forwarding IPv6 (sysctl net.ipv6.conf.all.forwarding must say 1)?',
            ),
            hint.near(
              'src',
              LOCKED_IN,
              `the requests leave eth0 untranslated, as ${LOCKED_IN}: the container's own nat66 was refused, and nobody added the mapping for it. The host must add it in the container's namespace: nsenter --net=/run/netns/${LOCKED} nat66 eth0 add ${LOCKED_MAP.from} ${LOCKED_MAP.to}`,
            ),
          ],
        })
        .expect('host:br0', icmp6.echoReply({ src: WAN.dns6, dst: LOCKED_OUT }), {
          min: 3,
          hints: [
            hint.notSeen(
              `no reply for ${LOCKED_OUT} on br0: was the mapping added in the host's namespace? Then the host translates the replies back to ${LOCKED_IN}, which it has no route to. It belongs in the container's: nsenter --net=/run/netns/${LOCKED} nat66 eth0 add ... (nat66 status, on the host, must not list ${LOCKED_MAP.from})`,
            ),
          ],
        })
        .look(LOCKED, CAP_NET_ADMIN_BIT, {
          match: /^CAP_NET_ADMIN: no$/,
          why: 'the container itself still runs without the capability',
          hints: [
            hint.failed(
              'the container holds CAP_NET_ADMIN: it must stay without it; the host adds the mapping from outside (grep CapEff /proc/self/status, in the container)',
            ),
          ],
        }),
    },
  ],
});
