// The student's page: join with the class code and a name, pick a lab, then one step at a time, with a
// terminal per node, live checks, live packets and the topology as it is now (client/lab-view.ts).
import './csp.js';
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { $, connect, connView, type Link } from './common.js';
import { LabView } from './lab-view.js';

const TOKEN_KEY = 'lab-student-token';

let link: Link | undefined;
const showConn = connView(() => link);

function show(view: 'join' | 'labs' | 'lab'): void {
  for (const v of ['join', 'labs', 'lab']) $(`view-${v}`).hidden = v !== view;
}

function notice(text: string, kind: 'error' | 'info' = 'error'): void {
  const n = $('notice');
  n.textContent = text;
  n.className = `notice ${kind}`;
  n.hidden = !text;
}

const view = new LabView((m) => link?.send(m), { notice, show });

// Joins the class with the code and name typed; the token is kept for reloads.
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

// The lab socket, with this token.
function start(t: string): void {
  link?.close();
  link = connect('/ws/lab', t, {
    open: () => undefined,
    state: (st) => {
      showConn(st);
      if (!st.up) view.setBusy(false);
    },
    refused: () => {
      localStorage.removeItem(TOKEN_KEY);
      notice('Your place in the class is gone: join again.');
      show('join');
    },
    message: (m) => view.onMessage(m),
  });
}

function wire(): void {
  $('join-form').addEventListener('submit', (e) => void join(e));
  view.wire();
  const t = localStorage.getItem(TOKEN_KEY);
  if (t) start(t);
  else show('join');
}

wire();
