// What a front end needs to hand the terminal to a session's shell (see LabSession.shell), or to give
// that shell a pseudo-terminal of its own (a browser's terminal).
import type { ShellSpec } from '../sandbox/enter.js';
import { openPty, type Pty } from '../sys/pty.js';

export { redrawForeground, spawnOnTerminal, type TerminalExit } from '../sys/terminal.js';
export type { Pty } from '../sys/pty.js';

// A session's shell (its exact argv and environment, as `lab shell` enters the node) on a new
// pseudo-terminal; `env` adds to its environment (a front end's prompt markers).
export function openTerminal(
  spec: ShellSpec,
  size: { cols: number; rows: number },
  env: Record<string, string> = {},
): Pty {
  return openPty({ argv: spec.argv, env: { ...spec.env, TERM: 'xterm-256color', ...env }, ...size });
}
