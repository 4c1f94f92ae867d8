// A private tmux server (its own socket) running one program at a fixed size: keys in, screen out.
// The one place tests drive a real terminal: the demo's tests use it directly, the walkthrough's
// through Pane (tmux-pane.ts).
import { execa } from 'execa';

export class Tmux {
  readonly socket = `lab-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  // Starts `cmd` (a shell line) in a cols x rows window with these environment variables.
  async start(
    cmd: string,
    cols: number,
    rows: number,
    env: Record<string, string>,
    historyLines = 2_000,
  ): Promise<void> {
    const e = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // The history limit is a new pane's: set before the session's pane is made.
    await execa('tmux', [
      '-L',
      this.socket,
      '-f',
      '/dev/null',
      'start-server',
      ';',
      'set-option',
      '-g',
      'history-limit',
      String(historyLines),
      ';',
      'new-session',
      '-d',
      '-s',
      't',
      '-x',
      String(cols),
      '-y',
      String(rows),
      ...e,
      cmd,
    ]);
  }

  // The screen as text (escapes: with colours as SGR sequences).
  async screen(escapes = false): Promise<string> {
    const r = await execa('tmux', ['-L', this.socket, 'capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 't'], {
      reject: false,
    });
    return String(r.stdout);
  }

  // Everything printed so far (scrollback and screen); joined: lines the terminal wrapped are one again.
  async history(joined = false, escapes = false): Promise<string> {
    const r = await execa(
      'tmux',
      [
        '-L',
        this.socket,
        'capture-pane',
        '-p',
        ...(joined ? ['-J'] : []),
        ...(escapes ? ['-e'] : []),
        '-S',
        '-',
        '-t',
        't',
      ],
      { reject: false },
    );
    return String(r.stdout);
  }

  // Resizes the window, as a person dragging the terminal's corner.
  async resize(cols: number, rows: number): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'resize-window', '-t', 't', '-x', String(cols), '-y', String(rows)]);
  }

  // Types keys (tmux key names: n, space, q, C-c, Enter).
  async keys(...keys: string[]): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'send-keys', '-t', 't', ...keys]);
  }

  // Types text as it is (no key names).
  async text(s: string): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'send-keys', '-t', 't', '-l', s]);
  }

  // Polls the screen (or the joined history) until `cond` holds or the bound passes; the last text either way.
  async waitFor(
    cond: (text: string) => boolean,
    timeoutMs: number,
    where: 'screen' | 'history' = 'screen',
  ): Promise<{ ok: boolean; screen: string }> {
    const end = Date.now() + timeoutMs;
    const read = (): Promise<string> => (where === 'screen' ? this.screen() : this.history(true));
    let text = '';
    while (Date.now() < end) {
      text = await read();
      if (cond(text)) return { ok: true, screen: text };
      await new Promise((r) => setTimeout(r, 50));
    }
    text = await read();
    return { ok: cond(text), screen: text };
  }

  // Ends this server only.
  async kill(): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'kill-server'], { reject: false });
  }
}

export interface Box {
  top: number;
  left: number;
  bottom: number;
  right: number;
  label: string;
}

// Every intact box drawn with ┌┐└┘─│ (├┤ allowed on the sides where lines attach, a label allowed in the top border),
// and the places where a box started but its border was broken (text drawn over it).
export function findBoxes(screen: string): { boxes: Box[]; broken: string[] } {
  const g = screen.split('\n').map((l) => [...l]);
  const at = (y: number, x: number): string => g[y]?.[x] ?? ' ';
  const boxes: Box[] = [];
  const broken: string[] = [];
  for (let y = 0; y < g.length; y++) {
    for (let x = 0; x < (g[y]?.length ?? 0); x++) {
      if (at(y, x) !== '┌') continue;
      let r = x + 1;
      while (r < (g[y]?.length ?? 0) && at(y, r) !== '┐' && at(y, r) !== '┌') r++;
      let b = y + 1;
      while (b < g.length && '│├┤'.includes(at(b, x))) b++;
      if (at(y, r) !== '┐' || at(b, x) !== '└') {
        broken.push(`box at row ${y} col ${x}: no corner`);
        continue;
      }
      const sides = Array.from({ length: b - y - 1 }, (_, i) => at(y + 1 + i, r)).every((c) => '│├┤'.includes(c));
      const bottom = Array.from({ length: r - x - 1 }, (_, i) => at(b, x + 1 + i)).every((c) => '─┴┬'.includes(c));
      if (!sides || !bottom || at(b, r) !== '┘') broken.push(`box at row ${y} col ${x}: border overwritten`);
      else
        boxes.push({
          top: y,
          left: x,
          bottom: b,
          right: r,
          label:
            g[y]
              ?.slice(x + 1, r)
              .join('')
              .replace(/─/g, ' ')
              .trim() ?? '',
        });
    }
  }
  return { boxes, broken };
}

// The text inside a box, row by row.
export function boxText(screen: string, b: Box): string[] {
  const rows = screen.split('\n');
  return rows.slice(b.top + 1, b.bottom).map((l) => [...l].slice(b.left + 1, b.right).join(''));
}

// The runs of visible text a `capture-pane -e` screen draws in black (SGR 30, or 256-colour 0 or 16) with no
// background of their own: on a dark terminal they cannot be seen. Each as "row N: text".
export function blackText(escaped: string): string[] {
  const found: string[] = [];
  escaped.split('\n').forEach((row, y) => {
    let fg = 'default';
    let bg = 'default';
    let run = '';
    const flush = (): void => {
      if (run.trim()) found.push(`row ${y}: ${run.trim()}`);
      run = '';
    };
    for (const part of row.split(/(\x1b\[[0-9;:]*m)/)) {
      const sgr = /^\x1b\[([0-9;:]*)m$/.exec(part);
      if (!sgr) {
        if (fg === 'black' && bg === 'default')
          run += part.replace(/\x1b\[[^a-zA-Z]*[a-zA-Z]|\x1b[()][0-9A-Za-z]/g, '');
        continue;
      }
      flush();
      const codes = (sgr[1] || '0').split(/[;:]/).map(Number);
      for (let i = 0; i < codes.length; i++) {
        const c = codes[i] ?? 0;
        if (c === 0) [fg, bg] = ['default', 'default'];
        else if (c === 39) fg = 'default';
        else if (c === 49) bg = 'default';
        else if (c >= 30 && c <= 37) fg = c === 30 ? 'black' : 'colour';
        else if (c >= 90 && c <= 97) fg = 'colour';
        else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) bg = 'colour';
        else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
          const n = codes[i + 2] ?? 0;
          if (c === 38) fg = n === 0 || n === 16 ? 'black' : 'colour';
          else bg = 'colour';
          i += 2;
        } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
          const black = (codes[i + 2] ?? 0) + (codes[i + 3] ?? 0) + (codes[i + 4] ?? 0) < 60;
          if (c === 38) fg = black ? 'black' : 'colour';
          else bg = 'colour';
          i += 4;
        }
      }
    }
    flush();
  });
  return found;
}

// Whether a `capture-pane -e` screen sets any colour at all (NO_COLOR allows bold, underline, inverse only).
export function coloured(escaped: string): string[] {
  return [...escaped.matchAll(/\x1b\[([0-9;:]*)m/g)]
    .map((m) => m[1] ?? '')
    .filter((p) => p.split(/[;:]/).some((c) => /^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$/.test(c)));
}
