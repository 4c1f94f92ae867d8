// Every external command goes through here: one place that runs, times and records it.
import { execa } from 'execa';
import { CommandError } from '../errors.js';

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
