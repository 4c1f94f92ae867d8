// Builds a lab's topology (src/model/topology.ts) in the keeper's namespaces: one perl for every node's
// sysctls and UTS namespace, then one `ip -batch` per namespace.
import { UTS_DIR } from './enter.js';
import { perlScript } from '../sys/perl.js';
import { endpoint, HOST, isContainer, prebuiltNodes, WAN, WAN_UPLINK, type TopologySpec } from '../model/topology.js';

const v6 = (cidr: string): string => (cidr.includes(':') ? ' nodad' : '');

// Per-node `ip -batch` lines and sysctls; one batch and one sysctl per namespace keeps the build fast.
function nodeBatches(t: TopologySpec): Map<string, string[]> {
  const b = new Map<string, string[]>();
  const add = (n: string, ...lines: string[]): void => void b.set(n, [...(b.get(n) ?? []), ...lines]);
  // Links go up before their addresses: an IPv6 address added to a link that is down becomes usable
  // only when the kernel's link watcher runs, which can be long after the lab's first probe.
  add(
    'host',
    'link set lo up',
    `link set ${HOST.uplink} up`,
    `addr add ${HOST.addr}/${HOST.prefix} dev ${HOST.uplink}`,
    `addr add ${HOST.addr6}/${HOST.prefix6} dev ${HOST.uplink} nodad`,
  );
  add('host', `route add default via ${WAN.gateway}`, `route add ::/0 via ${WAN.gateway6}`);
  add(
    'wan',
    'link set lo up',
    `link set ${WAN_UPLINK} up`,
    `addr add ${WAN.gateway}/${HOST.prefix} dev ${WAN_UPLINK}`,
    `addr add ${WAN.gateway6}/${HOST.prefix6} dev ${WAN_UPLINK} nodad`,
  );
  add(
    'wan',
    ...[WAN.dns, WAN.web, WAN.client].map((a) => `addr add ${a}/32 dev lo`),
    `addr add ${WAN.dns6}/128 dev lo`,
    `route add ${HOST.delegated6} via ${HOST.addr6}`,
  );
  for (const n of Object.keys(t.nodes ?? {})) add(n, 'link set lo up');
  for (const l of t.links ?? []) {
    for (const e of l.endpoints) {
      const { node, iface } = endpoint(e);
      add(node, `link set ${iface} up`, ...(l.addresses?.[e] ?? []).map((c) => `addr add ${c} dev ${iface}${v6(c)}`));
    }
  }
  for (const [n, spec] of Object.entries(t.nodes ?? {})) add(n, ...(spec.routes ?? []).map((r) => `route add ${r}`));
  return b;
}

// The sysctls every node starts with, whatever the real machine or its kernel has: a new namespace
// copies the real machine's IPv4 settings (and br_netfilter's start at 1 where it is built in), so each
// one a lab's packets depend on is pinned. `optional`: a sysctl some kernels lack (br_netfilter not
// loaded or not built, no per-namespace setting); there it is skipped, and the behaviour it would pin is
// already the pinned one (a bridge whose frames never pass iptables, echo requests answered).
export const BASELINE_SYSCTLS: { key: string; value: string; why: string; optional?: boolean }[] = [
  { key: 'net.ipv6.conf.all.accept_dad', value: '0', why: 'addresses usable at once' },
  { key: 'net.ipv6.conf.default.accept_dad', value: '0', why: 'addresses usable at once' },
  { key: 'net.ipv6.conf.default.router_solicitations', value: '0', why: 'less noise' },
  {
    key: 'net.bridge.bridge-nf-call-iptables',
    value: '0',
    why: 'a bridge is a switch: bridged IPv4 frames never pass iptables (Docker hosts have 1)',
    optional: true,
  },
  { key: 'net.bridge.bridge-nf-call-ip6tables', value: '0', why: 'nor ip6tables', optional: true },
  { key: 'net.bridge.bridge-nf-call-arptables', value: '0', why: 'nor arptables', optional: true },
  { key: 'net.ipv4.conf.all.rp_filter', value: '0', why: 'no reverse-path drop (systemd distributions set 2)' },
  { key: 'net.ipv4.conf.default.rp_filter', value: '0', why: 'no reverse-path drop on new links either' },
  { key: 'net.ipv4.conf.all.arp_ignore', value: '0', why: 'ARP answered for any local address' },
  { key: 'net.ipv4.conf.default.arp_ignore', value: '0', why: 'ARP answered for any local address' },
  { key: 'net.ipv4.conf.all.arp_announce', value: '0', why: "ARP requests asked from the packet's source address" },
  { key: 'net.ipv4.conf.default.arp_announce', value: '0', why: "ARP requests asked from the packet's source address" },
  { key: 'net.ipv4.conf.all.arp_filter', value: '0', why: 'ARP answered on any interface' },
  {
    key: 'net.ipv4.conf.all.route_localnet',
    value: '0',
    why: '127.0.0.0/8 never routed (a DNAT to it fails, as on a real host)',
  },
  { key: 'net.ipv4.conf.all.send_redirects', value: '1', why: 'a router sends ICMP redirects, the kernel default' },
  { key: 'net.ipv4.conf.default.send_redirects', value: '1', why: 'a router sends ICMP redirects, the kernel default' },
  { key: 'net.ipv4.ip_default_ttl', value: '64', why: 'the ttl 64 -> 63 of a forwarded packet' },
  { key: 'net.ipv6.conf.all.hop_limit', value: '64', why: 'the hop limit 64 -> 63 of a forwarded packet' },
  { key: 'net.ipv6.conf.default.hop_limit', value: '64', why: 'the hop limit 64 -> 63 of a forwarded packet' },
  { key: 'net.ipv4.icmp_echo_ignore_all', value: '0', why: 'echo requests answered' },
  { key: 'net.ipv6.icmp.echo_ignore_all', value: '0', why: 'echo requests answered', optional: true },
];

// The sysctls of a node as sys/perl/nodes.pl reads them ("?" marks one a kernel may lack): forwarding as
// the node's role says, then the pinned baseline.
function sysctls(forwarding: boolean): string {
  const f = forwarding ? 1 : 0;
  return [
    `net.ipv4.ip_forward=${f}`,
    `net.ipv6.conf.all.forwarding=${f}`,
    ...BASELINE_SYSCTLS.map((s) => `${s.optional ? '?' : ''}${s.key}=${s.value}`),
  ].join(' ');
}

const heredoc = (argv: string, lines: string[]): string => `${argv} <<'EOF'\n${lines.join('\n')}\nEOF`;

// Shell lines that build the baseline in the keeper's namespaces (which exist already); run once inside the keeper (not part of the lesson).
export function baselineScript(t: TopologySpec): string {
  const prebuilt = prebuiltNodes(t);
  const links = [`link add name ${HOST.uplink} netns host type veth peer name ${WAN_UPLINK} netns wan`];
  for (const l of t.links ?? []) {
    const [a, b] = l.endpoints.map(endpoint);
    if (a && b) links.push(`link add name ${a.iface} netns ${a.node} type veth peer name ${b.iface} netns ${b.node}`);
  }
  const lines = ['set -e', `mkdir -p ${UTS_DIR}`];
  // Sysctls before the links: a link made in a namespace takes that namespace's defaults.
  // Every prebuilt node's sysctls and own UTS namespace from one perl (sys/perl/nodes.pl).
  if (prebuilt.length)
    lines.push(
      `perl -e '${perlScript('nodes')}' ${UTS_DIR} ${prebuilt.map((n) => `${n} ${isContainer(t, n) ? '-' : 'uts'} '${sysctls(Boolean(t.nodes?.[n]?.forwarding))}'`).join(' ')}`,
    );
  lines.push(heredoc('ip -batch -', links));
  for (const [n, batch] of nodeBatches(t)) lines.push(heredoc(`ip -n ${n} -batch -`, batch));
  return lines.join('\n');
}
