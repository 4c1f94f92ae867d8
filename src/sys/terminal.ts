// A person's program on this terminal, spawned without blocking the event loop, so the lab's
// captures and signal handlers keep running while the person types.
import { spawn } from 'node:child_process';
import { EnvironmentError } from '../errors.js';

export interface TerminalExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// Hands the terminal to argv (stdin paused and cooked meanwhile) and resolves when it exits.
export function spawnOnTerminal(spec: { argv: string[]; env?: Record<string, string> }): Promise<TerminalExit> {
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
    const child = spawn('bash', wrapper, { stdio: 'inherit', ...(spec.env ? { env: spec.env } : {}) });
    child.once('error', (err) => reject(new EnvironmentError('TOOL_MISSING', `cannot run bash: ${err.message}`, 'apt-get install -y bash util-linux')));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}
