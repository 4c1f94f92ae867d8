// One sandbox per student, made on demand: a student's first call on a lab builds it (replaying the
// steps they had passed, when they come back after a restart or a reclaim), every later call reuses it.
// Calls on one student's sandbox run one at a time. A sandbox idle past the limit is removed; the
// student's progress stays in the store, and their next call rebuilds it.
import { availableParallelism } from 'node:os';
import type { LoadedLab } from '../../engine/loader.js';
import type { ClassStore } from './store.js';
import { Gate } from './gate.js';
import { SparePool } from './spare-pool.js';
import { StudentSession } from './student-session.js';

interface Entry {
  lab: string;
  session: Promise<StudentSession>;
  ready?: StudentSession; // once built
  lastUse: number;
  queue: Promise<unknown>;
}

export interface SpawnerOptions {
  store: ClassStore;
  labs: Map<string, LoadedLab>;
  idleMs: number; // reclaim a sandbox unused this long
  spares: number; // sandboxes built ahead, so a start is ready at once
  onChange: (studentId: string) => void;
}

export class Spawner {
  private readonly live = new Map<string, Entry>();
  private readonly sweep: NodeJS.Timeout;
  private readonly stop = new AbortController();
  private closing = false;
  // Sandboxes built at once: a whole class pressing "start" together would otherwise starve each
  // other's keepers past their start-up bound. The rest wait their turn.
  private readonly builds = new Gate(Math.max(2, availableParallelism()));
  private readonly pool: SparePool;

  constructor(private readonly opts: SpawnerOptions) {
    this.pool = new SparePool(opts.spares, (loaded) =>
      this.builds.run(() => StudentSession.open(loaded, this.stop.signal)),
    );
    const first = opts.labs.values().next().value;
    if (first) this.pool.aim(first);
    this.sweep = setInterval(() => void this.reclaim(), Math.max(1000, Math.min(opts.idleMs / 4, 30_000)));
    this.sweep.unref();
  }

  // The student's sandbox for a lab if it is up now (no build).
  current(studentId: string): { lab: string; session: StudentSession } | undefined {
    const e = this.live.get(studentId);
    return e?.ready && !e.ready.died ? { lab: e.lab, session: e.ready } : undefined;
  }

  // Runs `fn` on the student's sandbox of that lab, building it first if needed (another lab's
  // sandbox of theirs is removed: one at a time), after the student's calls before it.
  async use<T>(studentId: string, lab: string, fn: (s: StudentSession) => Promise<T>): Promise<T> {
    if (this.closing) throw new Error('the server is stopping');
    let e = this.live.get(studentId);
    if (e && (e.lab !== lab || e.ready?.died)) {
      await this.drop(studentId);
      e = undefined;
    }
    if (!e) {
      const entry: Entry = { lab, session: this.build(studentId, lab), lastUse: Date.now(), queue: Promise.resolve() };
      entry.queue = entry.session.then(
        (s) => (entry.ready = s),
        () => undefined,
      );
      this.live.set(studentId, entry);
      entry.session.catch(() => {
        if (this.live.get(studentId) === entry) this.live.delete(studentId);
      });
      e = entry;
    }
    const entry = e;
    entry.lastUse = Date.now();
    const run = entry.queue.then(async () => {
      const s = await entry.session;
      if (s.died) throw new Error('the sandbox died');
      try {
        return await fn(s);
      } finally {
        entry.lastUse = Date.now();
      }
    });
    entry.queue = run.catch(() => undefined);
    return run;
  }

  // Builds a sandbox and replays the steps the student passed before it, in order, up to the first
  // step they have not passed.
  private async build(studentId: string, lab: string): Promise<StudentSession> {
    const loaded = this.opts.labs.get(lab);
    if (!loaded) throw new Error(`unknown lab ${lab}`);
    const s =
      (await this.pool.take(loaded)) ?? (await this.builds.run(() => StudentSession.open(loaded, this.stop.signal)));
    try {
      const passed = new Set(
        this.opts.store
          .checks(studentId, lab)
          .filter((c) => c.everPassed)
          .map((c) => c.step),
      );
      const replay: string[] = [];
      for (const step of s.steps) {
        if (!passed.has(step.id)) break;
        replay.push(step.id);
      }
      if (replay.length) await s.replay(replay);
      this.opts.onChange(studentId);
      return s;
    } catch (err) {
      await s.close();
      throw err;
    }
  }

  // Removes the student's sandbox (their progress stays); waits for their calls in flight.
  async drop(studentId: string): Promise<void> {
    const e = this.live.get(studentId);
    if (!e) return;
    this.live.delete(studentId);
    await e.queue;
    const s = await e.session.catch(() => undefined);
    await s?.close();
    this.opts.onChange(studentId);
  }

  // Removes the sandboxes nobody used for the idle limit.
  private async reclaim(): Promise<void> {
    const now = Date.now();
    const idle = [...this.live].filter(([, e]) => now - e.lastUse > this.opts.idleMs).map(([id]) => id);
    await Promise.all(idle.map((id) => this.drop(id).catch(() => undefined)));
  }

  // Postpones the idle reclaim (a student typing in a terminal).
  touch(studentId: string): void {
    const e = this.live.get(studentId);
    if (e) e.lastUse = Date.now();
  }

  get size(): number {
    return this.live.size;
  }

  // Removes every sandbox: builds under way are stopped, calls in flight are not waited for.
  async closeAll(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweep);
    this.stop.abort('the server is stopping');
    const spares = this.pool.close();
    const entries = [...this.live.values()];
    this.live.clear();
    await Promise.all(
      entries.map(async (e) => {
        const s = await e.session.catch(() => undefined);
        await s?.close().catch(() => undefined);
      }),
    );
    await spares;
  }
}
