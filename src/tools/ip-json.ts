// Reads `ip -j addr show` output: every IPv4 subnet on any interface, and the lk bridges. Pure.
import { formatIpv4, parseIpv4, subnetOf, type Cidr4 } from './ipv4.js';
import { BRIDGE_PREFIX, type Bridge } from './lk-model.js';

export interface IpAddrInfo {
  family?: string;
  local?: string;
  address?: string; // the peer of a point-to-point address
  prefixlen?: number;
}

export interface IpLink {
  ifname: string;
  flags?: string[];
  addr_info?: IpAddrInfo[];
}

// Parses ip's JSON (an empty answer is no interface).
export function parseIpJson(text: string): IpLink[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : (JSON.parse(trimmed) as IpLink[]);
}

// Every IPv4 subnet reachable through an interface: each address's own subnet, and its peer's.
export function usedSubnets(links: readonly IpLink[]): Cidr4[] {
  const out: Cidr4[] = [];
  for (const l of links) {
    for (const a of l.addr_info ?? []) {
      if (a.family !== 'inet' || a.prefixlen === undefined) continue;
      for (const text of [a.local, a.address]) {
        const n = text === undefined ? undefined : parseIpv4(text);
        if (n !== undefined) out.push(subnetOf(n, a.prefixlen));
      }
    }
  }
  return out;
}

// The lk-* bridges among the links (bridgeNames: names `ip link show type bridge` listed).
export function lkBridges(links: readonly IpLink[], bridgeNames: ReadonlySet<string>): Bridge[] {
  return links
    .filter((l) => l.ifname.startsWith(BRIDGE_PREFIX) && bridgeNames.has(l.ifname))
    .map((l) => {
      const v4 = (l.addr_info ?? []).filter(
        (a) => a.family === 'inet' && a.local !== undefined && a.prefixlen !== undefined,
      );
      const first = v4[0];
      const subnets = v4.map((a) => subnetOf(parseIpv4(a.local ?? '') ?? 0, a.prefixlen ?? 32));
      const gw = first?.local !== undefined ? parseIpv4(first.local) : undefined;
      return {
        name: l.ifname,
        project: l.ifname.slice(BRIDGE_PREFIX.length),
        subnets,
        gateway: gw === undefined ? undefined : formatIpv4(gw),
        up: (l.flags ?? []).includes('UP'),
      };
    });
}
