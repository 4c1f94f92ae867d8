// The shapes a front end and the session driver speak in: the decisions a person makes, the hooks.
import type { CheckResult } from '../check/types.js';
import type { LabEvents, StepInfo } from './events.js';
import type { LabDef } from '../model/lab.js';
import type { LabResult, StepResult } from './result.js';
import type { LabSession, StepCommand } from './session.js';
import type { TraceResult } from './trace-types.js';

// Before a step: run its commands, let the person type them, leave them out, end the run here, or go
// to the start of another step first (a fresh sandbox with the steps before it replayed).
export type StepChoice = 'run' | 'type' | 'skip' | 'quit' | { goto: number };

// After a step: the next one, end the lab (the steps left are not run), quit (stopped early), or the
// start of a step (a fresh sandbox with the steps before it replayed): the same one is a retry.
export type NextChoice = 'next' | 'end' | 'quit' | { goto: number };

// What the person's typing came to: the commands they had run for them (if any) and the last check.
export interface Typed {
  commands: StepCommand[];
  check?: CheckResult; // absent: the driver checks the step now
}

// A failed step whose sandbox stays up (--pause-on-fail): the run ends once the hook returns.
export type OnFail = (f: { stepId: string; runId: string; nodes: string[] }) => Promise<void>;

export interface DriveOptions {
  events: LabEvents; // every event of the run, of whichever sandbox is current: reporters listen here
  skip: string[];
  until?: string;
  keep: boolean;
  savePcap?: string;
  trace?: boolean; // after each step's check, trace its first probe's packet (--trace)
  signal?: AbortSignal; // aborted on SIGINT/SIGTERM/SIGHUP, or by the front end (its terminal went away)
  links?: boolean; // tell the wiring (`links` event) after the sandbox is built and after each step
  onFail?: OnFail;
  // Straight through: each step once, in order, no live packets (see SessionOptions.straightThrough).
  // Only for a front end without `after` and `type`.
  straightThrough?: boolean;
}

// A replayed step of a rebuilt or resumed sandbox, and its commands that failed.
export interface Replayed {
  info: StepInfo;
  commands: number;
  failed: string[];
}

// The run as a front end sees it while it drives: the current session and what it may ask of it.
export interface Drive {
  readonly lab: LabDef;
  readonly events: LabEvents;
  readonly signal: AbortSignal;
  readonly steps: StepInfo[];
  readonly session: LabSession; // replaced when the run goes back to a step's start
  check(stepId: string): Promise<CheckResult | undefined>; // the step's check, now
  trace(stepId: string): Promise<TraceResult>; // the packet's path of the step's first probe
  runCommands(stepId: string): Promise<StepCommand[]>; // the step's commands, run for the person
  prepare(index: number): void; // start making the start of step `index` ahead (a spare sandbox)
  dropSpare(): void; // no retry is coming: the spare sandbox goes (in the background)
  goto(index: number): Promise<Replayed[]>; // back to the start of step `index`; the replayed steps whose commands failed
}

// A front end: rendering and input only. Every hook is optional; without any, the run goes straight through.
export interface FrontEnd {
  // Where to start (a resumed walk), asked before the sandbox is built; the steps before it are then
  // replayed without their checks.
  start?(lab: LabDef): Promise<number>;
  opened?(drive: Drive, start: number): void; // the sandbox is up
  replayed?(rows: Replayed[]): void; // the steps a resume replayed
  rebuilding?(index: number): void; // going back to the start of step `index` (a fresh sandbox)
  rebuilt?(index: number, rows: Replayed[], ms: number): void; // ... and there
  decide?(step: StepInfo, drive: Drive, again: boolean): Promise<StepChoice>; // again: this step once more
  // The person types the step's commands (in a shell); 'quit' ends the run there.
  type?(step: StepInfo, drive: Drive): Promise<Typed | 'quit'>;
  running?(step: StepInfo, on: boolean): void; // the step's own commands start (true) or are over (false)
  stepDone?(step: StepInfo, result: StepResult, drive: Drive): void; // the step's verdict, before --pause-on-fail
  after?(step: StepInfo, result: StepResult, drive: Drive): Promise<NextChoice>;
  closing?(result: LabResult, keep: boolean): void; // the sandbox is about to be kept or removed
}
