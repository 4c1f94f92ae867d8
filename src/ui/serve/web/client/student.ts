// The student's page (and, at /projector, the teacher's demo view): join, pick a lab, then one step
// at a time, with a terminal per node, live checks, live packets and the topology as it is now.
import './csp.js';
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { $, connect, connView, el, type Link, type Msg } from './common.js';
import { TerminalTabs } from './terminals.js';

interface StepView {
  id: string;
  title: string;
  explain: string;
  commands: { node: string; cmd: string }[];
  points: string[];
  prediction?: { question: string; choices: string[] };
  reveal?: { answer: number; why: string };
}
interface Progress {
  passed: boolean | null;
  prediction: number | null;
}
interface LabInfo {
  id: string;
  title: string;
  summary: string;
}

const projector = location.pathname === '/projector';
const TOKEN_KEY = projector ? 'lab-teacher-token' : 'lab-student-token';
const PACKETS_KEPT = 200;

let link: Link | undefined;
let labs: LabInfo[] = [];
let lab: LabInfo | undefined;
let steps: StepView[] = [];
let current: string | undefined;
let busy = false;
const progress = new Map<string, Progress>();
const tabs = new TerminalTabs((m) => link?.send(m));
const showConn = connView(() => link);

function token(): string | null {
  if (projector) {
    const fromHash = location.hash.slice(1);
    if (fromHash) {
      sessionStorage.setItem(TOKEN_KEY, fromHash);
      history.replaceState(null, '', location.pathname);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }
  return localStorage.getItem(TOKEN_KEY);
}

function show(view: 'join' | 'labs' | 'lab'): void {
  for (const v of ['join', 'labs', 'lab']) $(`view-${v}`).hidden = v !== view;
}

function notice(text: string, kind: 'error' | 'info' = 'error'): void {
  const n = $('notice');
  n.textContent = text;
  n.className = `notice ${kind}`;
  n.hidden = !text;
}

// --- joining ------------------------------------------------------------------------------------

async function join(ev: Event): Promise<void> {
  ev.preventDefault();
  const code = ($('join-code') as HTMLInputElement).value.trim();
  const name = ($('join-name') as HTMLInputElement).value.trim();
  if (!code || !name) return notice('Type the class code and your name.');
  const res = await fetch('/api/join', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, name }),
  }).catch(() => undefined);
  if (!res) return notice('The server cannot be reached. Is the address right?');
  if (res.status === 403) return notice('That class code is not right. Ask your teacher for it.');
  if (res.status === 503) return notice('The class is full. Ask your teacher.');
  if (res.status === 429) return notice('Too many tries from here: wait a minute and try again.');
  if (!res.ok) return notice(`The server said ${res.status}.`);
  const body = (await res.json()) as { token: string };
  localStorage.setItem(TOKEN_KEY, body.token);
  notice('');
  start(body.token);
}

// --- the socket ---------------------------------------------------------------------------------

function start(t: string): void {
  link?.close();
  link = connect('/ws/lab', t, {
    open: () => undefined,
    state: (st) => {
      showConn(st);
      if (!st.up) setBusy(false);
    },
    refused: () => {
      localStorage.removeItem(TOKEN_KEY);
      notice(projector ? 'The teacher token is not valid.' : 'Your place in the class is gone: join again.');
      show('join');
    },
    message: onMessage,
  });
}

function onMessage(m: Msg): void {
  switch (m.t) {
    case 'hello':
      labs = m.labs as LabInfo[];
      $('who').textContent = String(m.name ?? '');
      renderLabList();
      if (typeof m.lab === 'string') link?.send({ t: 'open', lab: m.lab });
      else show('labs');
      return;
    case 'lab':
      onLab(m);
      return;
    case 'step':
      setStep(String(m.step));
      return;
    case 'check':
      onCheck(m);
      return;
    case 'predicted': {
      const s = steps.find((x) => x.id === m.step);
      if (s) s.reveal = { answer: Number(m.answer), why: String(m.why) };
      progress.set(String(m.step), {
        passed: progress.get(String(m.step))?.passed ?? null,
        prediction: Number(m.choice),
      });
      if (m.step === current) renderStep();
      return;
    }
    case 'packet':
      addPacket(String(m.point), String(m.line));
      return;
    case 'cmd':
      log(`[${String(m.node)}]# ${String(m.command)}`, 'cmd');
      return;
    case 'cmd-end':
      if (String(m.output).trim()) log(String(m.output).trimEnd(), 'out');
      if (!m.ok) log(`exit ${String(m.exit)}`, 'bad');
      return;
    case 'trace':
      result("The packet's path:", m.lines as string[], 'trace');
      return;
    case 'topology':
      // The server draws it (its own escaped SVG); nothing from a sandbox is markup here.
      $('topology').innerHTML = String(m.svg);
      return;
    case 'term':
      tabs.write(String(m.node), String(m.data));
      return;
    case 'term-exit':
      tabs.exited(String(m.node));
      return;
    case 'busy':
      setBusy(Boolean(m.on), String(m.what ?? ''));
      return;
    case 'ended':
      notice(String(m.reason));
      tabs.clear();
      lab = undefined;
      show('labs');
      return;
    case 'error':
      setBusy(false);
      notice(String(m.message));
      return;
  }
}

// --- the lab ------------------------------------------------------------------------------------

function renderLabList(): void {
  const list = $('lab-list');
  list.replaceChildren(
    ...labs.map((l) =>
      el(
        'li',
        {},
        el(
          'button',
          { class: 'lab-open', 'data-lab': l.id, onclick: () => link?.send({ t: 'open', lab: l.id }) },
          el('strong', {}, l.title),
          el('span', { class: 'muted' }, l.summary),
        ),
      ),
    ),
  );
}

function onLab(m: Msg): void {
  const info = m.lab as LabInfo;
  const fresh = lab?.id !== info.id;
  lab = info;
  steps = m.steps as StepView[];
  progress.clear();
  for (const p of m.progress as ({ id: string } & Progress)[]) progress.set(p.id, p);
  $('lab-title').textContent = lab.title;
  if (fresh) tabs.clear();
  tabs.setNodes(m.nodes as string[]);
  tabs.reattach();
  show('lab');
  notice('');
  if (typeof m.step === 'string') setStep(m.step);
}

function stepState(id: string): 'passed' | 'failed' | 'untried' {
  const p = progress.get(id)?.passed;
  return p === true ? 'passed' : p === false ? 'failed' : 'untried';
}

function renderPills(): void {
  $('steps').replaceChildren(
    ...steps.map((s, i) =>
      el(
        'button',
        {
          class: `step-pill${s.id === current ? ' on' : ''}`,
          'data-step': s.id,
          'data-state': stepState(s.id),
          title: s.title,
          onclick: () => link?.send({ t: 'goto', step: s.id }),
        },
        `${i + 1}. ${s.id}`,
      ),
    ),
  );
}

function setStep(id: string): void {
  if (current !== id) {
    $('packets').replaceChildren();
    $('result').replaceChildren();
    $('log').replaceChildren();
  }
  current = id;
  renderStep();
}

function renderStep(): void {
  const s = steps.find((x) => x.id === current);
  if (!s) return;
  const i = steps.indexOf(s);
  renderPills();
  $('step-card').dataset.state = stepState(s.id);
  $('step-num').textContent = `Step ${i + 1} of ${steps.length}`;
  $('step-title').textContent = s.title;
  $('step-explain').textContent = s.explain;
  $('step-commands').replaceChildren(
    ...(s.commands.length
      ? s.commands.map((c) => el('code', { class: 'cmd' }, el('span', { class: 'node' }, `[${c.node}]# `), c.cmd))
      : [el('p', { class: 'muted' }, 'No commands in this step: check it to see the packets.')]),
  );
  $('points').textContent = s.points.length ? `Packets at ${s.points.join(', ')}` : 'No capture points in this step';
  renderPrediction(s);
  ($('btn-prev') as HTMLButtonElement).disabled = busy || i === 0;
  ($('btn-next') as HTMLButtonElement).disabled = busy || i === steps.length - 1;
  ($('btn-run') as HTMLButtonElement).disabled = busy || !s.commands.length;
  $('passed-banner').hidden = stepState(s.id) !== 'passed';
}

function renderPrediction(s: StepView): void {
  const box = $('prediction');
  if (!s.prediction) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const chosen = progress.get(s.id)?.prediction ?? null;
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
          onclick: () => link?.send({ t: 'predict', step: s.id, choice: i }),
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

function onCheck(m: Msg): void {
  const step = String(m.step);
  const passed = Boolean(m.passed);
  progress.set(step, { passed, prediction: progress.get(step)?.prediction ?? null });
  if (step !== current) return renderPills();
  renderStep();
  if (m.live && !passed) return; // typing goes on: no verdict to read yet
  const lines = m.lines as string[];
  result(passed ? '✔ The check passed' : '✘ The check did not pass yet', lines, passed ? 'pass' : 'fail');
  if (m.hint) $('result').append(el('p', { class: 'hint' }, el('strong', {}, 'Hint: '), String(m.hint)));
}

function result(title: string, lines: string[], kind: string): void {
  $('result').replaceChildren(el('h3', { class: kind }, title), el('pre', {}, lines.join('\n')));
}

function log(text: string, kind: string): void {
  const box = $('log');
  box.append(el('div', { class: kind }, text));
  while (box.childElementCount > 100) box.firstElementChild?.remove();
  box.scrollTop = box.scrollHeight;
}

function addPacket(point: string, line: string): void {
  const box = $('packets');
  const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  box.append(el('div', { class: 'packet' }, el('span', { class: 'point' }, point), ' ', line));
  while (box.childElementCount > PACKETS_KEPT) box.firstElementChild?.remove();
  if (stick) box.scrollTop = box.scrollHeight;
}

function setBusy(on: boolean, what = ''): void {
  busy = on;
  $('busy').textContent = on ? `${what}…` : '';
  for (const id of ['btn-run', 'btn-check', 'btn-trace', 'btn-hint'])
    ($(id) as HTMLButtonElement).disabled = on && id !== 'btn-hint';
  if (!on) renderStep();
}

function move(by: number): void {
  const i = steps.findIndex((s) => s.id === current);
  const next = steps[i + by];
  if (next) link?.send({ t: 'goto', step: next.id });
}

// --- start --------------------------------------------------------------------------------------

function wire(): void {
  if (projector) document.body.classList.add('projector');
  $('join-form').addEventListener('submit', (e) => void join(e));
  const act = (id: string, t: string) =>
    $(id).addEventListener('click', () => {
      if (current) link?.send({ t, step: current });
    });
  act('btn-run', 'run');
  act('btn-check', 'check');
  act('btn-trace', 'trace');
  act('btn-hint', 'hint');
  $('btn-prev').addEventListener('click', () => move(-1));
  $('btn-next').addEventListener('click', () => move(1));
  $('btn-labs').addEventListener('click', () => show('labs'));
  $('term-tabs').append(tabs.bar);
  $('term-panes').append(tabs.panes);
  const t = token();
  if (t) start(t);
  else if (projector) notice('Open the projector from the board (its link carries the teacher token).');
  else show('join');
}

wire();
