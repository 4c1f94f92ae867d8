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
}

// A socket to `path` that re-opens after a loss (1 s, growing to 10 s) and re-authenticates; `onOpen`
// runs after each authentication is sent (the page asks again for what it shows).
export function connect(
  path: string,
  token: string,
  on: { message: (m: Msg) => void; open: () => void; state: (up: boolean) => void; refused: (why: string) => void },
): Link {
  let ws: WebSocket | undefined;
  let wait = 1000;
  let closed = false;
  const open = (): void => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
    const s = new WebSocket(url);
    ws = s;
    s.onopen = () => {
      wait = 1000;
      s.send(JSON.stringify({ t: 'auth', token }));
      on.state(true);
      on.open();
    };
    s.onmessage = (ev) => {
      try {
        on.message(JSON.parse(String(ev.data)) as Msg);
      } catch (err) {
        console.error(err);
      }
    };
    s.onclose = (ev) => {
      on.state(false);
      if (ev.code === 4401 || ev.code === 4403) {
        closed = true;
        on.refused(ev.reason || 'refused');
        return;
      }
      if (!closed) setTimeout(open, wait);
      wait = Math.min(wait * 2, 10_000);
    };
  };
  open();
  return {
    send: (msg) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
    },
    close: () => {
      closed = true;
      ws?.close();
    },
  };
}

// "12 s", "3 min", "2 h": how long ago.
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}
