// Live packets as tshark-like lines: requests and replies told apart, a NAT rewrite shown by
// highlighting the field that differs from the same packet seen a moment earlier at another point,
// and each line fitted to its pane by giving up its least useful parts first.
import type { Packet } from '../../capture/types.js';
import { describePacket, packetParts } from '../../capture/decode.js';
import { isShown, type NoiseMatcher } from '../../model/packet-noise.js';
import { HIGHLIGHT } from './palette.js';
import { ellipsize, lineWidth, type Line, type Seg } from './segments.js';

const TWIN_US = 1_000_000; // a twin is seen within a second

// 'request', 'reply' or neither, from what the packet says about itself.
export function direction(p: Packet): 'request' | 'reply' | undefined {
  const name = p.icmp?.name ?? '';
  if (name.endsWith('request') || name === 'neighbor-solicitation' || p.arp?.op === 'request' || p.http?.method)
    return 'request';
  if (
    name.endsWith('reply') ||
    name === 'neighbor-advertisement' ||
    p.arp?.op === 'reply' ||
    p.http?.status !== undefined
  )
    return 'reply';
  if (p.tcp) return p.tcp.flags === 'SYN' ? 'request' : p.tcp.flags.startsWith('SYN,ACK') ? 'reply' : undefined;
  return undefined;
}

// Link-local chatter (ND, MLD, IGMP, link-local multicast) the step's matchers do not name: folded out of
// the panes by the same policy as the reports.
export function isChatter(p: Packet, matchers: readonly NoiseMatcher[] = []): boolean {
  const kind = p.icmp?.name ?? p.tcp?.flags ?? (p.udp ? 'udp' : p.ip ? `ip-proto-${p.ip.proto}` : p.proto);
  return !isShown({ proto: p.proto, kinds: [kind], to: p.ip?.dst }, matchers);
}

// What stays the same when NAT rewrites a packet: its kind and its sequence numbers.
function twinKey(p: Packet): string | undefined {
  if (p.icmp && p.icmp.seq !== undefined) return `icmp ${p.icmp.name} ${p.icmp.id} ${p.icmp.seq}`;
  if (p.tcp) return `tcp ${p.tcp.flags} ${p.tcp.seq} ${p.tcp.ack} ${p.tcp.payloadLen}`;
  if (p.udp) return `udp ${p.udp.payloadLen} ${p.udp.sport}`;
  return undefined;
}

type End = 'src' | 'dst';

// A packet's line in parts, kept until it is drawn, so that each pane shapes it to its own width.
export interface PacketRow {
  secs: string; // seconds since the demo began: "25.860"
  dir: 'request' | 'reply' | undefined;
  ends: { src: string; dst: string } | undefined; // none for a frame without addresses
  proto: string; // ICMP, TCP, ARP ...; for a frame without ends, all there is to say
  kind: string; // echo-request, SYN, GET /, who-has; '' when the protocol has none
  details: string[]; // seq=1, len=20, the MAC of an ARP reply: the first to go
  hop: string; // ttl=64 or hlim=64; '' when none
  changed: Set<End>; // the end a NAT rewrote, highlighted (filled in later when the original arrives late)
}

// The end NAT rewrote between two copies of a packet: none when both ends differ (not the same packet).
function rewritten(a: Packet, b: Packet): Set<End> {
  const changed = new Set<End>();
  if (!a.ip || !b.ip) return changed;
  const ap = a.tcp ?? a.udp;
  const bp = b.tcp ?? b.udp;
  if (a.ip.src !== b.ip.src || ap?.sport !== bp?.sport) changed.add('src');
  if (a.ip.dst !== b.ip.dst || ap?.dport !== bp?.dport) changed.add('dst');
  return changed.size === 2 ? new Set() : changed;
}

// Turns packets into rows and marks NAT: when the same packet (same kind and sequence) is seen at two
// points with one end changed, the copy with the later capture time is the translated one, and its
// changed address is highlighted, even when the capture of the other point delivered it first.
export class PacketLines {
  private recent: { point: string; key: string; p: Packet; row: PacketRow }[] = [];
  private readonly t0Us: number;

  constructor(t0Us: number) {
    this.t0Us = t0Us;
  }

  // The row for a packet seen at a point; earlier rows of its twins may get their highlight now. Every copy
  // on the translated side is marked (a reply rewritten back passes br0 and the container's veth alike).
  row(point: string, p: Packet): PacketRow {
    const key = twinKey(p);
    if (!key || !p.ip) return packetRow(p, this.t0Us);
    this.recent = this.recent.filter((r) => Math.abs(p.tsUs - r.p.tsUs) < TWIN_US);
    const own = new Set<End>();
    for (const twin of this.recent.filter((r) => r.point !== point && r.key === key)) {
      const changed = rewritten(twin.p, p);
      if (!changed.size) continue;
      // The copy captured later is the translated one.
      if (twin.p.tsUs > p.tsUs) for (const e of changed) twin.row.changed.add(e);
      else for (const e of changed) own.add(e);
    }
    const row = packetRow(p, this.t0Us, own);
    this.recent.push({ point, key, p, row });
    if (this.recent.length > 400) this.recent.shift();
    return row;
  }

  // Forgets the packets seen so far: none of a new sandbox's packets is their twin.
  forget(): void {
    this.recent = [];
  }
}

// A packet as a row, `changed` naming the end to highlight.
export function packetRow(p: Packet, t0Us: number, changed = new Set<End>()): PacketRow {
  return { secs: ((p.tsUs - t0Us) / 1e6).toFixed(3), dir: direction(p), changed, ...partsOf(p) };
}

// The decoder's pieces of the line (no ICMP id: the sequence number tells echoes apart); ARP as the
// others read, sender to target.
function partsOf(p: Packet): Pick<PacketRow, 'ends' | 'proto' | 'kind' | 'details' | 'hop'> {
  if (p.arp) {
    const a = p.arp;
    const kind = a.op === 'request' ? 'who-has' : a.op === 'reply' ? 'is-at' : '';
    return {
      ends: { src: a.senderIp, dst: a.targetIp },
      proto: 'ARP',
      kind,
      details: a.op === 'reply' ? [a.senderMac] : [],
      hop: '',
    };
  }
  const parts = packetParts(p);
  if (!parts) return { ends: undefined, proto: describePacket(p), kind: '', details: [], hop: '' };
  const { src, dst, details, ...rest } = parts;
  return { ends: { src, dst }, details: details.filter((d) => !d.startsWith('id=')), ...rest };
}

// How much of a row a line shows.
interface Shape {
  pad: boolean; // the time right-aligned in 8 columns
  time: boolean;
  arrow: string;
  details: boolean;
  hop: boolean;
  suffix: boolean; // "-request"/"-reply" at the end of the kind
  proto: boolean; // the protocol even when the kind names it
  kind: boolean;
}

const FULL: Shape = {
  pad: true,
  time: true,
  arrow: ' -> ',
  details: true,
  hop: true,
  suffix: true,
  proto: true,
  kind: true,
};

// From the whole line to the marker and the two ends alone: each shape gives up one more part, the least useful first.
const SHAPES: Shape[] = (
  [
    { pad: false, arrow: ' → ' }, // nothing lost yet: no padding, a shorter arrow
    { details: false }, // seq=, len=, a MAC
    { hop: false }, // ttl=
    { time: false }, // the newest line is at the bottom anyway
    { suffix: false }, // echo-request -> echo: ▶ and ◀ say which
    { proto: false }, // ICMP, TCP, ARP, when the kind is there to name it
    { arrow: '→' },
    { kind: false },
  ] as Partial<Shape>[]
).reduce<Shape[]>((all, s) => [...all, { ...(all[all.length - 1] ?? FULL), ...s }], [FULL]);

const MARKS: Record<'request' | 'reply' | 'none', Seg> = {
  request: { text: '▶ ', style: 'yellow-fg' },
  reply: { text: '◀ ', style: 'green-fg' },
  none: { text: '· ', style: 'gray-fg' },
};

// Column widths shared by the lines of one pane, so that their fields line up (zero: not padded).
interface Columns {
  src: number;
  dst: number;
  words: number[]; // protocol, kind, details, hop
}
const NO_COLUMNS: Columns = { src: 0, dst: 0, words: [] };

// The words after the ends in a shape: protocol, kind, details and hop ('' for a part the shape drops).
function wordsOf(r: PacketRow, s: Shape): string[] {
  const kind = s.suffix || !r.dir ? r.kind : r.kind.replace(new RegExp(`-${r.dir}$`), '');
  // The protocol stays while the kind alone would not name it (none, or an HTTP status number).
  const proto = s.kind && (s.proto || !kind || /^\d+$/.test(kind)) ? r.proto : '';
  return [proto, s.kind ? kind : '', s.details ? r.details.join(' ') : '', s.hop ? r.hop : ''];
}

// "  1.234 ▶ 172.17.0.100 -> 203.0.113.8 ICMP echo-request seq=1 ttl=64" in the given shape, the rewritten
// end highlighted; each field padded to its column's width when columns are given.
function shaped(r: PacketRow, s: Shape, cols: Columns = NO_COLUMNS): Line {
  const colour = r.dir === 'request' ? 'yellow-fg' : r.dir === 'reply' ? 'green-fg' : undefined;
  const tint = (text: string): Seg => ({ text, ...(colour ? { style: colour } : {}) });
  const end = (e: End, text: string): Seg => (r.changed.has(e) ? { text, style: HIGHLIGHT } : tint(text));
  const line: Line = s.time ? [{ text: s.pad ? r.secs.padStart(8) : r.secs, style: 'gray-fg' }, { text: ' ' }] : [];
  line.push(MARKS[r.dir ?? 'none']);
  if (!r.ends) return [...line, tint(r.proto)];
  const words = wordsOf(r, s);
  const padded = cols.words.length
    ? words.map((w, i) => w.padEnd(cols.words[i] ?? 0)).filter((_, i) => (cols.words[i] ?? 0) > 0)
    : words.filter((w) => w);
  const tail = padded.join(' ').trimEnd();
  const gap = (text: string, width: number): string => ' '.repeat(Math.max(0, width - text.length));
  return [
    ...line,
    end('src', r.ends.src),
    ...(cols.src > r.ends.src.length ? [{ text: gap(r.ends.src, cols.src) }] : []),
    tint(s.arrow),
    end('dst', r.ends.dst),
    ...(tail ? [{ text: gap(r.ends.dst, cols.dst) }, tint(` ${tail}`)] : []),
  ];
}

// The widths that line up the given rows in a shape.
function columnsOf(rows: PacketRow[], s: Shape): Columns {
  const ended = rows.filter((r) => r.ends);
  return {
    src: Math.max(0, ...ended.map((r) => r.ends?.src.length ?? 0)),
    dst: Math.max(0, ...ended.map((r) => r.ends?.dst.length ?? 0)),
    words: [0, 1, 2, 3].map((i) => Math.max(0, ...ended.map((r) => (wordsOf(r, s)[i] ?? '').length))),
  };
}

// The parts of a line a step's expectations name: kept while everything else gives way.
export interface Keep {
  hop?: boolean; // ttl= / hlim= (a step about forwarding)
  details?: boolean; // len=, mtu=, seq= (a step about sizes)
}

// The richest shape of the row that fits `width` columns, never dropping what `keep` names before the rest;
// when not even that fits, the line is cut with "…".
export function fitPacket(r: PacketRow, width: number, keep: Keep = {}): Line {
  const kept = keptShapes(keep);
  for (const s of kept) {
    const l = shaped(r, s);
    if (lineWidth(l) <= width) return l;
  }
  return ellipsize(shaped(r, kept[kept.length - 1] ?? FULL), width);
}

// The shapes, richest first, each with what `keep` names kept.
function keptShapes(keep: Keep): Shape[] {
  return SHAPES.map((s) => ({
    ...s,
    ...(keep.hop ? { hop: true } : {}),
    ...(keep.details ? { details: true } : {}),
  }));
}

// A pane's lines in fixed columns: the richest shape in which every row fits `width` once its fields are
// padded to line up; when no shape that still names the kind fits with the padding, each row is fitted
// alone (what `keep` names, and the kind, are worth more than the alignment). A pane of one protocol may
// give up the kind too: ▶ and ◀ tell its requests from its replies.
export function fitRows(rows: PacketRow[], width: number, keep: Keep = {}): Line[] {
  const oneProto = new Set(rows.map((r) => r.proto)).size <= 1;
  for (const s of keptShapes(keep).filter((x) => x.kind || oneProto)) {
    const cols = columnsOf(rows, s);
    const lines = rows.map((r) => shaped(r, s, cols));
    if (lines.every((l) => lineWidth(l) <= width)) return lines;
  }
  return rows.map((r) => fitPacket(r, width, keep));
}

// The fields of a step's expectations, as what its packet lines keep: ttl names the hop, sizes the details.
export function keepFor(fields: string[]): Keep {
  return {
    ...(fields.includes('ttl') ? { hop: true } : {}),
    ...(fields.some((f) => ['len', 'mtu', 'df', 'fragment', 'fragOffset'].includes(f)) ? { details: true } : {}),
  };
}
