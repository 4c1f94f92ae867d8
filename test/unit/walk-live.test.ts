// The live check's bounds: none before the first command, none while a command runs, at most one at a
// time (a prompt meanwhile runs one more after it), and the pass line printed once.
import test from 'ava';
import type { WalkContext } from '../../src/ui/walk/context.js';
import { LiveCheck } from '../../src/ui/walk/live.js';

// A session whose check takes until released; counts the checks and the most at once.
function fake(pass: () => boolean) {
  const s = { started: 0, running: 0, most: 0, release: [] as (() => void)[] };
  const session = {
    check: async () => {
      s.started++;
      s.running++;
      s.most = Math.max(s.most, s.running);
      await new Promise<void>((r) => s.release.push(r));
      s.running--;
      return { pass: pass() };
    },
  };
  return { s, ctx: { session } as unknown as WalkContext };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test.serial(
  'no check before a command is entered, none while one runs, one at a time, the pass said once',
  async (t) => {
    let passing = false;
    const { s, ctx } = fake(() => passing);
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      const live = new LiveCheck(ctx, 'masquerade');
      live.onSignal('p'); // the shell's first prompt: nothing typed yet
      await tick();
      t.is(s.started, 0);
      live.onSignal('c'); // a command runs
      await tick();
      t.is(s.started, 0);
      live.onSignal('p');
      await tick();
      t.is(s.started, 1);
      live.onSignal('cp'); // another command ends while the check runs: one more after it, not beside it
      await tick();
      t.is(s.started, 1);
      s.release.shift()?.();
      await tick();
      await tick();
      t.is(s.started, 2);
      t.is(s.most, 1);
      passing = true;
      live.onSignal('c'); // a command starts during the second check
      s.release.shift()?.(); // it passes, but what it saw may be gone: not announced
      await tick();
      t.false(written.some((w) => w.includes('check passed')));
      live.onSignal('p');
      await tick();
      s.release.shift()?.();
      await tick();
      await tick();
      t.is(written.filter((w) => w.includes('✔ masquerade: check passed — type exit to go on')).length, 1);
      live.onSignal('cp'); // passed: no more checks
      await tick();
      t.is(s.started, 3);
      await live.stop();
    } finally {
      process.stdout.write = write;
    }
  },
);
