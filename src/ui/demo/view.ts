// The demo's screen: blessed boxes laid out by layout.ts, filled from plain data at most every 40 ms
// (one render per batch of packets: no flicker), laid out again on resize.
import blessed from 'blessed';
import type { NodeFacts } from '../../engine/links.js';
import { demoLayout, type Rect } from './layout.js';
import { boxStyle, noColorWanted, setPalette, terminalColours } from './palette.js';
import { fitPacket, type PacketRow } from './packet-lines.js';
import { renderLine, type Line } from './segments.js';
import { topologyLines } from './topology-text.js';

const RENDER_MS = 40;
const KEEP = 400; // lines kept per pane

export interface StepRow {
  id: string;
  title: string;
  state: 'done' | 'failed' | 'current' | 'current-failed' | 'next';
}

export interface ViewModel {
  links: NodeFacts[];
  points: string[]; // the current step's capture points
  steps: StepRow[];
  help: Line;
}

type Box = blessed.Widgets.BoxElement;

// Makes a bordered box with a label.
function pane(screen: blessed.Widgets.Screen, label: string): Box {
  return blessed.box({ parent: screen, label: ` ${label} `, tags: true, wrap: false, border: { type: 'line' }, style: boxStyle() });
}

// Moves a box to a rectangle.
function place(b: Box | blessed.Widgets.TextElement, r: Rect): void {
  Object.assign(b, { top: r.top, left: r.left, width: r.width, height: r.height });
}

export class DemoView {
  readonly screen: blessed.Widgets.Screen;
  private readonly topo: Box;
  private readonly stepsBox: Box;
  private readonly commands: Box;
  private readonly helpLine: blessed.Widgets.TextElement;
  private packets = new Map<string, Box>();
  private readonly cmdLines: Line[] = [];
  private readonly pktRows = new Map<string, PacketRow[]>();
  private model: ViewModel = { links: [], points: [], steps: [], help: [] };
  private timer: NodeJS.Timeout | undefined;

  constructor(title: string) {
    // On a UTF-8 terminal draw lines as Unicode, not the DEC line-drawing set: copy, paste and tmux capture keep them.
    if (/utf-?8/i.test(`${process.env.LC_ALL}:${process.env.LC_CTYPE}:${process.env.LANG}`)) process.env.NCURSES_NO_UTF8_ACS ??= '1';
    this.screen = blessed.screen({ smartCSR: true, fullUnicode: true, title, warnings: false, autoPadding: false, dockBorders: false });
    // Blessed cannot read ncurses-6 terminfo and assumes 8 colours (gray drawn black): trust a TERM that names 256.
    const tput = (this.screen.program as unknown as { tput: { colors: number } }).tput;
    tput.colors = terminalColours(tput.colors);
    setPalette({ colours: tput.colors, noColor: noColorWanted() });
    this.topo = pane(this.screen, 'topology');
    this.stepsBox = pane(this.screen, 'steps');
    this.commands = pane(this.screen, 'commands');
    this.helpLine = blessed.text({ parent: this.screen, tags: true, wrap: false, height: 1 });
    this.screen.on('resize', () => this.schedule());
  }

  // New facts to show; drawn with the next render.
  update(m: Partial<ViewModel>): void {
    this.model = { ...this.model, ...m };
    this.schedule();
  }

  // A line in the commands pane.
  command(l: Line): void {
    this.cmdLines.push(l);
    if (this.cmdLines.length > KEEP) this.cmdLines.shift();
    this.schedule();
  }

  // A packet in a point's pane (kept even while that pane is not shown), shaped to the pane when drawn.
  packet(point: string, row: PacketRow): void {
    const list = this.pktRows.get(point) ?? [];
    list.push(row);
    if (list.length > KEEP) list.shift();
    this.pktRows.set(point, list);
    if (this.model.points.includes(point)) this.schedule();
  }

  // Empties every packet pane: the packets came from a sandbox that is gone.
  clearPackets(): void {
    this.pktRows.clear();
    this.schedule();
  }

  // Counts packet lines shown for a point (tests read the screen, this is for the controller).
  packetCount(point: string): number {
    return this.pktRows.get(point)?.length ?? 0;
  }

  // Asks for a render soon; many calls in a burst make one.
  schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, RENDER_MS);
  }

  // Lays out and fills every pane, then renders once.
  draw(): void {
    const cols = Number(this.screen.width);
    const rows = Number(this.screen.height);
    const m = this.model;
    const lay0 = demoLayout(cols, rows, 5, m.steps.length, m.points.length);
    const topoW = lay0.topology.width - 2;
    const drawing = topologyLines(m.links, m.points, topoW);
    const lay = demoLayout(cols, rows, drawing.length, m.steps.length, m.points.length);
    place(this.topo, lay.topology);
    this.topo.setContent(fill(drawing, lay.topology, 'top'));
    place(this.stepsBox, lay.steps);
    this.stepsBox.setContent(fill(stepLines(m.steps, lay.steps.height - 2), lay.steps, 'top'));
    place(this.commands, lay.commands);
    this.commands.setContent(fill(this.cmdLines, lay.commands, 'bottom'));
    for (const [p, b] of this.packets) {
      if (!m.points.includes(p)) {
        b.destroy();
        this.packets.delete(p);
      }
    }
    m.points.forEach((p, i) => {
      const b = this.packets.get(p) ?? pane(this.screen, `packets at ${p}`);
      this.packets.set(p, b);
      const r = lay.packets[i];
      if (!r) return;
      place(b, r);
      b.setContent(packetFill(this.pktRows.get(p) ?? [], r));
    });
    place(this.helpLine, lay.help);
    this.helpLine.setContent(renderLine(m.help, cols));
    this.screen.render();
  }

  // Leaves the terminal as it was.
  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.screen.destroy();
  }
}

// The lines that fit a box's inside, from the top or the newest at the bottom, cut to its width.
function fill(lines: Line[], r: Rect, from: 'top' | 'bottom'): string {
  const h = Math.max(0, r.height - 2);
  const w = Math.max(0, r.width - 2);
  const shown = from === 'top' ? lines.slice(0, h) : lines.slice(Math.max(0, lines.length - h));
  return shown.map((l) => renderLine(l, w)).join('\n');
}

// The newest packets a pane has room for, each shaped to its inside width (parts dropped before anything is cut).
function packetFill(rows: PacketRow[], r: Rect): string {
  const h = Math.max(0, r.height - 2);
  const w = Math.max(0, r.width - 2);
  return fill(rows.slice(Math.max(0, rows.length - h)).map((row) => fitPacket(row, w)), r, 'bottom');
}

// The step list, scrolled so the current step and the next stay visible.
function stepLines(steps: StepRow[], h: number): Line[] {
  const mark: Record<StepRow['state'], [string, string]> = { done: ['✔ ', 'green-fg'], failed: ['✘ ', 'red-fg'], current: ['▶ ', 'green-fg'], 'current-failed': ['▶ ', 'red-fg'], next: ['· ', 'gray-fg'] };
  const lines: Line[] = steps.map((s, i) => {
    const [m, style] = mark[s.state];
    const cur = s.state.startsWith('current');
    return [{ text: m, style }, { text: `${i + 1} ${s.id}`, style: cur ? 'bold' : s.state === 'next' ? '' : style }, { text: ` ${s.title}`, style: 'gray-fg' }];
  });
  const at = Math.max(0, steps.findIndex((s) => s.state.startsWith('current')));
  const start = Math.max(0, Math.min(at - 1, steps.length - h));
  return lines.slice(start, start + h);
}
