// RFC 6296 stateless prefix translation, computed exactly as Linux's ip6t_NPT (SNPT/DNPT) does. Pure.
//
// The kernel replaces the prefix bits, then keeps the address's 16-bit one's-complement sum unchanged
// ("checksum neutral", so TCP/UDP/ICMPv6 checksums stay valid) by adding an adjustment to one word:
//   adjustment = fold(sum(from prefix words) - sum(to prefix words))
//   word[idx]  = fold(word[idx] + adjustment), and 0xffff is written as 0
// idx is word 3 (bits 48-63, the subnet ID) when the prefix is /48 or shorter; for /49../64 it is the
// first word from 4 on (the interface identifier) that is not 0xffff; if all are 0xffff the packet is dropped.
import { formatIpv6, maskWords, parseIpv6, parsePrefix6, type Prefix6, type Words } from './ipv6.js';

// One's-complement add of two 32-bit values, with end-around carry (the kernel's csum_add).
function csumAdd(a: number, b: number): number {
  let r = (a + b) >>> 0;
  if (r < b) r = (r + 1) >>> 0;
  return r;
}

// Folds a 32-bit one's-complement sum to 16 bits, without the final inversion.
function fold16(sum: number): number {
  let s = (sum & 0xffff) + (sum >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s;
}

// The 32-bit sum of the eight words, as csum_partial over the 16 bytes would fold.
function wordSum(words: Words): number {
  return words.reduce((acc, w) => csumAdd(acc, w), 0);
}

// The 16-bit adjustment the kernel stores for a rule translating `from` into `to` (ip6t_npt_checkentry).
export function nptAdjustment(from: Prefix6, to: Prefix6): number {
  return fold16(csumAdd(wordSum(from.words), ~wordSum(to.words) >>> 0));
}

export interface NptTranslation {
  address: string; // the translated address, printed as tcpdump prints it
  words: number[];
  adjustedWord: number; // index (0-7) of the 16-bit word that carries the adjustment
  before: number; // that word's value after the prefix was replaced, before the adjustment
  after: number; // its value in the translated address
  adjustment: number;
}

// Translates one address from prefix `from` into prefix `to` exactly as SNPT/DNPT would (ip6t_npt_map_pfx).
export function nptTranslateWords(address: Words, from: Prefix6, to: Prefix6): NptTranslation {
  const len = Math.max(from.len, to.len);
  const host = address.map((w, i) => w ^ (maskWords(address, len)[i] ?? 0));
  const words = host.map((w, i) => w | (maskWords(to.words, len)[i] ?? 0));
  let idx = 3;
  if (len > 48) {
    idx = 4;
    while (idx < 8 && words[idx] === 0xffff) idx++;
    if (idx === 8)
      throw new Error(
        `${formatIpv6(address)} cannot be translated: words 4-7 are all ffff (the kernel drops such a packet)`,
      );
  }
  const adjustment = nptAdjustment(from, to);
  const before = words[idx] ?? 0;
  let after = fold16(before + adjustment);
  if (after === 0xffff) after = 0;
  words[idx] = after;
  return { address: formatIpv6(words), words, adjustedWord: idx, before, after, adjustment };
}

// The address `address` becomes when it leaves through the mapping `from` -> `to` (texts, e.g. "fd00::/48").
// Use it for the source of an outgoing packet (SNPT internal -> external) or, swapped, for the destination of
// an incoming one (DNPT external -> internal). Throws on text that is not an address or a prefix.
export function nptTranslate(address: string, from: string, to: string): NptTranslation {
  const words = parseIpv6(address);
  if (!words) throw new Error(`"${address}" is not an IPv6 address`);
  const f = parsePrefix6(from, 64);
  if ('error' in f) throw new Error(`from prefix: ${f.error}`);
  const t = parsePrefix6(to, 64);
  if ('error' in t) throw new Error(`to prefix: ${t.error}`);
  return nptTranslateWords(words, f.prefix, t.prefix);
}

// Shorthand for labs: the translated address text only.
export function nptMap(address: string, from: string, to: string): string {
  return nptTranslate(address, from, to).address;
}

// One sentence a lab can print: where the address goes and which word the checksum-neutral adjustment changed.
export function nptExplain(address: string, from: string, to: string): string {
  const r = nptTranslate(address, from, to);
  const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
  const word = r.adjustedWord === 3 ? 'word 3 (the subnet ID)' : `word ${r.adjustedWord} (in the interface identifier)`;
  return `${address} leaves as ${r.address}: the prefix ${from} is replaced by ${to}, and ${word} changes from ${hex(r.before)} to ${hex(r.after)} so that the address's 16-bit one's-complement sum, and with it every TCP, UDP and ICMPv6 checksum over it, stays the same (RFC 6296).`;
}
