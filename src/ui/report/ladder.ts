// A check's packets as a ladder: one row per packet in time order across the capture points, each an arrow
// between two addresses of its point; a block of rows that repeats is drawn once with its count.
import type { CheckResult, SeenPacket } from '../../check/types.js';
import { formatEndpoint } from '../../capture/endpoint.js';
import { matchersAt } from '../../check/format.js';
import { isShown } from '../../model/packet-noise.js';

export const MAX_ROWS = 40; // rows drawn per check; the rest are counted
const MAX_BLOCK = 6; // the longest block of rows folded as a repeat (a ping is 4 rows across two points)

export interface LadderRow {
  lane: number;
  from: string; // address of the sender's lifeline
  to: string;
  label: string; // "SYN 40512 → 80", "PSH,ACK HTTP GET /", "echo-request ttl=63"
  packets: number; // how many packets the row stands for (a folded repeat: more than one)
  proto: string;
}

export interface LadderLane {
  point: string;
  lifelines: string[]; // addresses in order of first appearance
  packets: number; // what the capture saw in the window
  drawn: number; // packets the rows stand for
  folded: number; // chatter left out (ND, MLD, IGMP)
  error?: string;
}

export interface Ladder {
  lanes: LadderLane[];
  rows: LadderRow[];
  more: number; // packets past the last row drawn
}

const REQUEST = /^(SYN|echo-request|who-has|neighbor-solicitation)$/;

// What a packet says, short: TCP flags and the HTTP line it carries, ICMP kind and hop limit, ARP's op.
function labelOf(s: SeenPacket): string {
  const http = s.http ? ` HTTP ${s.http}` : '';
  const hop = s.proto === 'arp' || s.proto === 'tcp' ? '' : s.hop ? ` ${s.hop}` : '';
  const kind = s.proto === 'udp' ? 'UDP' : s.kind;
  return `${s.tunnel ? `${s.tunnel} ` : ''}${kind}${http}${hop}`;
}

// The ports of a TCP or UDP packet, "40512 → 80"; '' for the others.
function portsOf(s: SeenPacket): string {
  return s.src.port !== undefined && s.dst.port !== undefined ? `${s.src.port} → ${s.dst.port}` : '';
}

interface Raw {
  lane: number;
  s: SeenPacket;
  key: string;
}

// Folds repeated blocks: at each position the block (up to MAX_BLOCK rows) repeated the most times wins,
// the shortest on a tie; each of its rows then stands for that many packets.
export function foldRepeats<T>(keys: string[], items: T[]): { item: T; times: number }[] {
  const out: { item: T; times: number }[] = [];
  let i = 0;
  while (i < keys.length) {
    let best = { k: 1, t: 1 };
    for (let k = 1; k <= MAX_BLOCK && i + 2 * k <= keys.length; k++) {
      let t = 1;
      while (i + (t + 1) * k <= keys.length && keys.slice(i, i + k).every((x, j) => keys[i + t * k + j] === x)) t++;
      if (t > 1 && t * k > best.t * best.k) best = { k, t };
    }
    for (let j = 0; j < best.k; j++) out.push({ item: items[i + j] as T, times: best.t });
    i += best.k * best.t;
  }
  return out;
}

// The ladder of one check: its points' packets without the chatter its matchers do not name, in time order.
export function ladderOf(r: CheckResult): Ladder {
  const raws: Raw[] = [];
  const lanes: LadderLane[] = r.points.map((p, lane) => {
    const ms = matchersAt(r, p.point);
    const seen = p.seen ?? [];
    const shown = seen.filter((s) => isShown({ proto: s.proto, kinds: [s.kind], to: s.dst.addr }, ms));
    for (const s of shown)
      raws.push({
        lane,
        s,
        key: `${lane}|${formatEndpoint(s.src)}|${formatEndpoint(s.dst)}|${labelOf(s)}`,
      });
    return {
      point: p.point,
      lifelines: [],
      packets: p.packets,
      drawn: 0,
      folded: seen.length - shown.length,
      ...(p.error ? { error: p.error } : {}),
    };
  });
  raws.sort((a, b) => a.s.us - b.s.us || a.lane - b.lane);
  const folded = foldRepeats(
    raws.map((x) => x.key),
    raws,
  );
  const lastPorts = new Map<string, string>();
  const rows: LadderRow[] = [];
  let more = 0;
  for (const { item, times } of folded) {
    if (rows.length >= MAX_ROWS) {
      more += times;
      continue;
    }
    const { lane, s } = item;
    const l = lanes[lane];
    if (!l) continue;
    for (const a of [s.src.addr, s.dst.addr]) if (!l.lifelines.includes(a)) l.lifelines.push(a);
    l.drawn += times;
    // Ports are said when a conversation starts (or changes them), not on every segment.
    const pair = `${lane}|${[s.src.addr, s.dst.addr].sort().join('|')}`;
    const ports = portsOf(s);
    const portKey = [s.src.port, s.dst.port].sort().join('|');
    const say = ports && lastPorts.get(pair) !== portKey;
    if (ports) lastPorts.set(pair, portKey);
    rows.push({
      lane,
      from: s.src.addr,
      to: s.dst.addr,
      label: `${labelOf(s)}${say ? `  ${ports}` : ''}${times > 1 ? ` ×${times}` : ''}`,
      packets: times,
      proto: s.proto,
    });
  }
  return { lanes, rows, more };
}

// True for the packets that open an exchange (drawn in the request colour).
export function isRequestRow(row: LadderRow): boolean {
  return REQUEST.test(row.label.split(' ')[0] ?? '');
}
