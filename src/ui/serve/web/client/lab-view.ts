// A lab as a page shows it, shared by the student's page and the teacher's projector: the lab list, the
// steps, the step's text, prediction, commands and verdict, the topology with the nodes the step touches
// drawn out, a terminal per node and the packets at the step's capture points. Each page gives its own
// layout (the same element ids; a page may leave some out) and what is its own (joining, the token).
import { $, el, type Msg } from './common.js';
import { TerminalTabs } from './terminals.js';
import type { StepView } from '../wire.js';

interface Progress {
  passed: boolean | null;
  prediction: number | null;
}
export interface LabInfo {
  id: string;
  title: string;
  summary: string;
}

const PACKETS_KEPT = 200;

// The element with this id, when the page has one.
const find = (id: string): HTMLElement | null => document.getElementById(id);

// The nodes a step works in: where its commands run and where its packets are captured.
export function touchedNodes(s: StepView): Set<string> {
  return new Set([...s.commands.map((c) => c.node), ...s.points.map((p) => p.split(':')[0] ?? p)]);
}

export class LabView {
  labs: LabInfo[] = [];
  lab: LabInfo | undefined;
  steps: StepView[] = [];
  current: string | undefined;
  busy = false;
  private readonly progress = new Map<string, Progress>();
  readonly tabs: TerminalTabs;

  constructor(
    private readonly send: (msg: object) => void,
    private readonly page: {
      notice: (text: string, kind?: 'error' | 'info') => void;
      show: (view: 'labs' | 'lab') => void;
      terminalFontSize?: number;
    },
  ) {
    this.tabs = new TerminalTabs((m) => this.send(m), false, page.terminalFontSize);
  }

  // Puts the terminals and the buttons in the page.
  wire(): void {
    $('term-tabs').append(this.tabs.bar);
    $('term-panes').append(this.tabs.panes);
    const act = (id: string, t: string) =>
      find(id)?.addEventListener('click', () => {
        if (this.current) this.send({ t, step: this.current });
      });
    act('btn-run', 'run');
    act('btn-check', 'check');
    act('btn-trace', 'trace');
    act('btn-hint', 'hint');
    find('btn-prev')?.addEventListener('click', () => this.move(-1));
    find('btn-next')?.addEventListener('click', () => this.move(1));
    find('btn-labs')?.addEventListener('click', () => this.page.show('labs'));
  }

  // A message of the lab socket.
  onMessage(m: Msg): void {
    switch (m.t) {
      case 'hello':
        this.labs = m.labs as LabInfo[];
        $('who').textContent = String(m.name ?? '');
        this.renderLabList();
        if (typeof m.lab === 'string') this.send({ t: 'open', lab: m.lab });
        else this.page.show('labs');
        return;
      case 'lab':
        return this.onLab(m);
      case 'step':
        return this.setStep(String(m.step));
      case 'check':
        return this.onCheck(m);
      case 'predicted': {
        const s = this.steps.find((x) => x.id === m.step);
        if (s) s.reveal = { answer: Number(m.answer), why: String(m.why) };
        this.progress.set(String(m.step), {
          passed: this.progress.get(String(m.step))?.passed ?? null,
          prediction: Number(m.choice),
        });
        if (m.step === this.current) this.renderStep();
        return;
      }
      case 'packet':
        return this.addPacket(String(m.point), String(m.line));
      case 'cmd':
        return this.log(`[${String(m.node)}]# ${String(m.command)}`, 'cmd');
      case 'cmd-end':
        if (String(m.output).trim()) this.log(String(m.output).trimEnd(), 'out');
        if (!m.ok) this.log(`exit ${String(m.exit)}`, 'bad');
        return;
      case 'trace':
        return this.result("The packet's path:", m.lines as string[], 'trace');
      case 'topology':
        // The server draws it (its own escaped SVG); nothing from a sandbox is markup here.
        $('topology').innerHTML = String(m.svg);
        return this.highlight();
      case 'term':
        return this.tabs.write(String(m.node), String(m.data));
      case 'term-exit':
        return this.tabs.exited(String(m.node));
      case 'busy':
        return this.setBusy(Boolean(m.on), String(m.what ?? ''));
      case 'ended':
        this.page.notice(String(m.reason));
        this.tabs.clear();
        this.lab = undefined;
        return this.page.show('labs');
      case 'error':
        this.setBusy(false);
        return this.page.notice(String(m.message));
    }
  }

  private renderLabList(): void {
    $('lab-list').replaceChildren(
      ...this.labs.map((l) =>
        el(
          'li',
          {},
          el(
            'button',
            { class: 'lab-open', 'data-lab': l.id, onclick: () => this.send({ t: 'open', lab: l.id }) },
            el('strong', {}, l.title),
            el('span', { class: 'muted' }, l.summary),
          ),
        ),
      ),
    );
  }

  private onLab(m: Msg): void {
    const info = m.lab as LabInfo;
    const fresh = this.lab?.id !== info.id;
    this.lab = info;
    this.steps = m.steps as StepView[];
    this.progress.clear();
    for (const p of m.progress as ({ id: string } & Progress)[]) this.progress.set(p.id, p);
    $('lab-title').textContent = info.title;
    if (fresh) this.tabs.clear();
    this.tabs.setNodes(m.nodes as string[]);
    this.tabs.reattach();
    this.page.show('lab');
    this.page.notice('');
    if (typeof m.step === 'string') this.setStep(m.step);
  }

  private stepState(id: string): 'passed' | 'failed' | 'untried' {
    const p = this.progress.get(id)?.passed;
    return p === true ? 'passed' : p === false ? 'failed' : 'untried';
  }

  private renderPills(): void {
    $('steps').replaceChildren(
      ...this.steps.map((s, i) =>
        el(
          'button',
          {
            class: `step-pill${s.id === this.current ? ' on' : ''}`,
            'data-step': s.id,
            'data-state': this.stepState(s.id),
            title: s.title,
            onclick: () => this.send({ t: 'goto', step: s.id }),
          },
          `${i + 1}. ${s.id}`,
        ),
      ),
    );
  }

  private setStep(id: string): void {
    if (this.current !== id) {
      $('packets').replaceChildren();
      $('result').replaceChildren();
      find('log')?.replaceChildren();
    }
    this.current = id;
    this.renderStep();
  }

  // The step shown now, as it stands.
  renderStep(): void {
    const s = this.steps.find((x) => x.id === this.current);
    if (!s) return;
    const i = this.steps.indexOf(s);
    this.renderPills();
    $('step-card').dataset.state = this.stepState(s.id);
    $('step-num').textContent = `Step ${i + 1} of ${this.steps.length}`;
    $('step-title').textContent = s.title;
    $('step-explain').textContent = s.explain;
    $('step-commands').replaceChildren(
      ...(s.commands.length
        ? s.commands.map((c) => el('code', { class: 'cmd' }, el('span', { class: 'node' }, `[${c.node}]# `), c.cmd))
        : [el('p', { class: 'muted' }, 'No commands in this step: check it to see the packets.')]),
    );
    $('points').textContent = s.points.length ? `Packets at ${s.points.join(', ')}` : 'No capture points in this step';
    this.renderPrediction(s);
    const disable = (id: string, off: boolean) => {
      const b = find(id) as HTMLButtonElement | null;
      if (b) b.disabled = off;
    };
    disable('btn-prev', this.busy || i === 0);
    disable('btn-next', this.busy || i === this.steps.length - 1);
    disable('btn-run', this.busy || !s.commands.length);
    $('passed-banner').hidden = this.stepState(s.id) !== 'passed';
    this.highlight();
  }

  // The topology's nodes this step works in, drawn out.
  private highlight(): void {
    const s = this.steps.find((x) => x.id === this.current);
    const touched = s ? touchedNodes(s) : new Set<string>();
    for (const g of $('topology').querySelectorAll('g.node')) {
      const name = g.querySelector('.nodename')?.textContent ?? '';
      g.classList.toggle('touched', touched.has(name));
      g.setAttribute('data-node', name);
    }
  }

  private renderPrediction(s: StepView): void {
    const box = find('prediction');
    if (!box) return;
    if (!s.prediction) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const chosen = this.progress.get(s.id)?.prediction ?? null;
    const reveal = s.reveal;
    const children: Node[] = [
      el('h3', {}, 'Predict first'),
      el('p', {}, s.prediction.question),
      ...s.prediction.choices.map((c, i) =>
        el(
          'button',
          {
            class: `choice${chosen === i ? ' chosen' : ''}${reveal && reveal.answer === i ? ' answer' : ''}`,
            'data-choice': String(i),
            disabled: chosen !== null,
            onclick: () => this.send({ t: 'predict', step: s.id, choice: i }),
          },
          c,
        ),
      ),
    ];
    if (reveal)
      children.push(
        el(
          'p',
          { class: chosen === reveal.answer ? 'good' : 'meh' },
          chosen === reveal.answer ? 'Right: ' : 'Not quite: ',
          reveal.why,
        ),
      );
    box.replaceChildren(...children);
  }

  private onCheck(m: Msg): void {
    const step = String(m.step);
    const passed = Boolean(m.passed);
    this.progress.set(step, { passed, prediction: this.progress.get(step)?.prediction ?? null });
    if (step !== this.current) return this.renderPills();
    this.renderStep();
    if (m.live && !passed) return; // typing goes on: no verdict to read yet
    const lines = m.lines as string[];
    this.result(passed ? '✔ The check passed' : '✘ The check did not pass yet', lines, passed ? 'pass' : 'fail');
    if (m.hint) $('result').append(el('p', { class: 'hint' }, el('strong', {}, 'Hint: '), String(m.hint)));
  }

  private result(title: string, lines: string[], kind: string): void {
    $('result').replaceChildren(el('h3', { class: kind }, title), el('pre', {}, lines.join('\n')));
  }

  private log(text: string, kind: string): void {
    const box = find('log');
    if (!box) return;
    box.append(el('div', { class: kind }, text));
    while (box.childElementCount > 100) box.firstElementChild?.remove();
    box.scrollTop = box.scrollHeight;
  }

  private addPacket(point: string, line: string): void {
    const box = $('packets');
    const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    box.append(el('div', { class: 'packet' }, el('span', { class: 'point' }, point), ' ', line));
    while (box.childElementCount > PACKETS_KEPT) box.firstElementChild?.remove();
    if (stick) box.scrollTop = box.scrollHeight;
  }

  // Work under way on the server: its buttons wait.
  setBusy(on: boolean, what = ''): void {
    this.busy = on;
    $('busy').textContent = on ? `${what}…` : '';
    for (const id of ['btn-run', 'btn-check', 'btn-trace', 'btn-hint']) {
      const b = find(id) as HTMLButtonElement | null;
      if (b) b.disabled = on && id !== 'btn-hint';
    }
    if (!on) this.renderStep();
  }

  // The step `by` places on (next: 1, previous: -1).
  move(by: number): void {
    const i = this.steps.findIndex((s) => s.id === this.current);
    const next = this.steps[i + by];
    if (next) this.send({ t: 'goto', step: next.id });
  }
}
