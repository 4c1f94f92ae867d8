// One step as the driver runs it: its scene (arrange), its before-check, its commands (run, typed by
// the person, or left out), its check and, with --trace, its packet's path; the verdicts become a StepResult.
import type { CheckResult } from '../check/types.js';
import type { Drive, FrontEnd, StepChoice } from './driver-types.js';
import type { StepInfo } from './events.js';
import type { StepResult } from './result.js';

// The step's status from its commands' and checks' verdicts.
export function stepStatus(sr: StepResult): StepResult['status'] {
  const commandsOk = sr.commands.every((c) => c.ok) && (sr.arrange ?? []).every((c) => c.ok);
  const checksOk = (!sr.check || sr.check.pass) && (!sr.before || sr.before.pass);
  if (!commandsOk || !checksOk) return 'failed';
  if (sr.check || sr.before) return 'passed';
  return sr.skipped ? 'skipped-commands' : 'not-checked';
}

// Runs one step as `choice` says; 'quit' when the person quit while typing it.
export async function runStep(
  drive: Drive,
  info: StepInfo,
  choice: Exclude<StepChoice, 'quit' | { goto: number }>,
  front: FrontEnd,
  trace: boolean,
): Promise<StepResult | 'quit'> {
  const t0 = performance.now();
  const skipped = choice === 'skip';
  const { events, signal } = drive;
  events.emit({ type: 'step-start', step: info, skipped });
  const sr: StepResult = {
    id: info.id,
    title: info.title,
    status: 'passed',
    skipped,
    commands: [],
    ...(skipped && info.commands.length ? { leftOut: info.commands.map((c) => ({ node: c.node, cmd: c.cmd })) } : {}),
    durationMs: 0,
  };
  // The step's scene is set whatever the person chose.
  const arranged = await drive.session.arrange(info.id);
  if (arranged.length) sr.arrange = arranged;
  const before = await drive.session.check(info.id, 'before');
  if (before) sr.before = before;
  let check: CheckResult | undefined;
  let checked = false;
  if (choice === 'type' && front.type) {
    const typed = await front.type(info, drive);
    if (typed === 'quit') return 'quit';
    sr.commands = typed.commands;
    if ('check' in typed) [check, checked] = [typed.check, true];
  } else if (choice === 'run' || choice === 'type') {
    front.running?.(info, true);
    try {
      sr.commands = await drive.runCommands(info.id);
    } finally {
      front.running?.(info, false);
    }
  }
  if (!checked && !signal.aborted) check = await drive.session.check(info.id, 'after');
  if (check) sr.check = check;
  if (trace && check && !signal.aborted) {
    const t = await drive.session.trace(info.id);
    if (t.probe) sr.trace = t;
  }
  sr.status = stepStatus(sr);
  sr.durationMs = performance.now() - t0;
  events.emit({ type: 'step-end', stepId: info.id, status: sr.status, durationMs: sr.durationMs });
  return sr;
}
