// One sandbox per student, made on demand: a student's first call on a lab builds it (replaying the
// steps they had passed, when they come back after a restart or a reclaim), every later call reuses it.
// Calls on one student's sandbox run one at a time. A sandbox idle past the limit is removed; the
// student's progress stays in the store, and their next call rebuilds it. The machine holds so many
// sandboxes at once (`sandboxCapacity`): the students' and the spares together stay within it, and a
// student who would pass it is refused at once (`machineFull`, a 503) rather than left waiting.
import { availableParallelism } from 'node:os';
import { memAvailable, sandboxCapacity } from '../../engine/capacity.js';
import type { LabEvent } from '../../engine/events.js';
import type { LoadedLab } from '../../engine/loader.js';
import type { ClassStore } from './store.js';
import { Gate } from './gate.js';
import { SparePool } from './spare-pool.js';
import { machineFull, StudentSession } from './student-session.js';

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
  spares: number; // sandboxes built ahead, so a start is ready at once (0: none at all)
  onChange: (studentId: string) => void;
  onEvent: (studentId: string, e: LabEvent) => void; // every event of the student's sandbox, whichever it is now
}

// Spares beyond `--spares` (one per student expected to start) only while this much memory is free.
const EXTRA_SPARES_MEMORY = 2 * 1024 ** 3;
const SPARE_RETRY_MS = 5000; // after a spare could not be built (the machine's slots taken by others)

export class Spawner {
  private readonly live = new Map<string, Entry>();
  private readonly removing = new Set<Promise<unknown>>(); // sandboxes being closed: their slots are not free yet
  private readonly sweep: NodeJS.Timeout;
  private readonly stop = new AbortController();
  private closing = false;
  private spareRetryAt = 0;
  private readonly stopped = new Set<string>(); // students who stopped their lab: not expected to start soon
  readonly bound = sandboxCapacity();
  // Sandboxes built at once: a whole class pressing "start" together would otherwise starve each
  // other's keepers past their start-up bound. The rest wait their turn, students before spares.
  private readonly builds = new Gate(Math.max(2, availableParallelism()));
  private readonly pool: SparePool;

  constructor(private readonly opts: SpawnerOptions) {
    this.pool = new SparePool(
      (loaded) => this.builds.run(() => StudentSession.open(loaded, this.stop.signal, this.bound)),
      (spare) => this.removed(spare.then((s) => s?.close())),
      () => {
        this.spareRetryAt = Date.now() + SPARE_RETRY_MS;
        setTimeout(() => this.refill(), SPARE_RETRY_MS).unref();
      },
    );
    const first = opts.labs.values().next().value;
    if (first && opts.spares) this.pool.aim(first);
    this.refill();
    this.sweep = setInterval(
      () => {
        void this.reclaim();
        this.refill();
      },
      Math.max(1000, Math.min(opts.idleMs / 4, 30_000)),
    );
    this.sweep.unref();
  }

  // Counts a sandbox being closed against the bound until it is gone; then spares may take its place.
  private removed(closing: Promise<unknown>): Promise<unknown> {
    const p: Promise<unknown> = closing
      .catch(() => undefined)
      .finally(() => {
        this.removing.delete(p);
        this.refill();
      });
    this.removing.add(p);
    return p;
  }

  // How many spares to keep: `--spares`, and one per student expected to start (in the class, active
  // within the idle limit, without a sandbox now) while memory allows; none at all with `--spares 0`.
  private wanted(): number {
    if (!this.opts.spares) return 0;
    const since = Date.now() - this.opts.idleMs;
    const expected = this.opts.store
      .students()
      .filter((s) => !this.live.has(s.id) && !this.stopped.has(s.id) && Date.parse(s.lastActive) >= since).length;
    return this.opts.spares + (memAvailable() > EXTRA_SPARES_MEMORY ? expected : 0);
  }

  // Builds spares up to what is wanted, within the machine's bound (the students' sandboxes, the spares
  // and those being removed together).
  refill(): void {
    if (this.closing || Date.now() < this.spareRetryAt) return;
    const room = this.bound - this.live.size - this.pool.count - this.removing.size;
    this.pool.fill(Math.min(this.wanted(), this.pool.count + Math.max(0, room)));
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
    while (e && (e.lab !== lab || e.ready?.died)) {
      await this.drop(studentId);
      e = this.live.get(studentId);
    }
    return this.queued(e ?? this.enter(studentId, lab), fn);
  }

  // Runs `fn` on a sandbox at the start of the step: the student's own when it is there already (the
  // steps before it ran in it, and nothing else), else a new one (a spare when there is one) with the
  // steps before it replayed. `fn` is told the steps replayed, or undefined for the student's own.
  async atStep<T>(
    studentId: string,
    lab: string,
    stepId: string,
    fn: (s: StudentSession, replayed: string[] | undefined) => Promise<T>,
  ): Promise<T> {
    const e = this.live.get(studentId);
    if (e && e.lab === lab && !e.ready?.died) {
      const here = await this.queued(e, async (s) => (s.atStartOf(stepId) ? { r: await fn(s, undefined) } : undefined));
      if (here) return here.r;
    }
    const ids = this.opts.labs.get(lab)?.def.steps.map((s) => s.id) ?? [];
    const before = ids.slice(0, Math.max(0, ids.indexOf(stepId)));
    while (this.live.has(studentId)) await this.drop(studentId);
    if (this.closing) throw new Error('the server is stopping');
    return this.queued(this.enter(studentId, lab, before), (s) => fn(s, before));
  }

  // A new sandbox for the student (a spare of the lab when there is one), or `machineFull` at once when
  // the bound is reached by the other students' sandboxes and nothing can make room.
  private enter(studentId: string, lab: string, replay?: string[]): Entry {
    const loaded = this.opts.labs.get(lab);
    if (!loaded) throw new Error(`unknown lab ${lab}`);
    const spare = this.pool.take(loaded);
    if (this.opts.spares) this.pool.aim(loaded); // spares of another lab go: their slots come free
    if (!spare && this.live.size + this.pool.count >= this.bound && !this.pool.makeRoom(lab))
      throw machineFull(
        this.bound,
        `${this.live.size} for students and ${this.pool.count} built ahead: every one is taken`,
      );
    this.stopped.delete(studentId);
    const entry: Entry = {
      lab,
      session: this.build(studentId, loaded, spare, replay),
      lastUse: Date.now(),
      queue: Promise.resolve(),
    };
    entry.queue = entry.session.then(
      (s) => (entry.ready = s),
      () => undefined,
    );
    this.live.set(studentId, entry);
    entry.session.catch(() => {
      if (this.live.get(studentId) === entry) this.live.delete(studentId);
      this.refill();
    });
    this.refill();
    return entry;
  }

  // Runs `fn` on the entry's sandbox after the student's calls before it.
  private queued<T>(entry: Entry, fn: (s: StudentSession) => Promise<T>): Promise<T> {
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

  // Builds a sandbox (or takes the spare) and replays steps in it: `replay` when given, else the steps
  // the student passed before, in order, up to the first step they have not passed.
  private async build(
    studentId: string,
    loaded: LoadedLab,
    spare: Promise<StudentSession | undefined> | undefined,
    replay?: string[],
  ): Promise<StudentSession> {
    let s = await spare;
    if (!s) {
      // Sandboxes being removed still hold their slots: wait for them rather than fail on them.
      while (this.live.size + this.pool.count + this.removing.size > this.bound && this.removing.size)
        await Promise.race(this.removing);
      s = await this.builds.run(() => StudentSession.open(loaded, this.stop.signal, this.bound), true);
    }
    s.onEvent((e) => this.opts.onEvent(studentId, e)); // ends with the sandbox (close drops its listeners)
    try {
      if (!replay) {
        const passed = new Set(
          this.opts.store
            .checks(studentId, loaded.def.id)
            .filter((c) => c.everPassed)
            .map((c) => c.step),
        );
        replay = [];
        for (const step of s.steps) {
          if (!passed.has(step.id)) break;
          replay.push(step.id);
        }
      }
      if (replay.length) await s.replay(replay);
      this.opts.onChange(studentId);
      return s;
    } catch (err) {
      await s.close();
      throw err;
    }
  }

  // Removes the student's sandbox (their progress stays); waits for their calls in flight. A student
  // who `stopped` is not built a spare for until they start again.
  async drop(studentId: string, stopped = false): Promise<void> {
    const e = this.live.get(studentId);
    if (stopped) this.stopped.add(studentId);
    if (!e) return;
    this.live.delete(studentId);
    const closing = (async () => {
      await e.queue;
      const s = await e.session.catch(() => undefined);
      await s?.close();
    })();
    void this.removed(closing);
    await closing;
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

  // The machine's sandboxes as this server holds them: the students', the spares (built or being
  // built, and those ready), and the bound they share.
  counts(): { students: number; spares: number; sparesReady: number; bound: number } {
    return { students: this.live.size, spares: this.pool.count, sparesReady: this.pool.ready, bound: this.bound };
  }

  // Removes every sandbox: builds under way are stopped, calls in flight are not waited for.
  async closeAll(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweep);
    this.stop.abort('the server is stopping');
    const spares = this.pool.close();
    const entries = [...this.live.values()];
    this.live.clear();
    await Promise.all([
      ...entries.map(async (e) => {
        const s = await e.session.catch(() => undefined);
        await s?.close().catch(() => undefined);
      }),
      ...this.removing,
    ]);
    await spares;
  }
}
