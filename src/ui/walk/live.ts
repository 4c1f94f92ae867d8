// Live checks while the student types: after each command entered in the step's shell, the step's
// check runs again in the background; the moment it passes, one line says so. At most one check at a
// time, and none while a command runs (the shell tells its command starts and prompts on fd 3).
import { LiveCheck as EngineLiveCheck } from '../../engine/live-check.js';
import { redrawForeground } from '../../engine/terminal.js';
import type { WalkContext } from './context.js';
import { paint } from '../shared/text.js';

// What the student's bash runs so it tells the walkthrough: `c` when a command starts (PS0), `p` at
// each prompt (PROMPT_COMMAND). Errors are hidden: a student who closes fd 3 only loses the live check.
export const LIVE_SHELL_ENV = {
  PS0: '$({ printf c >&3; } 2>/dev/null)',
  PROMPT_COMMAND: '{ printf p >&3; } 2>/dev/null',
};

// The walkthrough's shell has one node; the rule is the engine's.
export class LiveCheck {
  private readonly rule: EngineLiveCheck;

  constructor(ctx: WalkContext, stepId: string) {
    this.rule = new EngineLiveCheck(
      () => stepId,
      async (step) => (await ctx.session.check(step, 'after'))?.pass === true,
      (step) => {
        process.stdout.write(`\r\x1b[K${paint('green', '✔')} ${step}: check passed — type exit to go on\r\n`);
        redrawForeground();
      },
    );
  }

  // What the shell wrote on fd 3; anything but c and p is ignored.
  onSignal(data: string): void {
    this.rule.onMarks('shell', data);
  }

  // The shell has exited: no new check, and the one in flight is waited for.
  stop(): Promise<void> {
    return this.rule.stop();
  }
}
