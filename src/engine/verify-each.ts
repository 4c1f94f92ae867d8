// `lab verify --each-command`: leaves out each single state-changing command in turn (every earlier step
// as written) and reports any whose step still passes without it: a check that passes for the wrong reason.
import type { CheckResult } from '../check/types.js';
import type { LabDef } from '../model/lab.js';
import type { LoadedLab } from './loader.js';
import { missingOf, trialCheck } from './verify-trial.js';

export interface CommandCase {
  stepIndex: number;
  commandIndex: number; // into the step's `run`
  step: string;
  cmd: string;
  node: string;
}

export interface CommandVerdict extends CommandCase {
  stepFails: boolean; // without this command the step's check fails, as it should
  missing: string[]; // what the check then said was missing
  error?: string; // the trial itself broke (the sandbox, not the lab)
}

// Every command that changes state (not readOnly) of a step that has a check.
export function commandCases(def: LabDef): CommandCase[] {
  return def.steps.flatMap((s, stepIndex) =>
    s.check
      ? s.run.flatMap((c, commandIndex) =>
          c.kind === 'sh' && c.readOnly ? [] : [{ stepIndex, commandIndex, step: s.id, cmd: c.cmd, node: c.node }],
        )
      : [],
  );
}

// Every step before the case's as written, then its step without that one command.
export function checkWithout(loaded: LoadedLab, c: CommandCase): Promise<CheckResult | undefined> {
  return trialCheck(loaded, c.stepIndex, (session, id) => session.runCommands(id, { omit: [c.commandIndex] }));
}

// Tries every case, `parallel` sandboxes at a time; never throws (a broken trial is an error verdict).
export async function leaveOutEach(loaded: LoadedLab, cases: CommandCase[], parallel = 3): Promise<CommandVerdict[]> {
  const out = new Map<CommandCase, CommandVerdict>();
  const queue = [...cases];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        try {
          const r = await checkWithout(loaded, c);
          out.set(c, { ...c, stepFails: r ? !r.pass : false, missing: missingOf(r) });
        } catch (err) {
          out.set(c, { ...c, stepFails: false, missing: [], error: (err as Error).message });
        }
      }
    }),
  );
  return cases.map((c) => out.get(c)!);
}

export const EACH_COMMAND_BUDGET_MS = 60_000;

// How long leaving out each command should take, from one run of the lab as written: each case replays
// the lab up to its step (about the whole run at worst), `parallel` at a time.
export function eachCommandEstimateMs(asWrittenMs: number, cases: number, parallel = 3): number {
  return (asWrittenMs * cases) / parallel;
}

// The lines a person reads: one per command that can be left out.
export function eachCommandLines(verdicts: CommandVerdict[]): string[] {
  const weak = verdicts.filter((v) => !v.stepFails);
  // The node is said only where the same line runs in two nodes of the step.
  const twice = (v: CommandVerdict): boolean => verdicts.filter((w) => w.step === v.step && w.cmd === v.cmd).length > 1;
  const what = (v: CommandVerdict): string => `\`${v.cmd}\`${twice(v) ? ` (in ${v.node})` : ''}`;
  const lines = weak.map((v) =>
    v.error
      ? `  step ${v.step}: ${what(v)} could not be tried: ${v.error}`
      : `  step ${v.step}: ${what(v)} can be left out and the step still passes`,
  );
  lines.push(
    `each command: ${verdicts.length - weak.length} of ${verdicts.length} state-changing commands are needed by their step's check`,
  );
  return lines;
}
