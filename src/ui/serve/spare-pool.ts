// Sandboxes built ahead, so a student's "start" is ready at once: spares of the lab students last
// started (at first, the class's first lab). How many is the spawner's to say (`fill`), within the
// machine's bound; another lab started turns the pool to it. Spares are built through the same gate
// as students' sandboxes, behind them.
import type { LoadedLab } from '../../engine/loader.js';
import type { StudentSession } from './student-session.js';

export type Build = (loaded: LoadedLab) => Promise<StudentSession>;

interface Spare {
  lab: string;
  ready: Promise<StudentSession | undefined>; // undefined: it could not be built
  built: boolean; // ready to take at once
}

export class SparePool {
  private spares: Spare[] = [];
  private lab: LoadedLab | undefined;
  private closed = false;

  constructor(
    private readonly build: Build,
    private readonly retire: (s: Promise<StudentSession | undefined>) => void, // closes a spare no longer wanted
    private readonly failed: () => void, // a spare could not be built (the machine is full, or broken)
  ) {}

  // The lab spares are built of from now on; the spares of any other lab are removed.
  aim(lab: LoadedLab): void {
    this.lab = lab;
    while (this.makeRoom(lab.def.id));
  }

  // Builds spares of the pool's lab until it holds `n`.
  fill(n: number): void {
    if (this.closed || !this.lab) return;
    while (this.spares.length < n) {
      const lab = this.lab;
      const spare: Spare = { lab: lab.def.id, ready: this.build(lab).catch(() => undefined), built: false };
      void spare.ready.then((s) => {
        spare.built = s !== undefined;
        if (s) return;
        this.spares = this.spares.filter((x) => x !== spare);
        this.failed();
      });
      this.spares.push(spare);
    }
  }

  // A spare of this lab (one still being built is waited for), alive; undefined when the pool has none.
  take(lab: LoadedLab): Promise<StudentSession | undefined> | undefined {
    const i = this.spares.findIndex((s) => s.lab === lab.def.id);
    if (i < 0) return undefined;
    const [spare] = this.spares.splice(i, 1);
    return spare!.ready.then(async (s) => {
      if (!s?.died) return s;
      await s.close().catch(() => undefined);
      return undefined;
    });
  }

  // Removes one spare of another lab than `lab` (the oldest), freeing its slot; false when there is none.
  makeRoom(lab: string): boolean {
    const i = this.spares.findIndex((s) => s.lab !== lab);
    if (i < 0) return false;
    const [spare] = this.spares.splice(i, 1);
    this.retire(spare!.ready);
    return true;
  }

  // Spares held or being built.
  get count(): number {
    return this.spares.length;
  }

  // Spares built, ready to take at once.
  get ready(): number {
    return this.spares.filter((s) => s.built).length;
  }

  // Removes every spare, and builds no more.
  async close(): Promise<void> {
    this.closed = true;
    const all = this.spares;
    this.spares = [];
    await Promise.all(all.map(async (s) => (await s.ready)?.close().catch(() => undefined)));
  }
}
