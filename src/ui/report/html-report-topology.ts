// The topology as an SVG: a box per node listing its interfaces and addresses, a line per veth pair,
// capture points marked. Drawn from the wiring the run told (`links` events) and the lab's capture points.
import type { NodeFacts, IfaceFacts } from '../../engine/links.js';
import { esc } from './xml.js';

const ROW_H = 18;
const HEAD_H = 26;
const GAP_X = 110;
const GAP_Y = 24;

interface Placed {
  node: string;
  x: number;
  y: number;
  h: number;
  rows: IfaceFacts[];
}

// Interfaces worth drawing: everything but a loopback that only has 127.0.0.1/::1 and is no capture point.
export function shownIfaces(n: NodeFacts, points: string[] = []): IfaceFacts[] {
  return n.ifaces.filter((i) => i.kind !== 'loopback' || i.addrs.length > 0 || points.includes(`${n.node}:${i.name}`));
}

// Containers on the left, host in the middle, wan on the right.
export function columns(nodes: NodeFacts[]): NodeFacts[][] {
  const cs = nodes.filter((n) => n.node !== 'host' && n.node !== 'wan');
  return [cs, nodes.filter((n) => n.node === 'host'), nodes.filter((n) => n.node === 'wan')].filter((c) => c.length);
}

// A row's words, as drawn: addresses, bridge membership, kind, state.
function rowText(r: IfaceFacts): string {
  const addrs = r.addrs.length > 2 ? `${r.addrs[0]} +${r.addrs.length - 1} more` : r.addrs.join(' ');
  return [addrs, r.master ? `on ${r.master}` : '', r.kind === 'bridge' ? 'bridge' : '', r.up ? '' : 'down']
    .filter(Boolean)
    .join(' · ');
}

// Wide enough for the longest row (monospace, 12px: about 7.3 px a character).
function boxWidth(nodes: NodeFacts[], points: string[]): number {
  const chars = Math.max(
    16,
    ...nodes.flatMap((n) => shownIfaces(n, points).map((r) => r.name.length + 1 + rowText(r).length)),
  );
  return Math.ceil(chars * 7.3) + 36;
}

// Places the boxes, column by column, each column centred vertically.
function place(
  nodes: NodeFacts[],
  BOX_W: number,
  points: string[],
): { placed: Placed[]; width: number; height: number } {
  const cols = columns(nodes);
  const heights = cols.map((c) =>
    c.reduce((h, n) => h + HEAD_H + Math.max(1, shownIfaces(n, points).length) * ROW_H + 8 + GAP_Y, -GAP_Y),
  );
  const height = Math.max(...heights, 60) + 20;
  const placed: Placed[] = [];
  cols.forEach((col, ci) => {
    let y = 10 + (height - 20 - (heights[ci] ?? 0)) / 2;
    for (const n of col) {
      const rows = shownIfaces(n, points);
      const h = HEAD_H + Math.max(1, rows.length) * ROW_H + 8;
      placed.push({ node: n.node, x: 10 + ci * (BOX_W + GAP_X), y, h, rows });
      y += h + GAP_Y;
    }
  });
  return { placed, width: 20 + cols.length * BOX_W + (cols.length - 1) * GAP_X, height };
}

// Where an interface's row sits: its vertical middle, and the box edges.
function rowAt(placed: Placed[], node: string, iface: string): { p: Placed; y: number } | undefined {
  const p = placed.find((x) => x.node === node);
  const i = p?.rows.findIndex((r) => r.name === iface) ?? -1;
  return p && i >= 0 ? { p, y: p.y + HEAD_H + i * ROW_H + ROW_H / 2 } : undefined;
}

// The whole SVG; `points` are "node:iface" capture points.
export function topologySvg(nodes: NodeFacts[], points: string[]): string {
  if (!nodes.length) return '<p class="muted">No topology: the sandbox was not built.</p>';
  const BOX_W = boxWidth(nodes, points);
  const { placed, width, height } = place(nodes, BOX_W, points);
  const parts: string[] = [];
  for (const p of placed) {
    parts.push(
      `<g class="node"><rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${p.h}" rx="6"/><text class="nodename" x="${p.x + 10}" y="${p.y + 18}">${esc(p.node)}</text>`,
    );
    if (!p.rows.length)
      parts.push(`<text class="iface muted" x="${p.x + 10}" y="${p.y + HEAD_H + 13}">(no interfaces yet)</text>`);
    p.rows.forEach((r, i) => {
      const y = p.y + HEAD_H + i * ROW_H + 13;
      const cap = points.includes(`${p.node}:${r.name}`);
      const what = rowText(r);
      parts.push(
        `<text class="iface" x="${p.x + 24}" y="${y}"><title>${esc(`${r.name} (${r.kind}) ${r.addrs.join(' ')}`)}</title><tspan class="ifname">${esc(r.name)}</tspan> <tspan class="addr">${esc(what)}</tspan></text>`,
      );
      if (cap)
        parts.push(
          `<circle class="capture" cx="${p.x + 12}" cy="${y - 4}" r="5"><title>capture point ${esc(`${p.node}:${r.name}`)}</title></circle>`,
        );
    });
    parts.push('</g>');
  }
  const drawn = new Set<string>();
  for (const n of nodes) {
    for (const i of n.ifaces) {
      if (!i.peer || i.peer.node === n.node) continue;
      const key = [`${n.node}:${i.name}`, `${i.peer.node}:${i.peer.iface}`].sort().join('|');
      if (drawn.has(key)) continue;
      drawn.add(key);
      const a = rowAt(placed, n.node, i.name);
      const b = rowAt(placed, i.peer.node, i.peer.iface);
      if (!a || !b) continue;
      const [l, r] = a.p.x <= b.p.x ? [a, b] : [b, a];
      const x1 = l.p.x + BOX_W;
      const x2 = l.p.x === r.p.x ? r.p.x : r.p.x;
      const d =
        l.p.x === r.p.x
          ? `M${x1} ${l.y} C${x1 + 40} ${l.y} ${x1 + 40} ${r.y} ${x1} ${r.y}`
          : `M${x1} ${l.y} C${(x1 + x2) / 2} ${l.y} ${(x1 + x2) / 2} ${r.y} ${x2} ${r.y}`;
      parts.push(
        `<path class="link" d="${d}"><title>veth ${esc(`${n.node}:${i.name} — ${i.peer.node}:${i.peer.iface}`)}</title></path>`,
      );
    }
  }
  const legend = `<g class="legend"><circle class="capture" cx="16" cy="${height + 8}" r="5"/><text x="26" y="${height + 12}">capture point</text><path class="link" d="M130 ${height + 8} h40"/><text x="178" y="${height + 12}">veth pair</text></g>`;
  return `<svg class="topology" role="img" aria-label="topology" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 22}" viewBox="0 0 ${width} ${height + 22}">${parts.join('')}${legend}</svg>`;
}
