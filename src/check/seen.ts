// Packets one by one, as sequence diagrams draw them: the first of a window, each with its ends and kind.
import type { Packet } from '../capture/types.js';
import type { SeenPacket } from './types.js';

export const SEEN_MAX = 200; // packets kept per point and window; a diagram draws fewer rows still

// A packet's kind as its flow names it: ARP's op, TCP's flags, ICMP's name, or the IP protocol.
function kindOf(p: Packet): string {
  if (p.arp) return p.arp.op === 'request' ? 'who-has' : p.arp.op === 'reply' ? 'is-at' : 'arp';
  if (p.tcp) return p.tcp.flags;
  if (p.udp) return 'udp';
  if (p.icmp) return p.icmp.name;
  return p.ip ? `ip-proto-${p.ip.proto}` : 'frame';
}

// One packet as a diagram row; undefined for a frame without addresses.
export function seenPacket(p: Packet): SeenPacket | undefined {
  const l4 = p.tcp ?? p.udp;
  const src = p.arp?.senderIp ?? p.ip?.src;
  // A solicitation goes to a multicast group, but it asks one address: drawn to it, its answer comes back.
  const solicited =
    p.icmp?.name === 'neighbor-solicitation' && /^ff02:/i.test(p.ip?.dst ?? '') ? p.icmp.target : undefined;
  const dst = p.arp?.targetIp ?? solicited ?? p.ip?.dst;
  if (src === undefined || dst === undefined) return undefined;
  const http = p.http ? (p.http.method !== undefined ? `${p.http.method} ${p.http.path}` : String(p.http.status)) : '';
  return {
    us: p.tsUs,
    proto: p.proto,
    src: l4 ? { addr: src, port: l4.sport } : { addr: src },
    dst: l4 ? { addr: dst, port: l4.dport } : { addr: dst },
    kind: kindOf(p),
    ...(http ? { http } : {}),
    ...(p.ip ? { hop: `${p.ip.version === 4 ? 'ttl' : 'hlim'}=${p.ip.ttl}` } : {}),
    ...(p.tunnel ? { tunnel: `${p.tunnel.kind === 'vxlan' ? 'VXLAN' : 'Geneve'} vni=${p.tunnel.vni}` } : {}),
  };
}

// The first packets of a window, in capture order.
export function seenPackets(packets: Packet[]): SeenPacket[] {
  const out: SeenPacket[] = [];
  for (const p of packets) {
    if (out.length >= SEEN_MAX) break;
    const s = seenPacket(p);
    if (s) out.push(s);
  }
  return out;
}
