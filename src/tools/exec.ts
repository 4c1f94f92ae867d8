// The one place the node tools run programs (ip, iptables, ip6tables), synchronously and bounded.
import { spawnSync } from 'node:child_process';
import { TOOL_EXIT, ToolError } from './tool-error.js';

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

const TIMEOUT_MS = 15_000;

// Runs a program to completion; a missing program or a timeout is an environment error.
export function run(file: string, args: string[], input?: string): RunResult {
  const r = spawnSync(file, args, {
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    killSignal: 'SIGKILL',
    input: input ?? '',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new ToolError(
        TOOL_EXIT.environment,
        `${file} not found on PATH; install it (Debian: iproute2 / iptables) in this node`,
      );
    if (code === 'ETIMEDOUT')
      throw new ToolError(
        TOOL_EXIT.environment,
        `${file} ${args.join(' ')} did not finish within ${TIMEOUT_MS / 1000} s`,
      );
    throw new ToolError(TOOL_EXIT.environment, `${file} could not be run: ${r.error.message}`);
  }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// Runs a program and returns its stdout; a non-zero exit is the kernel refusing (exit 1), with its message.
export function runOk(file: string, args: string[], input?: string): string {
  const r = run(file, args, input);
  if (r.status !== 0) {
    const msg = (r.stderr || r.stdout).trim() || `exit status ${r.status}`;
    throw new ToolError(TOOL_EXIT.refused, `${[file, ...args].join(' ')} was refused: ${msg}`);
  }
  return r.stdout;
}
