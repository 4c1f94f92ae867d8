// Live packets as tshark-like lines: requests and replies told apart, and a NAT rewrite shown by
// highlighting the field that differs from the same packet seen a moment earlier at another point.
import type { Packet } from '../../capture/types.js';
import { describePacket } from '../../engine/report.js';
import type { Line } from './segments.js';

const TWIN_US = 1_000_000; // a twin is seen within a second

// 'request', 'reply' or neither, from what the packet says about itself.
export function direction(p: Packet): 'request' | 'reply' | undefined {
  const name = p.icmp?.name ?? '';
  if (name.endsWith('request') || name === 'neighbor-solicitation' || p.arp?.op === 'request' || p.http?.method) return 'request';
  if (name.endsWith('reply') || name === 'neighbor-advertisement' || p.arp?.op === 'reply' || p.http?.status !== undefined) return 'reply';
  if (p.tcp) return p.tcp.flags === 'SYN' ? 'request' : p.tcp.flags.startsWith('SYN,ACK') ? 'reply' : undefined;
  return undefined;
}

// IPv6 neighbour discovery, MLD and IGMP chatter: hidden from the panes, as the reports hide it.
export function isChatter(p: Packet): boolean {
  return /^(neighbor-|router-|mld|redirect)/.test(p.icmp?.name ?? '') || p.ip?.proto === 2;
}

// What stays the same when NAT rewrites a packet: its kind and its sequence numbers.
function twinKey(p: Packet): string | undefined {
  if (p.icmp && p.icmp.seq !== undefined) return `icmp ${p.icmp.name} ${p.icmp.id} ${p.icmp.seq}`;
  if (p.tcp) return `tcp ${p.tcp.flags} ${p.tcp.seq} ${p.tcp.ack} ${p.tcp.payloadLen}`;
  if (p.udp) return `udp ${p.udp.payloadLen} ${p.udp.sport}`;
  return undefined;
}

// Turns packets into lines and marks NAT: when the same packet (same kind and sequence) is seen at two
// points with one end changed, the copy with the later capture time is the translated one, and its
// changed address is highlighted, even when the capture of the other point delivered it first.
export class PacketLines {
  private recent: { point: string; key: string; p: Packet; line: Line }[] = [];
  private readonly t0Us: number;

  constructor(t0Us: number) {
    this.t0Us = t0Us;
  }

  // The line for a packet seen at a point; an earlier line of its twin may be highlighted in place.
  line(point: string, p: Packet): Line {
    const key = twinKey(p);
    if (!key || !p.ip) return packetLine(p, this.t0Us, new Set());
    this.recent = this.recent.filter((r) => Math.abs(p.tsUs - r.p.tsUs) < TWIN_US);
    const twin = this.recent.find((r) => r.point !== point && r.key === key && r.p.ip);
    const changed = new Set<'src' | 'dst'>();
    if (twin?.p.ip) {
      const t = twin.p.ip;
      const tp = twin.p.tcp ?? twin.p.udp;
      const pp = p.tcp ?? p.udp;
      if (t.src !== p.ip.src || tp?.sport !== pp?.sport) changed.add('src');
      if (t.dst !== p.ip.dst || tp?.dport !== pp?.dport) changed.add('dst');
      if (changed.size === 2) changed.clear(); // both ends differ: not the same packet
    }
    const translatedEarlier = twin !== undefined && changed.size > 0 && twin.p.tsUs > p.tsUs;
    if (twin && translatedEarlier) twin.line.splice(0, twin.line.length, ...packetLine(twin.p, this.t0Us, changed));
    const line = packetLine(p, this.t0Us, translatedEarlier ? new Set() : changed);
    this.recent.push({ point, key, p, line });
    if (this.recent.length > 400) this.recent.shift();
    return line;
  }
}

// "  1.234 ▶ 172.17.0.100 -> 203.0.113.8 ICMP echo-request id=0x0001 seq=1 ttl=64", the rewritten end highlighted.
export function packetLine(p: Packet, t0Us: number, changed: Set<'src' | 'dst'>): Line {
  const dir = direction(p);
  const secs = ((p.tsUs - t0Us) / 1e6).toFixed(3).padStart(8);
  const mark = dir === 'request' ? { text: '▶ ', style: 'yellow-fg' } : dir === 'reply' ? { text: '◀ ', style: 'green-fg' } : { text: '· ', style: 'gray-fg' };
  const text = describePacket(p).replace(/ id=0x[0-9a-f]+/, '');
  const m = / -> /.exec(text);
  const colour = dir === 'request' ? 'yellow-fg' : dir === 'reply' ? 'green-fg' : undefined;
  const rest = (s: string): Line => [{ text: s, ...(colour ? { style: colour } : {}) }];
  if (!m || !changed.size) return [{ text: secs, style: 'gray-fg' }, { text: ' ' }, mark, ...rest(text)];
  const src = text.slice(0, m.index);
  const after = text.slice(m.index + 4);
  const sp = after.indexOf(' ');
  const dst = sp < 0 ? after : after.slice(0, sp);
  const tail = sp < 0 ? '' : after.slice(sp);
  const hi = 'black-fg}{yellow-bg';
  return [{ text: secs, style: 'gray-fg' }, { text: ' ' }, mark, changed.has('src') ? { text: src, style: hi } : { text: src, ...(colour ? { style: colour } : {}) }, ...rest(' -> '), changed.has('dst') ? { text: dst, style: hi } : { text: dst, ...(colour ? { style: colour } : {}) }, ...rest(tail)];
}
