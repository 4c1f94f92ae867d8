import { defineLab, host, HOST, icmp6, ip, nptExplain, nptMap, observe, on, ping, WAN, type LabCommand } from '../src/lab.js';

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
const CAP_NET_ADMIN_BIT = 'echo "CAP_NET_ADMIN: $( [ $(( 0x$(sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status) >> 12 & 1 )) -eq 1 ] && echo yes || echo no)"';

const APP_OUT = nptMap(APP_IP, APP_MAP.from, APP_MAP.to);
const TENANT_OUT = nptMap(TENANT_IN, TENANT_MAP.from, TENANT_MAP.to);
const LOCKED_OUT = nptMap(LOCKED_IN, LOCKED_MAP.from, LOCKED_MAP.to);

// A container on br0 with an inner address on its loopback (standing in for what it serves), and the
// host's route to its external prefix; `ip` runs where `at` says.
function tenantWiring(c: string, n: number, inner: string, external: string, at: (cmd: string) => LabCommand): LabCommand[] {
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
    'Containers on a ULA prefix reach the IPv6 internet through prefix mappings: the host maps one container\'s prefix, another ' +
    'container maps its own in its own namespace, and one without CAP_NET_ADMIN is refused. Every translated address is ' +
    'checked to the bit, including the word the checksum-neutral adjustment changes.',
  topology: { containers: { [APP]: {}, [TENANT]: {}, [LOCKED]: { netAdmin: false } } },
  steps: [
    {
      id: 'mapping',
      title: 'The host maps the containers\' ULA prefix to one of its own',
      explain:
        `The containers live on ${LAN}::/64, a unique local prefix that no one routes on the internet. The host's provider routes ` +
        `${HOST.delegated6} to it, and Slick NAT's slnat (here nat66, which uses the kernel's NPT targets: ip6tables SNPT and DNPT, ` +
        `in the mangle table only) maps ${APP_MAP.from} to ${APP_MAP.to} on eth0. The translation is stateless: no connection ` +
        `table, only arithmetic on the prefix. But the address that leaves is not 2001:db8:1:1::2. ${nptExplain(APP_IP, APP_MAP.from, APP_MAP.to)} ` +
        'The replies are translated back on their way in, so on br0 they go to the container\'s own address.',
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
      run: [host('sysctl -w net.ipv6.conf.all.forwarding=1'), host(`nat66 eth0 add ${APP_MAP.from} ${APP_MAP.to}`), host('nat66 status', { readOnly: true })],
      check: observe(['host:br0', 'host:eth0'], ping(APP, WAN.dns6))
        .expect('host:eth0', icmp6.echoRequest({ src: APP_OUT, dst: WAN.dns6 }), { min: 3, why: `the exact address: ${APP_OUT}` })
        .expect('host:br0', icmp6.echoReply({ src: WAN.dns6, dst: APP_IP }), { min: 3, why: 'replies translated back to the internal address' })
        .sameFlow('host:br0', 'host:eth0', { matcher: icmp6.echoRequest({ src: APP_IP }), rewritten: ['src'], why: 'one conversation, only the source prefix rewritten' })
        .expectNone('host:eth0', ip({ src: 'fd00::/8' }), { why: 'no ULA source leaves the host' }),
    },
    {
      id: 'isolation',
      title: 'A container maps its own prefix, in its own namespace',
      explain:
        'Mappings belong to a network namespace, as Slick NAT\'s belong to the namespace that wrote them: each container has its ' +
        `own table. The tenant container has an inner prefix, ${TENANT_MAP.from} (one address of it on its loopback), and maps it on its eth0 to ` +
        `${TENANT_MAP.to} itself; the host only routes that prefix to it. Its traffic is already translated when it reaches br0 and ` +
        `leaves eth0 unchanged, as ${TENANT_OUT}. nat66 status reads the rules back from the kernel, so each namespace lists only its own.`,
      arrange: tenantWiring(TENANT, 3, TENANT_IN, TENANT_MAP.to, (cmd) => on(TENANT, cmd)),
      run: [on(TENANT, `nat66 eth0 add ${TENANT_MAP.from} ${TENANT_MAP.to}`), on(TENANT, 'nat66 status', { readOnly: true })],
      check: observe(['host:br0', 'host:eth0'], ping(TENANT, WAN.dns6, { src: TENANT_IN }), ping(APP, WAN.dns6))
        .expect('host:br0', icmp6.echoRequest({ src: TENANT_OUT, dst: WAN.dns6 }), { min: 3, why: 'translated inside the tenant, before br0' })
        .expect('host:eth0', icmp6.echoRequest({ src: TENANT_OUT, dst: WAN.dns6 }), { min: 3, why: 'and left alone by the host' })
        .expect('host:eth0', icmp6.echoRequest({ src: APP_OUT, dst: WAN.dns6 }), { min: 3, why: 'the app still leaves with its own prefix' })
        .expect('host:br0', icmp6.echoReply({ src: WAN.dns6, dst: TENANT_OUT }), { min: 3 })
        .look(TENANT, 'nat66 status', { match: /fd00:0:0:2::\/64/, noMatch: /fd00:0:0:1::\/64/, why: 'the tenant sees only its own mapping' })
        .look('host', 'nat66 status', { match: /fd00:0:0:1::\/64/, noMatch: /fd00:0:0:2::\/64/, why: 'the host only its own' }),
    },
    {
      id: 'privilege',
      title: 'Without CAP_NET_ADMIN a container is refused; with it, the mapping works',
      explain:
        'Slick NAT\'s guide offers a privileged container or an unprivileged one given net_admin. The locked container runs ' +
        'without CAP_NET_ADMIN, so the kernel refuses to let it change its own netfilter tables: nat66 fails with the kernel\'s ' +
        '"Permission denied". The host\'s administrator, who has the capability, can enter just the container\'s network namespace ' +
        `(nsenter --net) and add the same mapping there; then the locked container's traffic leaves as ${LOCKED_OUT}.`,
      arrange: tenantWiring(LOCKED, 4, LOCKED_IN, LOCKED_MAP.to, (cmd) => host(`ip -n ${LOCKED} ${cmd.replace(/^ip /, '')}`)),
      run: [
        on(LOCKED, `nat66 eth0 add ${LOCKED_MAP.from} ${LOCKED_MAP.to}`, { expectFail: true, readOnly: true }),
        host(`nsenter --net=/run/netns/${LOCKED} nat66 eth0 add ${LOCKED_MAP.from} ${LOCKED_MAP.to}`),
      ],
      check: observe(['host:br0', 'host:eth0'], ping(LOCKED, WAN.dns6, { src: LOCKED_IN }))
        .expect('host:eth0', icmp6.echoRequest({ src: LOCKED_OUT, dst: WAN.dns6 }), { min: 3, why: 'the mapping made with the capability works' })
        .expect('host:br0', icmp6.echoReply({ src: WAN.dns6, dst: LOCKED_OUT }), { min: 3 })
        .look(LOCKED, CAP_NET_ADMIN_BIT, { match: /^CAP_NET_ADMIN: no$/, why: 'the container itself still runs without the capability' }),
    },
  ],
});
