// A check's packets as a ladder diagram: one box per capture point with a lifeline per address, one arrow
// per packet (a repeat folded with its count) in time order across the points, the addresses NAT rewrote
// highlighted and the rewrites said under the drawing. Widths follow the text, so no label runs into another.
import type { CheckResult } from '../../check/types.js';
import { findRewrites } from '../../check/format.js';
import { formatEndpoint } from '../../capture/endpoint.js';
import { isRequestRow, ladderOf, type Ladder, type LadderLane, type LadderRow } from './ladder.js';
import { esc } from './xml.js';

const CH = 6.8; // advance of an 11px monospace character (DejaVu Sans Mono: 0.602 em), with a margin
const CH_HEAD = 7.4; // the same at 12px
const PAD = 14; // inside a box, on each side
const LANE_GAP = 28;
const TITLE_Y = 20;
const COUNT_Y = 36;
const HEAD_Y = 60;
const LINE_TOP = 68;
const TOP = 92; // the first row's arrow
const ROW_H = 26;
const SELF_W = 26; // a packet sent to its own address: a hook this wide
let svgCount = 0; // arrow markers get ids unique in the page

const REPLY = /^(SYN,ACK|echo-reply|is-at|neighbor-advertisement)\b|HTTP \d/;
const textW = (s: string, ch = CH): number => s.length * ch;

interface Placed {
  lane: LadderLane;
  x: number; // the box's left edge
  width: number;
  xs: Map<string, number>; // lifeline x by address
  title: string;
  sub: string; // under the title: the packet count
}

// "capture at host:eth0" and "7 packets, 2 ND/MLD/IGMP folded".
function titles(l: LadderLane): { title: string; sub: string } {
  const parts = [`${l.packets} packet${l.packets === 1 ? '' : 's'}`];
  if (l.folded) parts.push(`${l.folded} ND/MLD/IGMP folded`);
  return { title: `capture at ${l.point}`, sub: parts.join(', ') };
}

// Places a box's lifelines: each gap wide enough for the two addresses over it and for every label drawn
// across it, the box wide enough for its title.
function place(l: LadderLane, rows: LadderRow[], x: number): Placed {
  const { title, sub } = titles(l);
  const n = l.lifelines.length;
  const head = l.lifelines.map((a) => textW(a, CH_HEAD));
  const gaps = l.lifelines.slice(1).map((_, i) => Math.max(70, ((head[i] ?? 0) + (head[i + 1] ?? 0)) / 2 + 20));
  let selfRight = 0;
  for (const r of rows) {
    const a = l.lifelines.indexOf(r.from);
    const b = l.lifelines.indexOf(r.to);
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const need = textW(r.label) + 28;
    if (lo === hi) {
      selfRight = Math.max(selfRight, SELF_W + 8 + textW(r.label) - gaps.slice(lo).reduce((s, g) => s + g, 0));
      continue;
    }
    const have = gaps.slice(lo, hi).reduce((s, g) => s + g, 0);
    if (have < need) for (let i = lo; i < hi; i++) gaps[i] = (gaps[i] ?? 0) + (need - have) / (hi - lo);
  }
  const left = PAD + (head[0] ?? 0) / 2;
  const right = Math.max(PAD + (head[n - 1] ?? 0) / 2, PAD + selfRight);
  const inner = left + gaps.reduce((s, g) => s + g, 0) + right;
  const width = Math.max(inner, textW(title, CH_HEAD) + 2 * PAD, textW(sub) + 2 * PAD, n ? 0 : 200);
  const shift = (width - inner) / 2; // lifelines centred under a wider title
  const xs = new Map<string, number>();
  let at = x + shift + left;
  l.lifelines.forEach((a, i) => {
    xs.set(a, at);
    at += gaps[i] ?? 0;
  });
  return { lane: l, x, width, xs, title, sub };
}

// The addresses a rewrite changed, per point: highlighted on both sides of the translation.
function rewrittenAddresses(r: CheckResult): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (point: string, addr: string): void => void out.set(point, (out.get(point) ?? new Set()).add(addr));
  for (const x of findRewrites(r.points)) {
    const end = x.what === 'source' ? 'a' : 'b';
    add(x.from.point, x.from.flow[end].addr);
    add(x.to.point, x.to.flow[end].addr);
  }
  return out;
}

// One arrow (or a hook for a packet to its own address) with its label above it.
function arrow(row: LadderRow, p: Placed, y: number, id: string): string {
  const x1 = p.xs.get(row.from) ?? 0;
  const x2 = p.xs.get(row.to) ?? 0;
  const cls = isRequestRow(row) ? 'req' : REPLY.test(row.label) ? 'rep' : 'seg';
  const data = `data-point="${esc(p.lane.point)}" data-proto="${esc(row.proto)}" data-packets="${row.packets}"`;
  if (x1 === x2)
    return `<g class="arrow" ${data}><path class="${cls}" d="M${x1} ${y - 6}h${SELF_W}v10h-${SELF_W - 4}" fill="none" marker-end="url(#${id}${cls})"/><text class="lbl" x="${x1 + SELF_W + 6}" y="${y + 2}">${esc(row.label)}</text></g>`;
  const dir = x2 > x1 ? 1 : -1;
  return `<g class="arrow" ${data}><line class="${cls}" x1="${x1 + dir * 3}" y1="${y}" x2="${x2 - dir * 4}" y2="${y}" marker-end="url(#${id}${cls})"/><text class="lbl" x="${(x1 + x2) / 2}" y="${y - 5}" text-anchor="middle">${esc(row.label)}</text></g>`;
}

// A box: its title, its lifelines with their addresses, or what it has instead of packets.
function box(p: Placed, height: number, hot: Set<string>): string {
  const l = p.lane;
  const cx = p.x + p.width / 2;
  const parts = [
    `<rect class="lane" x="${p.x}" y="4" width="${p.width}" height="${height - 8}" rx="6"/>`,
    `<text class="lanehead" x="${cx}" y="${TITLE_Y}" text-anchor="middle">${esc(p.title)}</text>`,
    `<text class="lanesub" x="${cx}" y="${COUNT_Y}" text-anchor="middle">${esc(p.sub)}</text>`,
  ];
  for (const [addr, x] of p.xs)
    parts.push(
      `<text class="ep${hot.has(addr) ? ' rewritten' : ''}" x="${x}" y="${HEAD_Y}" text-anchor="middle">${esc(addr)}</text><line class="life" x1="${x}" y1="${LINE_TOP}" x2="${x}" y2="${height - 12}"/>`,
    );
  if (!l.lifelines.length) {
    const why = l.error
      ? `capture failed: ${l.error}`
      : l.packets === 0
        ? 'nothing captured'
        : `nothing to draw (${l.folded || l.packets} packets folded)`;
    parts.push(`<text class="empty" x="${cx}" y="${TOP}" text-anchor="middle">${esc(why)}</text>`);
  }
  return parts.join('');
}

// The diagram's SVG for a ladder.
function ladderSvg(lad: Ladder, hot: Map<string, Set<string>>): string {
  const placed: Placed[] = [];
  let x = 10;
  lad.lanes.forEach((l, i) => {
    const p = place(
      l,
      lad.rows.filter((r) => r.lane === i),
      x,
    );
    placed.push(p);
    x += p.width + LANE_GAP;
  });
  const footer = lad.more ? 22 : 0;
  const height = TOP + Math.max(1, lad.rows.length) * ROW_H + footer;
  const width = x - LANE_GAP + 10;
  const id = `s${++svgCount}`;
  const marker = (cls: string): string =>
    `<marker id="${id}${cls}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="head${cls}"/></marker>`;
  const parts = placed.map((p) => box(p, height, hot.get(p.lane.point) ?? new Set()));
  lad.rows.forEach((r, i) => {
    const p = placed[r.lane];
    if (p) parts.push(arrow(r, p, TOP + i * ROW_H, id));
  });
  if (lad.more)
    parts.push(
      `<text class="more" x="14" y="${height - 10}">… ${lad.more} more packet${lad.more === 1 ? '' : 's'} not drawn (the saved pcap has them all)</text>`,
    );
  return `<svg class="sequence" role="img" aria-label="packets per capture point, in time order" xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${height}" viewBox="0 0 ${Math.ceil(width)} ${height}"><defs>${['req', 'rep', 'seg'].map(marker).join('')}</defs>${parts.join('')}</svg>`;
}

// The ladder of one check and, under it, the rewrites between its points in words.
export function sequenceSvg(r: CheckResult): string {
  if (!r.points.length) return '';
  const notes = findRewrites(r.points).map((x) => {
    const end = x.what === 'source' ? 'a' : 'b';
    return `<div class="natnote">${esc(`${x.what} rewritten ${formatEndpoint(x.from.flow[end])} → ${formatEndpoint(x.to.flow[end])} (between ${x.from.point} and ${x.to.point})`)}</div>`;
  });
  const seen = new Set<string>();
  const unique = notes.filter((n) => !seen.has(n) && Boolean(seen.add(n)));
  return `${ladderSvg(ladderOf(r), rewrittenAddresses(r))}${unique.join('')}`;
}
