// The whole result of a run, and the one place its exit code is decided.
import type { CheckResult } from '../check/types.js';
import { EXIT, type ExitCode, type LabRunnerError } from '../errors.js';
import type { CommandRecord } from '../sys/exec.js';
import type { TraceResult } from './trace-types.js';

export type StepStatus = 'passed' | 'failed' | 'skipped-commands' | 'not-checked' | 'not-run';

export interface StepResult {
  id: string;
  title: string;
  status: StepStatus;
  skipped: boolean; // its commands were left out (--skip)
  leftOut?: { node: string; cmd: string }[]; // ... and which they were
  commands: (CommandRecord & { expectFail: boolean; ok: boolean })[];
  arrange?: (CommandRecord & { expectFail: boolean; ok: boolean })[]; // the step's setup, run even when it was skipped
  before?: CheckResult; // state before the commands (steps that show both)
  check?: CheckResult;
  trace?: TraceResult; // the packet's path of its first probe (--trace)
  durationMs: number;
}

export interface LabResult {
  lab: string;
  file: string;
  runId?: string;
  status: 'passed' | 'failed' | 'error' | 'interrupted';
  steps: StepResult[];
  error?: { code: string; message: string; hint: string; exitCode: ExitCode };
  durationMs: number;
  kept?: { runId: string; shell: string };
  stoppedEarly?: { after: number; of: number }; // the person quit after this many steps
  resumedAt?: number; // a walkthrough resumed here: the steps before it were done in an earlier run, and replayed
  teardown?: { ok: boolean; leftovers: string[] }; // present when the sandbox could not be removed whole
  rootfs?: { hash: string; built: boolean }; // built: false when the cache was reused
}

// Exit code of a finished run: errors carry their own, failures are 1, else 0.
export function exitCodeOf(r: LabResult): ExitCode {
  if (r.status === 'interrupted') return r.error?.exitCode ?? EXIT.interrupted;
  if (r.stoppedEarly) return EXIT.interrupted;
  if (r.error) return r.error.exitCode;
  if (r.teardown && !r.teardown.ok) return EXIT.internal;
  if (r.status === 'failed') return EXIT.checkFailed;
  return r.steps.some((s) => s.status === 'failed') ? EXIT.checkFailed : EXIT.pass;
}

// Serialisable summary of an error for the result.
export function errorSummary(e: LabRunnerError): NonNullable<LabResult['error']> {
  return { code: e.code, message: e.message, hint: e.hint, exitCode: e.exitCode };
}
