// The teacher's board: a row per student, live; per step the share that passed and the spread of
// predictions; a student's terminal watched read-only; kick, reset; the export; the projector link.
import './csp.js';
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { $, ago, connect, connView, el, type Link, type Msg } from './common.js';

interface StepProgress {
  id: string;
  passed: boolean | null;
  prediction?: { choice: number; right: boolean };
}
interface Row {
  id: string;
  name: string;
  lab: string | null;
  step: string | null;
  steps: StepProgress[];
  lastActive: string; // ISO time
  online: boolean;
  live: boolean; // a sandbox is up for them
  terminals: string[];
}
interface LabInfo {
  id: string;
  title: string;
}

const TOKEN_KEY = 'lab-teacher-token';
let link: Link | undefined;
let watching: { student: string; node: string } | undefined;
let term: Terminal | undefined;
let fit: FitAddon | undefined;
let last: { rows: Row[]; labs: LabInfo[]; skew: number } = { rows: [], labs: [], skew: 0 };

function token(): string | null {
  const fromHash = location.hash.slice(1);
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname); // the token leaves the address bar
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const state = (p: boolean | null): 'passed' | 'failed' | 'untried' =>
  p === true ? 'passed' : p === false ? 'failed' : 'untried';
const mark = { passed: '✔', failed: '✘', untried: '·' };
const letter = (i: number | undefined): string => (i === undefined ? '' : String.fromCharCode(65 + i));

function render(): void {
  const { rows, labs } = last;
  $('count').textContent =
    `${rows.length} student${rows.length === 1 ? '' : 's'}, ${rows.filter((r) => r.online).length} online`;
  const byLab = new Map<string, Row[]>();
  for (const r of rows) if (r.lab) byLab.set(r.lab, [...(byLab.get(r.lab) ?? []), r]);
  const blocks: HTMLElement[] = [];
  for (const [labId, group] of byLab) {
    const title = labs.find((l) => l.id === labId)?.title ?? labId;
    const stepIds = group[0]?.steps.map((s) => s.id) ?? [];
    blocks.push(
      el(
        'h2',
        {},
        title,
        el('span', { class: 'muted small' }, `  ${group.length} student${group.length === 1 ? '' : 's'}`),
      ),
      summary(stepIds, group),
      table(stepIds, group),
    );
  }
  const idle = rows.filter((r) => !r.lab);
  if (idle.length) blocks.push(el('h2', {}, 'Not in a lab yet'), table([], idle));
  if (!rows.length)
    blocks.push(el('p', { class: 'muted' }, 'No student has joined yet. Give them the address and the class code.'));
  $('board').replaceChildren(...blocks);
}

// The filled part of a share bar, sized through the CSSOM (the policy refuses style attributes in markup).
function barFill(share: number): HTMLElement {
  const fill = el('span');
  fill.style.width = `${share}%`;
  return fill;
}

// Per step: the share that passed, and how many chose each answer of the prediction.
function summary(stepIds: string[], group: Row[]): HTMLElement {
  return el(
    'div',
    { class: 'summary' },
    ...stepIds.map((id, i) => {
      const cells = group.map((r) => r.steps.find((s) => s.id === id));
      const passed = cells.filter((c) => c?.passed === true).length;
      const counts = new Map<number, { n: number; right: boolean }>();
      for (const c of cells)
        if (c?.prediction)
          counts.set(c.prediction.choice, {
            n: (counts.get(c.prediction.choice)?.n ?? 0) + 1,
            right: c.prediction.right,
          });
      const share = group.length ? Math.round((100 * passed) / group.length) : 0;
      return el(
        'div',
        { class: 'card', 'data-step': id },
        el('strong', {}, `${i + 1}. ${id}`),
        el('div', { class: 'small' }, `${passed} of ${group.length} passed (${share}%)`),
        el('div', { class: 'bar' }, barFill(share)),
        counts.size
          ? el(
              'div',
              { class: 'spread', title: 'predictions: how many chose each answer' },
              'predicted: ',
              ...[...counts.entries()]
                .sort((a, b) => a[0] - b[0])
                .map(([k, v]) =>
                  el(
                    'span',
                    { class: v.right ? 'answer' : '', title: v.right ? 'the right answer' : '' },
                    `${letter(k)} ${v.n}`,
                  ),
                ),
            )
          : null,
      );
    }),
  );
}

function table(stepIds: string[], group: Row[]): HTMLElement {
  const now = Date.now() - last.skew;
  return el(
    'table',
    {},
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, 'Student'),
        el('th', {}, 'Step'),
        ...stepIds.map((id, i) => el('th', { title: id }, String(i + 1))),
        el('th', {}, 'Predictions'),
        el('th', {}, 'Last active'),
        el('th', {}, 'Terminals'),
        el('th', {}, ''),
      ),
    ),
    el(
      'tbody',
      {},
      ...group.map((r) =>
        el(
          'tr',
          { class: r.online ? 'online' : 'offline', 'data-student': r.id },
          el('td', { class: 'name' }, el('span', { class: `dot${r.online ? ' on' : ''}` }), r.name),
          el('td', {}, r.step ?? ''),
          ...stepIds.map((id) => {
            const s = state(r.steps.find((x) => x.id === id)?.passed ?? null);
            return el('td', { class: 'cell', 'data-step': id, 'data-state': s, title: `${id}: ${s}` }, mark[s]);
          }),
          el(
            'td',
            { class: 'small preds' },
            ...r.steps.map((s) =>
              el(
                'span',
                { class: s.prediction ? (s.prediction.right ? 'right' : 'wrong') : 'none' },
                letter(s.prediction?.choice) || '–',
              ),
            ),
          ),
          el('td', { class: 'small' }, ago(now - Date.parse(r.lastActive)), r.live ? '' : ' (no sandbox)'),
          el(
            'td',
            { class: 'actions' },
            ...r.terminals.map((n) =>
              el('button', { class: 'watch-btn', 'data-node': n, onclick: () => watch(r, n) }, n),
            ),
          ),
          el(
            'td',
            { class: 'actions' },
            el(
              'button',
              { onclick: () => confirm(`Reset ${r.name}'s lab?`) && link?.send({ t: 'reset', student: r.id }) },
              'reset',
            ),
            el(
              'button',
              {
                onclick: () => confirm(`Remove ${r.name} from the class?`) && link?.send({ t: 'kick', student: r.id }),
              },
              'kick',
            ),
          ),
        ),
      ),
    ),
  );
}

// A student's terminal, read-only (the board sends nothing typed).
function watch(r: Row, node: string): void {
  watching = { student: r.id, node };
  $('watch').hidden = false;
  $('watch-title').textContent = `${r.name} — ${node} (read-only)`;
  term?.dispose();
  term = new Terminal({ disableStdin: true, fontSize: 13, theme: { background: '#10141a' }, scrollback: 2000 });
  fit = new FitAddon();
  term.loadAddon(fit);
  term.open($('watch-term'));
  fit.fit();
  link?.send({ t: 'watch', student: r.id, node });
}

async function download(ext: 'csv' | 'json', t: string): Promise<void> {
  const res = await fetch(`/api/class/export.${ext}`, { headers: { authorization: `Bearer ${t}` } });
  if (!res.ok) return alert(`The export failed: ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = el('a', { href: url, download: `class.${ext}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function onMessage(m: Msg): void {
  if (m.t === 'board') {
    last = { rows: m.students as Row[], labs: m.labs as LabInfo[], skew: Date.now() - Number(m.now) };
    render();
  } else if (m.t === 'term' && watching && m.student === watching.student && m.node === watching.node) {
    term?.write(String(m.data));
  } else if (m.t === 'error') {
    $('notice').textContent = String(m.message);
    $('notice').className = 'notice error';
    $('notice').hidden = false;
  }
}

function main(): void {
  const t = token();
  if (!t) {
    $('notice').textContent = 'Open the teacher link that lab serve printed (it carries the teacher token).';
    $('notice').className = 'notice error';
    $('notice').hidden = false;
    return;
  }
  $('btn-csv').addEventListener('click', () => void download('csv', t));
  $('btn-json').addEventListener('click', () => void download('json', t));
  $('btn-projector').addEventListener('click', () => window.open(`/projector#${t}`, '_blank', 'noopener'));
  $('watch-close').addEventListener('click', () => {
    watching = undefined;
    link?.send({ t: 'unwatch' });
    term?.dispose();
    term = undefined;
    $('watch').hidden = true;
  });
  link = connect('/ws/board', t, {
    open: () => {
      if (watching) link?.send({ t: 'watch', ...watching });
    },
    state: connView(() => link),
    refused: () => {
      sessionStorage.removeItem(TOKEN_KEY);
      $('notice').textContent = 'The teacher token is not valid.';
      $('notice').className = 'notice error';
      $('notice').hidden = false;
    },
    message: onMessage,
  });
  setInterval(render, 1000);
}

main();
