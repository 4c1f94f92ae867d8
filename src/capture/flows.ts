// Groups decoded packets into conversations (flows) with per-direction counts, TTLs and packet kinds.
import { dnsKind } from './decode-dns.js';
import { formatEndpoint } from './endpoint.js';
import type { Endpoint, Flow, FlowSide, L4Proto, Packet, TunnelInfo } from './types.js';

interface Entry {
  flow: Flow;
  firstIsRequest: boolean; // echo flows: tells directions apart when both ends share an address
}

interface Shape {
  key: string; // map key, the same whichever direction the packet went
  proto: L4Proto;
  src: Endpoint;
  dst: Endpoint;
  tag?: string; // what else tells flows apart: echo id, ICMP type, ethertype
  directed?: boolean; // one-way flows (ICMP errors, ND, MLD): the key includes the direction
  tunnel?: TunnelInfo;
}

function side(): FlowSide {
  return { packets: 0, bytes: 0, ttls: [], kinds: [], kindCounts: {} };
}

function ends(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

function ep(addr: string, port?: number): Endpoint {
  return port === undefined ? { addr } : { addr, port };
}

const show = formatEndpoint;

// The flow key shown to people, oriented from the first packet.
function label(sh: Shape): string {
  return `${sh.proto} ${show(sh.src)} ${sh.directed ? '->' : '<->'} ${show(sh.dst)}${sh.tag ? ` ${sh.tag}` : ''}`;
}

// Where a packet belongs; undefined for frames with no addresses.
function shape(p: Packet): Shape | undefined {
  const ip = p.ip;
  if (p.arp) {
    const { senderIp: s, targetIp: t } = p.arp;
    return { key: `arp ${ends(s, t)}`, proto: 'arp', src: ep(s), dst: ep(t) };
  }
  if (!ip) {
    if (!p.eth) return undefined;
    const { src, dst, type } = p.eth;
    return {
      key: `eth ${type} ${ends(src, dst)}`,
      proto: 'other',
      src: ep(src),
      dst: ep(dst),
      tag: `type=0x${type.toString(16).padStart(4, '0')}`,
    };
  }
  const l4 = p.tcp ?? p.udp;
  if (p.tunnel && p.udp) {
    // Each end picks its own source port (a hash of the inner flow): both directions are one flow by the
    // tunnel's endpoints, its destination port and its VNI.
    const { kind, vni } = p.tunnel;
    const port = p.udp.dport;
    return {
      key: `${kind} ${vni} ${port} ${ends(ip.src, ip.dst)}`,
      proto: 'udp',
      src: ep(ip.src),
      dst: ep(ip.dst, port),
      tag: `${kind} vni=${vni}`,
      tunnel: { kind, vni },
    };
  }
  if (l4) {
    const src = ep(ip.src, l4.sport);
    const dst = ep(ip.dst, l4.dport);
    return { key: `${p.proto} ${ends(show(src), show(dst))}`, proto: p.proto, src, dst };
  }
  if (p.icmp) {
    const c = p.icmp;
    if (c.id !== undefined) {
      const tag = `id=0x${c.id.toString(16).padStart(4, '0')}`;
      return {
        key: `${p.proto} ${tag} ${ends(ip.src, ip.dst)}`,
        proto: p.proto,
        src: ep(ip.src),
        dst: ep(ip.dst),
        tag,
      };
    }
    return {
      key: `${p.proto} ${ip.src} ${ip.dst} ${c.name}`,
      proto: p.proto,
      src: ep(ip.src),
      dst: ep(ip.dst),
      tag: c.name,
      directed: true,
    };
  }
  return {
    key: `ip ${ip.proto} ${ends(ip.src, ip.dst)}`,
    proto: 'ip',
    src: ep(ip.src),
    dst: ep(ip.dst),
    tag: `proto=${ip.proto}`,
  };
}

function addKind(s: FlowSide, kind: string): void {
  const n = s.kindCounts[kind];
  if (n === undefined) {
    s.kinds.push(kind);
    s.kindCounts[kind] = 1;
  } else s.kindCounts[kind] = n + 1;
}

// A carried packet's kind, as its own flow would name it: who-has, echo-request, SYN, udp ...
function kindOf(p: Packet): string {
  if (p.arp) return p.arp.op === 'request' ? 'who-has' : p.arp.op === 'reply' ? 'is-at' : 'arp';
  if (p.tcp) return p.tcp.flags;
  if (p.udp) return 'udp';
  if (p.icmp) return p.icmp.name;
  if (p.ip) return `ip-proto-${p.ip.proto}`;
  return p.eth ? `ethertype-0x${p.eth.type.toString(16).padStart(4, '0')}` : 'frame';
}

function isRequest(p: Packet): boolean {
  return p.icmp?.type === 8 || p.icmp?.type === 128;
}

// Incremental flow assembly: one Map lookup per packet; flows() lists them in order of first packet.
export class FlowTable {
  private readonly byKey = new Map<string, Entry>();

  // Adds one packet to its flow, creating the flow on first sight.
  add(p: Packet): void {
    const sh = shape(p);
    if (!sh) return;
    let e = this.byKey.get(sh.key);
    if (!e) {
      const flow: Flow = {
        key: label(sh),
        proto: sh.proto,
        a: sh.src,
        b: sh.dst,
        fwd: side(),
        rev: side(),
        firstUs: p.tsUs,
        lastUs: p.tsUs,
        ...(sh.tunnel ? { tunnel: sh.tunnel } : {}),
      };
      e = { flow, firstIsRequest: isRequest(p) };
      this.byKey.set(sh.key, e);
    }
    const f = e.flow;
    let forward = sh.tunnel ? sh.src.addr === f.a.addr : sh.src.addr === f.a.addr && sh.src.port === f.a.port;
    if (forward && sh.src.addr === sh.dst.addr && sh.src.port === sh.dst.port && p.icmp?.id !== undefined) {
      forward = isRequest(p) === e.firstIsRequest;
    }
    const s = forward ? f.fwd : f.rev;
    s.packets++;
    s.bytes += p.len;
    if (p.ip && !s.ttls.includes(p.ip.ttl)) s.ttls.push(p.ip.ttl);
    if (p.tsUs < f.firstUs) f.firstUs = p.tsUs;
    if (p.tsUs > f.lastUs) f.lastUs = p.tsUs;
    if (p.tunnel) addKind(s, p.inner ? kindOf(p.inner) : 'empty');
    else if (p.tcp) addKind(s, p.tcp.flags);
    else if (p.udp) addKind(s, 'udp');
    else if (p.icmp) addKind(s, p.icmp.name);
    else if (p.arp) addKind(s, p.arp.op === 'request' ? 'who-has' : p.arp.op === 'reply' ? 'is-at' : 'arp');
    else if (p.ip) addKind(s, `ip-proto-${p.ip.proto}`);
    else if (p.eth) addKind(s, `ethertype-0x${p.eth.type.toString(16).padStart(4, '0')}`);
    if (p.dns) addKind(s, `DNS ${dnsKind(p.dns)}`);
    if (p.http)
      addKind(s, p.http.method !== undefined ? `HTTP ${p.http.method} ${p.http.path}` : `HTTP ${p.http.status}`);
  }

  // The flows so far, in order of first packet (live objects: later add() calls update them).
  flows(): Flow[] {
    return Array.from(this.byKey.values(), (e) => e.flow);
  }
}

// One-shot assembly for a finished capture.
export function assembleFlows(packets: Packet[]): Flow[] {
  const t = new FlowTable();
  for (const p of packets) t.add(p);
  return t.flows();
}
