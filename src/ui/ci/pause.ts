// --pause-on-fail: a failed step leaves its sandbox up until the person presses Enter.
import { createInterface } from 'node:readline';

// The hook the runner calls on a failed step: how to enter each node, then wait for Enter (or end of input, or a signal).
export function pauseOnFail(
  signal?: AbortSignal,
  write: (s: string) => void = (s) => process.stdout.write(s),
): (f: { stepId: string; runId: string; nodes: string[] }) => Promise<void> {
  return async (f) => {
    write(`\nstep ${f.stepId} failed; its sandbox ${f.runId} stays up. Enter a node from another terminal:\n`);
    for (const n of f.nodes) write(`  lab shell ${f.runId} ${n}\n`);
    write('press Enter to tear it down ');
    const rl = createInterface({ input: process.stdin });
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      rl.once('line', done);
      rl.once('close', done);
      signal?.addEventListener('abort', done, { once: true });
    });
    rl.close();
    write('\n');
  };
}
