// One trial of `lab verify`: a fresh sandbox, every step before the one under test as written, then that
// step done one way (as written, left out, one command short, a mistake instead), then its check.
// Every mode of verify (verify.ts, verify-each.ts, verify-mistakes.ts) runs its trials through here.
import type { CheckResult } from '../check/types.js';
import { LabEvents } from './events.js';
import type { LoadedLab } from './loader.js';
import { LabSession } from './session.js';

// How the step under test is done in its trial; its arrange part has run already.
export type StepDoing = (session: LabSession, stepId: string) => Promise<unknown>;

// The step's check after `doing`, from the step's starting state (undefined: no such step).
export async function trialCheck(loaded: LoadedLab, index: number, doing: StepDoing): Promise<CheckResult | undefined> {
  const step = loaded.def.steps[index];
  if (!step) return undefined;
  const session = await LabSession.open(loaded, { events: new LabEvents() });
  try {
    for (const s of loaded.def.steps.slice(0, index)) await session.runCommands(s.id);
    await session.arrange(step.id);
    await doing(session, step.id);
    return await session.check(step.id);
  } finally {
    await session.close();
  }
}

// What a failed check says is missing: its failed expectations and looks, and failed probes.
export function missingOf(c: CheckResult | undefined): string[] {
  if (!c) return [];
  return [
    ...c.expectations.filter((e) => !e.pass).map((e) => e.message),
    ...c.looks.filter((l) => !l.pass).map((l) => l.message),
    ...c.probes.filter((p) => !p.ok).map((p) => `probe ${p.command} exited ${p.exitCode}`),
  ];
}
