// The teacher's demo view, for the projector: one lab in the teacher's own sandbox, in type the back row
// reads: the step's text and commands, the topology with the nodes the step works in drawn out, the
// packets at its capture points, and a terminal. The teacher drives it (the buttons, or a presenter's
// Page Up / Page Down); the lab itself is the student's page's (client/lab-view.ts).
import './csp.js';
import '@xterm/xterm/css/xterm.css';
import './style.css';
import './projector.css';
import { $, connect, connView, type Link } from './common.js';
import { LabView } from './lab-view.js';

const TOKEN_KEY = 'lab-teacher-token';

let link: Link | undefined;
const showConn = connView(() => link);

function show(v: 'labs' | 'lab'): void {
  $('view-labs').hidden = v !== 'labs';
  $('view-lab').hidden = v !== 'lab';
}

function notice(text: string, kind: 'error' | 'info' = 'error'): void {
  const n = $('notice');
  n.textContent = text;
  n.className = `notice ${kind}`;
  n.hidden = !text;
}

const view = new LabView((m) => link?.send(m), { notice, show, terminalFontSize: 18 });

// The teacher's token: from the address's # part once (then gone from the address bar), then kept for
// this tab only.
function token(): string | null {
  const fromHash = location.hash.slice(1);
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

// A presenter's remote sends Page Up / Page Down: previous and next step, unless a terminal has the keys.
function keys(ev: KeyboardEvent): void {
  if ((ev.target as HTMLElement | null)?.closest('.xterm')) return;
  if (ev.key === 'PageDown') view.move(1);
  else if (ev.key === 'PageUp') view.move(-1);
  else return;
  ev.preventDefault();
}

function main(): void {
  view.wire();
  document.addEventListener('keydown', keys);
  const t = token();
  if (!t) return notice('Open the projector from the board (its link carries the teacher token).');
  link = connect('/ws/lab', t, {
    open: () => undefined,
    state: (st) => {
      showConn(st);
      if (!st.up) view.setBusy(false);
    },
    refused: () => {
      sessionStorage.removeItem(TOKEN_KEY);
      notice('The teacher token is not valid.');
    },
    message: (m) => view.onMessage(m),
  });
}

main();
