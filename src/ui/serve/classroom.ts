// The class as the routes and the web front end see it: tokens to people, each student's lab, their
// progress (always from the store), and who is told when it changes.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { LabEvent } from '../../engine/events.js';
import type { LoadedLab } from '../../engine/loader.js';
import type { CheckOutcome, LiveLab, ServeContext, StepState, StudentView, Who } from './context.js';
import { Gate } from './gate.js';
import { Spawner } from './spawner.js';
import type { ClassStore, StudentRow } from './store.js';
import type { CommandView, StudentSession } from './student-session.js';
import { sameSecret } from './tokens.js';

export interface ClassroomOptions {
  store: ClassStore;
  labs: Map<string, LoadedLab>;
  maxStudents: number;
  idleMs: number;
  spares: number;
}

// "Run it for me": the step's commands, and whether a new sandbox was made for it (with those steps replayed).
export interface RunOutcome {
  ok: boolean;
  commands: CommandView[];
  fresh: boolean;
  replayed: string[];
}

export type JoinResult = { ok: true; student: StudentRow; token: string } | { ok: false; why: 'code' | 'full' };

export class Classroom implements ServeContext {
  readonly store: ClassStore;
  readonly spawner: Spawner;
  private readonly labMap: Map<string, LoadedLab>;
  private readonly listeners = new Set<(id: string) => void>();
  // Who hears each student's sandbox: a new sandbox (run it for me, a reset) is heard by the same listeners.
  private readonly relays = new Map<string, Set<(e: LabEvent) => void>>();
  private readonly maxStudents: number;
  // Checks run at once: beyond this, the captures of a whole class checking together starve for CPU
  // (a check then fails on a stalled capture, not on the student's work); the rest wait their turn. A
  // check holds its place mostly waiting (about 30 ms of CPU in 170 ms), so 8 per CPU: at 3 the line
  // itself made the median check at 30 students 4.6x one student's, at 8 it is 2.5x (docs/serve.md).
  private readonly checks = new Gate(8 * Math.max(1, availableParallelism()));

  constructor(opts: ClassroomOptions) {
    this.store = opts.store;
    this.labMap = opts.labs;
    this.maxStudents = opts.maxStudents;
    this.spawner = new Spawner({
      store: opts.store,
      labs: opts.labs,
      idleMs: opts.idleMs,
      spares: opts.spares,
      onChange: (id) => this.changed(id),
      onEvent: (id, e) => {
        for (const l of this.relays.get(id) ?? []) l(e);
      },
    });
  }

  // A new student, when the code is right and the class has room; the token is shown once, never kept.
  join(code: string, name: string): JoinResult {
    if (!sameSecret(code.toUpperCase(), this.store.code)) return { ok: false, why: 'code' };
    if (this.store.count() >= this.maxStudents) return { ok: false, why: 'full' };
    const token = randomBytes(16).toString('base64url');
    const student = this.store.addStudent(randomBytes(6).toString('hex'), name, token);
    this.spawner.refill(); // a student who joined is about to start: a spare for them
    this.changed(student.id);
    return { ok: true, student, token };
  }

  who(token: string | undefined): Who | undefined {
    if (!token) return undefined;
    if (sameSecret(token, this.store.teacherToken)) return { kind: 'teacher' };
    const s = this.store.studentByToken(token);
    return s ? { kind: 'student', id: s.id, name: s.name } : undefined;
  }

  // A WebSocket's Origin must be this server's own address (the Host the browser asked).
  originAllowed(origin: string | undefined, host: string | undefined): boolean {
    if (!origin || !host) return false;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  labs(): { id: string; title: string }[] {
    return [...this.labMap.values()].map((l) => ({ id: l.def.id, title: l.def.title }));
  }

  hasLab(lab: string): boolean {
    return this.labMap.has(lab);
  }

  hasStep(lab: string, step: string): boolean {
    return this.labMap.get(lab)?.def.steps.some((s) => s.id === step) ?? false;
  }

  // The step the student looks at, kept so a reload or a restarted server brings them back to it.
  view(studentId: string, lab: string, step: string): void {
    this.store.touch(studentId, { lab, step });
    this.changed(studentId);
  }

  // The step's own commands, from the step's starting state: in the student's sandbox when it is at
  // that state already, else in a new one with the steps before it replayed (what they typed is gone).
  runStep(studentId: string, lab: string, stepId: string): Promise<RunOutcome> {
    this.store.touch(studentId, { lab, step: stepId });
    this.changed(studentId);
    return this.spawner.atStep(studentId, lab, stepId, async (s, replayed) => ({
      ...(await s.run(stepId)),
      fresh: replayed !== undefined,
      replayed: replayed ?? [],
    }));
  }

  // Runs `fn` on the student's sandbox of the lab (built if needed), and notes where they are.
  use<T>(studentId: string, lab: string, fn: (s: StudentSession) => Promise<T>, step?: string): Promise<T> {
    this.store.touch(studentId, { lab, ...(step ? { step } : {}) });
    this.changed(studentId);
    return this.spawner.use(studentId, lab, fn);
  }

  // A check, recorded, and the board told.
  async check(studentId: string, lab: string, stepId: string): Promise<CheckOutcome> {
    const out = await this.use(studentId, lab, (s) => this.checks.run(() => s.check(stepId)), stepId);
    this.store.recordCheck(studentId, lab, stepId, out.passed);
    this.changed(studentId);
    return out;
  }

  live(studentId: string): LiveLab | undefined {
    const cur = this.spawner.current(studentId);
    return cur ? this.liveLab(studentId, cur.lab, cur.session) : undefined;
  }

  async start(studentId: string, lab: string): Promise<LiveLab> {
    const s = await this.use(studentId, lab, async (x) => x);
    return this.liveLab(studentId, lab, s);
  }

  // The web front end's handle on a student's sandbox; every call goes through the student's queue.
  private liveLab(studentId: string, lab: string, s: StudentSession): LiveLab {
    return {
      lab,
      nodes: s.nodes,
      steps: s.steps,
      shell: (node, cmd) => s.shell(node, cmd),
      onEvent: (l) => {
        const set = this.relays.get(studentId) ?? new Set();
        this.relays.set(studentId, set.add(l));
        return () => {
          set.delete(l);
          if (!set.size && this.relays.get(studentId) === set) this.relays.delete(studentId);
        };
      },
      check: (stepId) => this.check(studentId, lab, stepId),
      run: (stepId) => this.runStep(studentId, lab, stepId),
      trace: (stepId) => this.use(studentId, lab, (x) => x.trace(stepId), stepId),
      links: (stepId) => this.use(studentId, lab, (x) => x.links(stepId)),
      typed: () => s.typed(),
      touch: () => {
        this.spawner.touch(studentId);
        this.store.touch(studentId);
      },
    };
  }

  predict(studentId: string, lab: string, stepId: string, choice: number, right: boolean): void {
    this.store.recordPrediction(studentId, lab, stepId, choice, right);
    this.changed(studentId);
  }

  // One student as the board shows them: every step of their lab, with its last check and prediction.
  student(id: string): StudentView | undefined {
    const row = this.store.student(id);
    if (!row || row.kicked) return undefined;
    const lab = row.lab ? this.labMap.get(row.lab) : undefined;
    const checks = this.store.checks(id, row.lab ?? undefined);
    const preds = this.store.predictions(id).filter((p) => p.lab === row.lab);
    const steps: StepState[] = (lab?.def.steps ?? []).map((s) => {
      const c = checks.find((x) => x.step === s.id);
      const p = preds.find((x) => x.step === s.id);
      return {
        id: s.id,
        passed: c ? c.passed : null,
        ...(p ? { prediction: { choice: p.choice, right: p.right } } : {}),
      };
    });
    return {
      id: row.id,
      name: row.name,
      lab: row.lab,
      step: row.step,
      steps,
      lastActive: row.lastActive,
      live: this.spawner.current(id) !== undefined,
    };
  }

  classView(): StudentView[] {
    return this.store
      .students()
      .map((s) => this.student(s.id))
      .filter((s): s is StudentView => s !== undefined);
  }

  onChange(listener: (studentId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(id: string): void {
    for (const l of this.listeners) {
      try {
        l(id);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  async kick(studentId: string): Promise<void> {
    this.store.kick(studentId);
    await this.spawner.drop(studentId);
    this.changed(studentId);
  }

  async reset(studentId: string): Promise<void> {
    await this.spawner.drop(studentId);
  }

  async close(): Promise<void> {
    await this.spawner.closeAll();
  }
}
