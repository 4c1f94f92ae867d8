// A private tmux server (its own socket) running one program at a fixed size: keys in, screen out.
import { execa } from 'execa';

export class Tmux {
  readonly socket = `lab-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  // Starts `cmd` (a shell line) in a cols x rows window with these environment variables.
  async start(cmd: string, cols: number, rows: number, env: Record<string, string>): Promise<void> {
    const e = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await execa('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-s', 't', '-x', String(cols), '-y', String(rows), ...e, cmd]);
  }

  // The screen as text (escapes: with colours as SGR sequences).
  async screen(escapes = false): Promise<string> {
    const r = await execa('tmux', ['-L', this.socket, 'capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 't'], { reject: false });
    return String(r.stdout);
  }

  // Resizes the window, as a person dragging the terminal's corner.
  async resize(cols: number, rows: number): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'resize-window', '-t', 't', '-x', String(cols), '-y', String(rows)]);
  }

  // Types keys (tmux key names: n, space, q, C-c).
  async keys(...keys: string[]): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'send-keys', '-t', 't', ...keys]);
  }

  // Polls the screen every 100 ms until `cond` holds or the bound passes; the last screen either way.
  async waitFor(cond: (screen: string) => boolean, timeoutMs: number): Promise<{ ok: boolean; screen: string }> {
    const end = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < end) {
      screen = await this.screen();
      if (cond(screen)) return { ok: true, screen };
      await new Promise((r) => setTimeout(r, 100));
    }
    screen = await this.screen();
    return { ok: cond(screen), screen };
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
      else boxes.push({ top: y, left: x, bottom: b, right: r, label: g[y]?.slice(x + 1, r).join('').replace(/─/g, ' ').trim() ?? '' });
    }
  }
  return { boxes, broken };
}

// The text inside a box, row by row.
export function boxText(screen: string, b: Box): string[] {
  const rows = screen.split('\n');
  return rows.slice(b.top + 1, b.bottom).map((l) => [...l].slice(b.left + 1, b.right).join(''));
}
