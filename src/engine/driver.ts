// The one session driver: the CI run, the walkthrough, the demo and the browser all run a lab through
// `driveLab`. It owns the preflight, opening the sandbox, the step loop, the abort (the signal), keeping
// or removing the sandbox, the result, and the events every reporter (--json, --junit, --report) reads.
//
// A front end is rendering and input only:
//   const events = new LabEvents();            // attach renderers and reporters to it first
//   const result = await driveLab(loaded, { events, skip: [], keep: false, signal }, {
//     decide: async (step, drive, again) => 'run',          // or 'type' | 'skip' | 'quit' | { goto: index }
//     type: async (step, drive) => ({ commands: [] }),        // the person typed the commands (a shell)
//     after: async (step, result, drive) => 'next',         // or 'end' | 'quit' | { goto: index }
//   });
// Every hook is optional (none: straight through, as `lab run --check`). Hooks may take as long as a
// person needs; aborting `signal` ends the run at once, as an interrupted one. Between hooks the front
// end may ask `drive` for a check, a trace, or to prepare a step's start; `drive.session` is current.
// driveLab always resolves with the result (never throws); the sandbox is gone, or kept, by then.
import { InterruptedError, SandboxDiedError, toLabError } from '../errors.js';
import { Sessions } from './driver-sessions.js';
import { runStep } from './driver-step.js';
import type { Drive, DriveOptions, FrontEnd, NextChoice } from './driver-types.js';
import type { LoadedLab } from './loader.js';
import { checkEnvironment, checkSelection } from './preflight.js';
import { errorSummary, type LabResult, type StepResult } from './result.js';
import { stepInfos } from './session.js';

export type * from './driver-types.js';

// Runs the lab with a front end's decisions and always resolves with a result.
export async function driveLab(loaded: LoadedLab, opts: DriveOptions, front: FrontEnd = {}): Promise<LabResult> {
  const { def } = loaded;
  const { events } = opts;
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
  // One signal for the run: the caller's, or the front end's own (its terminal went away).
  const stop = new AbortController();
  let sessions: Sessions | undefined;
  const onAbort = (): void => {
    if (!stop.signal.aborted) stop.abort(opts.signal?.reason ?? 'SIGINT');
    sessions?.abort();
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const checkAbort = (): void => {
    if (stop.signal.aborted) throw new InterruptedError(String(stop.signal.reason ?? 'SIGINT'));
  };
  const straight = opts.straightThrough ?? (!front.after && !front.type);
  try {
    const start = front.start ? await front.start(def) : 0;
    checkAbort();
    sessions = await Sessions.open(loaded, {
      events,
      signal: stop.signal,
      ...(opts.savePcap ? { savePcap: opts.savePcap } : {}),
      ...(straight ? { straightThrough: true } : {}),
    });
    const s = sessions;
    const drive = driveOf(def, opts, stop.signal, s, front);
    result.runId = s.current.runId;
    if (s.current.rootfs) result.rootfs = s.current.rootfs;
    checkAbort();
    if (opts.links) await s.current.links('setup');
    front.opened?.(drive, start);
    if (start > 0) {
      front.replayed?.(await s.replay(start));
      result.resumedAt = start;
    }
    const done = new Map<string, StepResult>(); // the last result of each step run
    let i = start;
    let again = false;
    while (i < def.steps.length) {
      const info = drive.steps[i];
      if (!info) break;
      const choice = front.decide
        ? await front.decide(info, drive, again)
        : opts.skip.includes(info.id)
          ? 'skip'
          : 'run';
      checkAbort();
      if (choice === 'quit') {
        result.stoppedEarly = { after: info.index, of: info.total };
        break;
      }
      if (typeof choice === 'object') {
        i = choice.goto;
        again = true;
        await drive.goto(i);
        result.runId = s.current.runId;
        continue;
      }
      let sr: StepResult | 'quit';
      try {
        sr = await runStep(drive, info, choice, front, Boolean(opts.trace));
      } catch (err) {
        if (!s.current.died) throw err;
        // The sandbox died under the step: the step failed, whatever the driver tripped over first.
        sr = { id: info.id, title: info.title, status: 'failed', skipped: false, commands: [], durationMs: 0 };
        events.emit({ type: 'step-end', stepId: info.id, status: 'failed', durationMs: 0 });
      }
      checkAbort();
      if (sr === 'quit') {
        result.stoppedEarly = { after: info.index, of: info.total };
        break;
      }
      done.set(info.id, sr);
      front.stepDone?.(info, sr, drive);
      if (s.current.died) throw new SandboxDiedError(info.id);
      if (opts.links) await s.current.links(info.id);
      if (sr.status === 'failed' && opts.onFail) {
        await opts.onFail({ stepId: info.id, runId: s.current.runId, nodes: s.current.nodes });
        break;
      }
      if (opts.until === info.id) break;
      const next: NextChoice = front.after ? await front.after(info, sr, drive) : 'next';
      checkAbort();
      if (next === 'end') break;
      if (next === 'quit') {
        result.stoppedEarly = { after: info.index + 1, of: info.total };
        break;
      }
      if (next === 'next') {
        i++;
        again = false;
      } else {
        again = true;
        i = next.goto;
        await drive.goto(i);
        result.runId = s.current.runId;
      }
    }
    result.steps = def.steps.flatMap((st) => done.get(st.id) ?? []);
  } catch (err) {
    const e = toLabError(stop.signal.aborted ? new InterruptedError(String(stop.signal.reason ?? 'SIGINT')) : err);
    result.status = e instanceof InterruptedError ? 'interrupted' : 'error';
    result.error = errorSummary(e);
    if (e instanceof InterruptedError) sessions?.abort(); // at once; close() below waits for it
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    const keep = opts.keep && result.status !== 'interrupted';
    if (sessions) {
      front.closing?.(result, keep);
      const session = sessions.current;
      result.runId = session.runId;
      const report = await sessions.close(keep);
      if (keep)
        result.kept = {
          runId: session.runId,
          shell: `lab shell ${session.runId} NODE   (nodes: ${session.nodes.join(', ')})`,
        };
      if (!report.ok) result.teardown = report;
    }
  }
  return finish();
}

// The run as the front end's hooks see it.
function driveOf(def: LoadedLab['def'], opts: DriveOptions, signal: AbortSignal, s: Sessions, front: FrontEnd): Drive {
  return {
    lab: def,
    events: opts.events,
    signal,
    steps: s.current.steps,
    get session() {
      return s.current;
    },
    check: (stepId) => s.current.check(stepId, 'after'),
    trace: (stepId) => s.current.trace(stepId),
    runCommands: (stepId) => s.current.runCommands(stepId, { signal }),
    prepare: (index) => s.prepare(index),
    dropSpare: () => s.retireSpare(),
    goto: async (index) => {
      const t0 = performance.now();
      front.rebuilding?.(index);
      const rows = await s.goto(index);
      front.rebuilt?.(index, rows, performance.now() - t0);
      return rows;
    },
  };
}

// A signal that came at any moment of the run, even after its last step, makes it an interrupted run.
export function markInterrupted(result: LabResult, signal?: AbortSignal): void {
  if (!signal?.aborted || result.status === 'interrupted') return;
  result.status = 'interrupted';
  result.error = errorSummary(new InterruptedError(String(signal.reason ?? 'SIGINT')));
}
