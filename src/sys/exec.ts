// Every external command goes through here: one place that runs, times and records it,
// starts long-lived children, and hands a person's terminal to a program.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { CommandError, EnvironmentError } from '../errors.js';

export interface CommandSpec {
  argv: string[]; // what is executed
  display: string; // what the student would type
  node: string; // where it runs ('' for the runner's own namespace)
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>; // replaces the environment (a container's own)
}

export interface CommandRecord {
  display: string;
  node: string;
  argv: string[];
  exitCode: number | undefined; // undefined when killed by a signal or timeout
  output: string; // stdout and stderr interleaved
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface CommandObserver {
  start?(spec: CommandSpec): void;
  end?(record: CommandRecord): void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

// Runs one command to completion and returns what happened; never throws for a non-zero exit.
export async function runCommand(spec: CommandSpec, observer?: CommandObserver): Promise<CommandRecord> {
  observer?.start?.(spec);
  const started = performance.now();
  const [file, ...args] = spec.argv;
  if (!file) throw new Error('empty command');
  const r = await execa(file, args, {
    reject: false,
    all: true,
    stripFinalNewline: true,
    timeout: spec.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    ...(spec.env ? { env: spec.env, extendEnv: false } : {}),
    ...(spec.input === undefined ? { stdin: 'ignore' as const } : { input: spec.input }),
  });
  const record: CommandRecord = {
    display: spec.display,
    node: spec.node,
    argv: spec.argv,
    exitCode: r.exitCode,
    output: String(r.all ?? ''),
    stderr: String(r.stderr ?? ''),
    durationMs: performance.now() - started,
    timedOut: Boolean(r.timedOut),
  };
  observer?.end?.(record);
  return record;
}

// Like runCommand, but a failure becomes a rich CommandError.
export async function runChecked(spec: CommandSpec, observer?: CommandObserver): Promise<CommandRecord> {
  const r = await runCommand(spec, observer);
  if (r.exitCode !== 0) throw commandError(r);
  return r;
}

// Converts a failed record into the error the user sees.
export function commandError(r: CommandRecord): CommandError {
  return new CommandError({ command: r.display, node: r.node, exitCode: r.exitCode, stderr: r.timedOut ? `timed out; ${r.stderr}` : r.stderr || r.output, durationMs: r.durationMs });
}

export interface ProcessSpec {
  argv: string[];
  env?: Record<string, string>; // replaces the environment
  detached?: boolean; // its own process group (the keeper: Ctrl-C reaches the runner only)
}

// Starts a long-lived child with piped stdio (keeper, capture, service); the caller owns its life.
export function startProcess(spec: ProcessSpec): ChildProcess {
  const [file, ...args] = spec.argv;
  if (!file) throw new Error('empty command');
  return spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(spec.detached ? { detached: true } : {}), ...(spec.env ? { env: spec.env } : {}) });
}

// Gives the terminal to a program (a person's shell in a node) and returns its exit status.
export function runOnTerminal(spec: ProcessSpec): number {
  const [file, ...args] = spec.argv;
  if (!file) throw new Error('empty command');
  const r = spawnSync(file, args, { stdio: 'inherit', ...(spec.env ? { env: spec.env } : {}) });
  if (r.error) throw new EnvironmentError('TOOL_MISSING', `cannot run ${file}: ${r.error.message}`, 'apt-get install -y util-linux');
  return r.status ?? 128 + 1;
}

// Output of a short read-only command, synchronously (snapshots of the real machine).
export function readCommand(argv: string[]): { ok: boolean; stdout: string; error?: string } {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  const r = spawnSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  if (r.error || r.status !== 0) return { ok: false, stdout: r.stdout ?? '', error: r.error?.message ?? (r.stderr || `exit ${r.status}`).split('\n')[0] };
  return { ok: true, stdout: r.stdout };
}
