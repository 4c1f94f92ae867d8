// The student's walkthrough of a lab on a terminal: rendering and input for the engine's session
// driver (predict, run or type, packets, hint, answer), saving progress, and ending honestly.
import { driveLab, type DriveOptions, type FrontEnd, type NextChoice } from '../../engine/driver.js';
import type { LabEvents, StepInfo } from '../../engine/events.js';
import type { LoadedLab } from '../../engine/loader.js';
import type { LabResult, StepResult } from '../../engine/result.js';
import { commandLine, outputLines } from '../shared/lines.js';
import { loadProgress, newProgress, saveProgress, type LabProgress } from './progress-store.js';
import { ask, type Choice } from './prompts.js';
import type { WalkContext } from './context.js';
import { decideStep, quitChoice, showCheck, showTrace, stepDone, traceChoice, typeStep, type Action } from './step.js';
import { backAt, goingBack, replayLines } from './rebuild.js';
import { commandLines, paint, say, wrap, wrapLine } from '../shared/text.js';

// Prints what the session does that the student should see: the step commands, the rootfs build, the
// state before a step's commands.
function listen(events: LabEvents, showCommands: () => boolean): void {
  events.on('rootfs-progress', (e) => say(paint('dim', `  rootfs: ${e.line}`)));
  events.on('sandbox-ready', (e) =>
    say(paint('dim', `  sandbox ${e.runId} ready in ${Math.round(e.durationMs)} ms (nodes: ${e.nodes.join(', ')})`)),
  );
  events.on('check-result', (e) => {
    if (e.phase === 'before') showCheck(e.result, 'Before the commands:');
  });
  events.on('command-end', (e) => {
    if (e.setup || !showCommands()) return;
    const out =
      e.record.output && (!e.ok || e.expectFail || e.shows)
        ? outputLines(e.record.output, e.shows ? 20 : 8).flatMap(wrapLine)
        : [];
    const node = e.record.node || 'sandbox';
    const note = commandLine(e.record, e.expectFail, e.ok).slice(`[${node}] $ ${e.record.display}`.length).trim();
    say(
      ...commandLines(node, e.record.display, '  '),
      ...(note ? [`      ${e.ok ? note : paint('red', note)}`] : []),
      ...out,
    );
  });
}

// Where to start: at the step reached last time (after asking), or at the beginning.
async function startAt(
  lab: LoadedLab,
  progress: LabProgress | undefined,
  signal: AbortSignal,
): Promise<{ start: number; progress: LabProgress }> {
  const steps = lab.def.steps;
  const fresh = newProgress(lab.def.id, steps.length);
  if (!progress || progress.reached <= 0 || progress.reached >= steps.length) return { start: 0, progress: fresh };
  const at = steps[progress.reached];
  const choice = await ask(
    `You stopped before step ${progress.reached + 1} of ${steps.length} (${at?.id}). Resume there?`,
    [
      { name: `resume at step ${progress.reached + 1}: ${at?.title ?? ''}`, value: 'resume' },
      { name: 'start over', value: 'over' },
    ],
    signal,
  );
  return choice === 'resume'
    ? { start: progress.reached, progress: { ...progress, total: steps.length } }
    : { start: 0, progress: fresh };
}

// Runs the lab as a walkthrough through the session driver and always resolves with a result.
export async function walkthrough(loaded: LoadedLab, opts: DriveOptions): Promise<LabResult> {
  const { def } = loaded;
  let ctx: WalkContext | undefined;
  listen(opts.events, () => ctx?.showCommands ?? false);
  // One signal for the walk: the run's (SIGINT/SIGTERM/SIGHUP), or the terminal going away under a prompt.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(opts.signal?.reason ?? 'SIGINT');
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  // A closed terminal makes the prompt's readline fail with EIO; that must not kill the run before its teardown.
  const onTerminalGone = (err: unknown): void => {
    if ((err as NodeJS.ErrnoException | undefined)?.code !== 'EIO') throw err;
    if (!stop.signal.aborted) stop.abort('SIGHUP');
  };
  process.on('uncaughtException', onTerminalGone);
  let progress = newProgress(def.id, def.steps.length);
  let how: { action: Action; guess: number | undefined } = { action: 'run', guess: undefined };
  const ids = def.steps.map((s) => s.id);
  const front: FrontEnd = {
    start: async () => {
      say('', ...wrap(paint('bold', `${def.id}: ${def.title}`), '  ', ''), ...wrap(def.summary, '  '));
      const at = await startAt(loaded, loadProgress(def.id), stop.signal);
      progress = at.progress;
      say('', paint('dim', '  building the sandbox...'));
      return at.start;
    },
    opened: (drive, start) => {
      ctx = {
        drive,
        get session() {
          return drive.session;
        },
        signal: stop.signal,
        progress,
        showCommands: false,
      };
      if (start > 0)
        say('', ...wrap(`Rebuilding where you left off: replaying steps 1 to ${start} without their checks.`, '  '));
    },
    replayed: (rows) => say(...replayLines(rows, true)),
    rebuilding: (index) => ctx && goingBack(ctx, index),
    rebuilt: (index, rows, ms) => backAt(index, rows, ms),
    decide: async (info, _drive, again) => {
      const c = need(ctx);
      const d = await decideStep(c, info, !again && opts.skip.includes(info.id), again);
      how = { action: d.action, guess: d.guess };
      return d.choice;
    },
    type: (info) => typeStep(need(ctx), info),
    running: (_info, on) => {
      need(ctx).showCommands = on;
      if (on) say('');
    },
    stepDone: (info, sr, drive) => {
      const c = need(ctx);
      stepDone(c, info, sr, how);
      if (progress.steps[info.id]?.done) drive.dropSpare(); // no retry of it is coming
      progress.reached = firstNotDone(progress, ids);
      saveProgress(progress);
    },
    after: (info, sr) => nextStep(need(ctx), info, sr, opts.skip),
    closing: (result, keep) => {
      progress.reached = firstNotDone(progress, ids);
      if (result.stoppedEarly) say('', ...wrap(resumeLine(def.id, progress, ids), '  '));
      if (ctx) saveProgress(progress);
      say(paint('dim', keep ? '  keeping the sandbox...' : '  removing the sandbox...'));
    },
  };
  try {
    return await driveLab(loaded, { ...opts, signal: stop.signal }, front);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    process.off('uncaughtException', onTerminalGone);
  }
}

// The walk's shared state, there once the sandbox is up (every hook that needs it runs after).
function need(ctx: WalkContext | undefined): WalkContext {
  if (!ctx) throw new Error('the walkthrough was asked about a step before its sandbox was up');
  return ctx;
}

// After a step: the student's choice, as the driver's next move; at the end with a step left not done
// (not one --skip asked for), an offer to go back to it.
async function nextStep(ctx: WalkContext, info: StepInfo, sr: StepResult, skip: string[]): Promise<NextChoice> {
  const next = await afterStep(ctx, info, sr);
  if (next === 'quit') return 'quit';
  if (next === 'again') return { goto: info.index };
  if (next === 'back') return { goto: info.index - 1 };
  const steps = ctx.drive.lab.steps;
  const open = steps.findIndex((s) => !ctx.progress.steps[s.id]?.done && !skip.includes(s.id));
  if (info.index + 1 < steps.length || open < 0) return 'next';
  const end = await atTheEnd(ctx, open);
  return end === 'back' ? { goto: open } : end;
}

// The first step not done (passed, or run with nothing to check), where a resumed run starts.
function firstNotDone(p: LabProgress, ids: string[]): number {
  const i = ids.findIndex((id) => !p.steps[id]?.done);
  return i < 0 ? ids.length : i;
}

// What quitting leaves: where `lab run` picks up again.
function resumeLine(lab: string, p: LabProgress, ids: string[]): string {
  if (p.reached >= ids.length) return `Your progress is saved; every step is done (lab progress shows it).`;
  return `Your progress is saved. To go on: lab run ${lab} (it offers to resume at step ${p.reached + 1}, ${ids[p.reached]}).`;
}

// The last step is behind, but an earlier one is not done: go back to it, end here, or quit.
async function atTheEnd(ctx: WalkContext, open: number): Promise<'back' | 'end' | 'quit'> {
  const info = ctx.session.steps[open];
  return ask(
    `That was the last step, but step ${open + 1} (${info?.id ?? ''}) is not done. Now:`,
    [
      { name: `go back to step ${open + 1}: ${info?.title ?? ''} (from its start)`, value: 'back' as const },
      { name: `end the lab here (step ${open + 1} stays not done)`, value: 'end' as const },
      { name: quitChoice(ctx, open), value: 'quit' as const },
    ],
    ctx.signal,
  );
}

type AfterStep = 'next' | 'again' | 'back' | 'trace' | 'quit' | 'end';

// After a step: a passed one goes on (or ends the lab after the last); a failed or skipped one never
// ends the lab: do it now (from its start), go on, go back a step, or quit.
async function afterStep(
  ctx: WalkContext,
  info: StepInfo,
  sr: StepResult,
): Promise<'next' | 'again' | 'back' | 'quit'> {
  const last = info.index + 1 >= info.total;
  const ok = ctx.progress.steps[info.id]?.done ?? false;
  if (ok && last) return 'next';
  const steps = ctx.session.steps;
  const nextStep = steps[info.index + 1];
  const prev = steps[info.index - 1];
  const choices: Choice<AfterStep>[] = ok
    ? [{ name: `next step: ${nextStep?.title ?? ''}`, value: 'next' }]
    : [
        { name: `do it now, from the step's start (a fresh sandbox)`, value: 'again' },
        ...(nextStep ? [{ name: `go on to step ${info.index + 2}: ${nextStep.title}`, value: 'next' as const }] : []),
        ...(prev ? [{ name: `go back to step ${info.index}: ${prev.title}`, value: 'back' as const }] : []),
      ];
  if (sr.check) choices.push(...traceChoice('trace' as const)); // after a pass too: which rules it met and why the others did not match
  choices.push({ name: quitChoice(ctx, ok ? info.index + 1 : info.index), value: 'quit' });
  if (!ok) ctx.drive.prepare(info.index); // "do it now" then costs only the swap
  const question = ok
    ? 'Next?'
    : `Step ${info.id} is not done (${sr.skipped ? 'its commands were skipped' : 'it failed'}). Now:`;
  for (;;) {
    const next = await ask(question, choices, ctx.signal);
    if (next === 'trace') await showTrace(ctx, info.id);
    else if (next !== 'end') return next;
  }
}
