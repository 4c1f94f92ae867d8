// `lab verify`, second half: each plausible mistake a step declares is run in place of the step's
// commands, from the step's starting state, and the step's check must fail with the declared hint.
import type { CheckResult } from '../check/types.js';
import { pickHint } from '../check/hints.js';
import type { Mistake } from '../model/lab.js';
import type { LoadedLab } from './loader.js';
import { trialCheck } from './verify-trial.js';

export interface MistakeVerdict {
  step: string;
  index: number; // into the step's mistakes
  commands: string[]; // what the mistake runs, as typed
  why?: string; // the mistake in words, as the lab declares it
  expected: string; // the hint pattern, as written
  caught: boolean; // the check failed
  failed: string[]; // the failed expectations and looks, as the report words them
  hint?: string; // the hint the failed check picked
  ok: boolean; // caught, with a hint the pattern matches
  error?: string; // the trial could not run (the sandbox, a command that could not start)
}

const PARALLEL = 3;

// Every earlier step as written, the step's arrange part, the mistake instead of its commands, the check.
function tryOne(loaded: LoadedLab, index: number, mistake: Mistake): Promise<CheckResult | undefined> {
  return trialCheck(loaded, index, (session, id) => session.runCommands(id, { instead: mistake.run }));
}

// The verdict on one mistake: caught by the check, and answered with the declared hint.
export function judgeMistake(step: string, index: number, m: Mistake, check: CheckResult | undefined): MistakeVerdict {
  const base = {
    step,
    index,
    commands: m.run.map((c) => `[${c.node}] ${c.cmd}`),
    expected: String(m.hint),
    ...(m.why ? { why: m.why } : {}),
  };
  if (!check) return { ...base, caught: false, failed: [], ok: false, error: 'the step has no check' };
  const hint = pickHint(check)?.text;
  const caught = !check.pass;
  const failed = [
    ...check.expectations.filter((e) => !e.pass).map((e) => e.message),
    ...check.looks.filter((l) => !l.pass).map((l) => l.message),
  ];
  return {
    ...base,
    caught,
    failed,
    ...(hint !== undefined ? { hint } : {}),
    ok: caught && hint !== undefined && m.hint.test(hint),
  };
}

// Tries every declared mistake of the lab, a few sandboxes at a time; never throws.
export async function verifyMistakes(loaded: LoadedLab, parallel = PARALLEL): Promise<MistakeVerdict[]> {
  const jobs = loaded.def.steps.flatMap((s, i) => (s.mistakes ?? []).map((m, k) => ({ i, k, m, step: s.id })));
  const out: MistakeVerdict[] = new Array<MistakeVerdict>(jobs.length);
  const queue = jobs.map((j, n) => ({ ...j, n }));
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        try {
          out[job.n] = judgeMistake(job.step, job.k, job.m, await tryOne(loaded, job.i, job.m));
        } catch (err) {
          out[job.n] = { ...judgeMistake(job.step, job.k, job.m, undefined), error: (err as Error).message };
        }
      }
    }),
  );
  return out;
}

// One line per mistake for the person reading `lab verify`.
export function mistakeLines(ms: MistakeVerdict[]): string[] {
  if (!ms.length) return ['  mistakes: none declared'];
  const lines = [`  mistakes (each run instead of its step's commands):`];
  for (const m of ms) {
    const what = m.error
      ? `could not be tried: ${m.error}`
      : !m.caught
        ? 'NOT caught: the check passes with it'
        : m.ok
          ? `caught, hint ${m.expected}: ${m.hint}`
          : `caught, but the hint does not match ${m.expected}: ${m.hint ?? '(no hint)'}`;
    lines.push(`  ${m.step}#${m.index + 1} ${m.why ?? m.commands.join('; ').slice(0, 100)}`);
    lines.push(`      ${m.ok ? 'ok' : 'FAIL'}: ${what}`);
  }
  return lines;
}
