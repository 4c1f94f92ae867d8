// Sandboxes built ahead, so a student's "start" is ready at once: a few spares of the lab students last
// started (at first, the class's first lab). Taking one builds its replacement; another lab asked
// for turns the pool to it. Spares are built through the same gate as students' sandboxes.
import type { LoadedLab } from '../../engine/loader.js';
import { StudentSession } from './student-session.js';

export type Build = (loaded: LoadedLab) => Promise<StudentSession>;

interface Spare {
  lab: string;
  ready: Promise<StudentSession | undefined>; // undefined: it could not be built
}

export class SparePool {
  private spares: Spare[] = [];
  private lab: LoadedLab | undefined;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly build: Build,
  ) {}

  // Starts filling the pool with spares of this lab (the spares of any other lab are removed).
  aim(lab: LoadedLab): void {
    if (this.closed || !this.size) return;
    if (this.lab?.def.id !== lab.def.id) {
      const others = this.spares.filter((s) => s.lab !== lab.def.id);
      this.spares = this.spares.filter((s) => s.lab === lab.def.id);
      for (const s of others) void s.ready.then((x) => x?.close()).catch(() => undefined);
      this.lab = lab;
    }
    while (this.spares.length < this.size) {
      const loaded = lab;
      this.spares.push({ lab: loaded.def.id, ready: this.build(loaded).catch(() => undefined) });
    }
  }

  // A spare of this lab, alive, if the pool has one (one still being built is waited for).
  async take(lab: LoadedLab): Promise<StudentSession | undefined> {
    const i = this.spares.findIndex((s) => s.lab === lab.def.id);
    const spare = i >= 0 ? this.spares.splice(i, 1)[0] : undefined;
    this.aim(lab);
    const s = await spare?.ready;
    if (s?.died) {
      await s.close().catch(() => undefined);
      return undefined;
    }
    return s;
  }

  get count(): number {
    return this.spares.length;
  }

  // Removes every spare, and builds no more.
  async close(): Promise<void> {
    this.closed = true;
    const all = this.spares;
    this.spares = [];
    await Promise.all(all.map(async (s) => (await s.ready)?.close().catch(() => undefined)));
  }
}
