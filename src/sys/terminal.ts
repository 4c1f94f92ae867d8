// A person's program on this terminal, spawned without blocking the event loop, so the lab's
// captures and signal handlers keep running while the person types.
import { spawn, spawnSync } from 'node:child_process';
import { EnvironmentError } from '../errors.js';

export interface TerminalExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// Hands the terminal to argv (stdin paused and cooked meanwhile) and resolves when it exits. With
// `onSignal`, the program also gets a socket as fd 3: what it writes there is handed over as it comes
// (the student's shell tells its prompts through it; its content is untrusted and only counted).
export function spawnOnTerminal(spec: {
  argv: string[];
  env?: Record<string, string>;
  onSignal?: (data: string) => void;
}): Promise<TerminalExit> {
  const [file, ...args] = spec.argv;
  if (!file) return Promise.reject(new Error('empty command'));
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.pause();
  return new Promise((resolve, reject) => {
    // A shell entering a PID namespace cannot see this process group, so it cannot hand the terminal
    // back when it exits; an outer bash with job control runs it as a job and takes the terminal back.
    // (That bash drops PS1 from its environment, so it is passed on as an argument.)
    const ps1 = spec.env?.PS1 ?? '';
    const wrapper = ['-c', 'set -m; p=$1; shift; env PS1="$p" "$@"; exit $?', 'lab-shell', ps1, file, ...args];
    const child = spawn('bash', wrapper, {
      stdio: spec.onSignal ? ['inherit', 'inherit', 'inherit', 'pipe'] : 'inherit',
      ...(spec.env ? { env: spec.env } : {}),
    });
    const fd3 = child.stdio[3];
    if (spec.onSignal && fd3 && 'on' in fd3) {
      fd3.on('data', (d: Buffer) => spec.onSignal?.(d.toString('latin1').slice(0, 64)));
      fd3.on('error', () => undefined);
    }
    child.once('error', (err) =>
      reject(
        new EnvironmentError('TOOL_MISSING', `cannot run bash: ${err.message}`, 'apt-get install -y bash util-linux'),
      ),
    );
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

// Has the program at this terminal (a shell at its prompt) redraw its line under text just printed:
// readline repaints on a change of the terminal's size, so the size is changed by one row and set back.
export function redrawForeground(): void {
  const rows = process.stdout.rows;
  if (!process.stdin.isTTY || !rows || rows < 2) return;
  for (const r of [rows - 1, rows])
    spawnSync('stty', ['rows', String(r)], { stdio: ['inherit', 'ignore', 'ignore'], timeout: 1000 });
}
