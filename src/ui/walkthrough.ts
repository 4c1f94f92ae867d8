// The interactive walkthrough: before each step, explain it and ask whether to run, skip or quit.
import { select } from '@inquirer/prompts';
import type { StepInfo } from '../engine/events.js';
import type { GateAnswer } from '../engine/runner.js';
import { InterruptedError } from '../errors.js';

// The engine's gate, answered by the student at the terminal.
export async function askStep(step: StepInfo): Promise<GateAnswer> {
  process.stdout.write(`\n== ${step.index + 1}/${step.total} ${step.title}\n${step.explain}\n`);
  if (step.arrange.length) process.stdout.write(`   first, setting the scene (runs even if you skip):\n${step.arrange.map((c) => `     [${c.node}] $ ${c.cmd.split('\n')[0]}\n`).join('')}`);
  for (const c of step.commands) process.stdout.write(`   [${c.node}] $ ${c.cmd}${c.expectFail ? '   (expected to fail)' : ''}\n`);
  if (step.points.length) process.stdout.write(`   then watch packets at: ${step.points.join(', ')}\n`);
  return select<GateAnswer>({
    message: `Step ${step.id}:`,
    choices: [
      { name: 'run these commands and look at the packets', value: 'run' },
      { name: 'skip the commands (see what the packets show without them)', value: 'skip' },
      { name: 'quit (the sandbox is removed)', value: 'quit' },
    ],
  }).catch((err: unknown) => {
    // Ctrl-C at the prompt is an interrupt like any other: teardown, then exit 130.
    if (err instanceof Error && err.name === 'ExitPromptError') throw new InterruptedError('SIGINT');
    throw err;
  });
}
