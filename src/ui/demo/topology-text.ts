// The topology in a terminal: a box per node (its name in the top border, a row per interface),
// lines between veth ends, capture points marked with ●. Pure: NodeFacts in, segment lines out.
import type { IfaceFacts, NodeFacts } from '../../engine/links.js';
import { HIGHLIGHT } from './palette.js';
import type { Line, Seg } from './segments.js';

const GAP = 4;

interface Col {
  nodes: { node: string; rows: IfaceFacts[]; top: number; width: number }[];
  width: number;
  x: number;
}

// Interfaces worth a row: not a bare loopback, unless it is a capture point.
function rowsOf(n: NodeFacts, points: string[]): IfaceFacts[] {
  return n.ifaces.filter((i) => i.kind !== 'loopback' || i.addrs.length > 0 || points.includes(`${n.node}:${i.name}`));
}

// "eth0 10.0.2.15/24", "veth1→br0", "lo 203.0.113.8 +2"; shorter when `short`.
function rowText(r: IfaceFacts, short: boolean): string {
  const addrs = r.addrs.map((a) => (short ? a.replace(/\/\d+$/, '') : a));
  const shown = short && addrs.length > 1 ? `${addrs[0]} +${addrs.length - 1}` : addrs.join(' ');
  return `${r.name}${r.master ? `→${r.master}` : ''}${shown ? ` ${shown}` : ''}${r.up ? '' : ' (down)'}`;
}

// Containers on the left, host in the middle, wan on the right.
function columnsOf(nodes: NodeFacts[]): NodeFacts[][] {
  return [
    nodes.filter((n) => n.node !== 'host' && n.node !== 'wan'),
    nodes.filter((n) => n.node === 'host'),
    nodes.filter((n) => n.node === 'wan'),
  ].filter((c) => c.length);
}

// Lays out columns for a given text shortening and cap per box.
function layout(
  nodes: NodeFacts[],
  short: boolean,
  cap: number,
  points: string[],
): { cols: Col[]; width: number; height: number } {
  let x = 0;
  let height = 0;
  const cols = columnsOf(nodes).map((group) => {
    let top = 0;
    const ns = group.map((n) => {
      const rows = rowsOf(n, points);
      const inner = Math.min(cap, Math.max(n.node.length + 2, ...rows.map((r) => rowText(r, short).length + 2)));
      const item = { node: n.node, rows, top, width: inner + 2 };
      top += Math.max(1, rows.length) + 2;
      return item;
    });
    height = Math.max(height, top);
    const col = { nodes: ns, width: Math.max(...ns.map((n) => n.width)), x };
    x += col.width + GAP;
    return col;
  });
  return { cols, width: x - GAP, height };
}

// What a step changed in the wiring: the nodes it added ("node") and the interfaces it added or changed
// ("node:iface": a new address, bridge, peer or state), compared with the drawing before it.
export function changedParts(before: NodeFacts[], after: NodeFacts[]): Set<string> {
  const sig = (i: IfaceFacts): string => JSON.stringify([i.addrs, i.master ?? '', i.up, i.peer ?? '']);
  const old = new Map(before.flatMap((n) => n.ifaces.map((i) => [`${n.node}:${i.name}`, sig(i)] as const)));
  const out = new Set<string>();
  for (const n of after) {
    if (!before.some((b) => b.node === n.node)) out.add(n.node);
    for (const i of n.ifaces) if (old.get(`${n.node}:${i.name}`) !== sig(i)) out.add(`${n.node}:${i.name}`);
  }
  return out;
}

// The drawing, at most `width` columns wide (shortened, then cut, to fit); what `fresh` names (see
// changedParts) highlighted, so the class sees what the step just built.
export function topologyLines(
  nodes: NodeFacts[],
  points: string[],
  width: number,
  fresh: ReadonlySet<string> = new Set(),
): Line[] {
  if (!nodes.length) return [[{ text: 'building the sandbox...', style: 'gray-fg' }]];
  let short = false;
  let l = layout(nodes, false, 60, points);
  if (l.width > width) {
    short = true;
    l = layout(nodes, true, 60, points);
  }
  for (let cap = 40; l.width > width && cap > 8; cap -= 2) l = layout(nodes, true, cap, points);
  const grid: Seg[][] = Array.from({ length: l.height }, () => Array.from({ length: l.width }, () => ({ text: ' ' })));
  const put = (y: number, x: number, s: string, style?: string): void => {
    [...s].forEach((ch, i) => {
      const row = grid[y];
      if (row && x + i < row.length && x + i >= 0) row[x + i] = { text: ch, ...(style ? { style } : {}) };
    });
  };
  const where = new Map<string, { y: number; left: number; right: number }>();
  for (const c of l.cols) {
    for (const n of c.nodes) {
      const inner = n.width - 2;
      const h = Math.max(1, n.rows.length);
      put(n.top, c.x, `┌${'─'.repeat(inner)}┐`, 'gray-fg');
      put(n.top, c.x + 1, n.node.slice(0, inner), fresh.has(n.node) ? HIGHLIGHT : 'bold');
      for (let i = 0; i < h; i++) {
        put(n.top + 1 + i, c.x, '│', 'gray-fg');
        put(n.top + 1 + i, c.x + n.width - 1, '│', 'gray-fg');
        const r = n.rows[i];
        if (!r) continue;
        const cap = points.includes(`${n.node}:${r.name}`);
        const text = rowText(r, short).slice(0, inner - 2);
        put(n.top + 1 + i, c.x + 1, cap ? '●' : ' ', 'magenta-fg');
        const lit = fresh.has(`${n.node}:${r.name}`);
        put(n.top + 1 + i, c.x + 2, r.name.slice(0, inner - 1), lit ? HIGHLIGHT : 'cyan-fg');
        put(n.top + 1 + i, c.x + 2 + r.name.length, text.slice(r.name.length), lit ? HIGHLIGHT : undefined);
        where.set(`${n.node}:${r.name}`, { y: n.top + 1 + i, left: c.x, right: c.x + n.width - 1 });
      }
      put(n.top + h + 1, c.x, `└${'─'.repeat(inner)}┘`, 'gray-fg');
    }
  }
  const drawn = new Set<string>();
  for (const n of nodes) {
    for (const i of n.ifaces) {
      if (!i.peer || i.peer.node === n.node) continue;
      const key = [`${n.node}:${i.name}`, `${i.peer.node}:${i.peer.iface}`].sort().join('|');
      const a = where.get(`${n.node}:${i.name}`);
      const b = where.get(`${i.peer.node}:${i.peer.iface}`);
      if (drawn.has(key) || !a || !b) continue;
      drawn.add(key);
      const [p, q] = a.left <= b.left ? [a, b] : [b, a];
      if (p.left === q.left) continue; // same column: not drawn
      put(p.y, p.right, '├', 'yellow-fg');
      put(q.y, q.left, '┤', 'yellow-fg');
      const x0 = p.right + 1;
      const x1 = q.left - 1;
      const mid = x0 + Math.floor((x1 - x0) / 2);
      if (p.y === q.y) put(p.y, x0, '─'.repeat(x1 - x0 + 1), 'yellow-fg');
      else {
        put(p.y, x0, `${'─'.repeat(mid - x0)}${p.y < q.y ? '┐' : '┘'}`, 'yellow-fg');
        for (let y = Math.min(p.y, q.y) + 1; y < Math.max(p.y, q.y); y++) put(y, mid, '│', 'yellow-fg');
        put(q.y, mid, `${p.y < q.y ? '└' : '┌'}${'─'.repeat(x1 - mid)}`, 'yellow-fg');
      }
    }
  }
  // Merge neighbouring cells of one style into segments (cut to the width when even the narrowest boxes do not fit).
  return grid.map((row) =>
    row.slice(0, Math.max(0, width)).reduce<Seg[]>((out, c) => {
      const last = out[out.length - 1];
      if (last && last.style === c.style) last.text += c.text;
      else out.push({ ...c });
      return out;
    }, []),
  );
}
