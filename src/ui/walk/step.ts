// One step of the walkthrough: show it, ask the prediction, run it (or let the student type it),
// show the packets and the hint, reveal the answer, and record it all.
import type { CheckResult } from '../../check/types.js';
import type { StepInfo } from '../../engine/events.js';
import { pickHint } from '../../check/hints.js';
import type { Prediction } from '../../model/lab.js';
import { probeCommand } from '../../model/probes.js';
import type { StepChoice, Typed } from '../../engine/driver.js';
import type { StepResult } from '../../engine/result.js';
import { ask, type Choice } from './prompts.js';
import type { WalkContext } from './context.js';
import { checkReportLines } from './report.js';
import { commandGroups, typeCommands } from './shell.js';
import { commandLines, paint, say, wrap } from '../shared/text.js';
import { traceLines } from './trace.js';

export type Action = 'run' | 'type' | 'skip' | 'look' | 'quit';
const NO_GUESS = -1;

// The step as the student first sees it: title, why, commands with their nodes, and the probes to come.
export function showStep(ctx: WalkContext, info: StepInfo): void {
  const step = ctx.session.step(info.id);
  say(
    '',
    ...wrap(paint('bold', `── Step ${info.index + 1} of ${info.total}: ${info.title}`), '   ', ''),
    ...wrap(info.explain, '   '),
  );
  if (info.arrange.length) {
    say('', ...wrap('First the lab sets the scene (this runs even if you skip the step):', '   '));
    for (const c of info.arrange) say(...commandLines(c.node, c.cmd.split('\n')[0] ?? c.cmd, '     '));
  }
  if (step.run.length) {
    say('', '   Commands:');
    for (const c of step.run)
      say(
        ...commandLines(c.node, c.cmd, '     '),
        ...(c.expectFail ? ['       (the lab expects this one to fail)'] : []),
      );
  }
  if (step.before) say('', ...wrap('Before the commands, the lab checks the state they start from.', '   '));
  const check = step.check;
  if (check?.probes.length) {
    say('', `   Then the lab sends${check.points.length ? ` and watches ${check.points.join(', ')}` : ''}:`);
    for (const p of check.probes) {
      const pc = probeCommand(p);
      say(
        ...commandLines(pc.node, pc.display, '     '),
        ...(p.expectFail ? ['       (the lab says this one fails)'] : []),
      );
    }
  } else if (check?.looks?.length) {
    say('', '   Then the lab looks at the state:');
    for (const l of check.looks) say(...commandLines(l.node, l.cmd, '     '));
  }
}

// Asks the prediction; never blocks: "no guess" is always a choice.
async function predict(ctx: WalkContext, p: Prediction): Promise<number> {
  const choices: Choice<number>[] = [
    ...p.choices.map((name, value) => ({ name, value })),
    { name: 'no guess: just show me', value: NO_GUESS },
  ];
  say('');
  return ask(`Predict: ${p.question}`, choices, ctx.signal, true);
}

// The answer after the packets, said right or wrong, and recorded (a skipped step's too, so a restart keeps it).
function reveal(ctx: WalkContext, stepId: string, p: Prediction, choice: number): void {
  const answer = p.choices[p.answer] ?? '';
  if (choice === NO_GUESS) say('', ...wrap(`${paint('bold', 'The answer:')} ${answer} — ${p.why}`, '   ', '  '));
  else {
    const right = choice === p.answer;
    ctx.progress.predictions[stepId] = { choice, right };
    const head = right
      ? paint('green', 'Your prediction was right:')
      : `${paint('yellow', 'Your prediction was wrong:')} you said ${p.choices[choice] ?? ''}. ${paint('bold', 'The answer:')}`;
    say('', ...wrap(`${head} ${answer} — ${p.why}`, '   ', '  '));
  }
}

// Shows a check's packets and verdicts, and on failure the hint picked from what was seen.
export function showCheck(r: CheckResult | undefined, label = 'The packets:'): void {
  if (!r) return;
  say('', `  ${label}`, ...checkReportLines(r));
  const h = pickHint(r);
  if (h) say('', ...wrap(`${paint('yellow', 'Hint:')} ${h.text}`, '    ', '  '));
}

// The packet's path (traced by the engine): a choice after a check, so a student can see where the
// packet died, or which rules it met on its way.
export function traceChoice<T>(value: T): Choice<T>[] {
  return [{ name: "see the packet's path (which rules it met, where it stopped)", value }];
}

// Shows the path of the step's first probe packet, as the engine traces it.
export async function showTrace(ctx: WalkContext, stepId: string): Promise<void> {
  showTraceLines(await traceLines(ctx, stepId));
}

// Shows a trace's lines (asked for, or made after each check with --trace).
export function showTraceLines(lines: string[]): void {
  say('', "  The packet's path:", ...lines.flatMap((l) => wrap(l, '      ', '    ')));
}

// The student's choice of what to do with the step.
async function chooseAction(ctx: WalkContext, info: StepInfo, forcedSkip: boolean): Promise<Action> {
  if (forcedSkip) {
    say(`   (--skip ${info.id}: its commands are left out)`);
    return 'skip';
  }
  const hasCommands = ctx.session.step(info.id).run.length > 0;
  const choices: Choice<Action>[] = hasCommands
    ? [
        { name: 'run it for me', value: 'run' },
        { name: 'I will type it myself', value: 'type' },
        { name: 'skip the commands (see the packets without them)', value: 'skip' },
        { name: quitChoice(ctx, info.index), value: 'quit' },
      ]
    : [
        { name: 'send the probes and look at the packets', value: 'look' },
        { name: quitChoice(ctx, info.index), value: 'quit' },
      ];
  return ask(`Step ${info.id}: ${info.title}. How?`, choices, ctx.signal);
}

// "quit", saying how the student comes back to the step.
export function quitChoice(ctx: WalkContext, index: number): string {
  return `quit (progress is saved: lab run ${ctx.session.lab.id} resumes at step ${index + 1})`;
}

// Runs the step's commands, printing them as they run.
async function runAll(ctx: WalkContext, stepId: string): Promise<StepResult['commands']> {
  ctx.showCommands = true;
  try {
    say('');
    return await ctx.drive.runCommands(stepId);
  } finally {
    ctx.showCommands = false;
  }
}

type AfterFail = 'retry' | 'keep' | 'solution' | 'run' | 'trace' | 'quit';

// "Type it myself" until the check passes, or the student has it run, or quits. A retry and "have it
// run for me" start from the step's starting state (a fresh sandbox), never on top of the attempt.
export async function typeStep(ctx: WalkContext, info: StepInfo): Promise<Typed | 'quit'> {
  const step = ctx.session.step(info.id);
  say('', ...wrap("Your goal: make the packets show it, by typing the step's commands yourself.", '   '));
  const groups = commandGroups(step.run);
  let fresh = true; // the sandbox is at the step's start: the engine's container starts are due
  for (;;) {
    await typeCommands(ctx, info.id, groups, fresh);
    fresh = false;
    const check = await ctx.session.check(info.id, 'after');
    showCheck(check);
    if (!check || check.pass) return { commands: [], check };
    ctx.drive.prepare(info.index); // a retry from the step's start then costs only the swap
    let next: AfterFail;
    for (;;) {
      next = await ask(
        'The check failed. Now:',
        [
          { name: "retry from the step's start (a fresh sandbox, your changes undone)", value: 'retry' },
          { name: 'see the solution', value: 'solution' },
          { name: "have it run for me (from the step's start)", value: 'run' },
          { name: 'back to the shell, keeping what you typed', value: 'keep' },
          ...traceChoice('trace' as const),
          { name: quitChoice(ctx, info.index), value: 'quit' },
        ],
        ctx.signal,
      );
      if (next === 'trace') await showTrace(ctx, info.id);
      else if (next === 'solution') {
        say('', '   The solution:');
        for (const c of step.run) say(...commandLines(c.node, c.cmd, '     '));
      } else break;
    }
    if (next === 'quit') return 'quit';
    if (next === 'keep') continue;
    await ctx.drive.goto(info.index);
    fresh = true;
    if (next === 'run') {
      const commands = await runAll(ctx, info.id);
      const again = await ctx.drive.check(info.id);
      showCheck(again);
      return { commands, check: again };
    }
  }
}

// Before a step: shows it, asks the prediction (once per step), and how the student does it. `again`:
// the step is walked once more (from its start), so its prediction is not asked twice.
export async function decideStep(
  ctx: WalkContext,
  info: StepInfo,
  forcedSkip: boolean,
  again: boolean,
): Promise<{ choice: StepChoice; action: Action; guess: number | undefined }> {
  const step = ctx.session.step(info.id);
  showStep(ctx, info);
  const known = ctx.progress.predictions[info.id]?.choice;
  const guess =
    !step.prediction || forcedSkip
      ? undefined
      : again || known !== undefined
        ? (known ?? NO_GUESS)
        : await predict(ctx, step.prediction);
  // Kept at once, so a student who quits before doing the step is not asked again after a restart.
  if (step.prediction && guess !== undefined && guess !== NO_GUESS) {
    ctx.progress.predictions[info.id] = { choice: guess, right: guess === step.prediction.answer };
  }
  const action = await chooseAction(ctx, info, forcedSkip);
  return { choice: action === 'look' ? 'run' : action, action, guess };
}

// After a step: its packets (unless the typing already showed them), the answer, the verdict, the progress.
export function stepDone(
  ctx: WalkContext,
  info: StepInfo,
  sr: StepResult,
  how: { action: Action; guess: number | undefined },
): void {
  const step = ctx.session.step(info.id);
  if (how.action !== 'type')
    showCheck(sr.check, how.action === 'skip' ? 'The packets, without the commands:' : 'The packets:');
  if (sr.trace) showTraceLines(sr.trace.lines);
  if (step.prediction && how.guess !== undefined) reveal(ctx, info.id, step.prediction, how.guess);
  const action = how.action;
  const verb = action === 'run' ? 'ran' : action === 'type' ? 'typed' : action === 'skip' ? 'skipped' : 'looked';
  ctx.progress.steps[info.id] = {
    done: !sr.skipped && (sr.status === 'passed' || sr.status === 'not-checked'),
    how: verb,
    passed: sr.status === 'passed',
  };
  say(
    '',
    `  ${sr.status === 'passed' ? paint('green', 'Step passed.') : sr.status === 'failed' ? paint('red', 'Step failed.') : sr.skipped ? 'Step skipped: its commands were left out.' : `Step ${sr.status}.`}`,
  );
}
