// The straight-through driver of a lab session (`lab run --check`, and the walkthrough's gate):
// open, then per step its before-check, its commands and its check, then close.
import { InterruptedError, SandboxDiedError, toLabError } from '../errors.js';
import type { LabEvents, StepInfo } from './events.js';
import type { LoadedLab } from './loader.js';
import { checkEnvironment, checkSelection } from './preflight.js';
import { errorSummary, type LabResult, type StepResult } from './result.js';
import { LabSession, stepInfos } from './session.js';

export { stepInfos };
export type GateAnswer = 'run' | 'skip' | 'quit';

export interface RunOptions {
  skip: string[];
  until?: string;
  keep: boolean;
  savePcap?: string;
  trace?: boolean; // after each step's check, trace its first probe's packet (--trace)
  gate?: (step: StepInfo) => Promise<GateAnswer>; // asked before each step (walkthrough)
  signal?: AbortSignal; // aborted on SIGINT/SIGTERM/SIGHUP
  links?: boolean; // tell the wiring (`links` event) after the sandbox is built and after each step
  onFail?: (f: { stepId: string; runId: string; nodes: string[] }) => Promise<void>; // a step failed, its sandbox still up (--pause-on-fail); the run then ends
}

// Runs the lab and always resolves with a result; the sandbox is gone (or kept) when it does.
export async function runLab(loaded: LoadedLab, opts: RunOptions, events: LabEvents): Promise<LabResult> {
  const { def } = loaded;
  const started = performance.now();
  const result: LabResult = { lab: def.id, file: loaded.file, status: 'passed', steps: [], durationMs: 0 };
  const finish = (): LabResult => {
    result.durationMs = performance.now() - started;
    if (result.status === 'passed' && result.steps.some((s) => s.status === 'failed')) result.status = 'failed';
    markInterrupted(result, opts.signal);
    events.emit({ type: 'lab-end', result });
    return result;
  };
  try {
    checkSelection(def, opts);
    checkEnvironment(def);
  } catch (err) {
    result.status = 'error';
    result.error = errorSummary(toLabError(err));
    return finish();
  }
  events.emit({
    type: 'lab-start',
    lab: { id: def.id, title: def.title, summary: def.summary, file: loaded.file },
    steps: stepInfos(def),
    options: { skip: opts.skip, ...(opts.until ? { until: opts.until } : {}), keep: opts.keep },
  });

  let session: LabSession | undefined;
  const onAbort = (): void => void session?.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const checkAbort = (): void => {
    if (opts.signal?.aborted) throw new InterruptedError(String(opts.signal.reason ?? 'SIGINT'));
  };
  try {
    // Straight through (no gate): each step once, in order, and no live packets (see straightThrough).
    session = await LabSession.open(loaded, {
      events,
      straightThrough: !opts.gate,
      ...(opts.savePcap ? { savePcap: opts.savePcap } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    result.runId = session.runId;
    if (session.rootfs) result.rootfs = session.rootfs;
    checkAbort();
    if (opts.links) await session.links('setup');
    for (const info of session.steps) {
      const answer = opts.gate ? await opts.gate(info) : 'run';
      checkAbort();
      if (answer === 'quit') {
        result.stoppedEarly = { after: result.steps.length, of: session.steps.length };
        break;
      }
      let sr: StepResult;
      try {
        sr = await runStep(
          session,
          info,
          answer === 'skip' || opts.skip.includes(info.id),
          events,
          opts.signal,
          opts.trace,
        );
      } catch (err) {
        if (!session.died) throw err;
        // The sandbox died under the step: the step failed, whatever the runner tripped over first.
        sr = { id: info.id, title: info.title, status: 'failed', skipped: false, commands: [], durationMs: 0 };
        events.emit({ type: 'step-end', stepId: info.id, status: 'failed', durationMs: 0 });
      }
      result.steps.push(sr);
      checkAbort();
      if (session.died) throw new SandboxDiedError(info.id);
      if (opts.links) await session.links(info.id);
      if (sr.status === 'failed' && opts.onFail) {
        await opts.onFail({ stepId: info.id, runId: session.runId, nodes: session.nodes });
        break;
      }
      if (opts.until === info.id) break;
    }
  } catch (err) {
    const e = toLabError(opts.signal?.aborted ? new InterruptedError(String(opts.signal.reason ?? 'SIGINT')) : err);
    result.status = e instanceof InterruptedError ? 'interrupted' : 'error';
    result.error = errorSummary(e);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    const keep = opts.keep && result.status !== 'interrupted';
    const report = await session?.close({ keep });
    if (keep && session)
      result.kept = {
        runId: session.runId,
        shell: `lab shell ${session.runId} NODE   (nodes: ${session.nodes.join(', ')})`,
      };
    if (report && !report.ok) result.teardown = report;
  }
  return finish();
}

// A signal that came at any moment of the run, even after its last step, makes it an interrupted run.
export function markInterrupted(result: LabResult, signal?: AbortSignal): void {
  if (!signal?.aborted || result.status === 'interrupted') return;
  result.status = 'interrupted';
  result.error = errorSummary(new InterruptedError(String(signal.reason ?? 'SIGINT')));
}

// One step: its before-check, its commands unless skipped, its check; the verdicts become a StepResult.
async function runStep(
  session: LabSession,
  info: StepInfo,
  skipped: boolean,
  events: LabEvents,
  signal?: AbortSignal,
  trace = false,
): Promise<StepResult> {
  const t0 = performance.now();
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
  const arranged = await session.arrange(info.id);
  if (arranged.length) sr.arrange = arranged;
  const before = await session.check(info.id, 'before');
  if (before) sr.before = before;
  if (!skipped) sr.commands = await session.runCommands(info.id, signal ? { signal } : {});
  const check = signal?.aborted ? undefined : await session.check(info.id, 'after');
  if (check) sr.check = check;
  if (trace && check && !signal?.aborted) {
    const t = await session.trace(info.id);
    if (t.probe) sr.trace = t;
  }
  const commandsOk = sr.commands.every((c) => c.ok) && (sr.arrange ?? []).every((c) => c.ok);
  const checksOk = (!check || check.pass) && (!before || before.pass);
  sr.status =
    !commandsOk || !checksOk ? 'failed' : check || before ? 'passed' : skipped ? 'skipped-commands' : 'not-checked';
  sr.durationMs = performance.now() - t0;
  events.emit({ type: 'step-end', stepId: info.id, status: sr.status, durationMs: sr.durationMs });
  return sr;
}
