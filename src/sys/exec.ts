// Every external command goes through here: one place that runs, times and records it,
// starts long-lived children, and hands a person's terminal to a program. It uses node:child_process
// directly: execa (the tests' tool) would add its memory and load time to every run, and the bounds below
// (a process group killed whole, output kept as head and tail) need the raw child anyway.
import { mark } from './timeline.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CommandError, EnvironmentError } from '../errors.js';

export interface CommandSpec {
  argv: string[]; // what is executed
  display: string; // what the student would type
  node: string; // where it runs ('' for the runner's own namespace)
  input?: string | Promise<string>; // a promise: stdin is written when it settles (closed empty if it rejects)
  timeoutMs?: number;
  env?: Record<string, string>; // replaces the environment (a container's own)
  onOutput?: (text: string) => void; // sees stdout and stderr as they come (progress of long builds)
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
  limit?: string; // the sandbox limit it reached, in words (its output ends with them too)
}

export interface CommandObserver {
  start?(spec: CommandSpec): void;
  end?(record: CommandRecord): void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
const KEEP_BYTES = 64 * 1024; // of a command's output, the first and the last this many bytes are kept
export const PIPE_GRACE_MS = 50; // after the command exits, how long a background child may keep its pipes busy

// Bounded output: the head and the tail, and how much was cut between them.
export class Bounded {
  private head = '';
  private tail = '';
  private cut = 0;

  push(text: string): void {
    if (this.head.length < KEEP_BYTES) {
      const room = KEEP_BYTES - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    if (!text) return;
    this.tail += text;
    if (this.tail.length > KEEP_BYTES) {
      this.cut += this.tail.length - KEEP_BYTES;
      this.tail = this.tail.slice(-KEEP_BYTES);
    }
  }

  text(): string {
    const all = this.cut
      ? `${this.head}\n[... ${this.cut} bytes of output cut ...]\n${this.tail}`
      : this.head + this.tail;
    return all.replace(/\n$/, '');
  }
}

// stdout and stderr interleaved by whole lines: a stream's unfinished line waits for its end, so
// curl's "000" never lands inside its error message.
export class LineMerge {
  private readonly part = { out: '', err: '' };
  private readonly into: { push(text: string): void };

  constructor(into: { push(text: string): void }) {
    this.into = into;
  }

  // Text from one stream: its finished lines go on now.
  push(stream: 'out' | 'err', text: string): void {
    const all = this.part[stream] + text;
    const nl = all.lastIndexOf('\n');
    if (nl < 0) {
      this.part[stream] = all;
      return;
    }
    this.into.push(all.slice(0, nl + 1));
    this.part[stream] = all.slice(nl + 1);
  }

  // The unfinished lines at the end, each on its own line.
  flush(): void {
    const rest = [this.part.err, this.part.out].filter((x) => x);
    if (rest.length) this.into.push(rest.join('\n'));
    this.part.out = '';
    this.part.err = '';
  }
}

// Runs one command to completion and returns what happened; never throws for a non-zero exit.
// The command gets its own process group: at the bound the whole group is killed, grandchildren too,
// and a background child that keeps the output pipe open cannot hold the run up.
export async function runCommand(spec: CommandSpec, observer?: CommandObserver): Promise<CommandRecord> {
  observer?.start?.(spec);
  const started = performance.now();
  mark(`start ${labelOf(spec)}`);
  const [file, ...args] = spec.argv;
  if (!file) throw new Error('empty command');
  const child = spawn(file, args, {
    detached: true,
    stdio: [spec.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(spec.env ? { env: spec.env } : {}),
  });
  const closed = new Promise((r) => child.once('close', r)); // may come right with the exit: listen from the start
  const all = new Bounded();
  const err = new Bounded();
  const merge = new LineMerge(all);
  child.stdout?.on('data', (d: Buffer) => {
    merge.push('out', d.toString());
    spec.onOutput?.(d.toString());
  });
  child.stderr?.on('data', (d: Buffer) => {
    merge.push('err', d.toString());
    err.push(d.toString());
    spec.onOutput?.(d.toString());
  });
  if (spec.input !== undefined) {
    child.stdin?.on('error', () => undefined);
    Promise.resolve(spec.input).then(
      (text) => child.stdin?.end(text),
      () => child.stdin?.end(),
    );
  }
  let timedOut = false;
  const killGroup = (): void => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is gone
    }
  };
  const bound = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, bound);
  const exitCode = await new Promise<number | undefined>((resolve) => {
    child.once('error', (e) => {
      all.push(`${file}: ${e.message}`);
      err.push(`${file}: ${e.message}`);
      resolve(127);
    });
    child.once('exit', (code) => resolve(code ?? undefined));
  });
  clearTimeout(timer);
  let grace: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((r) => (grace = setTimeout(r, PIPE_GRACE_MS)))]);
  clearTimeout(grace);
  child.stdout?.destroy();
  child.stderr?.destroy();
  merge.flush();
  return finishRecord(spec, { exitCode, timedOut, all, err, started, bound }, observer);
}

// The record of a command that ended (however it ran), told to the observer and the timeline.
export function finishRecord(
  spec: CommandSpec,
  r: { exitCode: number | undefined; timedOut: boolean; all: Bounded; err: Bounded; started: number; bound: number },
  observer?: CommandObserver,
): CommandRecord {
  const record: CommandRecord = {
    display: spec.display,
    node: spec.node,
    argv: spec.argv,
    exitCode: r.timedOut ? undefined : r.exitCode,
    // Said first, where every reporter shows it: which command, where, and the bound it reached.
    output: r.timedOut
      ? `\`${spec.display}\` in ${spec.node || 'the sandbox'} did not end within its bound of ${r.bound / 1000} s: its whole process tree was killed\n${r.all.text()}`.trimEnd()
      : r.all.text(),
    stderr: r.err.text(),
    durationMs: performance.now() - r.started,
    timedOut: r.timedOut,
  };
  observer?.end?.(record);
  mark(`end   ${labelOf(spec)} (${record.durationMs.toFixed(1)} ms, exit ${record.exitCode})`);
  return record;
}

// The first line of what the command shows, for the timeline.
export function labelOf(spec: CommandSpec): string {
  return (spec.display || spec.argv.join(' ')).split('\n')[0] ?? '';
}

// Like runCommand, but a failure becomes a rich CommandError.
export async function runChecked(spec: CommandSpec, observer?: CommandObserver): Promise<CommandRecord> {
  const r = await runCommand(spec, observer);
  if (r.exitCode !== 0) throw commandError(r);
  return r;
}

// Converts a failed record into the error the user sees.
export function commandError(r: CommandRecord): CommandError {
  return new CommandError({
    command: r.display,
    node: r.node,
    exitCode: r.exitCode,
    stderr: r.timedOut ? `timed out; ${r.stderr}` : r.stderr || r.output,
    durationMs: r.durationMs,
  });
}

export interface ProcessSpec {
  argv: string[];
  env?: Record<string, string>; // replaces the environment
  detached?: boolean; // its own process group (the keeper: Ctrl-C reaches the runner only)
}

// Starts a long-lived child with piped stdio (keeper, capture, service); the caller owns its life.
export function startProcess(spec: ProcessSpec): ChildProcess {
  mark(`spawn ${spec.argv.join(' ').split('\n')[0]?.slice(0, 100)}`);
  const [file, ...args] = spec.argv;
  if (!file) throw new Error('empty command');
  return spawn(file, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(spec.detached ? { detached: true } : {}),
    ...(spec.env ? { env: spec.env } : {}),
  });
}

// Gives the terminal to a program (a person's shell in a node) and returns its exit status.
export function runOnTerminal(spec: ProcessSpec): number {
  const [file, ...args] = spec.argv;
  if (!file) throw new Error('empty command');
  const r = spawnSync(file, args, { stdio: 'inherit', ...(spec.env ? { env: spec.env } : {}) });
  if (r.error)
    throw new EnvironmentError(
      'TOOL_MISSING',
      `cannot run ${file}: ${r.error.message}`,
      'apt-get install -y util-linux',
    );
  return r.status ?? 128 + 1;
}

// Output of a short read-only command, synchronously (snapshots of the real machine).
export function readCommand(argv: string[]): { ok: boolean; stdout: string; error?: string } {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  const r = spawnSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  if (r.error || r.status !== 0)
    return {
      ok: false,
      stdout: r.stdout ?? '',
      error: r.error?.message ?? (r.stderr || `exit ${r.status}`).split('\n')[0] ?? '',
    };
  return { ok: true, stdout: r.stdout };
}
