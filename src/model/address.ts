// Addresses and prefixes as numbers, so 172.17.0.0/24 and 2001:db8::/32 compare correctly.
import { isIPv4, isIPv6 } from 'node:net';

export interface Prefix {
  version: 4 | 6;
  bits: bigint;
  len: number;
}

// IPv4/IPv6 text to a 32- or 128-bit number.
function toBits(addr: string): bigint | undefined {
  if (isIPv4(addr)) return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  if (!isIPv6(addr)) return undefined;
  let text = addr;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = toBits(v4[1]) ?? 0n;
    text = text.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

// "addr" or "addr/len" to a prefix; undefined when it is neither.
export function parseAddressOrCidr(s: string): Prefix | undefined {
  const [addr = '', len, extra] = s.split('/');
  if (extra !== undefined) return undefined;
  const version = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : undefined;
  const bits = toBits(addr);
  if (!version || bits === undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return undefined;
  const n = len === undefined ? max : Number(len);
  if (n > max) return undefined;
  return { version, bits, len: n };
}

// True when the address lies in the prefix (an address is a full-length prefix).
export function inPrefix(addr: string, p: Prefix): boolean {
  const a = parseAddressOrCidr(addr);
  if (!a || a.version !== p.version) return false;
  const width = BigInt(p.version === 4 ? 32 : 128);
  const shift = width - BigInt(p.len);
  return a.bits >> shift === p.bits >> shift;
}
