// `lab demo LAB`: the instructor's full-screen demo. Keys give the session driver its decisions (next,
// back, quit), and the screen shows what the engine tells: the wiring, the steps, the commands and
// verdicts, and live packets per capture point.
import { driveLab, type Drive, type DriveOptions, type NextChoice } from '../../engine/driver.js';
import { formatCheckReport } from '../../check/format.js';
import type { LabEvents, StepInfo } from '../../engine/events.js';
import type { Prediction } from '../../model/lab.js';
import type { PacketMatcher } from '../../model/check.js';
import type { NodeFacts } from '../../engine/links.js';
import type { LoadedLab } from '../../engine/loader.js';
import type { LabResult } from '../../engine/result.js';
import { stepInfos } from '../../engine/session.js';
import { isChatter, keepFor, PacketLines, type Keep } from './packet-lines.js';
import { plain, type Line } from './segments.js';
import { changedParts } from './topology-text.js';
import { DemoView, type StepRow } from './view.js';

const SIGNAL_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

type Key = 'next' | 'back' | 'quit';

export class Demo {
  private readonly events: LabEvents;
  private readonly view: DemoView;
  private readonly loaded: LoadedLab;
  private drive: Drive | undefined;
  private waiting: ((k: Key) => void) | undefined; // the driver waits for the instructor's next key
  private readonly stop = new AbortController(); // q while a step runs, or a signal: the driver stops at once
  private code = 0;
  private steps: StepInfo[] = [];
  private pos = -1; // the last step run; -1 before the first
  private verdict = new Map<string, boolean>(); // step id -> its last check passed
  private links: NodeFacts[] = [];
  private fresh = new Set<string>(); // what the last step added to the wiring
  private linksStep = ''; // the step the wiring was last read after
  private traffic = false;
  private busy: string | undefined; // what is running now
  private message = '';
  private readonly lines = new PacketLines(Date.now() * 1000);
  private ended: ((code: number) => void) | undefined;
  private openError: string | undefined; // why the sandbox could not be built, said after the screen is gone
  private lastError: string | undefined; // the last action's error
  private readonly asked = new Set<string>(); // steps whose prediction the class was asked: the answer follows the step
  private matchers: PacketMatcher[] = []; // the current step's matchers: the chatter they name is shown

  constructor(
    loaded: LoadedLab,
    private readonly opts: DriveOptions,
  ) {
    this.loaded = loaded;
    this.events = opts.events;
    this.view = new DemoView(`lab demo ${loaded.def.id}`);
    this.listen();
  }

  // Drives the lab with the keys, and resolves with the exit code once the person quits.
  async run(): Promise<number> {
    const onSignal = (sig: NodeJS.Signals): void => {
      this.code = SIGNAL_CODES[sig] ?? 130;
      this.quitting = true;
      this.stop.abort(sig);
      this.waiting?.('quit');
    };
    for (const s of Object.keys(SIGNAL_CODES)) process.on(s, onSignal);
    const onAbort = (): void => this.stop.abort(this.opts.signal?.reason);
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    this.keys();
    this.steps = stepInfos(this.loaded.def);
    this.view.command(plain(`${this.loaded.def.id}: ${this.loaded.def.title}`, 'bold'));
    this.view.command(plain(this.loaded.def.summary, 'gray-fg'));
    this.busy = 'building the sandbox';
    this.refresh();
    let result: LabResult | undefined;
    try {
      result = await driveLab(
        this.loaded,
        { ...this.opts, links: true, keep: false, signal: this.stop.signal },
        {
          opened: (drive) => {
            this.drive = drive;
            this.steps = drive.steps;
            this.busy = undefined;
            this.view.command(
              plain(
                `sandbox ${drive.session.runId} ready (nodes: ${drive.session.nodes.join(', ')}); press n to run step 1`,
                'gray-fg',
              ),
            );
            this.refresh();
          },
          decide: (step) => this.decide(step),
          running: (step, on) => {
            if (on && this.traffic) this.drive?.session.startTraffic(step.id);
            if (on && step.commands.length) this.view.command(plain('running them:', 'bold'));
          },
          stepDone: (step) => this.answer(step.id),
          after: (step) => this.after(step),
          rebuilding: (index) => this.rebuilding(index),
          rebuilt: (index) => {
            this.pos = index - 1;
            if (this.traffic && this.current) this.drive?.session.startTraffic(this.current.id);
          },
          closing: () => {
            this.busy = 'removing the sandbox';
            this.refresh();
            this.view.draw();
          },
        },
      );
    } finally {
      for (const s of Object.keys(SIGNAL_CODES)) process.off(s, onSignal);
      this.opts.signal?.removeEventListener('abort', onAbort);
    }
    return this.end(result);
  }

  // The screen goes, and the exit code: the key's or the signal's; 3 when the sandbox could not be
  // built; 70 when it could not be removed whole.
  private end(result: LabResult | undefined): number {
    const leftovers = result?.teardown && !result.teardown.ok ? result.teardown.leftovers : undefined;
    const openError = !this.drive && result?.error && !this.stop.signal.aborted ? result.error : undefined;
    try {
      this.view.destroy();
      if (openError) process.stderr.write(`error: the sandbox could not be built: ${openError.message}\n`);
      process.stdout.write(
        leftovers
          ? `demo ended; left behind: ${leftovers.join('; ')} (run \`lab clean\`)\n`
          : 'demo ended; sandbox removed\n',
      );
    } catch {
      // the terminal is gone
    }
    if (leftovers) return 70;
    if (openError) return openError.exitCode;
    return this.code;
  }

  // Waits for the instructor's next move before a step: n runs it, p goes back one, q ends the demo.
  private async decide(step: StepInfo): Promise<'run' | 'quit' | { goto: number }> {
    for (;;) {
      const key = await this.nextKey();
      if (key === 'quit') return 'quit';
      if (key === 'back') {
        if (step.index > 0) return { goto: step.index - 1 };
        this.message = 'already at the start';
        this.refresh();
        continue;
      }
      await this.showNext(step);
      return 'run';
    }
  }

  // After a step: the demo stays on it until the next key (after the last step too, for p, r and t).
  private async after(step: StepInfo): Promise<NextChoice> {
    this.busy = undefined;
    this.refresh();
    for (;;) {
      const key = await this.nextKey();
      if (key === 'quit') return 'end';
      if (key === 'back') return { goto: step.index };
      const next = this.steps[step.index + 1];
      if (next) {
        this.queued = 'next';
        return 'next';
      }
      this.message = 'that was the last step';
      this.refresh();
    }
  }

  private queued: Key | undefined; // a key already given for the next wait (n after a step: run the next one)

  // The next key of n, p or q (q at once when the demo is ending).
  private nextKey(): Promise<Key> {
    if (this.quitting) return Promise.resolve('quit');
    const q = this.queued;
    this.queued = undefined;
    if (q) return Promise.resolve(q); // still busy: the step runs next
    this.busy = undefined;
    this.refresh();
    return new Promise<Key>((resolve) => (this.waiting = resolve));
  }

  // A key for the driver: given at once when it waits for one, else kept for its next wait (a step has
  // ended and the driver is on its way there: the key is not lost). While a step runs only q counts.
  private press(key: Key, busy: string): void {
    if (this.busy) return;
    const w = this.waiting;
    this.waiting = undefined;
    this.busy = busy;
    this.message = '';
    this.refresh();
    if (w) w(key);
    else this.queued = key;
  }

  // Engine events become pane lines.
  private listen(): void {
    const e = this.events;
    e.on('packet', (x) => {
      if (!isChatter(x.packet, this.matchers)) this.view.packet(x.point, this.lines.row(x.point, x.packet));
    });
    e.on('command-start', (x) => {
      if (!x.setup)
        this.view.command([
          { text: `[${x.node}] $ `, style: x.check ? 'gray-fg' : 'cyan-fg' },
          { text: x.command, style: x.check ? 'gray-fg' : 'white-fg' },
        ]);
    });
    e.on('command-end', (x) => {
      if (x.setup) return;
      if (!x.ok || (x.record.exitCode !== 0 && !x.check))
        this.view.command(
          plain(
            `    exit ${x.record.exitCode ?? 'signal'}${x.expectFail ? (x.ok ? ', as the lab says' : ', the lab says it fails') : ''}`,
            x.ok ? 'gray-fg' : 'red-fg',
          ),
        );
      if (!x.check && x.record.output.trim())
        for (const l of x.record.output.trim().split('\n').slice(0, 6)) this.view.command(plain(`    ${l}`, 'gray-fg'));
    });
    e.on('check-result', (x) => {
      this.verdict.set(x.stepId, x.result.pass);
      for (const l of formatCheckReport(x.result))
        this.view.command(plain(l, l.startsWith('PASS') ? 'green-fg' : l.startsWith('FAIL') ? 'red-fg' : 'white-fg'));
      this.refresh();
    });
    e.on('links', (x) => {
      // A step's wiring is compared with the one before it; reading it again (after r) keeps the highlight.
      if (x.stepId !== this.linksStep)
        this.fresh = x.stepId === 'setup' || !this.links.length ? new Set() : changedParts(this.links, x.nodes);
      this.linksStep = x.stepId;
      this.links = x.nodes;
      this.refresh();
    });
    e.on('traffic', () => this.refresh());
    e.on('trace', (x) => {
      for (const l of x.trace.lines) this.view.command(plain(l, 'gray-fg'));
    });
  }

  private keys(): void {
    const s = this.view.screen;
    s.on('resize', () => this.refresh()); // the help line's spacing follows the width
    s.key(['n'], () => this.press('next', 'running the next step'));
    s.key(['space', '.'], () => this.view.togglePause());
    s.key(['pageup'], () => this.view.scroll('up'));
    s.key(['pagedown'], () => this.view.scroll('down'));
    s.key(['home'], () => this.view.scroll('step'));
    s.key(['end'], () => this.view.scroll('end'));
    s.key(['?'], () => this.ask());
    s.key(['p'], () => this.press('back', 'rebuilding the sandbox'));
    s.key(['t'], () => void this.act('', () => this.toggleTraffic()));
    s.key(['r'], () => void this.act('sending the probes', () => this.probe()));
    s.key(['q', 'C-c'], () => this.quit());
    s.key(['escape'], () => (this.view.overlayShown ? this.view.showOverlay('', undefined) : this.quit()));
  }

  // The lab's prediction for a step, if it has one.
  private predictionOf(id: string): Prediction | undefined {
    return this.loaded.def.steps.find((d) => d.id === id)?.prediction;
  }

  // ?: the next step's prediction over the packet panes, to ask the class before n; ? again hides it.
  private ask(): void {
    if (this.view.overlayShown) return this.view.showOverlay('', undefined);
    const i = this.pos + 1;
    const step = this.steps[i];
    if (!step) {
      this.message = 'no step left to ask about';
      return this.refresh();
    }
    const p = this.predictionOf(step.id);
    const lines: Line[] = p
      ? [
          plain(p.question, 'bold'),
          [],
          ...p.choices.map((c, k) => [{ text: `${String.fromCharCode(97 + k)}) `, style: 'bold' }, { text: c }]),
          [],
          plain('n runs the step; the answer follows it   (? or Esc hides this)', 'gray-fg'),
        ]
      : [
          plain(`step ${i + 1} ${step.id} asks no prediction: ${step.title}`),
          [],
          plain('? or Esc hides this', 'gray-fg'),
        ];
    if (p) this.asked.add(step.id);
    this.view.showOverlay(`ask the class: step ${i + 1} ${step.id}`, lines);
  }

  // After a step whose prediction was asked: the answer and why, under its verdicts.
  private answer(id: string): void {
    const p = this.predictionOf(id);
    if (!p || !this.asked.has(id)) return;
    this.asked.delete(id);
    this.view.command(
      plain(`answer: ${String.fromCharCode(97 + p.answer)}) ${p.choices[p.answer] ?? ''}`, 'green-fg}{bold'),
    );
    this.view.command(plain(`  why: ${p.why}`));
  }

  // The step whose capture points the packet panes show.
  private get current(): StepInfo | undefined {
    return this.steps[Math.max(this.pos, 0)];
  }

  // Capture points of a step: its check's, or else its before-check's.
  private pointsOf(s: StepInfo | undefined): string[] {
    if (!s) return [];
    return s.points.length ? s.points : (this.loaded.def.steps.find((d) => d.id === s.id)?.before?.points ?? []);
  }

  // The matchers of a step's expectations (and its before-check's).
  private matchersOf(s: StepInfo | undefined): PacketMatcher[] {
    const def = s && this.loaded.def.steps.find((d) => d.id === s.id);
    return [...(def?.check?.expectations ?? []), ...(def?.before?.expectations ?? [])].map((e) => e.matcher);
  }

  // What the step's packet lines keep: the fields its expectations (and its before-check's) name.
  private keepOf(s: StepInfo | undefined): Keep {
    const exps = this.matchersOf(s).map((matcher) => ({ matcher }));
    return keepFor(
      exps.flatMap((e) =>
        Object.entries(e.matcher.fields)
          .filter(([, v]) => v !== undefined)
          .map(([k]) => k),
      ),
    );
  }

  // Runs one action at a time; what it throws is shown, not fatal.
  private async act(what: string, fn: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = what || 'working';
    this.message = '';
    this.refresh();
    try {
      await fn();
    } catch (err) {
      this.lastError = (err as Error).message;
      this.view.command(plain(`error: ${this.lastError}`, 'red-fg'));
    } finally {
      this.busy = undefined;
      this.refresh();
    }
  }

  // n: the step's header and every command of it up front (the back of the room reads them before the
  // output scrolls past); the driver then runs its before-check, its commands (with traffic on, the new
  // step's probes keep going) and its check.
  private async showNext(step: StepInfo): Promise<void> {
    const i = step.index;
    if (this.view.overlayShown) this.view.showOverlay('', undefined);
    this.view.stepBegins();
    this.view.command(plain(`── step ${i + 1}/${this.steps.length} ${step.id}: ${step.title}`, 'bold'));
    this.view.command(plain(step.explain));
    const cmds = step.commands;
    if (cmds.length)
      this.view.command(plain(`the step types ${cmds.length} command${cmds.length === 1 ? '' : 's'}:`, 'bold'));
    for (const c of cmds) this.view.command([{ text: `  [${c.node}] $ `, style: 'cyan-fg' }, { text: c.cmd }]);
    this.view.marker(`step ${i + 1} ${step.id}`, this.pointsOf(step));
    if (this.traffic) await this.drive?.session.stopTraffic();
    this.pos = i;
    this.refresh();
  }

  // p: back to the start of step `index` (a new sandbox, the commands before it replayed).
  private rebuilding(index: number): void {
    // The panes showed the old sandbox's packets: from here on only the new one's (its replay, then r, t or n).
    this.lines.forget();
    this.view.clearPackets();
    for (const st of this.steps.slice(index)) this.verdict.delete(st.id);
    const target = index - 1;
    this.view.command(
      plain(
        `── back to ${target >= 0 ? `step ${target + 1} ${this.steps[target]?.id}` : 'the start'}: a new sandbox, replaying the commands before it; the packet panes start empty`,
        'bold',
      ),
    );
  }

  // t: the current step's probes every ~200 ms, or stop them.
  private async toggleTraffic(): Promise<void> {
    const s = this.drive?.session;
    if (!s || !this.current) return;
    if (this.traffic) {
      this.traffic = false;
      await s.stopTraffic();
    } else {
      this.traffic = true;
      s.startTraffic(this.current.id);
    }
  }

  // r: the current step's check once (its probes, then the verdicts).
  private async probe(): Promise<void> {
    const s = this.drive?.session;
    const step = this.current;
    if (!s || !step) return;
    this.view.command(plain(`── probes of step ${step.index + 1} ${step.id}`, 'bold'));
    this.view.marker(`probes of step ${step.index + 1} ${step.id}`, this.pointsOf(step));
    if (!(await s.check(step.id, 'after'))) await s.check(step.id, 'before');
  }

  // q: the driver ends the run (at once when a step is running); it stops traffic and removes the sandbox.
  private quitting = false;
  private quit(): void {
    if (this.quitting) return;
    this.quitting = true;
    const w = this.waiting;
    this.waiting = undefined;
    if (w) w('quit');
    else this.stop.abort('quit');
  }

  // The model the view draws: wiring, points, step states, help line.
  private refresh(): void {
    const rows: StepRow[] = this.steps.map((s, i) => {
      const v = this.verdict.get(s.id);
      const state: StepRow['state'] =
        i < this.pos
          ? v === false
            ? 'failed'
            : 'done'
          : i === this.pos
            ? v === false
              ? 'current-failed'
              : 'current'
            : 'next';
      return { id: s.id, title: s.title, state };
    });
    const cur = this.current;
    const where = cur && this.pos >= 0 ? `${this.pos + 1}/${this.steps.length} ${cur.id}` : 'no step run yet';
    // What is going on first (it must survive a narrow terminal), then the keys: double-spaced when there is room.
    const gap = Number(this.view.screen.width) >= 100 ? '  ' : ' ';
    const key = (k: string, what: string, style?: string): Line => [
      { text: k, style: 'bold' },
      { text: ` ${what}${gap}`, ...(style ? { style } : {}) },
    ];
    const help: Line = [
      // While something runs, its name replaces the step (keys other than q, space, ? and PgUp wait for it).
      this.busy
        ? { text: ` ${this.busy}...`, style: 'yellow-fg' }
        : { text: ` ${where}${this.message ? ` │ ${this.message}` : ''}` },
      { text: ' │ ' },
      ...key('n', 'next'),
      ...key('p', 'back'),
      ...key('t', `traffic ${this.traffic ? 'ON' : 'off'}`, this.traffic ? 'green-fg' : undefined),
      ...key('r', 'probes'),
      ...key('space', 'pause'),
      ...key('?', 'ask'),
      ...key('q', 'quit'),
    ];
    this.matchers = this.matchersOf(cur);
    this.view.update({
      links: this.links,
      fresh: this.fresh,
      points: this.pointsOf(cur),
      keep: this.keepOf(cur),
      steps: rows,
      help,
    });
  }
}

// Runs the demo until q; the exit code.
export function runDemo(loaded: LoadedLab, opts: DriveOptions): Promise<number> {
  return new Demo(loaded, opts).run();
}
