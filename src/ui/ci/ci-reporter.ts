// The CI front end: a listr2 task per step; live on a TTY, plain lines in CI or a pipe.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { LabEvents, StepInfo } from '../../engine/events.js';
import type { LabResult } from '../../engine/result.js';
import { deferred, type Deferred } from './deferred.js';
import { defaultRenderer } from './renderer.js';
import { stepLines, teardownLine } from '../shared/lines.js';
import type { Reporter } from '../shared/reporter.js';
import { wrap } from '../shared/text.js';

export interface CiReporterOptions {
  renderer?: 'default' | 'simple' | 'test';
  explain?: boolean; // print each step's explanation (lab run without --check)
  verbose?: boolean;
}

type Task = ListrTaskWrapper<unknown, never, never>;
interface StepTrack {
  info: StepInfo;
  started: Deferred<boolean>; // false: the run ended before this step
  ended: Deferred<string>; // final status
  lines: string[];
  task?: Task;
}

// Subscribes to the engine and renders; `done()` resolves when the list has finished drawing.
export function attachCiReporter(events: LabEvents, opts: CiReporterOptions = {}): Reporter {
  let running: Promise<void> = Promise.resolve();
  const tracks = new Map<string, StepTrack>();
  const sandboxReady = deferred<string>();
  const teardown = deferred<string>();
  const rootfsLines: string[] = [];
  const withBefore = new Set<string>();
  let rootfsTask: Task | undefined;
  const write = (stepId: string, line: string): void => {
    const t = tracks.get(stepId);
    if (!t) return;
    if (t.task) t.task.output = line;
    else t.lines.push(line);
  };

  events.on('lab-start', (e) => {
    for (const info of e.steps) tracks.set(info.id, { info, started: deferred(), ended: deferred(), lines: [] });
    const stepTasks = e.steps.map((info) => ({
      title: `${info.index + 1}/${info.total} ${info.id}: ${info.title}`,
      task: async (_ctx: unknown, task: Task) => {
        const t = tracks.get(info.id) as StepTrack;
        const skippedByOption = e.options.skip.includes(info.id);
        if (opts.explain) for (const l of wrap(info.explain)) task.output = l;
        if (skippedByOption) task.output = '(--skip: its commands are left out; its check still runs)';
        const begun = await t.started.promise;
        if (!begun) return task.skip(`${info.id}: not run`);
        t.task = task;
        for (const l of t.lines) task.output = l;
        const status = await t.ended.promise;
        if (status === 'failed') throw new StepFailed(`${info.id}: ${info.title} — FAILED`);
        if (status === 'not-run') return task.skip(`${info.id}: not run`);
      },
      rendererOptions: { persistentOutput: true, outputBar: Infinity },
    }));
    const list = new Listr(
      [
        {
          title: `${e.lab.id}: ${e.lab.title}`,
          task: async (_c: unknown, task: Task) => {
            rootfsTask = task;
            for (const l of rootfsLines) task.output = l;
            task.output = await sandboxReady.promise;
          },
          rendererOptions: { persistentOutput: true },
        },
        ...stepTasks,
        {
          title: 'teardown',
          task: async (_c: unknown, task: Task) => void (task.output = await teardown.promise),
          rendererOptions: { persistentOutput: true },
        },
      ],
      {
        concurrent: false,
        exitOnError: false,
        registerSignalListeners: false,
        renderer: opts.renderer ?? defaultRenderer(),
        rendererOptions: { collapseErrors: false, collapseSubtasks: false },
      },
    );
    // A failed step is the run's verdict, told by its task; anything else listr2 throws is a real error.
    running = list.run().then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof StepFailed)) throw err;
      },
    );
  });
  const setupLine = (line: string): void => void (rootfsTask ? (rootfsTask.output = line) : rootfsLines.push(line));
  events.on('rootfs-progress', (e) => setupLine(e.line));
  events.on('sandbox-waiting', (e) => setupLine(e.line)); // the machine runs its limit of sandboxes
  events.on('sandbox-ready', (e) =>
    sandboxReady.resolve(`sandbox ${e.runId} ready in ${Math.round(e.durationMs)} ms: nodes ${e.nodes.join(', ')}`),
  );
  events.on('step-start', (e) => tracks.get(e.step.id)?.started.resolve(true));
  events.onAny((e) => {
    const told = stepLines(e, Boolean(opts.verbose), withBefore);
    for (const l of told?.lines ?? []) write(told?.stepId ?? '', l);
  });
  events.on('step-end', (e) => tracks.get(e.stepId)?.ended.resolve(e.status));
  events.on('teardown-end', (e) => teardown.resolve(teardownLine(e)));
  events.on('lab-end', (e: { result: LabResult }) => {
    sandboxReady.resolve(e.result.error ? `error: ${e.result.error.message}` : 'sandbox ready');
    teardown.resolve('done');
    for (const t of tracks.values()) {
      t.started.resolve(false);
      t.ended.resolve('not-run');
    }
  });
  return { done: () => running };
}

// How a task tells listr2 its step failed.
class StepFailed extends Error {}
