// Packet matchers a lab author writes (icmp.echoRequest({ src, ttl })), as plain data, and how they match.
import { packetEnds } from '../capture/endpoint.js';
import type { L4Proto, Packet } from '../capture/types.js';
import { inPrefix, parseAddressOrCidr } from './address.js';
import type { FieldDiff, MatchFields, PacketMatcher } from './types.js';

export { parseAddressOrCidr } from './address.js';

const make = (proto: L4Proto, label: string, fields: MatchFields = {}, ipVersion?: 4 | 6): PacketMatcher => ({ proto, label, fields, ...(ipVersion ? { ipVersion } : {}) });

export const icmp = {
  echoRequest: (f: MatchFields = {}) => make('icmp', 'ICMP echo-request', { ...f, icmpType: 'echo-request' }),
  echoReply: (f: MatchFields = {}) => make('icmp', 'ICMP echo-reply', { ...f, icmpType: 'echo-reply' }),
  unreachable: (f: MatchFields = {}) => make('icmp', 'ICMP dest-unreachable', { ...f, icmpType: 'dest-unreachable' }),
  any: (f: MatchFields = {}) => make('icmp', 'ICMP', f),
};

// IPv6's own housekeeping (neighbour discovery, MLD, router solicitations): a matcher sees these only
// when it names their type, so the noise of a link coming up never breaks an expectation about traffic.
export const ICMP6_CONTROL = new Set(['neighbor-solicitation', 'neighbor-advertisement', 'router-solicitation', 'router-advertisement', 'redirect', 'mld-query', 'mld-report', 'mld-done', 'mldv2-report']);

export const icmp6 = {
  echoRequest: (f: MatchFields = {}) => make('icmp6', 'ICMPv6 echo-request', { ...f, icmpType: 'echo-request' }),
  echoReply: (f: MatchFields = {}) => make('icmp6', 'ICMPv6 echo-reply', { ...f, icmpType: 'echo-reply' }),
  unreachable: (f: MatchFields = {}) => make('icmp6', 'ICMPv6 dest-unreachable', { ...f, icmpType: 'dest-unreachable' }),
  neighborSolicitation: (f: MatchFields = {}) => make('icmp6', 'ICMPv6 neighbor-solicitation', { ...f, icmpType: 'neighbor-solicitation' }),
  neighborAdvertisement: (f: MatchFields = {}) => make('icmp6', 'ICMPv6 neighbor-advertisement', { ...f, icmpType: 'neighbor-advertisement' }),
  any: (f: MatchFields = {}) => make('icmp6', 'ICMPv6', f),
};

export const arp = {
  request: (f: MatchFields = {}) => make('arp', 'ARP request', { ...f, arpOp: 'request' }),
  reply: (f: MatchFields = {}) => make('arp', 'ARP reply', { ...f, arpOp: 'reply' }),
  any: (f: MatchFields = {}) => make('arp', 'ARP', f),
};

// Any TCP segment; shortcuts for the flags a lesson talks about.
export const tcp = Object.assign((f: MatchFields = {}) => make('tcp', f.tcpFlags ? `TCP ${f.tcpFlags}` : 'TCP', f), {
  syn: (f: MatchFields = {}) => make('tcp', 'TCP SYN', { ...f, tcpFlags: 'SYN' }),
  synAck: (f: MatchFields = {}) => make('tcp', 'TCP SYN,ACK', { ...f, tcpFlags: 'SYN,ACK' }),
  rstAck: (f: MatchFields = {}) => make('tcp', 'TCP RST,ACK', { ...f, tcpFlags: 'RST,ACK' }),
  // Segments with at least these flags set: tcp.with('PSH') matches PSH,ACK.
  with: (flags: string, f: MatchFields = {}) => make('tcp', `TCP with ${flags}`, { ...f, tcpFlagsInclude: flags }),
  // Segments whose payload contains the text: tcp.payload('Hello, world!').
  payload: (text: string, f: MatchFields = {}) => make('tcp', `TCP payload "${text}"`, { ...f, payload: text }),
});

export const udp = (f: MatchFields = {}) => make('udp', 'UDP', f);

export const http = {
  request: (f: MatchFields = {}) => make('tcp', `HTTP ${f.httpMethod ?? 'GET'}`, { ...f, httpMethod: f.httpMethod ?? 'GET' }),
  response: (status: number, f: MatchFields = {}) => make('tcp', `HTTP ${status}`, { ...f, httpStatus: status }),
};

// Any IPv4 or IPv6 packet.
export const ip = (f: MatchFields = {}) => make('ip', 'IP', f);

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE', 'NONE'];
const flagSet = (s: string): string => s.split(',').map((x) => x.trim().toUpperCase()).filter(Boolean).sort().join(',');

// The values of a packet that matchers compare, by field name.
function seenValues(p: Packet): Record<keyof MatchFields, string | number | undefined> {
  return {
    ...packetEnds(p),
    ttl: p.ip?.ttl,
    icmpType: p.icmp?.name,
    tcpFlags: p.tcp?.flags,
    tcpFlagsInclude: p.tcp?.flags,
    payload: p.payload,
    arpOp: p.arp?.op,
    httpMethod: p.http?.method,
    httpStatus: p.http?.status,
  };
}

// The fields in which a packet differs from a matcher; empty means it matches.
export function matchPacket(m: PacketMatcher, p: Packet): FieldDiff[] {
  const protoOk = m.proto === 'ip' ? Boolean(p.ip) : p.proto === m.proto || (m.proto === 'tcp' && Boolean(p.tcp));
  if (!protoOk) return [{ field: 'proto', expected: m.proto, seen: p.proto }];
  if (m.ipVersion && p.ip?.version !== m.ipVersion) return [{ field: 'ipVersion', expected: String(m.ipVersion), seen: String(p.ip?.version ?? '-') }];
  const control = p.proto === 'icmp6' && p.icmp && ICMP6_CONTROL.has(p.icmp.name);
  if (control && m.fields.icmpType !== p.icmp?.name) return [{ field: 'icmpType', expected: m.fields.icmpType ?? 'not IPv6 housekeeping', seen: p.icmp?.name ?? '-' }];
  const seen = seenValues(p);
  const diffs: FieldDiff[] = [];
  for (const [k, want] of Object.entries(m.fields) as [keyof MatchFields, string | number | undefined][]) {
    if (want === undefined) continue;
    const got = seen[k];
    let ok: boolean;
    if (k === 'src' || k === 'dst') {
      const prefix = parseAddressOrCidr(String(want));
      ok = got !== undefined && prefix !== undefined && inPrefix(String(got), prefix);
    } else if (k === 'tcpFlags') ok = got !== undefined && flagSet(String(got)) === flagSet(String(want));
    else if (k === 'tcpFlagsInclude') ok = got !== undefined && flagSet(String(want)).split(',').every((x) => flagSet(String(got)).split(',').includes(x));
    else if (k === 'payload') ok = got !== undefined && String(got).includes(String(want));
    else ok = got === want;
    if (!ok) diffs.push({ field: k, expected: String(want), seen: got === undefined ? '-' : String(got) });
  }
  return diffs;
}

// Problems with a matcher written by hand, each starting with the field's path.
export function validateMatcher(m: PacketMatcher): string[] {
  const out: string[] = [];
  if (!['arp', 'icmp', 'icmp6', 'tcp', 'udp', 'ip'].includes(m.proto)) out.push(`proto: ${JSON.stringify(m.proto)} is not a protocol a matcher knows`);
  const f = (m.fields ?? {}) as Record<string, unknown>;
  for (const k of ['src', 'dst'] as const) {
    if (f[k] !== undefined && (typeof f[k] !== 'string' || !parseAddressOrCidr(f[k] as string))) out.push(`fields.${k}: ${JSON.stringify(f[k])} is not an IPv4/IPv6 address or CIDR`);
  }
  for (const k of ['sport', 'dport'] as const) {
    const v = f[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535)) out.push(`fields.${k}: ${JSON.stringify(v)} is not a port`);
  }
  if (f.ttl !== undefined && (!Number.isInteger(f.ttl) || (f.ttl as number) < 0 || (f.ttl as number) > 255)) out.push(`fields.ttl: ${JSON.stringify(f.ttl)} must be 0..255`);
  for (const k of ['tcpFlags', 'tcpFlagsInclude'] as const) {
    if (f[k] !== undefined) for (const flag of String(f[k]).split(',')) if (!TCP_FLAGS.includes(flag.trim().toUpperCase())) out.push(`fields.${k}: unknown flag ${JSON.stringify(flag)}`);
  }
  if (f.payload !== undefined && (typeof f.payload !== 'string' || f.payload === '')) out.push(`fields.payload: must be non-empty text`);
  if (f.httpStatus !== undefined && (!Number.isInteger(f.httpStatus) || (f.httpStatus as number) < 100 || (f.httpStatus as number) > 599)) out.push(`fields.httpStatus: ${JSON.stringify(f.httpStatus)} is not an HTTP status`);
  return out;
}
