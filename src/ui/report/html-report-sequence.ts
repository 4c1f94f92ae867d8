// A check's flows as a sequence diagram: one lane per capture point, a request arrow and a reply arrow
// per flow, and the translations (NAT) drawn between the lanes, the rewritten address highlighted.
import type { Flow } from '../../capture/types.js';
import type { CheckResult } from '../../check/types.js';
import { findRewrites, formatEndpoint, isNoise, type Rewrite } from '../../engine/report.js';
import { esc } from './xml.js';

const LANE_W = 400;
const GAP = 170;
const ROW_H = 62;
const TOP = 34;
const MAX_ROWS = 12;
let svgCount = 0; // arrow markers get ids unique in the page

// "echo-request x3" or "SYN + ACK x2 ...": one side of a flow, short.
function sideLabel(f: Flow, rev: boolean): string {
  const s = rev ? f.rev : f.fwd;
  if (!s.packets) return 'no reply';
  const kinds = s.kinds.map((k) => ((s.kindCounts[k] ?? 1) > 1 ? `${k} x${s.kindCounts[k]}` : k)).join(' + ');
  return `${f.proto === 'arp' ? 'ARP ' : f.proto === 'icmp' ? 'ICMP ' : f.proto === 'icmp6' ? 'ICMPv6 ' : `${f.proto.toUpperCase()} `}${kinds}${s.ttls.length ? ` ttl=${s.ttls.join('/')}` : ''}`;
}

// A label that fits between the lane's ends; the whole of it as a tooltip.
function fit(label: string): string {
  const max = 52;
  return label.length <= max ? esc(label) : `<title>${esc(label)}</title>${esc(label.slice(0, max - 1))}…`;
}

// The flows a lane draws, oldest first.
function laneFlows(flows: Flow[]): Flow[] {
  return flows
    .filter((f) => !isNoise(f))
    .sort((a, b) => a.firstUs - b.firstUs)
    .slice(0, MAX_ROWS);
}

// Which end of a flow a rewrite changed, so the lane can highlight it.
function changed(rw: Rewrite[], point: string, f: Flow): 'a' | 'b' | undefined {
  const r = rw.find((x) => (x.to.point === point && x.to.flow === f) || (x.from.point === point && x.from.flow === f));
  if (!r) return undefined;
  return r.what === 'source' ? 'a' : 'b';
}

// The SVG for one check; empty when no point saw anything worth drawing.
export function sequenceSvg(r: CheckResult): string {
  const lanes = r.points.map((p) => ({ point: p.point, flows: laneFlows(p.flows) }));
  if (!lanes.some((l) => l.flows.length)) return '<p class="muted">No flows seen at the capture points.</p>';
  const rw = findRewrites(r.points);
  const rows = Math.max(1, ...lanes.map((l) => l.flows.length));
  const width = lanes.length * LANE_W + (lanes.length - 1) * GAP + 20;
  const height = TOP + rows * ROW_H + 10;
  const id = `s${++svgCount}`;
  const parts: string[] = [];
  const rowY = (i: number): number => TOP + i * ROW_H;
  lanes.forEach((lane, li) => {
    const x = 10 + li * (LANE_W + GAP);
    parts.push(
      `<rect class="lane" x="${x}" y="4" width="${LANE_W}" height="${height - 8}" rx="6"/><text class="lanehead" x="${x + LANE_W / 2}" y="22" text-anchor="middle">capture at ${esc(lane.point)}</text>`,
    );
    lane.flows.forEach((f, i) => {
      const y = rowY(i);
      const hi = changed(rw, lane.point, f);
      const a = formatEndpoint(f.a);
      const b = formatEndpoint(f.b);
      parts.push(
        `<text class="ep${hi === 'a' ? ' rewritten' : ''}" x="${x + 8}" y="${y + 12}">${esc(a)}</text><text class="ep${hi === 'b' ? ' rewritten' : ''}" x="${x + LANE_W - 8}" y="${y + 12}" text-anchor="end">${esc(b)}</text>`,
      );
      parts.push(
        `<line class="req" x1="${x + 8}" y1="${y + 30}" x2="${x + LANE_W - 14}" y2="${y + 30}" marker-end="url(#${id}a)"/><text class="lbl" x="${x + LANE_W / 2}" y="${y + 26}" text-anchor="middle">${fit(sideLabel(f, false))}</text>`,
      );
      const reply = f.rev.packets > 0;
      parts.push(
        `<line class="${reply ? 'rep' : 'norep'}" x1="${x + LANE_W - 8}" y1="${y + 50}" x2="${x + 14}" y2="${y + 50}" ${reply ? `marker-end="url(#${id}r)"` : ''}/><text class="lbl${reply ? '' : ' bad'}" x="${x + LANE_W / 2}" y="${y + 46}" text-anchor="middle">${fit(sideLabel(f, true))}</text>`,
      );
    });
  });
  for (const x of rw) {
    const pi = lanes.findIndex((l) => l.point === x.from.point);
    const qi = lanes.findIndex((l) => l.point === x.to.point);
    const fi = lanes[pi]?.flows.indexOf(x.from.flow) ?? -1;
    const gi = lanes[qi]?.flows.indexOf(x.to.flow) ?? -1;
    if (pi < 0 || qi < 0 || fi < 0 || gi < 0) continue;
    const [l, li, r, ri] = pi < qi ? [pi, fi, qi, gi] : [qi, gi, pi, fi];
    const x1 = 10 + l * (LANE_W + GAP) + LANE_W;
    const x2 = 10 + r * (LANE_W + GAP);
    const y1 = rowY(li) + 30;
    const y2 = rowY(ri) + 30;
    const was = x.what === 'source' ? x.from.flow.a : x.from.flow.b;
    const now = x.what === 'source' ? x.to.flow.a : x.to.flow.b;
    const mx = (x1 + x2) / 2;
    parts.push(`<path class="nat" d="M${x1} ${y1} C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}"/>`);
    parts.push(
      `<text class="natlbl" x="${mx}" y="${(y1 + y2) / 2 - 20}" text-anchor="middle">${esc(`${x.what} rewritten`)}</text><text class="natlbl" x="${mx}" y="${(y1 + y2) / 2 - 7}" text-anchor="middle">${esc(`${formatEndpoint(was)} → ${formatEndpoint(now)}`)}</text>`,
    );
  }
  const defs = `<defs><marker id="${id}a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="ahead"/></marker><marker id="${id}r" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="aheadrep"/></marker></defs>`;
  return `<svg class="sequence" role="img" aria-label="flows per capture point" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${defs}${parts.join('')}</svg>`;
}
