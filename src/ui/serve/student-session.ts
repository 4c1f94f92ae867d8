// One student's lab, as the server drives it: the engine's session driver (a sandbox, its captures and
// checks) behind the few calls the API makes. The only file of the server that talks to the engine's session.
import { LabEvents, type LabEvent, type StepInfo } from '../../engine/events.js';
import { pickHint } from '../../check/hints.js';
import type { LoadedLab } from '../../engine/loader.js';
import { formatCheckReport } from '../../check/format.js';
import { driveLab, type Drive, type StepChoice } from '../../engine/driver.js';
import type { LabSession } from '../../engine/session.js';
import { EnvironmentError, LabRunnerError } from '../../errors.js';
import type { ShellSpec } from '../../sandbox/enter.js';
import type { CheckOutcome } from './context.js';

export const EXEC_TIMEOUT_MS = 30_000; // as any lab command
const OUTPUT_LIMIT = 64 * 1024; // per stream, in a response

// A step as the page shows it: the engine's description, and the prediction without its answer.
export interface StepView extends StepInfo {
  prediction: { question: string; choices: string[] } | null;
  hasCheck: boolean;
}

export interface CommandView {
  node: string;
  command: string;
  exitCode: number | null;
  ok: boolean;
  output: string;
}

// How long a start waits for a slot that other runs on this machine hold, before it is refused.
const slotGraceMs = (): number => Number(process.env.LAB_SERVE_SLOT_GRACE_MS ?? 15_000);

// The machine runs its bound of sandboxes: a start is refused (503), never left waiting.
export function machineFull(bound: number, why: string): EnvironmentError {
  return new EnvironmentError(
    'MACHINE_FULL',
    `no sandbox is free: this machine runs ${bound} sandboxes at once (${why}). Ask the teacher, who can allow more with LAB_MAX_SANDBOXES, or try again in a while`,
    `the teacher can allow more with LAB_MAX_SANDBOXES=N (about 15 MiB of memory each) and restart lab serve`,
  );
}

const cut = (s: string): string => (s.length > OUTPUT_LIMIT ? `${s.slice(0, OUTPUT_LIMIT)}\n[output cut]` : s);

export class StudentSession {
  private readonly listeners = new Set<(e: LabEvent) => void>();
  private readonly ran: string[] = []; // the steps whose commands ran here, in order
  private clean = true; // nothing but whole steps' commands ran here (no exec, no typing, no failure)

  private constructor(
    private readonly drive: Drive,
    events: LabEvents,
    private readonly quit: () => void,
    private readonly done: Promise<unknown>,
  ) {
    events.onAny((e) => {
      for (const l of this.listeners) l(e);
    });
  }

  // The session the driver holds now.
  private get session(): LabSession {
    return this.drive.session;
  }

  // Builds the student's sandbox for a lab through the session driver (its preflight, open, close); the
  // signal ends a wait for a sandbox slot. The student's calls come in any order, so the driver waits
  // at the first step until the lab is stopped, and every call goes through its drive. When the
  // machine's slots are all held by other runs, it gives up after a short grace (`machineFull`) rather
  // than keep a student waiting at "start" for minutes.
  static async open(loaded: LoadedLab, signal: AbortSignal | undefined, bound: number): Promise<StudentSession> {
    const events = new LabEvents();
    const full = new AbortController();
    let grace: NodeJS.Timeout | undefined;
    events.on('sandbox-waiting', () => {
      grace ??= setTimeout(() => full.abort('the machine is full'), slotGraceMs());
    });
    events.on('sandbox-slot', () => clearTimeout(grace)); // the grace is for the slot, not the build after it
    signal = signal ? AbortSignal.any([signal, full.signal]) : full.signal;
    let quit: () => void = () => undefined;
    const quitting = new Promise<StepChoice>((resolve) => (quit = () => resolve('quit')));
    signal.addEventListener('abort', () => quit(), { once: true });
    let ready: (d: Drive) => void = () => undefined;
    const opened = new Promise<Drive>((resolve) => (ready = resolve));
    const done = driveLab(
      loaded,
      { events, skip: [], keep: false, straightThrough: false, signal },
      {
        decide: (_step, drive) => {
          ready(drive);
          return quitting;
        },
      },
    );
    const ended = done.then((r) => {
      if (full.signal.aborted) throw machineFull(bound, 'other runs hold every one of them');
      throw r.error
        ? new LabRunnerError(r.error.code, r.error.message, r.error.exitCode, r.error.hint)
        : new Error(`the lab ended before it opened (${r.status})`);
    });
    ended.catch(() => undefined); // only the race below reads it
    try {
      const drive = await Promise.race([opened, ended]);
      return new StudentSession(drive, events, quit, done);
    } finally {
      clearTimeout(grace);
    }
  }

  get lab(): string {
    return this.session.lab.id;
  }

  get nodes(): string[] {
    return this.session.nodes;
  }

  get died(): boolean {
    return this.session.died;
  }

  get runId(): string {
    return this.session.runId;
  }

  get steps(): StepInfo[] {
    return this.session.steps;
  }

  // The steps with what the page needs to ask the prediction (never the answer).
  stepViews(): StepView[] {
    return this.session.steps.map((info) => {
      const def = this.session.step(info.id);
      const p = def.prediction;
      return {
        ...info,
        prediction: p ? { question: p.question, choices: p.choices } : null,
        hasCheck: Boolean(def.check),
      };
    });
  }

  hasStep(stepId: string): boolean {
    return this.session.steps.some((s) => s.id === stepId);
  }

  // The prediction's answer, for recording whether a choice was right.
  answer(stepId: string): number | undefined {
    return this.session.step(stepId).prediction?.answer;
  }

  // True when this sandbox is at the start of the step: the steps before it ran here, in order, and
  // nothing else did (no command of the student's, no typing in a terminal, no failed command).
  atStartOf(stepId: string): boolean {
    const before = this.steps.map((s) => s.id);
    return this.clean && before.indexOf(stepId) === this.ran.length && this.ran.every((id, i) => before[i] === id);
  }

  // The student typed in a terminal: what the sandbox holds is no longer only the steps' commands.
  typed(): void {
    this.clean = false;
  }

  // The step's own commands (after its setup), in order.
  async run(stepId: string): Promise<{ ok: boolean; commands: CommandView[] }> {
    this.ran.push(stepId);
    const cmds = await this.session.runCommands(stepId).catch((err: unknown) => {
      this.clean = false;
      throw err;
    });
    if (!cmds.every((c) => c.ok)) this.clean = false;
    return {
      ok: cmds.every((c) => c.ok),
      commands: cmds.map((c) => ({
        node: c.node,
        command: c.display,
        exitCode: c.exitCode ?? null,
        ok: c.ok,
        output: cut(c.output),
      })),
    };
  }

  // One command in a node, its argv as given, bounded like any lab command.
  async exec(node: string, argv: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    this.clean = false;
    const r = await this.session.exec(node, argv, EXEC_TIMEOUT_MS);
    return { exitCode: r.exitCode ?? null, stdout: cut(r.output), stderr: cut(r.stderr) };
  }

  // The step's check, with its verdict lines and, when it fails, the hint the engine picks.
  async check(stepId: string): Promise<CheckOutcome> {
    await this.session.arrange(stepId); // a step's setup is part of its starting state
    const r = await this.session.check(stepId, 'after');
    if (!r) return { passed: true, lines: ['this step has no check'], hint: null };
    return { passed: r.pass, lines: formatCheckReport(r), hint: r.pass ? null : (pickHint(r)?.text ?? null) };
  }

  // Reads every node's wiring; the `links` event carries it to the pages' drawing.
  async links(stepId: string): Promise<void> {
    await this.session.links(stepId);
  }

  // The path of the step's first probe through netfilter.
  async trace(stepId: string): Promise<{ lines: string[] }> {
    return { lines: (await this.session.trace(stepId)).lines };
  }

  // Replays steps' commands (a rebuilt sandbox catching up); the ids of those whose commands failed.
  async replay(stepIds: string[]): Promise<string[]> {
    const failed: string[] = [];
    for (const id of stepIds) if (!(await this.run(id)).ok) failed.push(id);
    return failed;
  }

  shell(node: string, cmd: string[] = []): ShellSpec {
    return this.session.shell(node, cmd);
  }

  // Every engine event of this lab (packets, checks, links) until the returned function is called.
  onEvent(listener: (e: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Removes the sandbox: the driver's wait ends, and it closes the session.
  async close(): Promise<void> {
    this.listeners.clear();
    this.quit();
    await this.done;
  }
}
