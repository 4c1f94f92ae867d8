// A run told by its events, gathered for the reports written at the end (JUnit, HTML).
import type { CheckResult } from '../../check/types.js';
import type { EventOf, LabEvents, StepInfo } from '../../engine/events.js';
import type { NodeFacts } from '../../engine/links.js';
import type { LabResult, StepStatus } from '../../engine/result.js';
import type { CommandRecord } from '../../sys/exec.js';

export interface StoryCheck {
  phase: 'before' | 'after';
  result: CheckResult;
  ms: number; // since the step's previous mark (its start, or its before-check)
}

export interface StoryStep {
  info: StepInfo;
  skipped: boolean;
  commands: { record: CommandRecord; ok: boolean; expectFail: boolean }[];
  checks: StoryCheck[];
  status?: StepStatus;
  durationMs: number;
  links?: NodeFacts[]; // the wiring after this step
}

export interface RunStory {
  lab?: EventOf<'lab-start'>['lab'];
  steps: StepInfo[]; // every step of the lab, run or not
  run: StoryStep[]; // the steps that ran, in order
  runId?: string;
  links?: NodeFacts[]; // the latest wiring seen
  startedAt: Date;
  result?: LabResult;
}

// Listens to a run and calls `onEnd` with the whole story at lab-end.
export function gatherStory(events: LabEvents, onEnd: (s: RunStory) => void): RunStory {
  const story: RunStory = { steps: [], run: [], startedAt: new Date() };
  let mark = performance.now();
  const current = (id: string): StoryStep | undefined => story.run.find((s) => s.info.id === id);
  events.on('lab-start', (e) => {
    story.lab = e.lab;
    story.steps = e.steps;
  });
  events.on('sandbox-ready', (e) => (story.runId = e.runId));
  events.on('step-start', (e) => {
    mark = performance.now();
    // A step walked again (a retry, or back to it) is told by its last attempt, as in the result.
    story.run = story.run.filter((s) => s.info.id !== e.step.id);
    story.run.push({ info: e.step, skipped: e.skipped, commands: [], checks: [], durationMs: 0 });
  });
  events.on('command-end', (e) => {
    if (!e.setup && !e.check)
      current(e.stepId)?.commands.push({ record: e.record, ok: e.ok, expectFail: e.expectFail });
  });
  events.on('check-result', (e) => {
    const now = performance.now();
    current(e.stepId)?.checks.push({ phase: e.phase, result: e.result, ms: now - mark });
    mark = now;
  });
  events.on('step-end', (e) => {
    const s = current(e.stepId);
    if (s) Object.assign(s, { status: e.status, durationMs: e.durationMs });
  });
  events.on('links', (e) => {
    story.links = e.nodes;
    const s = current(e.stepId);
    if (s) s.links = e.nodes;
  });
  events.on('lab-end', (e) => {
    story.result = e.result;
    onEnd(story);
  });
  return story;
}

// Writes a report at lab-end; `done` rejects if writing failed.
export function storyReporter(events: LabEvents, write: (s: RunStory) => void): { done: () => Promise<void> } {
  let written: Promise<void> = Promise.resolve();
  gatherStory(events, (s) => {
    try {
      write(s);
    } catch (err) {
      written = Promise.reject(err as Error);
      written.catch(() => undefined);
    }
  });
  return { done: () => written };
}
