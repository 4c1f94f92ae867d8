// How a packet matcher (src/model/matchers.ts) matches a decoded packet, and which fields differ when not.
import { packetEnds } from '../capture/endpoint.js';
import type { Packet } from '../capture/types.js';
import { inPrefix, parseAddressOrCidr } from '../model/address.js';
import type { MatchFields, PacketMatcher } from '../model/check.js';
import { flagSet, ICMP6_CONTROL, safeText } from '../model/matchers.js';
import type { FieldDiff } from './types.js';

type SeenValues = Record<keyof MatchFields, string | number | boolean | undefined>;

// A window's packets are matched against every expectation of the check: each packet's values, and
// each address's place in each prefix, are worked out once (addresses as text are costly to parse).
const seenOf = new WeakMap<Packet, SeenValues>();
const inPrefixOf = new Map<string, boolean>();
const PREFIX_ANSWERS = 4096; // a sandbox has a few addresses; past this many pairs the answers start again

// The values of a packet that matchers compare, by field name (worked out once per packet).
function seenValues(p: Packet): SeenValues {
  let v = seenOf.get(p);
  if (!v) seenOf.set(p, (v = valuesOf(p)));
  return v;
}

// True when the address lies in the prefix or is the address the matcher names.
function addressIn(addr: string, want: string): boolean {
  const key = `${addr} ${want}`;
  let ok = inPrefixOf.get(key);
  if (ok === undefined) {
    const prefix = parseAddressOrCidr(want);
    ok = prefix !== undefined && inPrefix(addr, prefix);
    if (inPrefixOf.size >= PREFIX_ANSWERS) inPrefixOf.clear();
    inPrefixOf.set(key, ok);
  }
  return ok;
}

function valuesOf(p: Packet): SeenValues {
  const f = p.frag;
  return {
    ...packetEnds(p),
    ttl: p.ip?.ttl,
    icmpCode: p.icmp?.code,
    mtu: p.icmp?.mtu,
    len: p.ip ? (p.ip.version === 4 ? p.ip.len : p.ip.len - 40) : undefined,
    df: p.ip?.version === 4 ? (f?.df ?? false) : undefined,
    fragment: f && (f.more || f.offset > 0) ? (f.offset === 0 ? 'first' : f.more ? 'middle' : 'last') : undefined,
    fragOffset: p.ip ? (f?.offset ?? 0) : undefined,
    icmpType: p.icmp?.name,
    tcpFlags: p.tcp?.flags,
    tcpFlagsInclude: p.tcp?.flags,
    payload: p.payload,
    arpOp: p.arp?.op,
    httpMethod: p.http?.method,
    httpStatus: p.http?.status,
  };
}

// The fields in which a packet differs from a matcher, its tunnel header and the frame inside (those named
// "vni", "tunnel" and "inner.<field>"); empty means it matches.
export function matchPacket(m: PacketMatcher, p: Packet): FieldDiff[] {
  const diffs = matchOne(m, p);
  if (!m.tunnel && !m.carries) return diffs;
  if (diffs.some((d) => d.field === 'proto')) return diffs;
  const t = p.tunnel;
  if (m.tunnel) {
    if (!t || t.kind !== m.tunnel.kind)
      return [...diffs, { field: 'tunnel', expected: m.tunnel.kind, seen: t?.kind ?? 'none' }];
    if (m.tunnel.vni !== undefined && t.vni !== m.tunnel.vni)
      diffs.push({ field: 'vni', expected: String(m.tunnel.vni), seen: String(t.vni) });
  }
  if (m.carries) {
    if (!p.inner) return [...diffs, { field: 'inner', expected: formatInner(m.carries), seen: 'nothing carried' }];
    for (const d of matchPacket(m.carries, p.inner)) diffs.push({ ...d, field: `inner.${d.field}` });
  }
  return diffs;
}

// The inner matcher's words, for a diff that says nothing was carried.
const formatInner = (m: PacketMatcher): string => m.label;

// The outer packet or any packet it carries (tunnels nest) that matches, if any.
export function matchAnyLayer(m: PacketMatcher, p: Packet): Packet | undefined {
  for (let q: Packet | undefined = p; q; q = q.inner) if (matchPacket(m, q).length === 0) return q;
  return undefined;
}

function matchOne(m: PacketMatcher, p: Packet): FieldDiff[] {
  const protoOk = m.proto === 'ip' ? Boolean(p.ip) : p.proto === m.proto || (m.proto === 'tcp' && Boolean(p.tcp));
  if (!protoOk) return [{ field: 'proto', expected: m.proto, seen: p.proto }];
  if (m.ipVersion && p.ip?.version !== m.ipVersion)
    return [{ field: 'ipVersion', expected: String(m.ipVersion), seen: String(p.ip?.version ?? '-') }];
  const control = p.proto === 'icmp6' && p.icmp && ICMP6_CONTROL.has(p.icmp.name);
  if (control && m.fields.icmpType !== p.icmp?.name)
    return [{ field: 'icmpType', expected: m.fields.icmpType ?? 'not IPv6 housekeeping', seen: p.icmp?.name ?? '-' }];
  const seen = seenValues(p);
  const diffs: FieldDiff[] = [];
  for (const [k, want] of Object.entries(m.fields) as [keyof MatchFields, string | number | boolean | undefined][]) {
    if (want === undefined) continue;
    const got = seen[k];
    let ok: boolean;
    if (k === 'src' || k === 'dst') ok = got !== undefined && addressIn(String(got), String(want));
    else if (k === 'tcpFlags') ok = got !== undefined && flagSet(String(got)) === flagSet(String(want));
    else if (k === 'tcpFlagsInclude')
      ok =
        got !== undefined &&
        flagSet(String(want))
          .split(',')
          .every((x) => flagSet(String(got)).split(',').includes(x));
    else if (k === 'payload') ok = got !== undefined && String(got).includes(String(want));
    else ok = got === want;
    if (!ok)
      diffs.push({
        field: k,
        expected: k === 'payload' ? safeText(String(want)) : String(want),
        seen: got === undefined ? '-' : k === 'payload' ? safeText(String(got)) : String(got),
      });
  }
  return diffs;
}
