// The browser terminals of one person's sandbox: a shell per node, kept open while the page comes and
// goes (a reload re-attaches and replays the recent output), watched read-only by the teacher, bounded.
import { openTerminal, type Pty } from '../../../engine/terminal.js';
import type { LiveLab } from '../context.js';

export const MAX_TERMINALS = 8; // per person; a lab has fewer nodes
export const REPLAY_CHARS = 64 * 1024; // the recent output kept for a page that re-attaches

// The student's bash tells a command start (PS0) and each prompt (PROMPT_COMMAND) in an escape sequence
// the terminal itself ignores (an OSC); the server takes them out of the stream. Anyone may print one:
// at worst it starts a check, which is harmless.
const MARK = '\x1b]6973;';
export const MARKER_ENV = {
  PS0: '\\e]6973;c\\a',
  PROMPT_COMMAND: 'printf "\\033]6973;p\\007"',
};

export type Viewer = (data: string) => void;

// Takes the markers out of `carry + data`; a marker cut at the end of a chunk waits for the next one.
export function takeMarks(carry: string, data: string): { out: string; marks: string; carry: string } {
  let s = carry + data;
  let marks = '';
  s = s.replace(/\x1b\]6973;([cp])\x07/g, (_m, ch: string) => {
    marks += ch;
    return '';
  });
  const i = s.lastIndexOf('\x1b');
  if (i >= 0 && s.length - i < MARK.length + 2) {
    const tail = s.slice(i);
    const whole = `${MARK}c\x07`;
    if (whole.startsWith(tail) || `${MARK}p\x07`.startsWith(tail)) return { out: s.slice(0, i), marks, carry: tail };
  }
  return { out: s, marks, carry: '' };
}

export class Terminal {
  private chunks: string[] = [];
  private size = 0;
  private carry = '';
  private readonly viewers = new Set<Viewer>();
  private readonly exitWatchers = new Set<() => void>();
  exited = false;

  constructor(
    readonly node: string,
    private readonly pty: Pty,
    onMarks: (marks: string) => void,
    onExit: () => void,
  ) {
    pty.onData((data) => {
      const r = takeMarks(this.carry, data);
      this.carry = r.carry;
      if (r.marks) onMarks(r.marks);
      if (r.out) this.push(r.out);
    });
    pty.onExit(() => {
      this.exited = true;
      this.push('\r\n[the shell ended: press a key for a new one]\r\n');
      for (const w of this.exitWatchers) w();
      onExit();
    });
  }

  // Output goes to every viewer and into the bounded replay buffer.
  private push(out: string): void {
    this.chunks.push(out);
    this.size += out.length;
    while (this.size > REPLAY_CHARS && this.chunks.length > 1) this.size -= this.chunks.shift()?.length ?? 0;
    for (const v of this.viewers) v(out);
  }

  // A viewer gets the recent output first, then what comes, and `onExit` when the shell ends; returns
  // how to stop watching.
  watch(v: Viewer, onExit?: () => void): () => void {
    const recent = this.chunks.join('');
    if (recent) v(recent);
    this.viewers.add(v);
    if (onExit) this.exitWatchers.add(onExit);
    return () => {
      this.viewers.delete(v);
      if (onExit) this.exitWatchers.delete(onExit);
    };
  }

  write(data: string): void {
    this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    this.pty.resize(cols, rows);
  }

  kill(): void {
    this.viewers.clear();
    this.pty.kill();
  }
}

// The terminals of one live lab; a new one (the lab restarted, reset) gets a new set.
export class Terminals {
  private readonly open = new Map<string, Terminal>();

  constructor(
    readonly live: LiveLab,
    private readonly onMarks: (node: string, marks: string) => void,
  ) {}

  // True when `other` is the same sandbox (the server hands out a new handle on each call).
  sameAs(other: LiveLab): boolean {
    return other.lab === this.live.lab && other.steps === this.live.steps;
  }

  // The node's terminal, opened on first use.
  get(node: string, size: { cols: number; rows: number }): Terminal {
    const had = this.open.get(node);
    if (had && !had.exited) return had;
    if (!this.live.nodes.includes(node)) throw new Error(`no node "${node}" in this lab`);
    if ([...this.open.values()].filter((t) => !t.exited).length >= MAX_TERMINALS)
      throw new Error(`at most ${MAX_TERMINALS} terminals are open at once`);
    const pty = openTerminal(this.live.shell(node), size, MARKER_ENV);
    const t = new Terminal(
      node,
      pty,
      (m) => this.onMarks(node, m),
      () => undefined,
    );
    this.open.set(node, t);
    return t;
  }

  // An open terminal, without opening one (the teacher only watches).
  find(node: string): Terminal | undefined {
    return this.open.get(node);
  }

  nodes(): string[] {
    return [...this.open.keys()];
  }

  closeAll(): void {
    for (const t of this.open.values()) t.kill();
    this.open.clear();
  }
}
