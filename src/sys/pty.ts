// A person's program on a pseudo-terminal this process holds (a terminal in a browser): the other end
// of the terminal is ours, so no real terminal is handed over and many can be open at once.
import { spawn as spawnPty, type IPty } from 'node-pty';
import { EnvironmentError, InternalError } from '../errors.js';

export interface PtySpec {
  argv: string[];
  env: Record<string, string>;
  cols: number;
  rows: number;
}

export interface Pty {
  readonly pid: number;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  onData(fn: (data: string) => void): void;
  onExit(fn: (exit: { code: number; signal: number | undefined }) => void): void;
  kill(): void;
}

// Sizes a terminal may take: a browser reports its own, and the kernel's are 16-bit.
const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.floor(n) || lo));

// Starts argv on a new pseudo-terminal (a new session, with the terminal as its controlling one).
export function openPty(spec: PtySpec): Pty {
  const [file, ...args] = spec.argv;
  if (!file) throw new InternalError('a terminal was asked for an empty command');
  let p: IPty;
  try {
    p = spawnPty(file, args, {
      name: spec.env.TERM ?? 'xterm-256color',
      cols: clamp(spec.cols, 10, 500),
      rows: clamp(spec.rows, 4, 200),
      cwd: '/',
      env: spec.env,
    });
  } catch (err) {
    throw new EnvironmentError(
      'TOOL_MISSING',
      `cannot open a terminal: ${(err as Error).message}`,
      'npm rebuild node-pty (it needs make, g++ and python3)',
    );
  }
  let exited = false;
  p.onExit(() => {
    exited = true;
  });
  return {
    pid: p.pid,
    write: (data) => {
      if (!exited) p.write(data);
    },
    resize: (cols, rows) => {
      if (!exited) p.resize(clamp(cols, 10, 500), clamp(rows, 4, 200));
    },
    onData: (fn) => {
      p.onData(fn);
    },
    onExit: (fn) => {
      p.onExit((e) => fn({ code: e.exitCode, signal: e.signal }));
    },
    kill: () => {
      if (!exited) p.kill('SIGKILL');
    },
  };
}
