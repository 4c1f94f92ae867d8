// The step's live check while a student types, the one rule every front end uses (the walkthrough's
// shell, the browser's terminals): after each command entered in one of their shells, the step's check
// runs again in the background, and the step passes the moment it does. At most one check at a time, none
// while that shell runs a command, and a pass counts only if no command started meanwhile. After a pass,
// that step is not checked again by typing.
export class LiveCheck {
  private readonly running = new Set<string>(); // nodes whose shell runs a command
  private readonly entered = new Set<string>(); // nodes where a command was entered
  private changed = false;
  private again = false;
  private inFlight: Promise<void> | undefined;
  private passedStep: string | undefined;
  stopped = false;

  constructor(
    private readonly step: () => string | undefined,
    // Runs the current step's check (serialized with the session's other work); true when it passed.
    private readonly check: (step: string) => Promise<boolean>,
    private readonly onPass: (step: string) => void,
  ) {}

  // Markers from a node's shell: c when a command starts, p at each prompt.
  onMarks(node: string, marks: string): void {
    for (const ch of marks) {
      if (ch === 'c') {
        this.running.add(node);
        this.entered.add(node);
        this.changed = true;
      } else if (ch === 'p') {
        this.running.delete(node);
        if (this.entered.has(node)) this.kick(node);
      }
    }
  }

  private kick(node: string): void {
    const step = this.step();
    if (this.stopped || !step || this.passedStep === step || this.running.has(node)) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.again = false;
    this.changed = false;
    this.inFlight = this.once(step).finally(() => {
      this.inFlight = undefined;
      if (this.again && !this.running.has(node)) this.kick(node);
    });
  }

  private async once(step: string): Promise<void> {
    const pass = await this.check(step).catch(() => false);
    if (!pass || this.changed || this.stopped || this.step() !== step) return;
    this.passedStep = step;
    this.onPass(step);
  }

  // The student moved to another step (or reset): typing checks that step from now on.
  moved(): void {
    this.passedStep = undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.inFlight;
  }
}
