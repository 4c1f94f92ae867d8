// IPv6 addresses and prefixes as eight 16-bit words: parse, print (RFC 5952), mask, overlap. Pure.

export type Words = readonly number[]; // exactly 8 values, 0..0xffff

export interface Prefix6 {
  words: Words; // the prefix with every host bit zero
  len: number; // 0..128
}

// Parses an IPv6 address ("fd00::1", "2001:db8:0:0:0:0:0:1"); returns undefined when it is not one.
export function parseIpv6(text: string): Words | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.length > 39) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const parts = s.split(':');
    if (parts.some((p) => !/^[0-9a-fA-F]{1,4}$/.test(p))) return undefined;
    return parts.map((p) => Number.parseInt(p, 16));
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

// Prints an address the way RFC 5952 (and tcpdump, via inet_ntop) does: lowercase, longest zero run as "::".
export function formatIpv6(words: Words): string {
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

// The address with every bit after the first len bits cleared.
export function maskWords(words: Words, len: number): number[] {
  return words.map((w, i) => {
    const keep = Math.max(0, Math.min(16, len - i * 16));
    return keep === 0 ? 0 : w & ((0xffff << (16 - keep)) & 0xffff);
  });
}

// True when two addresses agree on their first len bits.
export function samePrefix(a: Words, b: Words, len: number): boolean {
  const ma = maskWords(a, len);
  const mb = maskWords(b, len);
  return ma.every((w, i) => w === mb[i]);
}

// Why a "ADDR/LEN" text is not an IPv6 prefix, or the prefix; maxLen bounds the length.
export function parsePrefix6(text: string, maxLen = 128): { prefix: Prefix6 } | { error: string } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return { error: `"${text}" is not an IPv6 prefix (write ADDRESS/LENGTH, e.g. fd00:0:0:1::/64)` };
  const words = parseIpv6(m[1] ?? '');
  if (!words) return { error: `"${m[1]}" is not an IPv6 address` };
  const len = Number(m[2]);
  if (len < 1 || len > maxLen) return { error: `length /${len} is out of range (1-${maxLen})` };
  const masked = maskWords(words, len);
  if (!masked.every((w, i) => w === words[i])) {
    return {
      error: `${m[1]}/${len} has host bits set: it is an address, not a prefix (the prefix is ${formatIpv6(masked)}/${len})`,
    };
  }
  return { prefix: { words: masked, len } };
}

// The canonical text of a prefix, e.g. "fd00:0:0:1::/64".
export function formatPrefix6(p: Prefix6): string {
  return `${formatIpv6(p.words)}/${p.len}`;
}

// True when two prefixes share any address (one contains the other).
export function prefixesOverlap(a: Prefix6, b: Prefix6): boolean {
  return samePrefix(a.words, b.words, Math.min(a.len, b.len));
}
