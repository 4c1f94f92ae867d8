// One person in the browser (a student, or the teacher's projector): their live lab, its terminals,
// its live check, the step they look at, and the pages they have open.
import type { LabEvent } from '../../../engine/events.js';
import { loadLab } from '../../../engine/loader.js';
import { describePacket } from '../../../capture/decode.js';
import { topologySvg } from '../../report/html-report-topology.js';
import type { LiveLab, ServeContext } from '../context.js';
import { LiveCheck } from '../../../engine/live-check.js';
import { Terminals } from './terminals.js';
import type { Send } from './sockets.js';
import type { StepView } from './wire.js';

const PACKETS_PER_SECOND = 40; // per person: a flood in a sandbox does not flood the page
const PACKET_CHATTER = /^(neighbor-|router-|mld|redirect)/;

type Prediction = { question: string; choices: string[]; answer: number; why: string };

// The labs' predictions (with their answers, which the pages get only after a choice), read once.
const predictionCache = new Map<string, Promise<Map<string, Prediction>>>();
export function predictions(lab: string): Promise<Map<string, Prediction>> {
  let p = predictionCache.get(lab);
  if (!p) {
    p = loadLab(lab).then(
      (l) => new Map(l.def.steps.flatMap((s) => (s.prediction ? [[s.id, s.prediction] as const] : []))),
    );
    p.catch(() => predictionCache.delete(lab));
    predictionCache.set(lab, p);
  }
  return p;
}

// The steps as a page shows them; a prediction's answer only after it was given.
export async function stepViews(live: LiveLab, chosen: (step: string) => number | null): Promise<StepView[]> {
  const preds = await predictions(live.lab);
  return live.steps.map((s) => {
    const p = preds.get(s.id);
    return {
      id: s.id,
      title: s.title,
      explain: s.explain,
      commands: s.commands.map((c) => ({ node: c.node, cmd: c.cmd })),
      points: s.points,
      ...(p ? { prediction: { question: p.question, choices: p.choices } } : {}),
      ...(p && chosen(s.id) !== null ? { reveal: { answer: p.answer, why: p.why } } : {}),
    };
  });
}

export class Person {
  live: LiveLab | undefined;
  terminals: Terminals | undefined;
  step: string | undefined;
  readonly pages = new Set<Send>();
  readonly checker: LiveCheck;
  private unlisten: (() => void) | undefined;
  private packetWindow = { start: 0, count: 0 };
  private touched = 0;

  constructor(
    readonly id: string,
    private readonly ctx: ServeContext,
    private readonly onChange: () => void,
  ) {
    this.checker = new LiveCheck(
      () => this.step,
      (step) => this.checkNow(step, true).then((r) => r.passed),
      () => undefined,
    );
  }

  // Activity (typing, moving): postpones the idle reclaim; the store is told at most every few seconds.
  touch(now = false): void {
    const t = Date.now();
    if (!now && t - this.touched < 5000) return;
    this.touched = t;
    this.live?.touch();
  }

  tell(msg: object): void {
    for (const p of this.pages) p(msg);
  }

  // Their live lab of `lab` (built, or rebuilt with its passed steps replayed, when missing); a new one
  // gets new terminals and its events heard.
  async open(lab: string): Promise<LiveLab> {
    const live = await this.ctx.start(this.id, lab);
    this.adopt(live);
    return live;
  }

  // The live lab the server has for them now; a different one than before replaces terminals and events.
  current(): LiveLab | undefined {
    const live = this.ctx.live(this.id);
    if (!live) {
      if (this.live) this.drop('your sandbox was removed (idle, or the server restarted): open the lab again');
      return undefined;
    }
    this.adopt(live);
    return live;
  }

  private adopt(live: LiveLab): void {
    if (this.terminals && this.terminals.sameAs(live)) {
      this.live = live;
      return;
    }
    this.terminals?.closeAll();
    this.unlisten?.();
    this.live = live;
    this.terminals = new Terminals(live, (node, marks) => this.checker.onMarks(node, marks));
    this.unlisten = live.onEvent((e) => this.hear(e));
  }

  // Their live lab, or an error the page shows.
  need(): LiveLab {
    const live = this.current();
    if (!live) throw new Error('no lab is running: open one first');
    return live;
  }

  // Engine events the page shows: packets at the current step's points, the commands run for them,
  // the wiring when it was read.
  private hear(e: LabEvent): void {
    if (e.type === 'packet') {
      const points = this.live?.steps.find((s) => s.id === this.step)?.points ?? [];
      if (!points.includes(e.point) || PACKET_CHATTER.test(e.packet.icmp?.name ?? '')) return;
      const now = Date.now();
      if (now - this.packetWindow.start > 1000) this.packetWindow = { start: now, count: 0 };
      if (++this.packetWindow.count > PACKETS_PER_SECOND) return;
      this.tell({ t: 'packet', point: e.point, line: describePacket(e.packet) });
    } else if (e.type === 'command-start' && !e.setup && !e.check) {
      this.tell({ t: 'cmd', node: e.node, command: e.command });
    } else if (e.type === 'command-end' && !e.setup && !e.check) {
      this.tell({ t: 'cmd-end', exit: e.record.exitCode, ok: e.ok, output: e.record.output.slice(0, 4000) });
    } else if (e.type === 'links') {
      const points = this.live?.steps.find((s) => s.id === e.stepId)?.points ?? [];
      this.tell({ t: 'topology', svg: topologySvg(e.nodes, points) });
    }
  }

  // The step's check (the server records it and tells the board), told to their pages.
  async checkNow(step: string, live = false): Promise<{ passed: boolean }> {
    const lab = this.need();
    const r = await lab.check(step);
    this.tell({ t: 'check', step, passed: r.passed, live, lines: r.lines, hint: r.hint });
    this.onChange();
    if (r.passed) void this.topology(step);
    return { passed: r.passed };
  }

  // The step's own commands ("run it for me"), then its check.
  async runStep(step: string): Promise<void> {
    const lab = this.need();
    this.tell({ t: 'busy', on: true, what: `running ${step}` });
    try {
      await lab.run(step);
      await this.checkNow(step);
    } finally {
      this.tell({ t: 'busy', on: false });
    }
  }

  // "Show me the packet's path": the step's first probe traced through the kernel.
  async trace(step: string): Promise<void> {
    const r = await this.need().trace(step);
    this.tell({ t: 'trace', step, lines: r.lines });
  }

  // The wiring now, drawn (the `links` event brings it); a sandbox that cannot be read draws nothing.
  async topology(step: string): Promise<void> {
    await this.live?.links(step).catch(() => undefined);
  }

  // Their sandbox ended under them (reset, kick, reclaimed): terminals go, pages are told; `end` also
  // closes the pages' sockets (a student removed from the class).
  drop(reason: string, end = false): void {
    this.terminals?.closeAll();
    this.terminals = undefined;
    this.unlisten?.();
    this.unlisten = undefined;
    this.live = undefined;
    this.tell({ t: 'ended', reason });
    if (end) for (const p of this.pages) p.close?.();
  }
}
