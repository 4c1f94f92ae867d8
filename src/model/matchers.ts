// Packet matchers a lab author writes (icmp.echoRequest({ src, ttl })), as plain data, with the checks
// that a hand-written one is sound. How they match a packet is the check's business (src/check/matchers.ts).
import { parseAddressOrCidr } from './address.js';
import { MATCH_PROTOS, type MatchFields, type MatchProto, type PacketMatcher } from './check.js';

// Every field a matcher may constrain, once (the compiler refuses a MatchFields key left out here).
const FIELD_SET: { [K in keyof Required<MatchFields>]: true } = {
  src: true,
  dst: true,
  sport: true,
  dport: true,
  ttl: true,
  icmpType: true,
  tcpFlags: true,
  tcpFlagsInclude: true,
  payload: true,
  arpOp: true,
  httpMethod: true,
  httpStatus: true,
  icmpCode: true,
  mtu: true,
  len: true,
  df: true,
  fragment: true,
  fragOffset: true,
};
export const MATCH_FIELDS = Object.keys(FIELD_SET) as (keyof MatchFields)[];

// The fields a near miss can differ in: the matcher's own, and what frames them (protocol, IP version,
// tunnel and VNI); a carried frame's are written inner.<field>.
export const NEAR_FIELDS: readonly string[] = [...MATCH_FIELDS, 'proto', 'ipVersion', 'tunnel', 'vni'];

// A matcher as plain data (what a lab's check holds), with chainable refinements that are not data: they
// are not enumerable, so a check serialises and compares as before.
export interface Matcher extends PacketMatcher {
  from(src: string): Matcher; // source address or CIDR
  to(dst: string | number): Matcher; // destination address or CIDR, or (a number) the destination port
  where(f: MatchFields): Matcher; // more fields
  vxlan(t?: { vni?: number }): Matcher; // the packet carries a VXLAN header (with this VNI)
  geneve(t?: { vni?: number }): Matcher; // the packet carries a Geneve header (with this VNI)
  inner(m: MatcherLike): Matcher; // the frame the tunnel carries matches m
}

// A matcher factory (icmp.echoRequest) that can also be refined directly: icmp.echoRequest.from(C1).
export type Refinements = Omit<Matcher, keyof PacketMatcher>;
export type MatcherFactory = ((f?: MatchFields) => Matcher) & Refinements;

// What an expectation accepts: a matcher, or a factory used as is (icmp.echoRequest means icmp.echoRequest()).
export type MatcherLike = PacketMatcher | MatcherFactory;

// The matcher data behind a factory or a matcher.
export function asMatcher(m: MatcherLike): PacketMatcher {
  return typeof m === 'function' ? m() : m;
}

const refine = (m: PacketMatcher, extra: Partial<PacketMatcher>): Matcher => chain({ ...m, ...extra });
const toField = (dst: string | number): MatchFields => (typeof dst === 'number' ? { dport: dst } : { dst });

// Adds the chainable refinements to matcher data, not enumerable.
function chain(m: PacketMatcher): Matcher {
  const data: PacketMatcher = {
    proto: m.proto,
    label: m.label,
    fields: m.fields,
    ...(m.ipVersion ? { ipVersion: m.ipVersion } : {}),
    ...(m.tunnel ? { tunnel: m.tunnel } : {}),
    ...(m.carries ? { carries: m.carries } : {}),
  };
  const methods: Refinements = {
    from: (src) => refine(data, { fields: { ...data.fields, src } }),
    to: (dst) => refine(data, { fields: { ...data.fields, ...toField(dst) } }),
    where: (f) => refine(data, { fields: { ...data.fields, ...f } }),
    vxlan: (t = {}) => refine(data, { tunnel: { kind: 'vxlan', ...(t.vni !== undefined ? { vni: t.vni } : {}) } }),
    geneve: (t = {}) => refine(data, { tunnel: { kind: 'geneve', ...(t.vni !== undefined ? { vni: t.vni } : {}) } }),
    inner: (i) => refine(data, { carries: asMatcher(i) }),
  };
  for (const [k, v] of Object.entries(methods)) Object.defineProperty(data, k, { value: v, enumerable: false });
  return data as Matcher;
}

const make = (proto: MatchProto, label: string, fields: MatchFields = {}, ipVersion?: 4 | 6): Matcher =>
  chain({ proto, label, fields, ...(ipVersion ? { ipVersion } : {}) });

// A factory of matchers that can be refined without calling it first.
function factory(build: (f: MatchFields) => Matcher): MatcherFactory {
  const fn = (f: MatchFields = {}): Matcher => build(f);
  const methods: Refinements = {
    from: (src) => build({ src }),
    to: (dst) => build(toField(dst)),
    where: (f) => build(f),
    vxlan: (t) => build({}).vxlan(t),
    geneve: (t) => build({}).geneve(t),
    inner: (m) => build({}).inner(m),
  };
  return Object.assign(fn, methods);
}

export const icmp = {
  echoRequest: factory((f) => make('icmp', 'ICMP echo-request', { ...f, icmpType: 'echo-request' })),
  echoReply: factory((f) => make('icmp', 'ICMP echo-reply', { ...f, icmpType: 'echo-reply' })),
  unreachable: factory((f) => make('icmp', 'ICMP dest-unreachable', { ...f, icmpType: 'dest-unreachable' })),
  // Fragmentation needed (type 3 code 4), with the MTU it announces when given: icmp.fragNeeded({ mtu: 1450 }).
  fragNeeded: factory((f) =>
    make('icmp', 'ICMP fragmentation-needed', { ...f, icmpType: 'dest-unreachable', icmpCode: 4 }),
  ),
  any: factory((f) => make('icmp', 'ICMP', f)),
};

// IPv6's own housekeeping (neighbour discovery, MLD, router solicitations): a matcher sees these only
// when it names their type, so the noise of a link coming up never breaks an expectation about traffic.
export const ICMP6_CONTROL = new Set([
  'neighbor-solicitation',
  'neighbor-advertisement',
  'router-solicitation',
  'router-advertisement',
  'redirect',
  'mld-query',
  'mld-report',
  'mld-done',
  'mldv2-report',
]);

export const icmp6 = {
  echoRequest: factory((f) => make('icmp6', 'ICMPv6 echo-request', { ...f, icmpType: 'echo-request' })),
  echoReply: factory((f) => make('icmp6', 'ICMPv6 echo-reply', { ...f, icmpType: 'echo-reply' })),
  unreachable: factory((f) => make('icmp6', 'ICMPv6 dest-unreachable', { ...f, icmpType: 'dest-unreachable' })),
  // Packet too big (type 2), with the MTU it announces when given: icmp6.packetTooBig({ mtu: 1450 }).
  packetTooBig: factory((f) => make('icmp6', 'ICMPv6 packet-too-big', { ...f, icmpType: 'packet-too-big' })),
  neighborSolicitation: factory((f) =>
    make('icmp6', 'ICMPv6 neighbor-solicitation', { ...f, icmpType: 'neighbor-solicitation' }),
  ),
  neighborAdvertisement: factory((f) =>
    make('icmp6', 'ICMPv6 neighbor-advertisement', { ...f, icmpType: 'neighbor-advertisement' }),
  ),
  any: factory((f) => make('icmp6', 'ICMPv6', f)),
};

export const arp = {
  request: factory((f) => make('arp', 'ARP request', { ...f, arpOp: 'request' })),
  reply: factory((f) => make('arp', 'ARP reply', { ...f, arpOp: 'reply' })),
  any: factory((f) => make('arp', 'ARP', f)),
};

// Any TCP segment; shortcuts for the flags a lesson talks about.
export const tcp = Object.assign(
  factory((f) => make('tcp', f.tcpFlags ? `TCP ${f.tcpFlags}` : 'TCP', f)),
  {
    syn: factory((f) => make('tcp', 'TCP SYN', { ...f, tcpFlags: 'SYN' })),
    synAck: factory((f) => make('tcp', 'TCP SYN,ACK', { ...f, tcpFlags: 'SYN,ACK' })),
    rstAck: factory((f) => make('tcp', 'TCP RST,ACK', { ...f, tcpFlags: 'RST,ACK' })),
    // Segments with at least these flags set: tcp.with('PSH') matches PSH,ACK.
    with: (flags: string, f: MatchFields = {}) => make('tcp', `TCP with ${flags}`, { ...f, tcpFlagsInclude: flags }),
    // Segments whose payload contains the text: tcp.payload('Hello, world!').
    payload: (text: string, f: MatchFields = {}) =>
      make('tcp', `TCP payload "${safeText(text)}"`, { ...f, payload: text }),
  },
);

// Any UDP datagram: udp({ dport: 53 }), udp.to(4789).vxlan({ vni: 42 }).inner(icmp.echoRequest).
export const udp = factory((f) => make('udp', 'UDP', f));

export const http = {
  request: (f: MatchFields = {}) =>
    make('tcp', `HTTP ${f.httpMethod ?? 'GET'}`, { ...f, httpMethod: f.httpMethod ?? 'GET' }),
  response: (status: number, f: MatchFields = {}) => make('tcp', `HTTP ${status}`, { ...f, httpStatus: status }),
};

// Any IPv4 or IPv6 packet: ip({ df: true, len: 1500 }), ip({ fragment: 'last' }).
export const ip = factory((f) => make('ip', 'IP', f));

export const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE', 'NONE'];
export const flagSet = (s: string): string =>
  s
    .split(',')
    .map((x) => x.trim().toUpperCase())
    .filter(Boolean)
    .sort()
    .join(',');

// Text a terminal can show and grep reads as text: bytes outside printable ASCII escaped, long text cut.
export function safeText(s: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const esc = s.replace(/[^\x20-\x7e]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return esc.length > max ? `${esc.slice(0, max)}...` : esc;
}

// Problems with a matcher written by hand, each starting with the field's path.
export function validateMatcher(m: PacketMatcher): string[] {
  const out: string[] = [];
  if (!(MATCH_PROTOS as readonly string[]).includes(m.proto))
    out.push(`proto: ${JSON.stringify(m.proto)} is not a protocol a matcher knows`);
  const f = (m.fields ?? {}) as Record<string, unknown>;
  for (const k of ['src', 'dst'] as const) {
    if (f[k] !== undefined && (typeof f[k] !== 'string' || !parseAddressOrCidr(f[k] as string)))
      out.push(`fields.${k}: ${JSON.stringify(f[k])} is not an IPv4/IPv6 address or CIDR`);
  }
  for (const k of ['sport', 'dport'] as const) {
    const v = f[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535))
      out.push(`fields.${k}: ${JSON.stringify(v)} is not a port`);
  }
  if (f.ttl !== undefined && (!Number.isInteger(f.ttl) || (f.ttl as number) < 0 || (f.ttl as number) > 255))
    out.push(`fields.ttl: ${JSON.stringify(f.ttl)} must be 0..255`);
  for (const k of ['tcpFlags', 'tcpFlagsInclude'] as const) {
    if (f[k] !== undefined)
      for (const flag of String(f[k]).split(','))
        if (!TCP_FLAGS.includes(flag.trim().toUpperCase()))
          out.push(`fields.${k}: unknown flag ${JSON.stringify(flag)}`);
  }
  if (f.payload !== undefined && (typeof f.payload !== 'string' || f.payload === ''))
    out.push(`fields.payload: must be non-empty text`);
  if (
    f.httpStatus !== undefined &&
    (!Number.isInteger(f.httpStatus) || (f.httpStatus as number) < 100 || (f.httpStatus as number) > 599)
  )
    out.push(`fields.httpStatus: ${JSON.stringify(f.httpStatus)} is not an HTTP status`);
  for (const [k, max] of [
    ['icmpCode', 255],
    ['mtu', 0xffffffff],
    ['len', 65535],
    ['fragOffset', 65528],
  ] as const) {
    const v = f[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > max))
      out.push(`fields.${k}: ${JSON.stringify(v)} must be an integer 0..${max}`);
  }
  if (f.df !== undefined && typeof f.df !== 'boolean')
    out.push(`fields.df: ${JSON.stringify(f.df)} must be true or false`);
  if (f.fragment !== undefined && !['first', 'middle', 'last'].includes(f.fragment as string))
    out.push(`fields.fragment: ${JSON.stringify(f.fragment)} must be 'first', 'middle' or 'last'`);
  if (m.tunnel !== undefined) {
    const t = m.tunnel as unknown as Record<string, unknown>;
    if (typeof t !== 'object' || t === null || !['vxlan', 'geneve'].includes(t.kind as string))
      out.push(`tunnel.kind: ${JSON.stringify(t?.kind)} must be 'vxlan' or 'geneve'`);
    else if (t.vni !== undefined && (!Number.isInteger(t.vni) || (t.vni as number) < 0 || (t.vni as number) > 0xffffff))
      out.push(`tunnel.vni: ${JSON.stringify(t.vni)} must be 0..16777215`);
  }
  if (m.carries !== undefined) {
    if (typeof m.carries !== 'object' || m.carries === null)
      out.push('carries: must be a packet matcher such as icmp.echoRequest()');
    else out.push(...validateMatcher(m.carries).map((x) => `carries.${x}`));
  }
  return out;
}
