// A bound on work done at once (sandbox builds, checks), so a whole class acting together queues instead
// of starving every process past its bounds.
// At most `width` tasks at once; the others start in the order they came, an urgent one before the rest
// (a student waiting at "start" goes before a spare built ahead).
export class Gate {
  private running = 0;
  private readonly waiting: { urgent: boolean; go: () => void }[] = [];

  constructor(private readonly width: number) {}

  async run<T>(task: () => Promise<T>, urgent = false): Promise<T> {
    if (this.running >= this.width)
      await new Promise<void>((go) => {
        const at = urgent ? this.waiting.findIndex((w) => !w.urgent) : -1;
        if (at >= 0) this.waiting.splice(at, 0, { urgent, go });
        else this.waiting.push({ urgent, go });
      });
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next.go();
      else this.running--;
    }
  }
}
