// The student's walkthrough of a lab on a terminal: it drives the engine's LabSession step by step
// (predict, run or type, packets, hint, answer), saves progress, and ends honestly.
import { InterruptedError, toLabError } from '../../errors.js';
import { LabEvents } from '../../engine/events.js';
import type { LoadedLab } from '../../engine/loader.js';
import { checkEnvironment, checkSelection } from '../../engine/preflight.js';
import { errorSummary, type LabResult, type StepResult } from '../../engine/result.js';
import type { StepInfo } from '../../engine/events.js';
import { LabSession } from '../../engine/session.js';
import { commandLine, outputLines } from '../shared/lines.js';
import { loadProgress, newProgress, saveProgress, type LabProgress } from './progress-store.js';
import { ask, type Choice } from './prompts.js';
import type { WalkContext } from './context.js';
import { quitChoice, showTrace, traceChoice, walkStep } from './step.js';
import { backToStart, dropSpare, prepareStart, replay } from './rebuild.js';
import { commandLines, paint, say, wrap, wrapLine } from '../shared/text.js';

export interface WalkOptions {
  skip: string[];
  until?: string;
  keep: boolean;
  savePcap?: string;
  signal: AbortSignal; // aborted on SIGINT/SIGTERM/SIGHUP
}

// Prints what the session does that the student should see: the step commands, the rootfs build.
function listen(events: LabEvents, showCommands: () => boolean, quiet: () => boolean): void {
  events.on('rootfs-progress', (e) => say(paint('dim', `  rootfs: ${e.line}`)));
  events.on(
    'sandbox-ready',
    (e) =>
      quiet() ||
      say(paint('dim', `  sandbox ${e.runId} ready in ${Math.round(e.durationMs)} ms (nodes: ${e.nodes.join(', ')})`)),
  );
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

// Runs the lab as a walkthrough and always resolves with a result; the sandbox is gone (or kept).
export async function walkthrough(loaded: LoadedLab, opts: WalkOptions): Promise<LabResult> {
  const { def } = loaded;
  const started = performance.now();
  const result: LabResult = { lab: def.id, file: loaded.file, status: 'passed', steps: [], durationMs: 0 };
  const events = new LabEvents();
  let session: LabSession | undefined;
  let ctx: WalkContext | undefined;
  listen(
    events,
    () => ctx?.showCommands ?? false,
    () => false,
  );
  // One signal for the walk: the run's (SIGINT/SIGTERM/SIGHUP), or the terminal going away under a prompt.
  const stop = new AbortController();
  const onAbort = (): void => {
    if (!stop.signal.aborted) stop.abort(opts.signal.reason ?? 'SIGINT');
    void (ctx?.session ?? session)?.abort();
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  // A closed terminal makes the prompt's readline fail with EIO; that must not kill the run before its teardown.
  const onTerminalGone = (err: unknown): void => {
    if ((err as NodeJS.ErrnoException | undefined)?.code !== 'EIO') throw err;
    if (!stop.signal.aborted) stop.abort('SIGHUP');
    void (ctx?.session ?? session)?.abort();
  };
  process.on('uncaughtException', onTerminalGone);
  const checkAbort = (): void => {
    if (stop.signal.aborted) throw new InterruptedError(String(stop.signal.reason ?? 'SIGINT'));
  };
  try {
    checkSelection(def, opts);
    checkEnvironment(def);
    say('', ...wrap(paint('bold', `${def.id}: ${def.title}`), '  ', ''), ...wrap(def.summary, '  '));
    const { start, progress } = await startAt(loaded, loadProgress(def.id), stop.signal);
    say('', paint('dim', '  building the sandbox...'));
    session = await LabSession.open(loaded, { events, ...(opts.savePcap ? { savePcap: opts.savePcap } : {}) });
    result.runId = session.runId;
    if (session.rootfs) result.rootfs = session.rootfs;
    checkAbort();
    // A later session tells its own events, shown only once it is the current one.
    const reopen = async (signal: AbortSignal): Promise<LabSession> => {
      const own = new LabEvents();
      let made: LabSession | undefined;
      listen(
        own,
        () => ctx?.session === made && (ctx?.showCommands ?? false),
        () => ctx?.session !== made,
      );
      made = await LabSession.open(loaded, {
        events: own,
        signal,
        ...(opts.savePcap ? { savePcap: opts.savePcap } : {}),
      });
      return made;
    };
    ctx = { session, signal: stop.signal, progress, showCommands: false, reopen, retired: [] };
    if (start > 0) {
      say('', ...wrap(`Rebuilding where you left off: replaying steps 1 to ${start} without their checks.`, '  '));
      await replay(ctx, start);
      result.resumedAt = start;
    }
    const done = new Map<string, StepResult>(); // the last result of each step walked
    let i = start;
    let again = false;
    while (i < def.steps.length) {
      const info = ctx.session.steps[i];
      if (!info) break;
      const sr = await walkStep(ctx, info, !again && opts.skip.includes(info.id), again);
      checkAbort();
      if (sr === 'quit') {
        result.stoppedEarly = { after: info.index, of: info.total };
        break;
      }
      done.set(info.id, sr);
      if (progress.steps[info.id]?.done) ctx.retired.push(dropSpare(ctx)); // no retry of it is coming
      progress.reached = firstNotDone(
        progress,
        def.steps.map((s) => s.id),
      );
      saveProgress(progress);
      if (opts.until === info.id) break;
      const next = await afterStep(ctx, info, sr);
      again = next === 'again' || next === 'back';
      if (next === 'quit') {
        result.stoppedEarly = { after: info.index + 1, of: info.total };
        break;
      }
      if (next === 'next') {
        i++;
        // At the end with a step left not done (not one --skip asked for): offer to go back to it.
        const open = def.steps.findIndex((s) => !progress.steps[s.id]?.done && !opts.skip.includes(s.id));
        if (i >= def.steps.length && open >= 0) {
          const end = await atTheEnd(ctx, open);
          if (end === 'quit') {
            result.stoppedEarly = { after: open, of: info.total };
            break;
          }
          if (end === 'back') {
            i = open;
            again = true;
            await backToStart(ctx, i);
          }
        }
      } else {
        if (next === 'back') i--;
        await backToStart(ctx, i);
        result.runId = ctx.session.runId;
      }
    }
    result.steps = def.steps.flatMap((s) => done.get(s.id) ?? []);
    progress.reached = firstNotDone(
      progress,
      def.steps.map((s) => s.id),
    );
    if (result.stoppedEarly)
      say(
        '',
        ...wrap(
          resumeLine(
            def.id,
            progress,
            def.steps.map((s) => s.id),
          ),
          '  ',
        ),
      );
    saveProgress(progress);
  } catch (err) {
    const e = toLabError(stop.signal.aborted ? new InterruptedError(String(stop.signal.reason ?? 'SIGINT')) : err);
    result.status = e instanceof InterruptedError ? 'interrupted' : 'error';
    result.error = errorSummary(e);
    if (ctx) session = ctx.session;
    if (e instanceof InterruptedError) void session?.abort(); // at once; close() below waits for it
  } finally {
    if (ctx) {
      session = ctx.session;
      result.runId = session.runId;
    }
    opts.signal.removeEventListener('abort', onAbort);
    const keep = opts.keep && result.status !== 'interrupted';
    if (session) say(paint('dim', keep ? '  keeping the sandbox...' : '  removing the sandbox...'));
    const report = await session?.close({ keep });
    if (ctx) {
      await dropSpare(ctx);
      await Promise.allSettled(ctx.retired);
    }
    if (keep && session)
      result.kept = {
        runId: session.runId,
        shell: `lab shell ${session.runId} NODE   (nodes: ${session.nodes.join(', ')})`,
      };
    if (report && !report.ok) result.teardown = report;
    process.off('uncaughtException', onTerminalGone);
  }
  result.durationMs = performance.now() - started;
  if (result.status === 'passed' && result.steps.some((s) => s.status === 'failed')) result.status = 'failed';
  return result;
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
  if (sr.check) choices.push(...traceChoice(ctx, 'trace' as const)); // after a pass too: which rules it met and why the others did not match
  choices.push({ name: quitChoice(ctx, ok ? info.index + 1 : info.index), value: 'quit' });
  if (!ok) prepareStart(ctx, info.index); // "do it now" then costs only the swap
  const question = ok
    ? 'Next?'
    : `Step ${info.id} is not done (${sr.skipped ? 'its commands were skipped' : 'it failed'}). Now:`;
  for (;;) {
    const next = await ask(question, choices, ctx.signal);
    if (next === 'trace') await showTrace(ctx, info.id);
    else if (next !== 'end') return next;
  }
}
