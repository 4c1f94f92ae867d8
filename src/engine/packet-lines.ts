// Packet words for front ends that lay out a check themselves (the walkthrough): flows as
// tshark-like lines, ND/MLD noise, and the side-by-side view of a rewrite.
import type { Flow } from '../capture/types.js';
import { isNoise } from '../check/format.js';

export { formatFlow, formatMatcher, formatRewrites, isNoise } from '../check/format.js';

// Neighbour discovery, MLD, IGMP and other link-local multicast chatter: folded unless a lab names it.
export function isChatter(f: Flow): boolean {
  if (isNoise(f)) return true;
  const to = f.b.addr;
  return (
    (f.proto === 'other' || f.proto === 'ip' || f.proto === 'udp') && (/^224\.0\.0\./.test(to) || /^ff02:/i.test(to))
  );
}
