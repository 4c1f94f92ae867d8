// What both pages share: building elements (text only, never markup from a message), and a WebSocket
// that proves its token in its first message and comes back by itself after a network loss.

type Attrs = Record<string, string | boolean | ((e: Event) => void)>;

// An element with attributes, listeners (on...) and children; strings become text.
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else if (v !== false) e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e;
}

export type Msg = Record<string, unknown> & { t: string };

export interface Link {
  send(msg: object): void;
  close(): void;
  retry(): void; // try again at once (after giving up, or when the browser says it is online)
}

// Where a socket is: up, or down with how many tries were made and when the next one is (none: given up).
export interface ConnState {
  up: boolean;
  tries: number;
  retryAt?: number; // Date.now() of the next try
  gaveUp?: boolean;
}

const FIRST_WAIT_MS = 1000;
const MAX_WAIT_MS = 10_000;
const MAX_TRIES = 30; // about four and a half minutes of trying, then a button

// A socket to `path` that re-opens after a loss (1 s, doubling to 10 s, at most MAX_TRIES times, and at
// once when the browser comes back online) and re-authenticates; `open` runs after each authentication
// is sent (the page asks again for what it shows).
export function connect(
  path: string,
  token: string,
  on: {
    message: (m: Msg) => void;
    open: () => void;
    state: (s: ConnState) => void;
    refused: (why: string) => void;
  },
): Link {
  let ws: WebSocket | undefined;
  let wait = FIRST_WAIT_MS;
  let tries = 0;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The socket is gone (closed, or silent past its heartbeat): try again later, or stop when refused.
  const lost = (s: WebSocket, code: number, reason: string): void => {
    if (ws !== s) return; // an older socket, already replaced
    ws = undefined;
    if (code === 4401 || code === 4403) {
      closed = true;
      on.state({ up: false, tries, gaveUp: true });
      on.refused(reason || 'refused');
      return;
    }
    if (closed) return;
    tries += 1;
    if (tries > MAX_TRIES) {
      on.state({ up: false, tries, gaveUp: true });
      return;
    }
    timer = setTimeout(open, wait);
    on.state({ up: false, tries, retryAt: Date.now() + wait });
    wait = Math.min(wait * 2, MAX_WAIT_MS);
  };
  const open = (): void => {
    clearTimeout(timer);
    timer = undefined;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
    const s = new WebSocket(url);
    ws = s;
    let heard = Date.now();
    let beat: ReturnType<typeof setInterval> | undefined;
    s.onopen = () => {
      wait = FIRST_WAIT_MS;
      tries = 0;
      s.send(JSON.stringify({ t: 'auth', token }));
      on.state({ up: true, tries: 0 });
      on.open();
    };
    s.onmessage = (ev) => {
      heard = Date.now();
      try {
        const m = JSON.parse(String(ev.data)) as Msg;
        if (m.t === 'beat') {
          // The server's heartbeat: ask every beat, and a socket silent for three is taken as lost (a
          // network that went away without a word closes nothing by itself).
          const ms = Math.max(100, Number(m.ms) || 20_000);
          clearInterval(beat);
          beat = setInterval(() => {
            if (closed || ws !== s) clearInterval(beat);
            else if (Date.now() - heard > 3 * ms) {
              clearInterval(beat);
              s.close();
              lost(s, 1006, 'silent');
            } else if (s.readyState === WebSocket.OPEN) s.send('{"t":"ping"}');
          }, ms);
          return;
        }
        if (m.t !== 'pong') on.message(m);
      } catch (err) {
        console.error(err);
      }
    };
    s.onclose = (ev) => {
      clearInterval(beat);
      lost(s, ev.code, ev.reason);
    };
  };
  // Down and waiting (or given up): try now, with the waits starting over.
  const retry = (): void => {
    if (closed || ws?.readyState === WebSocket.OPEN || ws?.readyState === WebSocket.CONNECTING) return;
    wait = FIRST_WAIT_MS;
    tries = 0;
    open();
  };
  addEventListener('online', retry);
  open();
  return {
    send: (msg) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
    },
    close: () => {
      closed = true;
      clearTimeout(timer);
      removeEventListener('online', retry);
      ws?.close();
    },
    retry,
  };
}

// The header's connection mark and words: green when up; while down, "reconnecting" with the next try's
// countdown, or, once the tries are spent, a button to try again. `data-state` says which, for tests.
export function connView(link: () => Link | undefined): (s: ConnState) => void {
  let tick: ReturnType<typeof setInterval> | undefined;
  return (s) => {
    const dot = $('conn');
    const text = $('conn-text');
    clearInterval(tick);
    const state = s.up ? 'up' : s.gaveUp ? 'lost' : 'reconnecting';
    dot.className = s.up ? 'conn up' : 'conn down';
    dot.title = s.up ? 'connected' : 'reconnecting…';
    text.dataset.state = state;
    document.body.dataset.conn = state;
    if (s.up) {
      text.replaceChildren();
      return;
    }
    if (s.gaveUp) {
      text.replaceChildren(
        'Connection lost. ',
        el('button', { id: 'btn-reconnect', class: 'small', onclick: () => link()?.retry() }, 'Reconnect'),
      );
      return;
    }
    const show = (): void => {
      const left = Math.max(0, Math.ceil(((s.retryAt ?? Date.now()) - Date.now()) / 1000));
      text.textContent = `Connection lost: reconnecting${left ? ` in ${left} s` : '…'} (try ${s.tries})`;
    };
    show();
    tick = setInterval(show, 500);
  };
}

// "12 s", "3 min", "2 h": how long ago.
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}
