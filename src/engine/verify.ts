// `lab verify`: proves a lab's checks are load-bearing. It runs the lab as written, then once per step
// with that step's commands left out (its arrange part and every earlier step still run), and reports
// whether that step's check then fails, and what it names as missing; then (verify-each.ts) once per
// state-changing command, when asked or when that takes under a minute; then each declared mistake in
// place of its step's commands (verify-mistakes.ts).
import type { CheckResult } from '../check/types.js';
import { toLabError } from '../errors.js';
import { LabEvents } from './events.js';
import type { LoadedLab } from './loader.js';
import { checkEnvironment } from './preflight.js';
import { LabSession } from './session.js';
import {
  commandCases,
  EACH_COMMAND_BUDGET_MS,
  eachCommandEstimateMs,
  eachCommandLines,
  leaveOutEach,
  type CommandVerdict,
} from './verify-each.js';
import { mistakeLines, verifyMistakes, type MistakeVerdict } from './verify-mistakes.js';
import { missingOf, trialCheck } from './verify-trial.js';

export interface StepVerdict {
  id: string;
  commands: number; // state-changing or not, as declared in `run`
  checked: boolean; // the step has a check
  passesAsWritten: boolean;
  failsWhenSkipped?: boolean; // undefined: not tried (no commands or no check)
  missing: string[]; // what the check said was missing when skipped
  loadBearing: boolean; // has commands and a check, passes as written, fails without its commands
}

export interface VerifyResult {
  lab: string;
  pass: boolean; // the lab passes as written, every step with commands and a check is load-bearing, and (when tried) every state-changing command is needed
  passesAsWritten: boolean;
  steps: StepVerdict[];
  commands?: CommandVerdict[]; // each state-changing command left out in turn (--each-command, or a small lab)
  eachCommand: 'ran' | 'not asked' | 'too slow'; // why the commands were (not) left out one by one
  eachCommandEstimateMs?: number;
  mistakes: MistakeVerdict[]; // each declared mistake, run in place of its step's commands
  error?: string;
  errorExit?: number; // the exit code the error calls for (3 environment, 70 internal)
  durationMs: number;
}

const PARALLEL = 3;

// One step's trial: as written, or with its commands left out.
function trial(loaded: LoadedLab, index: number, skip: boolean): Promise<CheckResult | undefined> {
  return trialCheck(loaded, index, async (session, id) => (skip ? undefined : session.runCommands(id)));
}

export interface VerifyOptions {
  eachCommand?: boolean; // true: leave out each command; false: never; undefined: when it should take under a minute
}

// The whole lab as written, in one session: each step's verdict.
async function asWritten(loaded: LoadedLab): Promise<boolean[]> {
  const session = await LabSession.open(loaded, { events: new LabEvents() });
  const out: boolean[] = [];
  try {
    for (const s of loaded.def.steps) {
      const arranged = await session.arrange(s.id);
      const before = await session.check(s.id, 'before');
      const cmds = [...arranged, ...(await session.runCommands(s.id))];
      const after = await session.check(s.id);
      out.push(cmds.every((c) => c.ok) && (before?.pass ?? true) && (after?.pass ?? true));
    }
  } finally {
    await session.close();
  }
  return out;
}

// Runs the lab, then each step with commands skipped (a few sandboxes at a time); never throws.
export async function verifyLab(loaded: LoadedLab, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const t0 = performance.now();
  const { def } = loaded;
  const steps: StepVerdict[] = def.steps.map((s) => ({
    id: s.id,
    commands: s.run.length,
    checked: Boolean(s.check),
    passesAsWritten: false,
    missing: [],
    loadBearing: false,
  }));
  const result: VerifyResult = {
    lab: def.id,
    pass: false,
    passesAsWritten: false,
    steps,
    eachCommand: 'not asked',
    mistakes: [],
    durationMs: 0,
  };
  try {
    checkEnvironment(def);
    const w0 = performance.now();
    const written = await asWritten(loaded);
    const writtenMs = performance.now() - w0;
    written.forEach((ok, i) => steps[i] && (steps[i].passesAsWritten = ok));
    result.passesAsWritten = written.length === def.steps.length && written.every(Boolean);
    const queue = steps.map((v, i) => ({ v, i })).filter(({ v }) => v.commands > 0 && v.checked);
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const check = await trial(loaded, job.i, true);
          job.v.failsWhenSkipped = check ? !check.pass : undefined;
          job.v.missing = missingOf(check);
          job.v.loadBearing = job.v.passesAsWritten && job.v.failsWhenSkipped === true;
        }
      }),
    );
    const cases = commandCases(def);
    result.eachCommandEstimateMs = eachCommandEstimateMs(writtenMs, cases.length, PARALLEL);
    const wanted = opts.eachCommand ?? result.eachCommandEstimateMs < EACH_COMMAND_BUDGET_MS;
    if (wanted && cases.length) {
      result.commands = await leaveOutEach(loaded, cases, PARALLEL);
      result.eachCommand = 'ran';
    } else if (opts.eachCommand === undefined && cases.length) result.eachCommand = 'too slow';
    result.mistakes = await verifyMistakes(loaded);
  } catch (err) {
    const e = toLabError(err);
    result.error = e.message;
    result.errorExit = e.exitCode;
  }
  result.pass =
    !result.error &&
    result.passesAsWritten &&
    steps.every((s) => s.commands === 0 || !s.checked || s.loadBearing) &&
    (result.commands ?? []).every((c) => c.stepFails) &&
    result.mistakes.every((m) => m.ok);
  result.durationMs = performance.now() - t0;
  return result;
}

// The report a person reads: one line per step, then the verdict.
export function verifyLines(r: VerifyResult): string[] {
  const lines = [`${r.lab}: ${r.passesAsWritten ? 'passes as written' : 'does NOT pass as written'}`];
  const w = Math.max(...r.steps.map((s) => s.id.length));
  for (const s of r.steps) {
    let what: string;
    if (!s.checked) what = 'no check: nothing to prove';
    else if (s.commands === 0) what = 'no commands: a check of the state so far';
    else if (s.loadBearing) what = `load-bearing: without its commands the check fails (${s.missing[0] ?? '?'})`;
    else if (!s.passesAsWritten) what = 'fails as written';
    else what = 'NOT load-bearing: its check still passes without its commands';
    lines.push(`  ${s.id.padEnd(w)}  ${what}`);
  }
  lines.push(...mistakeLines(r.mistakes));
  if (r.error) lines.push(`  error: ${r.error}`);
  if (r.commands) lines.push(...eachCommandLines(r.commands));
  else if (r.eachCommand === 'too slow')
    lines.push(
      `each command: not tried (about ${Math.round((r.eachCommandEstimateMs ?? 0) / 1000)} s; --each-command tries it anyway)`,
    );
  const tried = r.steps.filter((s) => s.commands > 0 && s.checked);
  lines.push(
    `verify: ${r.pass ? 'PASSED' : 'FAILED'}: ${tried.filter((s) => s.loadBearing).length} of ${tried.length} steps with commands are load-bearing, ${r.mistakes.filter((m) => m.ok).length} of ${r.mistakes.length} mistakes caught with their hint (${(r.durationMs / 1000).toFixed(1)} s)`,
  );
  return lines;
}
