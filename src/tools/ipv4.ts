// IPv4 addresses and subnets as 32-bit numbers, and the search for a free /24. Pure.

export interface Cidr4 {
  net: number; // network address, host bits zero
  len: number; // 0..32
}

// Parses a dotted quad ("10.1.2.3"); undefined when it is not one.
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

// Prints a 32-bit address as a dotted quad.
export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

// The netmask of a prefix length as a number.
function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

// The subnet an interface address lies in ("10.1.1.7", 24 -> 10.1.1.0/24).
export function subnetOf(addr: number, len: number): Cidr4 {
  return { net: (addr & maskOf(len)) >>> 0, len };
}

// Parses "A.B.C.D/LEN" (host bits allowed; they are cleared); undefined when it is not one.
export function parseCidr4(text: string): Cidr4 | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  const addr = m ? parseIpv4(m[1] ?? '') : undefined;
  const len = Number(m?.[2]);
  if (addr === undefined || !(len >= 0 && len <= 32)) return undefined;
  return subnetOf(addr, len);
}

// "10.1.2.0/24".
export function formatCidr4(c: Cidr4): string {
  return `${formatIpv4(c.net)}/${c.len}`;
}

// True when the address lies inside the subnet.
export function contains4(c: Cidr4, addr: number): boolean {
  return (addr & maskOf(c.len)) >>> 0 === c.net;
}

// True when two subnets share any address (one contains the other).
export function overlaps4(a: Cidr4, b: Cidr4): boolean {
  const len = Math.min(a.len, b.len);
  return (a.net & maskOf(len)) >>> 0 === (b.net & maskOf(len)) >>> 0;
}

export const SEARCH_FIRST = parseIpv4('10.1.1.0') ?? 0;
export const SEARCH_LAST = parseIpv4('10.255.255.0') ?? 0;

// The first /24 from `first` to `last` (both /24 network addresses, inclusive) that overlaps none of `used`,
// or undefined when every one collides. Locker's rule: 10.1.1.0/24 upward, avoiding every subnet on any interface.
export function firstFree24(used: readonly Cidr4[], first = SEARCH_FIRST, last = SEARCH_LAST): Cidr4 | undefined {
  for (let net = first; net <= last; net += 256) {
    const candidate = { net, len: 24 };
    if (!used.some((u) => overlaps4(u, candidate))) return candidate;
  }
  return undefined;
}
