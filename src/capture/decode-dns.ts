// DNS over UDP (RFC 1035), enough to name what a capture shows: the question, and a response's
// addresses. Ports 53 and 5353 (mDNS, and where a DNAT may send port 53: lab 13's embedded resolver).
import { ipv4ToString, ipv6ToString } from './address-text.js';
import type { DnsInfo } from './types.js';

export const DNS_PORTS = new Set([53, 5353]);

const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  64: 'SVCB',
  65: 'HTTPS',
  255: 'ANY',
};
const RCODE_NAMES: Record<number, string> = { 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };
const MAX_RECORDS = 16; // answers read from one message; a capture line never needs more

// The message at d[o..end), or undefined when it is not one with a readable question.
export function decodeDns(d: Buffer, o: number, end: number): DnsInfo | undefined {
  if (end - o < 12) return undefined;
  const flags = (d[o + 2]! << 8) | d[o + 3]!;
  const qd = (d[o + 4]! << 8) | d[o + 5]!;
  const an = (d[o + 6]! << 8) | d[o + 7]!;
  if (qd !== 1 || (flags >> 11) & 0xf) return undefined; // one question, standard QUERY opcode
  const q = readName(d, o, o + 12, end);
  if (!q || q.next + 4 > end) return undefined;
  const response = (flags & 0x8000) !== 0;
  const info: DnsInfo = {
    id: (d[o]! << 8) | d[o + 1]!,
    response,
    rcode: flags & 0xf,
    name: q.name,
    qtype: typeName((d[q.next]! << 8) | d[q.next + 1]!),
    answers: [],
  };
  let x = q.next + 4;
  for (let i = 0; response && i < an && i < MAX_RECORDS; i++) {
    const r = readName(d, o, x, end);
    if (!r || r.next + 10 > end) break;
    const type = (d[r.next]! << 8) | d[r.next + 1]!;
    const len = (d[r.next + 8]! << 8) | d[r.next + 9]!;
    const data = r.next + 10;
    if (data + len > end) break;
    if (type === 1 && len === 4) info.answers.push(ipv4ToString(d, data));
    else if (type === 28 && len === 16) info.answers.push(ipv6ToString(d, data));
    x = data + len;
  }
  return info;
}

// A record type's name, or TYPE<n> as RFC 3597 writes an unknown one.
export const typeName = (t: number): string => TYPE_NAMES[t] ?? `TYPE${t}`;

// "A? www.example.com" for a query; "A www.example.com 203.0.113.80", "AAAA www.example.com no record"
// or "A nowhere.example NXDOMAIN" for a response.
export function dnsKind(x: DnsInfo): string {
  const name = x.name || '.';
  if (!x.response) return `${x.qtype}? ${name}`;
  const said = x.rcode ? (RCODE_NAMES[x.rcode] ?? `rcode=${x.rcode}`) : x.answers.join(' ') || 'no record';
  return `${x.qtype} ${name} ${said}`;
}

// A name at `at` (labels, or a pointer into the message at `msg`), with the offset just after it where it
// was written; undefined when it runs past `end`, loops, or is not a name.
function readName(d: Buffer, msg: number, at: number, end: number): { name: string; next: number } | undefined {
  const labels: string[] = [];
  let x = at;
  let next = -1;
  for (let jumps = 0; jumps < 16;) {
    if (x >= end) return undefined;
    const n = d[x]!;
    if (n === 0) return { name: labels.join('.'), next: next < 0 ? x + 1 : next };
    if ((n & 0xc0) === 0xc0) {
      if (x + 1 >= end) return undefined;
      if (next < 0) next = x + 2;
      x = msg + (((n & 0x3f) << 8) | d[x + 1]!);
      jumps++;
    } else if (n & 0xc0 || x + 1 + n > end) return undefined;
    else {
      labels.push(d.toString('latin1', x + 1, x + 1 + n));
      x += 1 + n;
    }
  }
  return undefined;
}
