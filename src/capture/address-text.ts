// Address text for the decoder: plain formatters, and small caches so a repeated address costs a few compares, not a new string.

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const GROUPS = new Uint16Array(8);

// Formats 6 bytes as aa:bb:cc:dd:ee:ff.
export function macToString(d: Uint8Array, o: number): string {
  return `${HEX2[d[o]!]}:${HEX2[d[o + 1]!]}:${HEX2[d[o + 2]!]}:${HEX2[d[o + 3]!]}:${HEX2[d[o + 4]!]}:${HEX2[d[o + 5]!]}`;
}

// Formats 4 bytes as dotted decimal.
export function ipv4ToString(d: Uint8Array, o: number): string {
  return `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
}

// Formats 16 bytes as an RFC 5952 IPv6 address (longest zero run compressed, first on ties, lowercase).
export function ipv6ToString(d: Uint8Array, o: number): string {
  const g = GROUPS;
  for (let i = 0; i < 8; i++) g[i] = (d[o + 2 * i]! << 8) | d[o + 2 * i + 1]!;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${ipv4ToString(d, o + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; i++) {
    if (g[i] !== 0) continue;
    let j = i + 1;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLen) s += ':';
    s += g[i]!.toString(16);
  }
  return s;
}

// Direct-mapped caches: a slot holds the address bytes (as 32-bit words) and its text; '' marks an empty slot.
// A miss formats afresh and takes the slot, so any mix of addresses is right, only slower when they collide.
const BITS = 10;
const SLOTS = 1 << BITS;
const SHIFT = 32 - BITS;
const v4Key = new Int32Array(SLOTS);
const v4Texts: string[] = Array.from({ length: SLOTS }, () => '');
const macKey = new Int32Array(SLOTS * 2);
const macTexts: string[] = Array.from({ length: SLOTS }, () => '');
const v6Key = new Int32Array(SLOTS * 4);
const v6Texts: string[] = Array.from({ length: SLOTS }, () => '');

// Big-endian 32-bit word at o, as a signed int (the cache keys).
function word(d: Uint8Array, o: number): number {
  return (d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!;
}

// ipv4ToString, cached.
export function ipv4Text(d: Uint8Array, o: number): string {
  const k = word(d, o);
  const h = Math.imul(k, 0x9e3779b1) >>> SHIFT;
  const hit = v4Texts[h]!;
  if (v4Key[h] === k && hit !== '') return hit;
  const s = ipv4ToString(d, o);
  v4Key[h] = k;
  v4Texts[h] = s;
  return s;
}

// macToString, cached.
export function macText(d: Uint8Array, o: number): string {
  const hi = (d[o]! << 8) | d[o + 1]!;
  const lo = word(d, o + 2);
  const h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> SHIFT;
  const hit = macTexts[h]!;
  if (macKey[2 * h] === hi && macKey[2 * h + 1] === lo && hit !== '') return hit;
  const s = macToString(d, o);
  macKey[2 * h] = hi;
  macKey[2 * h + 1] = lo;
  macTexts[h] = s;
  return s;
}

// ipv6ToString, cached.
export function ipv6Text(d: Uint8Array, o: number): string {
  const a = word(d, o);
  const b = word(d, o + 4);
  const c = word(d, o + 8);
  const e = word(d, o + 12);
  const h =
    Math.imul(a ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35) ^ Math.imul(e, 0x27d4eb2f), 0x9e3779b1) >>> SHIFT;
  const i = 4 * h;
  const hit = v6Texts[h]!;
  if (v6Key[i] === a && v6Key[i + 1] === b && v6Key[i + 2] === c && v6Key[i + 3] === e && hit !== '') return hit;
  const s = ipv6ToString(d, o);
  v6Key[i] = a;
  v6Key[i + 1] = b;
  v6Key[i + 2] = c;
  v6Key[i + 3] = e;
  v6Texts[h] = s;
  return s;
}
