// What the sandbox's wiring looks like right now: each node's interfaces, addresses and veth peers.
// Read with `ip -j -d addr` inside the nodes, for front ends that draw the topology (reports, demo).
import type { Sandbox } from '../sandbox/sandbox.js';

export interface IfaceFacts {
  name: string;
  kind: string; // veth, bridge, loopback, ...
  up: boolean;
  addrs: string[]; // "172.17.0.1/24", global scope only
  master?: string; // the bridge it is enslaved to
  peer?: { node: string; iface: string }; // the other end of a veth pair
}

export interface NodeFacts {
  node: string;
  ifaces: IfaceFacts[];
}

interface RawLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  master?: string;
  link_type?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { local?: string; prefixlen?: number; scope?: string }[];
}

// Parses one node's `ip -j -d addr show`; unreadable output is no interface.
function parse(text: string): RawLink[] {
  try {
    const v = JSON.parse(text.trim() || '[]') as unknown;
    return Array.isArray(v) ? (v as RawLink[]) : [];
  } catch {
    return [];
  }
}

// Pairs veth ends across nodes: A's ifindex is B's link_index and the other way round.
export function linkFacts(raw: { node: string; links: RawLink[] }[]): NodeFacts[] {
  const all = raw.flatMap((r) => r.links.map((l) => ({ node: r.node, l })));
  return raw.map((r) => ({
    node: r.node,
    ifaces: r.links.map((l) => {
      let peer: IfaceFacts['peer'];
      if (l.link_netnsid !== undefined && l.link_index !== undefined) {
        const other = all.find(
          (o) => o.node !== r.node && o.l.ifindex === l.link_index && o.l.link_index === l.ifindex,
        );
        if (other) peer = { node: other.node, iface: other.l.ifname };
      } else if (l.link && l.linkinfo?.info_kind === 'veth') peer = { node: r.node, iface: l.link };
      const addrs = (l.addr_info ?? [])
        .filter((a) => a.local && a.scope !== 'host' && a.scope !== 'link')
        .map((a) => `${a.local}/${a.prefixlen}`);
      return {
        name: l.ifname,
        kind: l.linkinfo?.info_kind ?? l.link_type ?? 'unknown',
        up: Boolean(l.flags?.includes('UP')),
        addrs,
        ...(l.master ? { master: l.master } : {}),
        ...(peer ? { peer } : {}),
      };
    }),
  }));
}

// Reads every node that can be entered now (a container not started yet is left out).
export async function readLinks(sandbox: Sandbox): Promise<NodeFacts[]> {
  const raw = await Promise.all(
    sandbox.nodes.map(async (node) => {
      const rec = await sandbox.exec(node, 'ip -j -d addr show', undefined, 5_000);
      return rec.exitCode === 0 ? { node, links: parse(rec.output) } : undefined;
    }),
  );
  return linkFacts(raw.filter((x): x is { node: string; links: RawLink[] } => x !== undefined));
}
