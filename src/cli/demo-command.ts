// `lab demo LAB`: checks the lab and the machine, then hands the terminal to the full-screen demo.
import { UsageError } from '../errors.js';
import { loadLab } from '../engine/loader.js';
import { checkEnvironment } from '../engine/preflight.js';

// Runs the demo and returns its exit code.
export async function demoCommand(ref: string): Promise<number> {
  const loaded = await loadLab(ref);
  checkEnvironment(loaded.def);
  if (!process.stdout.isTTY || !process.stdin.isTTY)
    throw new UsageError(
      'NOT_A_TERMINAL',
      'lab demo needs a terminal (stdin and stdout)',
      `run it in a terminal, or use: lab run ${loaded.def.id} --check`,
    );
  const { runDemo } = await import('../ui/demo/demo.js');
  return runDemo(loaded);
}
