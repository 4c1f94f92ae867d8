// The student's walkthrough of a lab on a terminal: it drives the engine's LabSession step by step
// (predict, run or type, packets, hint, answer), saves progress, and ends honestly.
import { InterruptedError, toLabError } from '../errors.js';
import { LabEvents } from '../engine/events.js';
import type { LoadedLab } from '../engine/loader.js';
import { checkEnvironment, checkSelection } from '../engine/preflight.js';
import { errorSummary, type LabResult } from '../engine/result.js';
import { LabSession } from '../engine/session.js';
import { commandLine, outputLines } from './lines.js';
import { loadProgress, newProgress, saveProgress, type LabProgress } from './progress-store.js';
import { ask } from './walk-prompts.js';
import type { WalkContext } from './walk-context.js';
import { showTrace, traceChoice, walkStep } from './walk-step.js';
import { commandLines, paint, say, wrap } from './walk-text.js';

export interface WalkOptions {
  skip: string[];
  until?: string;
  keep: boolean;
  savePcap?: string;
  signal: AbortSignal; // aborted on SIGINT/SIGTERM/SIGHUP
}

// Prints what the session does that the student should see: the step commands, the rootfs build.
function listen(events: LabEvents, showCommands: () => boolean): void {
  events.on('rootfs-progress', (e) => say(paint('dim', `  rootfs: ${e.line}`)));
  events.on('sandbox-ready', (e) => say(paint('dim', `  sandbox ${e.runId} ready in ${Math.round(e.durationMs)} ms (nodes: ${e.nodes.join(', ')})`)));
  events.on('command-end', (e) => {
    if (e.setup || !showCommands()) return;
    const out = e.record.output && (!e.ok || e.expectFail) ? outputLines(e.record.output) : [];
    const node = e.record.node || 'sandbox';
    const note = commandLine(e.record, e.expectFail, e.ok).slice(`[${node}] $ ${e.record.display}`.length).trim();
    say(...commandLines(node, e.record.display, '  '), ...(note ? [`      ${e.ok ? note : paint('red', note)}`] : []), ...out);
  });
}

// Where to start: at the step reached last time (after asking), or at the beginning.
async function startAt(lab: LoadedLab, progress: LabProgress | undefined, signal: AbortSignal): Promise<{ start: number; progress: LabProgress }> {
  const steps = lab.def.steps;
  const fresh = newProgress(lab.def.id, steps.length);
  if (!progress || progress.reached <= 0 || progress.reached >= steps.length) return { start: 0, progress: fresh };
  const at = steps[progress.reached];
  const choice = await ask(`You stopped before step ${progress.reached + 1} of ${steps.length} (${at?.id}). Resume there?`, [
    { name: `resume at step ${progress.reached + 1}: ${at?.title ?? ''}`, value: 'resume' },
    { name: 'start over', value: 'over' },
  ], signal);
  return choice === 'resume' ? { start: progress.reached, progress: { ...progress, total: steps.length } } : { start: 0, progress: fresh };
}

// Runs the lab as a walkthrough and always resolves with a result; the sandbox is gone (or kept).
export async function walkthrough(loaded: LoadedLab, opts: WalkOptions): Promise<LabResult> {
  const { def } = loaded;
  const started = performance.now();
  const result: LabResult = { lab: def.id, file: loaded.file, status: 'passed', steps: [], durationMs: 0 };
  const events = new LabEvents();
  let session: LabSession | undefined;
  let ctx: WalkContext | undefined;
  listen(events, () => ctx?.showCommands ?? false);
  // One signal for the walk: the run's (SIGINT/SIGTERM/SIGHUP), or the terminal going away under a prompt.
  const stop = new AbortController();
  const onAbort = (): void => {
    if (!stop.signal.aborted) stop.abort(opts.signal.reason ?? 'SIGINT');
    void session?.abort();
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  // A closed terminal makes the prompt's readline fail with EIO; that must not kill the run before its teardown.
  const onTerminalGone = (err: unknown): void => {
    if ((err as NodeJS.ErrnoException | undefined)?.code !== 'EIO') throw err;
    if (!stop.signal.aborted) stop.abort('SIGHUP');
    void session?.abort();
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
    ctx = { session, signal: stop.signal, progress, showCommands: false };
    if (start > 0) await replay(ctx, start);
    for (const info of session.steps.slice(start)) {
      const sr = await walkStep(ctx, info, opts.skip.includes(info.id));
      checkAbort();
      if (sr === 'quit') {
        result.stoppedEarly = { after: info.index, of: info.total };
        progress.reached = info.index;
        break;
      }
      result.steps.push(sr);
      progress.reached = info.index + 1;
      saveProgress(progress);
      if (opts.until === info.id) break;
      if (info.index + 1 < info.total) {
        let next: 'next' | 'trace' | 'quit';
        do {
          const failedCheck = sr.check && !sr.check.pass ? traceChoice(ctx, 'trace' as const) : [];
          next = await ask('Next?', [{ name: `next step: ${session.steps[info.index + 1]?.title ?? ''}`, value: 'next' }, ...failedCheck, { name: 'quit (progress is saved)', value: 'quit' }], stop.signal);
          if (next === 'trace') await showTrace(ctx, info.id);
        } while (next === 'trace');
        if (next === 'quit') {
          result.stoppedEarly = { after: info.index + 1, of: info.total };
          break;
        }
      }
    }
    saveProgress(progress);
  } catch (err) {
    const e = toLabError(stop.signal.aborted ? new InterruptedError(String(stop.signal.reason ?? 'SIGINT')) : err);
    result.status = e instanceof InterruptedError ? 'interrupted' : 'error';
    result.error = errorSummary(e);
    if (e instanceof InterruptedError) void session?.abort(); // at once; close() below waits for it
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    const keep = opts.keep && result.status !== 'interrupted';
    if (session) say(paint('dim', keep ? '  keeping the sandbox...' : '  removing the sandbox...'));
    const report = await session?.close({ keep });
    if (keep && session) result.kept = { runId: session.runId, shell: `lab shell ${session.runId} NODE   (nodes: ${session.nodes.join(', ')})` };
    if (report && !report.ok) result.teardown = report;
    process.off('uncaughtException', onTerminalGone);
  }
  result.durationMs = performance.now() - started;
  if (result.status === 'passed' && result.steps.some((s) => s.status === 'failed')) result.status = 'failed';
  return result;
}

// Rebuilds the sandbox up to a step by replaying the earlier steps' commands quickly, without checks.
async function replay(ctx: WalkContext, upTo: number): Promise<void> {
  say('', ...wrap(`Rebuilding where you left off: replaying steps 1 to ${upTo} without their checks.`, '  '));
  for (const info of ctx.session.steps.slice(0, upTo)) {
    const cmds = await ctx.session.runCommands(info.id, { signal: ctx.signal });
    const bad = cmds.filter((c) => !c.ok);
    say(`  ${bad.length ? paint('red', '!') : paint('green', '✓')} ${info.index + 1}. ${info.title} (${cmds.length} command${cmds.length === 1 ? '' : 's'}${bad.length ? `, ${bad.length} failed: ${bad.map((c) => c.display).join('; ')}` : ''})`);
    if (ctx.signal.aborted) throw new InterruptedError(String(ctx.signal.reason ?? 'SIGINT'));
  }
}
