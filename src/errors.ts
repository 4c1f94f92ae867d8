// One error hierarchy: every failure the user can meet has a code, an exit code and a hint.

export const EXIT = {
  pass: 0,
  checkFailed: 1,
  usage: 2,
  environment: 3,
  internal: 70,
  hangup: 129, // SIGHUP, after teardown
  interrupted: 130, // SIGINT (Ctrl-C), or the person quit before the last step
  terminated: 143, // SIGTERM, after teardown
} as const;

const SIGNAL_EXIT: Record<string, ExitCode> = {
  SIGHUP: EXIT.hangup,
  SIGINT: EXIT.interrupted,
  SIGTERM: EXIT.terminated,
};

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class LabRunnerError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string;

  constructor(code: string, message: string, exitCode: ExitCode, hint = '', options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

// Bad arguments on the command line.
export class UsageError extends LabRunnerError {
  constructor(code: string, message: string, hint = 'run `lab --help`') {
    super(code, message, EXIT.usage, hint);
  }
}

// A lab module that cannot be run as written; names the file and the field.
export class LabDefinitionError extends LabRunnerError {
  readonly file: string;
  readonly problems: string[];
  constructor(file: string, problems: string[], hint = 'fix the lab module and run again') {
    super(
      'LAB_INVALID',
      `${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems\n  ${problems.join('\n  ')}`}`,
      EXIT.usage,
      hint,
    );
    this.file = file;
    this.problems = problems;
  }
}

// The machine lacks a tool, a privilege or a kernel feature.
export class EnvironmentError extends LabRunnerError {
  constructor(code: string, message: string, hint: string) {
    super(code, message, EXIT.environment, hint);
  }
}

// A bug in the runner itself.
export class InternalError extends LabRunnerError {
  constructor(message: string, options?: ErrorOptions) {
    super(
      'INTERNAL',
      message,
      EXIT.internal,
      'this is a bug in lab; please report it with the output of the run',
      options,
    );
  }
}

// The user interrupted the run; raised after teardown.
export class InterruptedError extends LabRunnerError {
  constructor(signal: string) {
    super(
      'INTERRUPTED',
      `interrupted by ${signal}; the sandbox was torn down`,
      SIGNAL_EXIT[signal] ?? EXIT.interrupted,
      '',
    );
  }
}

// The sandbox's keeper died in the middle of a step: that step failed (exit 1), not the runner.
export class SandboxDiedError extends LabRunnerError {
  constructor(stepId: string) {
    super(
      'SANDBOX_DIED',
      `the sandbox died during step ${stepId}: its keeper was killed, and every namespace with it`,
      EXIT.checkFailed,
      'a command of that step (or something outside) killed the sandbox; the steps after it did not run',
    );
  }
}

// A command a step ran failed when it was expected to succeed.
export class CommandError extends LabRunnerError {
  readonly command: string;
  readonly node: string;
  readonly commandExitCode: number | undefined;
  readonly stderr: string;
  readonly durationMs: number;
  constructor(
    r: { command: string; node: string; exitCode: number | undefined; stderr: string; durationMs: number },
    exitCode: ExitCode = EXIT.internal,
  ) {
    const where = r.node ? `[${r.node}] ` : '';
    super(
      'COMMAND_FAILED',
      `${where}${r.command} exited ${r.exitCode ?? 'by signal'} after ${Math.round(r.durationMs)} ms${r.stderr ? `: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
      exitCode,
      'read the command output above; `lab run LAB --keep` leaves the sandbox up to look inside',
    );
    this.command = r.command;
    this.node = r.node;
    this.commandExitCode = r.exitCode;
    this.stderr = r.stderr;
    this.durationMs = r.durationMs;
  }
}

// Turns anything thrown into a LabRunnerError so the exit code is decided in one place.
export function toLabError(err: unknown): LabRunnerError {
  if (err instanceof LabRunnerError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  return new InternalError(e.message, { cause: e });
}
