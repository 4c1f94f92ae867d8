// Checks as plain data: what to send (probes), where to look (points), what must and must not be seen.
import type { Endpoint, Flow, L4Proto } from '../capture/types.js';

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
  proto: L4Proto; // 'ip' matches any IPv4/IPv6 packet
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

// The one hint a failed check says, picked by the engine from what was observed.
export interface PickedHint {
  text: string;
  // declared by the lab, the engine's reading of the packets (a neighbour cached), the nearest packet's
  // differing fields, or the verdict itself
  from: 'lab' | 'observed' | 'near-miss' | 'failure';
  about: string; // the verdict line it explains
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

// expectFail: the lesson says this probe fails (no reply, refused); otherwise it must succeed.
// src: the source address to send from (any address of the node), IPv4 or IPv6 like the target.
export type Probe = { expectFail?: boolean; src?: string } & (
  | {
      kind: 'ping';
      from: string;
      to: string;
      count: number;
      ipv6?: boolean;
      size?: number;
      df?: boolean;
      pattern?: string;
    }
  | { kind: 'tcp'; from: string; to: string; port: number; read?: Pattern } // read: keep the reply; its bytes must match
  | { kind: 'http'; from: string; url: string }
  | { kind: 'udp'; from: string; to: string; port: number; payload: string }
);

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

export interface ViewResult {
  view: StateView;
  exitCode: number;
  lines: string[]; // the lines shown: those matching view.lines, or the whole output
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

export interface FieldDiff {
  field: string;
  expected: string;
  seen: string;
}

// A seen flow close to what was expected, with the fields that differed.
export interface NearMiss {
  flow: string; // tshark-like line
  diffs: FieldDiff[];
}

export interface ExpectationResult {
  expectation: Expectation;
  pass: boolean;
  matched: number; // packets that matched
  message: string; // one line: what was expected and what happened
  nearMisses: NearMiss[];
}

// One packet as a sequence diagram draws it: who sent it to whom, what it was, when.
export interface SeenPacket {
  us: number; // capture time, microseconds since the epoch
  proto: L4Proto;
  src: Endpoint; // IP source (with the port), or the ARP sender
  dst: Endpoint;
  kind: string; // echo-request, SYN, PSH,ACK, who-has, neighbor-solicitation, udp, ip-proto-2
  http?: string; // what the segment carries: "GET /", "200"
  hop?: string; // ttl=64 or hlim=64
  tunnel?: string; // "VXLAN vni=42" when the packet is a tunnel's
}

// What one capture point observed during a check window.
export interface PointObservation {
  point: string;
  ready: boolean; // armed before the first probe
  error?: string; // capture could not open or died
  drops: number; // kernel drops reported by libpcap; -1 when it could not say
  packets: number;
  pcapPath?: string; // --save-pcap: the file holding this window
  windowMs: number; // from ready to stop
  flows: Flow[];
  seen?: SeenPacket[]; // the window's first packets one by one, in capture order (bounded)
}

export interface ProbeResult {
  probe: Probe;
  command: string;
  node: string;
  exitCode: number;
  ok: boolean; // succeeded, or failed where the lab says it fails
  durationMs: number;
  output: string;
}

export interface LookResult {
  look: Look;
  pass: boolean;
  exitCode: number;
  output: string;
  message: string;
}

export interface CheckResult {
  pass: boolean;
  expectations: ExpectationResult[];
  looks: LookResult[];
  points: PointObservation[];
  probes: ProbeResult[];
  hint?: PickedHint; // a failed check's hint, once the engine picked it
  cause?: string; // a failed check's root cause in one line, from its first failed expectation's nearest packet
  views?: ViewResult[]; // the state views the check declares, as read after its probes
}
