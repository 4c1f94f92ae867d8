// What the server hands the web front end (src/ui/serve/web/plugin.ts exports
// `registerWeb(app, ctx)`): who a token belongs to, each student's live lab, and the class's state.
// Tokens travel in an `Authorization: Bearer` header, or as the first WebSocket message: never in a URL.
import type { FastifyInstance } from 'fastify';
import type { LabEvent, StepInfo } from '../../engine/events.js';
import type { ShellSpec } from '../../sandbox/enter.js';

export type Who = { kind: 'teacher' } | { kind: 'student'; id: string; name: string };

// One step's state for a student, as the board shows it.
export interface StepState {
  id: string;
  passed: boolean | null; // null: not tried
  prediction?: { choice: number; right: boolean };
}

// One student as the board and the API show them.
export interface StudentView {
  id: string;
  name: string;
  lab: string | null; // the lab they are on
  step: string | null; // the step they are on
  steps: StepState[];
  lastActive: string; // ISO time of the last request or terminal input
  live: boolean; // a sandbox is up for them now
}

export interface CheckOutcome {
  passed: boolean;
  lines: string[];
  hint: string | null;
}

// A student's sandbox while it lives (one lab at a time). Its methods record progress in the store.
export interface LiveLab {
  readonly lab: string;
  readonly nodes: string[];
  readonly steps: StepInfo[];
  shell(node: string, cmd?: string[]): ShellSpec; // the argv and environment node-pty spawns
  onEvent(listener: (e: LabEvent) => void): () => void; // packets, checks, links; returns the unsubscribe
  check(stepId: string): Promise<CheckOutcome>; // recorded; the board hears of it
  run(stepId: string): Promise<{ ok: boolean; fresh: boolean }>; // the step's own commands ("run it for me"), from its starting state (fresh: in a new sandbox)
  trace(stepId: string): Promise<{ lines: string[] }>; // the packet's path
  links(stepId: string): Promise<void>; // reads the wiring now; a `links` event tells it (the drawing)
  touch(): void; // activity (terminal input): postpones the idle reclaim
  typed(): void; // terminal input: the sandbox is no longer at a step's starting state
}

export interface ServeContext {
  who(token: string | undefined): Who | undefined; // constant-time; undefined: no such token
  originAllowed(origin: string | undefined, host: string | undefined): boolean; // for WebSockets
  labs(): { id: string; title: string }[];
  live(studentId: string): LiveLab | undefined; // the sandbox if it is up now
  start(studentId: string, lab: string): Promise<LiveLab>; // builds (or reuses) it, replaying passed steps
  view(studentId: string, lab: string, step: string): void; // the step they look at, kept across reloads and restarts
  predict(studentId: string, lab: string, stepId: string, choice: number, right: boolean): void;
  classView(): StudentView[];
  student(id: string): StudentView | undefined;
  onChange(listener: (studentId: string) => void): () => void; // a student's progress or state changed
  kick(studentId: string): Promise<void>; // token revoked, sandbox removed
  reset(studentId: string): Promise<void>; // sandbox rebuilt from scratch, progress kept
}

export type RegisterWeb = (app: FastifyInstance, ctx: ServeContext) => Promise<void>;
