// The demo's screen: blessed boxes laid out by layout.ts, filled from plain data at most every 40 ms
// (one render per batch of packets: no flicker), laid out again on resize. The commands pane wraps and
// scrolls (PgUp/PgDn); packet panes get a marker line when a step runs, and can be paused (their new
// lines held and counted); a prediction is shown over the panes to ask the class.
import blessed from 'blessed';
import type { NodeFacts } from '../../engine/links.js';
import { demoLayout, type Rect } from './layout.js';
import { boxStyle, noColorWanted, setPalette, terminalColours } from './palette.js';
import { fitRows, type Keep, type PacketRow } from './packet-lines.js';
import { ellipsize, lineWidth, plain, renderLine, wrapLine, type Line } from './segments.js';
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
  fresh?: ReadonlySet<string>; // what the last step added to the wiring, highlighted (topology-text changedParts)
  points: string[]; // the current step's capture points
  keep: Keep; // what the current step's packet lines keep whatever the width
  steps: StepRow[];
  help: Line;
}

type Box = blessed.Widgets.BoxElement;

// A packet pane's row: a packet, or the marker of a step that ran.
type PaneRow = PacketRow | { marker: string };

// Makes a bordered box with a label.
function pane(screen: blessed.Widgets.Screen, label: string): Box {
  return blessed.box({
    parent: screen,
    label: ` ${label} `,
    tags: true,
    wrap: false,
    border: { type: 'line' },
    style: boxStyle(),
  });
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
  private readonly overlay: Box;
  private packets = new Map<string, Box>();
  private readonly cmdLines: Line[] = [];
  private cmdTop: number | undefined; // the first wrapped row shown; undefined: the newest at the bottom
  private cmdRows = 0; // wrapped rows at the last draw, and the inside height
  private cmdHeight = 0;
  private stepStart = 0; // the index in cmdLines where the current step began
  private readonly pktRows = new Map<string, PaneRow[]>();
  private held: { point: string | undefined; row: PaneRow }[] = []; // while paused; point undefined: every pane
  private paused = false;
  private model: ViewModel = { links: [], points: [], keep: {}, steps: [], help: [] };
  private timer: NodeJS.Timeout | undefined;

  constructor(title: string) {
    // On a UTF-8 terminal draw lines as Unicode, not the DEC line-drawing set: copy, paste and tmux capture keep them.
    if (/utf-?8/i.test(`${process.env.LC_ALL}:${process.env.LC_CTYPE}:${process.env.LANG}`))
      process.env.NCURSES_NO_UTF8_ACS ??= '1';
    this.screen = blessed.screen({
      smartCSR: true,
      fullUnicode: true,
      title,
      warnings: false,
      autoPadding: false,
      dockBorders: false,
    });
    // Blessed cannot read ncurses-6 terminfo and assumes 8 colours (gray drawn black): trust a TERM that names 256.
    const tput = (this.screen.program as unknown as { tput: { colors: number } }).tput;
    tput.colors = terminalColours(tput.colors);
    setPalette({ colours: tput.colors, noColor: noColorWanted() });
    this.topo = pane(this.screen, 'topology');
    this.stepsBox = pane(this.screen, 'steps');
    this.commands = pane(this.screen, 'commands');
    this.helpLine = blessed.text({ parent: this.screen, tags: true, wrap: false, height: 1 });
    this.overlay = blessed.box({
      parent: this.screen,
      tags: true,
      wrap: false,
      hidden: true,
      border: { type: 'line' },
      style: boxStyle(),
    });
    this.screen.on('resize', () => this.schedule());
  }

  // New facts to show; drawn with the next render.
  update(m: Partial<ViewModel>): void {
    this.model = { ...this.model, ...m };
    this.schedule();
  }

  // A line in the commands pane (wrapped to the pane when drawn).
  command(l: Line): void {
    this.cmdLines.push(l);
    if (this.cmdLines.length > KEEP * 4) {
      this.cmdLines.shift();
      this.stepStart = Math.max(0, this.stepStart - 1);
    }
    this.schedule();
  }

  // The next command line begins a step: Home scrolls back to it.
  stepBegins(): void {
    this.stepStart = this.cmdLines.length;
    this.cmdTop = undefined;
  }

  // PgUp/PgDn (a page less one row), Home (the current step's start), End (follow the newest).
  scroll(how: 'up' | 'down' | 'step' | 'end'): void {
    const h = Math.max(1, this.cmdHeight);
    const bottomTop = Math.max(0, this.cmdRows - h);
    const top = this.cmdTop ?? bottomTop;
    if (how === 'end') this.cmdTop = undefined;
    else if (how === 'step') this.cmdTop = Math.min(this.rowsBefore(this.stepStart), bottomTop);
    else this.cmdTop = Math.max(0, Math.min(bottomTop, top + (how === 'up' ? -1 : 1) * Math.max(1, h - 1)));
    if (this.cmdTop !== undefined && this.cmdTop >= bottomTop) this.cmdTop = undefined;
    this.draw();
  }

  // A packet in a point's pane (kept even while that pane is not shown), shaped to the pane when drawn.
  packet(point: string, row: PacketRow): void {
    if (this.paused) this.held.push({ point, row });
    else this.add(point, row);
    if (this.model.points.includes(point)) this.schedule();
  }

  // A marker line in every packet pane (and in the panes of `points`, which may not exist yet).
  marker(text: string, points: string[]): void {
    for (const p of points) if (!this.pktRows.has(p)) this.pktRows.set(p, []);
    if (this.paused) this.held.push({ point: undefined, row: { marker: text } });
    else for (const p of this.pktRows.keys()) this.add(p, { marker: text });
    this.schedule();
  }

  // Holds new packet lines (and counts them), or lets them all in.
  togglePause(): boolean {
    this.paused = !this.paused;
    if (!this.paused) {
      for (const h of this.held) {
        if (h.point) this.add(h.point, h.row);
        else for (const p of this.pktRows.keys()) this.add(p, h.row);
      }
      this.held = [];
    }
    this.draw();
    return this.paused;
  }

  // A box over the packet panes (a prediction to ask the class), or none.
  showOverlay(title: string, lines: Line[] | undefined): void {
    if (!lines) {
      this.overlay.hide();
    } else {
      this.overlay.setLabel(` ${title} `);
      this.overlayLines = lines;
      this.overlay.show();
      this.overlay.setFront();
    }
    this.draw();
  }

  private overlayLines: Line[] = [];

  // Whether the overlay is shown.
  get overlayShown(): boolean {
    return !this.overlay.hidden;
  }

  // Empties every packet pane: the packets came from a sandbox that is gone.
  clearPackets(): void {
    this.pktRows.clear();
    this.held = [];
    this.schedule();
  }

  // Adds a row to a point's list, keeping the newest.
  private add(point: string, row: PaneRow): void {
    const list = this.pktRows.get(point) ?? [];
    list.push(row);
    if (list.length > KEEP) list.shift();
    this.pktRows.set(point, list);
  }

  // Wrapped rows of the commands pane before line `n`.
  private rowsBefore(n: number): number {
    const w = Math.max(1, Number(this.commands.width) - 2);
    return this.cmdLines.slice(0, n).reduce((k, l) => k + wrapLine(l, w, 4).length, 0);
  }

  // Counts packet lines shown for a point (tests read the screen, this is for the controller).
  packetCount(point: string): number {
    return this.pktRows.get(point)?.filter((r) => !('marker' in r)).length ?? 0;
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
    const drawing = topologyLines(m.links, m.points, topoW, m.fresh);
    const lay = demoLayout(cols, rows, drawing.length, m.steps.length, m.points.length);
    place(this.topo, lay.topology);
    this.topo.setContent(fill(drawing, lay.topology, 'top'));
    place(this.stepsBox, lay.steps);
    this.stepsBox.setContent(fill(stepLines(m.steps, lay.steps.height - 2), lay.steps, 'top'));
    place(this.commands, lay.commands);
    this.drawCommands(lay.commands);
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
      const held = this.held.filter((h) => h.point === p).length;
      b.setLabel(fitLabel(this.paused ? `${p} ‖ paused, ${held} new` : `packets at ${p}`, r.width));
      b.setContent(packetFill(this.pktRows.get(p) ?? [], r, m.keep));
    });
    place(this.helpLine, lay.help);
    const pause: Line = this.paused
      ? [
          {
            text: ` ‖ PAUSED, ${this.held.filter((h) => h.point).length} new lines held (space resumes) `,
            style: 'yellow-fg}{bold',
          },
        ]
      : [];
    this.helpLine.setContent(renderLine([...pause, ...m.help], cols));
    this.drawOverlay(lay.packets, cols);
    this.screen.render();
  }

  // The commands pane: every line wrapped to its width, the newest at the bottom unless scrolled; the label says what is above and below.
  private drawCommands(r: Rect): void {
    const h = Math.max(0, r.height - 2);
    const w = Math.max(1, r.width - 2);
    const rows = this.cmdLines.flatMap((l) => wrapLine(l, w, 4));
    this.cmdRows = rows.length;
    this.cmdHeight = h;
    const bottomTop = Math.max(0, rows.length - h);
    const top = Math.min(this.cmdTop ?? bottomTop, bottomTop);
    const above = top;
    const below = rows.length - Math.min(rows.length, top + h);
    const more = [above ? `↑${above}` : '', below ? `↓${below}` : ''].filter((x) => x).join(' ');
    this.commands.setLabel(fitLabel(`commands${more ? ` ${more} (PgUp/PgDn)` : ''}`, r.width));
    this.commands.setContent(
      rows
        .slice(top, top + h)
        .map((l) => renderLine(l, w))
        .join('\n'),
    );
  }

  // The prediction box, over the packet panes (or the lower half), its lines wrapped.
  private drawOverlay(panes: Rect[], cols: number): void {
    if (this.overlay.hidden) return;
    const first = panes[0];
    const top = first ? first.top : Math.floor(Number(this.screen.height) / 2);
    const width = Math.min(cols, 100);
    const rows = this.overlayLines.flatMap((l) => wrapLine(l, width - 4, 3));
    const height = Math.min(rows.length + 2, Math.max(3, Number(this.screen.height) - 1 - Math.max(0, top - 4)));
    const at = Math.max(0, Math.min(top, Number(this.screen.height) - 1 - height));
    place(this.overlay, { top: at, left: Math.floor((cols - width) / 2), width, height });
    this.overlay.setContent(
      rows
        .slice(0, height - 2)
        .map((l) => renderLine([{ text: ' ' }, ...l], width - 2))
        .join('\n'),
    );
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
function packetFill(rows: PaneRow[], r: Rect, keep: Keep): string {
  const h = Math.max(0, r.height - 2);
  const w = Math.max(0, r.width - 2);
  const shown = rows.slice(Math.max(0, rows.length - h));
  const packets = fitRows(
    shown.filter((row): row is PacketRow => !('marker' in row)),
    w,
    keep,
  );
  let i = 0;
  return fill(
    shown.map((row) => ('marker' in row ? markerLine(row.marker, w) : (packets[i++] ?? []))),
    r,
    'bottom',
  );
}

// A box label that fits in its top border (blessed would wrap a longer one onto the next row).
function fitLabel(text: string, boxWidth: number): string {
  const room = Math.max(0, boxWidth - 4);
  const cut = renderLine(ellipsize(plain(text), room), room)
    .replace(/\{open\}/g, '{')
    .replace(/\{close\}/g, '}');
  return ` ${cut} `;
}

// "── step 4 forward ─────" across the pane.
function markerLine(text: string, w: number): Line {
  const head = plain(`── ${text} `, 'bold');
  return [...head, { text: '─'.repeat(Math.max(0, w - lineWidth(head))) }];
}

// The step list, scrolled so the current step and the next stay visible.
function stepLines(steps: StepRow[], h: number): Line[] {
  const mark: Record<StepRow['state'], [string, string]> = {
    done: ['✔ ', 'green-fg'],
    failed: ['✘ ', 'red-fg'],
    current: ['▶ ', 'green-fg'],
    'current-failed': ['▶ ', 'red-fg'],
    next: ['· ', 'gray-fg'],
  };
  const lines: Line[] = steps.map((s, i) => {
    const [m, style] = mark[s.state];
    const cur = s.state.startsWith('current');
    return [
      { text: m, style },
      { text: `${i + 1} ${s.id}`, style: cur ? 'bold' : s.state === 'next' ? '' : style },
      { text: ` ${s.title}`, style: 'gray-fg' },
    ];
  });
  const at = Math.max(
    0,
    steps.findIndex((s) => s.state.startsWith('current')),
  );
  const start = Math.max(0, Math.min(at - 1, steps.length - h));
  return lines.slice(start, start + h);
}
