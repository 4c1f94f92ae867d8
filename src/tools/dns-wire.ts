// The few DNS messages dnsd reads and writes (RFC 1035): one question in, its answer out. Pure, so the
// unit tests and the tool share it; only node built-ins, as every tool.
import { isIPv4, isIPv6 } from 'node:net';

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const RCODE = { ok: 0, formErr: 1, servFail: 2, nxDomain: 3 } as const;

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
  65: 'HTTPS',
};
const TTL = 60; // seconds a resolver may keep an answer

export interface Question {
  id: number;
  rd: boolean; // recursion desired: copied into the answer
  name: string; // lower case, no trailing dot
  qtype: number;
  qclass: number;
  end: number; // offset just after the question
}

// A record type's name (A, AAAA, ...), or TYPE<n> as RFC 3597 writes an unknown one.
export const typeName = (t: number): string => TYPE_NAMES[t] ?? `TYPE${t}`;

// The question of a standard query, or undefined when the message is not one dnsd can answer.
export function parseQuery(msg: Buffer): Question | undefined {
  if (msg.length < 17) return undefined;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || (flags >> 11) & 0xf || msg.readUInt16BE(4) !== 1) return undefined; // an answer, not QUERY, or not one question
  const labels: string[] = [];
  let o = 12;
  for (;;) {
    const n = msg[o];
    if (n === undefined || n > 63) return undefined; // truncated, or a compression pointer (never in a question)
    o++;
    if (n === 0) break;
    if (o + n > msg.length) return undefined;
    labels.push(msg.toString('latin1', o, o + n).toLowerCase());
    o += n;
  }
  if (o + 4 > msg.length) return undefined;
  return {
    id: msg.readUInt16BE(0),
    rd: (flags & 0x0100) !== 0,
    name: labels.join('.'),
    qtype: msg.readUInt16BE(o),
    qclass: msg.readUInt16BE(o + 2),
    end: o + 4,
  };
}

// The answer to `q` (whose message is `query`): the addresses of its type as records, with `rcode`.
export function buildAnswer(query: Buffer, q: Question, addrs: string[], rcode: number): Buffer {
  const records = addrs.map((a) => record(q.qtype, a));
  const head = Buffer.alloc(12);
  head.writeUInt16BE(q.id, 0);
  head.writeUInt16BE(0x8000 | 0x0400 | (q.rd ? 0x0100 : 0) | 0x0080 | (rcode & 0xf), 2); // QR AA RD RA RCODE
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(records.length, 6);
  return Buffer.concat([head, query.subarray(12, q.end), ...records]);
}

// One resource record named by a pointer to the question's name (offset 12).
function record(qtype: number, addr: string): Buffer {
  const data = qtype === TYPE_AAAA ? ipv6Bytes(addr) : Buffer.from(addr.split('.').map(Number));
  const r = Buffer.alloc(12);
  r.writeUInt16BE(0xc00c, 0);
  r.writeUInt16BE(qtype, 2);
  r.writeUInt16BE(1, 4); // class IN
  r.writeUInt32BE(TTL, 6);
  r.writeUInt16BE(data.length, 10);
  return Buffer.concat([r, data]);
}

// The 16 bytes of an IPv6 address written with or without "::".
function ipv6Bytes(addr: string): Buffer {
  const [head = '', tail] = addr.split('::');
  const words = (s: string): number[] => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const all = [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  const b = Buffer.alloc(16);
  all.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
}

// The record type an address answers: A for IPv4, AAAA for IPv6, undefined for anything else.
export function addressType(addr: string): number | undefined {
  return isIPv4(addr) ? TYPE_A : isIPv6(addr) && !addr.includes('.') ? TYPE_AAAA : undefined;
}
