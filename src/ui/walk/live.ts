// Live checks while the student types: after each command entered in the step's shell, the step's
// check runs again in the background; the moment it passes, one line says so. At most one check at a
// time, and none while a command runs (the shell tells its command starts and prompts on fd 3).
import { redrawForeground } from '../../engine/terminal.js';
import type { WalkContext } from './context.js';
import { paint } from '../shared/text.js';

// What the student's bash runs so it tells the walkthrough: `c` when a command starts (PS0), `p` at
// each prompt (PROMPT_COMMAND). Errors are hidden: a student who closes fd 3 only loses the live check.
export const LIVE_SHELL_ENV = {
  PS0: '$({ printf c >&3; } 2>/dev/null)',
  PROMPT_COMMAND: '{ printf p >&3; } 2>/dev/null',
};

export class LiveCheck {
  private commandRunning = false;
  private entered = false; // a command was entered since the shell opened
  private changed = false; // a command started since the running check began
  private again = false; // a prompt came while a check ran
  private passed = false;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly ctx: WalkContext,
    private readonly stepId: string,
  ) {}

  // What the shell wrote on fd 3; anything but c and p is ignored.
  onSignal(data: string): void {
    for (const ch of data) {
      if (ch === 'c') {
        this.commandRunning = true;
        this.entered = true;
        this.changed = true;
      } else if (ch === 'p') {
        this.commandRunning = false;
        if (this.entered) this.kick();
      }
    }
  }

  // Starts a background check unless one runs (then once more after it), a command runs, or it passed.
  private kick(): void {
    if (this.stopped || this.passed || this.commandRunning) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.again = false;
    this.changed = false;
    this.running = this.once().finally(() => {
      this.running = undefined;
      if (this.again && !this.commandRunning) this.kick();
    });
  }

  // One background check; a pass counts only if no command started meanwhile.
  private async once(): Promise<void> {
    const r = await this.ctx.session.check(this.stepId, 'after').catch(() => undefined);
    if (!r?.pass || this.changed || this.commandRunning || this.stopped) return;
    this.passed = true;
    process.stdout.write(`\r\x1b[K${paint('green', '✔')} ${this.stepId}: check passed — type exit to go on\r\n`);
    redrawForeground();
  }

  // The shell has exited: no new check, and the one in flight is waited for.
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
