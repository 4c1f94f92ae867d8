// Hand-written frame decoder: Ethernet/SLL/SLL2/raw IP, ARP, IPv4, IPv6, ICMP, ICMPv6, TCP, UDP, HTTP first
// lines, DNS questions and answers, and the frames VXLAN and Geneve carry (decoded as packets of their own).
import { ipv4Text, ipv6Text, macText } from './address-text.js';
import { decodeDns, DNS_PORTS, dnsKind } from './decode-dns.js';
import { formatEndpoint } from './endpoint.js';
import type { ArpInfo, IcmpInfo, Packet, RawFrame } from './types.js';

export const VXLAN_PORT = 4789;
export const GENEVE_PORT = 6081;

// What a lab may change in decoding: another UDP port read as VXLAN (8472, the Linux default before IANA).
export interface DecodeOptions {
  vxlanPort?: number;
}

const NO_OPTIONS: DecodeOptions = {};
const MAX_NESTING = 2; // a tunnel inside a tunnel is decoded; a third level is left as UDP

export { ipv6ToString, macToString } from './address-text.js';

const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE'];
const TCP_FLAGS: string[] = Array.from({ length: 512 }, (_, bits) => {
  const names = TCP_FLAG_NAMES.filter((_, i) => bits & (1 << i));
  return names.length ? names.join(',') : 'NONE';
});

const ICMP4_NAMES: Record<number, string> = {
  0: 'echo-reply',
  3: 'dest-unreachable',
  4: 'source-quench',
  5: 'redirect',
  8: 'echo-request',
  9: 'router-advertisement',
  10: 'router-solicitation',
  11: 'time-exceeded',
  12: 'parameter-problem',
  13: 'timestamp-request',
  14: 'timestamp-reply',
  17: 'address-mask-request',
  18: 'address-mask-reply',
};
const ICMP6_NAMES: Record<number, string> = {
  1: 'dest-unreachable',
  2: 'packet-too-big',
  3: 'time-exceeded',
  4: 'parameter-problem',
  128: 'echo-request',
  129: 'echo-reply',
  130: 'mld-query',
  131: 'mld-report',
  132: 'mld-done',
  133: 'router-solicitation',
  134: 'router-advertisement',
  135: 'neighbor-solicitation',
  136: 'neighbor-advertisement',
  137: 'redirect',
  143: 'mldv2-report',
};
// Every type's name made once (type-N for the unnamed), so no frame builds one.
const ICMP4_TEXT: string[] = Array.from({ length: 256 }, (_, t) => ICMP4_NAMES[t] ?? `type-${t}`);
const ICMP6_TEXT: string[] = Array.from({ length: 256 }, (_, t) => ICMP6_NAMES[t] ?? `type-${t}`);

const PAYLOAD_KEEP = 256; // payload bytes kept for payload matchers

const HTTP_REQUEST = /^([A-Z]+) (\S+) HTTP\/\d\.\d$/;
const HTTP_STATUS = /^HTTP\/\d(?:\.\d)? (\d{3})(?: |$)/;

function u16(d: Buffer, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}

function u32(d: Buffer, o: number): number {
  return ((d[o]! << 24) >>> 0) + ((d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!);
}

// Decodes one captured frame into plain values; never throws, stops at the first layer it cannot read.
export function decodeFrame(frame: RawFrame, linktype = 1, opts: DecodeOptions = NO_OPTIONS): Packet {
  const d = frame.data;
  const caplen = frame.caplen;
  const end = caplen >= 0 && caplen < d.length ? caplen : d.length;
  const p: Packet = { tsUs: frame.tsUs, caplen: frame.caplen, len: frame.len, proto: 'other' };
  if (linktype === 1) {
    decodeEthernet(p, d, 0, end, opts, 0);
    return p;
  }
  let off: number;
  let type: number;
  if (linktype === 113) {
    if (end < 16) return p;
    type = u16(d, 14);
    off = 16;
  } else if (linktype === 276) {
    if (end < 20) return p;
    type = u16(d, 0);
    off = 20;
  } else if (linktype === 101 || linktype === 12 || linktype === 14) {
    if (end < 1) return p;
    type = d[0]! >> 4 === 6 ? 0x86dd : 0x0800;
    off = 0;
  } else {
    return p;
  }
  decodeEthertype(p, d, type, off, end, opts, 0);
  return p;
}

// An Ethernet frame at o (the capture's own, or one a tunnel carries).
function decodeEthernet(p: Packet, d: Buffer, o: number, end: number, opts: DecodeOptions, depth: number): void {
  if (end - o < 14) return;
  let type = u16(d, o + 12);
  let off = o + 14;
  if ((type === 0x8100 || type === 0x88a8) && end - o >= 18) {
    type = u16(d, o + 16);
    off = o + 18;
  }
  p.eth = { src: macText(d, o + 6), dst: macText(d, o), type };
  decodeEthertype(p, d, type, off, end, opts, depth);
}

function decodeEthertype(
  p: Packet,
  d: Buffer,
  type: number,
  off: number,
  end: number,
  opts: DecodeOptions,
  depth: number,
): void {
  if (type === 0x0800) decodeIpv4(p, d, off, end, opts, depth);
  else if (type === 0x86dd) decodeIpv6(p, d, off, end, opts, depth);
  else if (type === 0x0806) decodeArp(p, d, off, end);
}

function decodeArp(p: Packet, d: Buffer, o: number, end: number): void {
  if (end - o < 28 || u16(d, o + 2) !== 0x0800 || d[o + 4] !== 6 || d[o + 5] !== 4) return;
  const op = u16(d, o + 6);
  const arp: ArpInfo = {
    op: op === 1 ? 'request' : op === 2 ? 'reply' : 'other',
    senderMac: macText(d, o + 8),
    senderIp: ipv4Text(d, o + 14),
    targetMac: macText(d, o + 18),
    targetIp: ipv4Text(d, o + 24),
  };
  p.arp = arp;
  p.proto = 'arp';
}

function decodeIpv4(p: Packet, d: Buffer, o: number, end: number, opts: DecodeOptions, depth: number): void {
  if (end - o < 20 || d[o]! >> 4 !== 4) return;
  const ihl = (d[o]! & 15) * 4;
  const total = u16(d, o + 2);
  const proto = d[o + 9]!;
  const flags = u16(d, o + 6);
  p.ip = { version: 4, src: ipv4Text(d, o + 12), dst: ipv4Text(d, o + 16), ttl: d[o + 8]!, proto, len: total };
  p.proto = 'ip';
  p.frag = { df: (flags & 0x4000) !== 0, more: (flags & 0x2000) !== 0, offset: (flags & 0x1fff) * 8 };
  if (ihl < 20 || (flags & 0x1fff) !== 0) return;
  // The IP length bounds L4 (Ethernet padding); 0 (segmentation offload) or nonsense: trust the capture.
  const wireEnd = total >= ihl ? o + total : end;
  decodeL4(p, d, proto, o + ihl, end < wireEnd ? end : wireEnd, wireEnd, 4, opts, depth);
}

function decodeIpv6(p: Packet, d: Buffer, o: number, end: number, opts: DecodeOptions, depth: number): void {
  if (end - o < 40 || d[o]! >> 4 !== 6) return;
  const payload = u16(d, o + 4);
  let nh = d[o + 6]!;
  const ip = {
    version: 6 as const,
    src: ipv6Text(d, o + 8),
    dst: ipv6Text(d, o + 24),
    ttl: d[o + 7]!,
    proto: nh,
    len: 40 + payload,
  };
  p.ip = ip;
  p.proto = 'ip';
  const wireEnd = payload > 0 ? o + 40 + payload : end;
  const capEnd = end < wireEnd ? end : wireEnd;
  let x = o + 40;
  for (let hops = 0; hops < 16; hops++) {
    if (nh === 0 || nh === 43 || nh === 60 || nh === 51) {
      if (capEnd - x < 2) return;
      const next = d[x]!;
      x += nh === 51 ? (d[x + 1]! + 2) * 4 : (d[x + 1]! + 1) * 8;
      nh = next;
    } else if (nh === 44) {
      if (capEnd - x < 8) return;
      const next = d[x]!;
      const word = u16(d, x + 2);
      p.frag = { df: false, more: (word & 1) !== 0, offset: word & 0xfff8 };
      if ((word & 0xfff8) !== 0) {
        ip.proto = next;
        return;
      }
      x += 8;
      nh = next;
    } else {
      break;
    }
  }
  ip.proto = nh;
  decodeL4(p, d, nh, x, capEnd, wireEnd, 6, opts, depth);
}

// o: L4 start; end: last captured byte of the datagram; wireEnd: end of the datagram on the wire.
function decodeL4(
  p: Packet,
  d: Buffer,
  proto: number,
  o: number,
  end: number,
  wireEnd: number,
  v: 4 | 6,
  opts: DecodeOptions,
  depth: number,
): void {
  if (proto === 6) {
    if (end - o < 14) return;
    const doff = (d[o + 12]! >> 4) * 4;
    const bits = ((d[o + 12]! & 1) << 8) | d[o + 13]!;
    const payloadLen = wireEnd - o - doff > 0 ? wireEnd - o - doff : 0;
    p.tcp = {
      sport: u16(d, o),
      dport: u16(d, o + 2),
      flags: TCP_FLAGS[bits]!,
      seq: u32(d, o + 4),
      ack: u32(d, o + 8),
      payloadLen,
    };
    p.proto = 'tcp';
    const start = o + doff;
    if (payloadLen > 0 && doff >= 20 && start < end) {
      const payload = d.toString('latin1', start, end - start > PAYLOAD_KEEP ? start + PAYLOAD_KEEP : end);
      p.payload = payload;
      const c = d[start]!;
      if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) decodeHttp(p, d, start, end, payload);
    }
  } else if (proto === 17) {
    if (end - o < 4) return;
    const payloadLen = wireEnd - o - 8 > 0 ? wireEnd - o - 8 : 0;
    const dport = u16(d, o + 2);
    p.udp = { sport: u16(d, o), dport, payloadLen };
    p.proto = 'udp';
    if (payloadLen > 0 && o + 8 < end) p.payload = d.toString('latin1', o + 8, Math.min(end, o + 8 + PAYLOAD_KEEP));
    if ((DNS_PORTS.has(dport) || DNS_PORTS.has(p.udp.sport)) && payloadLen >= 12) {
      const dns = decodeDns(d, o + 8, end);
      if (dns) p.dns = dns;
    }
    if (
      (dport === VXLAN_PORT || dport === GENEVE_PORT || dport === opts.vxlanPort) &&
      depth < MAX_NESTING &&
      end - o >= 16
    )
      decodeTunnel(p, d, dport, o + 8, end, wireEnd, opts, depth);
  } else if ((proto === 1 && v === 4) || (proto === 58 && v === 6)) {
    if (end - o < 2) return;
    const type = d[o]!;
    const icmp: IcmpInfo = { version: v, type, code: d[o + 1]!, name: (v === 4 ? ICMP4_TEXT : ICMP6_TEXT)[type]! };
    const echo = v === 4 ? type === 0 || type === 8 : type === 128 || type === 129;
    if (echo && end - o >= 8) {
      icmp.id = u16(d, o + 4);
      icmp.seq = u16(d, o + 6);
    } else if (v === 4 && type === 3 && icmp.code === 4 && end - o >= 8) {
      icmp.mtu = u16(d, o + 6); // fragmentation needed: the next hop's MTU
    } else if (v === 6 && type === 2 && end - o >= 8) {
      icmp.mtu = u32(d, o + 4); // packet too big
    } else if ((type === 135 || type === 136) && v === 6 && end - o >= 24) {
      icmp.target = ipv6Text(d, o + 8);
    }
    p.icmp = icmp;
    p.proto = v === 4 ? 'icmp' : 'icmp6';
  }
}

// A VXLAN or Geneve header at o and the frame it carries, decoded as a packet of its own (p.inner).
function decodeTunnel(
  p: Packet,
  d: Buffer,
  dport: number,
  o: number,
  end: number,
  wireEnd: number,
  opts: DecodeOptions,
  depth: number,
): void {
  let inner = o + 8;
  let type = 0x6558; // transparent Ethernet bridging
  if (dport === GENEVE_PORT) {
    if (d[o]! >> 6 !== 0) return; // version 0 only
    inner += (d[o]! & 0x3f) * 4;
    type = u16(d, o + 2);
  } else if ((d[o]! & 0x08) === 0) return; // VXLAN without a valid VNI
  const vni = (d[o + 4]! << 16) | (d[o + 5]! << 8) | d[o + 6]!;
  p.tunnel = { kind: dport === GENEVE_PORT ? 'geneve' : 'vxlan', vni };
  const len = wireEnd - inner > 0 ? wireEnd - inner : 0;
  const q: Packet = { tsUs: p.tsUs, caplen: end - inner > 0 ? end - inner : 0, len, proto: 'other' };
  p.inner = q;
  if (inner >= end) return;
  if (type === 0x6558) decodeEthernet(q, d, inner, end, opts, depth + 1);
  else decodeEthertype(q, d, type, inner, end, opts, depth + 1);
}

// head: the payload's first bytes as latin1 text, reused when it holds the whole first line.
function decodeHttp(p: Packet, d: Buffer, o: number, end: number, head: string): void {
  const limit = end - o > 2048 ? o + 2048 : end;
  let e = o;
  while (e < limit && d[e] !== 0x0d && d[e] !== 0x0a) e++;
  const line = e - o <= head.length ? head.slice(0, e - o) : d.toString('latin1', o, e);
  const req = HTTP_REQUEST.exec(line);
  if (req) {
    p.http = { method: req[1]!, path: req[2]! };
    return;
  }
  const res = HTTP_STATUS.exec(line);
  if (res) p.http = { status: Number(res[1]) };
}

const hostPort = (addr: string, port: number): string => formatEndpoint({ addr, port });
const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

// An IP packet's line in pieces: its ends (with ports), protocol, kind (echo-request, SYN, GET /,
// 404), details (id=, seq=, len=, target=, code=, proto=) and ttl or hlim. describePacket joins them;
// the demo shapes them to a pane's width.
export interface PacketParts {
  src: string;
  dst: string;
  proto: string; // ICMP, ICMPv6, TCP, UDP, HTTP, DNS, IPv4, IPv6
  kind: string; // '' when the protocol has none
  details: string[];
  hop: string;
}

// The pieces of an IP packet's line; undefined for a frame without IP (ARP, other ethertypes).
export function packetParts(p: Packet): PacketParts | undefined {
  const ip = p.ip;
  if (!ip) return undefined;
  const hop = ip.version === 4 ? `ttl=${ip.ttl}` : `hlim=${ip.ttl}`;
  const l4 = p.tcp ?? p.udp;
  const ends = l4 ? { src: hostPort(ip.src, l4.sport), dst: hostPort(ip.dst, l4.dport) } : { src: ip.src, dst: ip.dst };
  if (p.http)
    return {
      ...ends,
      proto: 'HTTP',
      kind: p.http.method !== undefined ? `${p.http.method} ${p.http.path}` : String(p.http.status),
      details: [],
      hop,
    };
  if (p.tcp)
    return {
      ...ends,
      proto: 'TCP',
      kind: p.tcp.flags,
      details: p.tcp.payloadLen ? [`len=${p.tcp.payloadLen}`] : [],
      hop,
    };
  if (p.dns) return { ...ends, proto: 'DNS', kind: dnsKind(p.dns), details: [`id=0x${hex4(p.dns.id)}`], hop };
  if (p.udp) return { ...ends, proto: 'UDP', kind: '', details: [`len=${p.udp.payloadLen}`], hop };
  if (p.icmp) {
    const c = p.icmp;
    const details =
      c.id !== undefined
        ? [`id=0x${c.id.toString(16).padStart(4, '0')}`, `seq=${c.seq}`]
        : c.target !== undefined
          ? [`target=${c.target}`]
          : c.code !== 0
            ? [`code=${c.code}`]
            : [];
    return { ...ends, proto: c.version === 4 ? 'ICMP' : 'ICMPv6', kind: c.name, details, hop };
  }
  return { ...ends, proto: `IPv${ip.version}`, kind: '', details: [`proto=${ip.proto}`], hop };
}

// One tshark-like line for a packet, used in reports and near-miss explanations.
export function describePacket(p: Packet): string {
  if (p.arp) {
    const a = p.arp;
    if (a.op === 'request') return `ARP who-has ${a.targetIp} tell ${a.senderIp}`;
    if (a.op === 'reply') return `ARP ${a.senderIp} is-at ${a.senderMac}`;
    return `ARP ${a.senderIp} -> ${a.targetIp}`;
  }
  const parts = packetParts(p);
  if (!parts) {
    if (p.eth)
      return `${p.eth.src} -> ${p.eth.dst} ethertype=0x${p.eth.type.toString(16).padStart(4, '0')} len=${p.len}`;
    return `unknown frame len=${p.len}`;
  }
  const line = [`${parts.src} -> ${parts.dst}`, parts.proto, parts.kind, ...parts.details, parts.hop]
    .filter(Boolean)
    .join(' ');
  return p.tunnel ? `${line} ${tunnelText(p)}` : line;
}

// "VXLAN vni=42 [10.42.0.1 -> 10.42.0.2 ICMP echo-request ...]": a tunnel header and what it carries.
export function tunnelText(p: Packet): string {
  if (!p.tunnel) return '';
  const head = `${p.tunnel.kind === 'vxlan' ? 'VXLAN' : 'Geneve'} vni=${p.tunnel.vni}`;
  return p.inner ? `${head} [${describePacket(p.inner)}]` : head;
}
