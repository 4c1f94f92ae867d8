// The one policy for link-local chatter (IPv6 neighbour discovery, MLD, IGMP, link-local multicast):
// every view folds it out of what it draws, unless one of the check's matchers names it.

// Packet kinds that are chatter: ND, router discovery, redirects, MLD (ICMPv6), and IGMP (IP protocol 2).
const CHATTER_KIND = /^(neighbor-|router-|mld|redirect|ip-proto-2$)/;
const LINK_LOCAL_GROUP = /^(224\.0\.0\.|ff02:)/i;

// What the policy needs to know about a packet or a flow, whatever layer describes it.
export interface NoiseFacts {
  proto: string; // icmp6, udp, ip, other ...
  kinds: readonly string[]; // the packet's kind, or every kind a flow saw: neighbor-solicitation, SYN, ip-proto-2
  to?: string; // the destination address
}

// What the policy needs to know about a matcher: its protocol, and the fields that can name chatter.
export interface NoiseMatcher {
  proto: string;
  fields: { icmpType?: string; dst?: string };
}

// True for chatter: only chatter kinds, or a datagram to a link-local multicast group (mDNS, LLMNR).
export function isChatter(x: NoiseFacts): boolean {
  if (x.kinds.length > 0 && x.kinds.every((k) => CHATTER_KIND.test(k))) return true;
  return ['udp', 'ip', 'other'].includes(x.proto) && LINK_LOCAL_GROUP.test(x.to ?? '');
}

// True when a matcher asks for chatter: an ND/MLD type, or a link-local group as its destination.
export function namesChatter(m: NoiseMatcher): boolean {
  return CHATTER_KIND.test(m.fields.icmpType ?? '') || LINK_LOCAL_GROUP.test(m.fields.dst ?? '');
}

// Whether a view shows a packet or flow, given the matchers of the check (at that point) it belongs to.
export function isShown(x: NoiseFacts, matchers: readonly NoiseMatcher[]): boolean {
  return !isChatter(x) || matchers.some(namesChatter);
}
