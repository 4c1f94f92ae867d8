// A check as plain data, as a lab declares it: what to send (probes), where to look (points), what must
// and must not be seen, and the hints for each way it fails. Results live with the checks (src/check).
import type { Probe } from './probes.js';

export type { Probe };

// The protocols a matcher names; 'ip' matches any IPv4/IPv6 packet.
export const MATCH_PROTOS = ['arp', 'icmp', 'icmp6', 'tcp', 'udp', 'ip'] as const;
export type MatchProto = (typeof MATCH_PROTOS)[number];

// Fields a packet matcher may constrain; every field left out matches anything.
export interface MatchFields {
  src?: string; // address or CIDR (IPv4/IPv6); for ARP the sender IP
  dst?: string; // address or CIDR; for ARP the target IP
  sport?: number;
  dport?: number;
  ttl?: number; // exact TTL / hop limit
  icmpType?: string; // echo-request, echo-reply, dest-unreachable, ...
  tcpFlags?: string; // exact set, any order: 'SYN' | 'SYN,ACK' | 'RST,ACK' ...
  tcpFlagsInclude?: string; // these flags set, others may be too: 'PSH' matches PSH,ACK
  payload?: string; // TCP/UDP payload contains this text (first 256 bytes, latin1)
  arpOp?: 'request' | 'reply';
  httpMethod?: string;
  httpStatus?: number;
  icmpCode?: number;
  mtu?: number; // fragmentation needed / packet too big: the MTU the message announces
  len?: number; // IPv4: the total length (header included); IPv6: the payload length (after the 40-byte header)
  df?: boolean; // IPv4 don't-fragment bit (IPv6 has none: never matches df)
  fragment?: 'first' | 'middle' | 'last'; // a fragment of a larger datagram, and which one
  fragOffset?: number; // fragment offset in bytes (0 for the first fragment and unfragmented packets)
}

// The tunnel header a matched packet must carry (any VNI when left out).
export interface TunnelMatch {
  kind: 'vxlan' | 'geneve';
  vni?: number;
}

export interface PacketMatcher {
  proto: MatchProto; // 'ip' matches any IPv4/IPv6 packet
  ipVersion?: 4 | 6;
  fields: MatchFields;
  label: string; // human name, e.g. "ICMP echo-request"
  tunnel?: TunnelMatch; // the packet carries this tunnel header...
  carries?: PacketMatcher; // ... and the frame inside matches this (written .inner(m))
}

export interface CountRule {
  min?: number; // default 1 for expect
  max?: number;
}

// A lab's hint for one way an expectation (or look) fails; the engine picks it from what was seen.
export interface Hint {
  when: 'failed' | 'not-seen' | 'near' | 'read'; // any failure; nothing like the packet seen; a near miss seen; a look read this
  field?: string; // near: the near miss differs in this field (src, dst, ttl, ...)
  seen?: string; // near: ... and this value was seen there
  read?: Pattern; // read (looks only): the failed look's output matches this
  text: string;
}

export type FlowField = 'src' | 'dst' | 'sport' | 'dport';

export interface Expectation {
  kind: 'expect' | 'expect-none' | 'same-flow';
  point: string; // node:iface
  matcher: PacketMatcher;
  count?: CountRule;
  why?: string; // one line shown next to the verdict
  hints?: Hint[];
  other?: string; // same-flow: the second point, where the same conversation must be seen
  rewritten?: FlowField[]; // same-flow: the fields that differ between the two points (all others equal)
  outerOnly?: boolean; // expect-none: only the outer packets count (by default it also looks inside tunnels)
}

// A regular expression as data: its source and flags (multiline is always on: patterns match per line).
export interface Pattern {
  source: string;
  flags: string;
}

// A look at state that packets cannot show (PID 1, hostname, links): a command and what its output must say.
export interface Look {
  node: string;
  cmd: string;
  match?: Pattern; // the output must match
  noMatch?: Pattern; // ... and must not match
  why?: string;
  hints?: Hint[]; // said when it fails
  inWindow?: boolean; // runs while the capture window is open (after the probes): its own packets are judged too
}

// State shown after a check, not judged: the conntrack entries of the probe's flow, the counters of the
// rules a step added. `lines`: only the output's lines that match are shown (all when left out).
export interface StateView {
  node: string;
  cmd: string;
  why?: string;
  lines?: Pattern;
}

export interface Check {
  points: string[];
  probes: Probe[];
  expectations: Expectation[];
  looks?: Look[];
  // Before each window the engine forgets the neighbour entries of the nodes an ARP or neighbour
  // discovery expectation depends on; true keeps them (a step about the cache itself).
  keepNeighbours?: boolean;
  views?: StateView[]; // run after the probes and looks, shown with the verdicts
}
