// The walkthrough's questions (inquirer), with Ctrl-C and signals turned into one interrupt.
// The prompt is cleared once answered and replaced by a short wrapped record of the answer.
import { select } from '@inquirer/prompts';
import { InterruptedError } from '../../errors.js';
import { paint, say, wrap } from '../shared/text.js';

export interface Choice<T> {
  name: string;
  value: T;
}

// A choice's text wrapped between words (the prompt would break it anywhere at the terminal's edge);
// its continuation lines are indented past the choices' own column.
function wrapChoice(name: string): string {
  return wrap(name, '    ', '').join('\n');
}

// Asks one question; Ctrl-C at the prompt, or a signal meanwhile, is an interrupt (teardown, exit 130).
// `keepQuestion` leaves the question on screen above the answer (predictions).
export async function ask<T>(
  message: string,
  choices: Choice<T>[],
  signal?: AbortSignal,
  keepQuestion = false,
): Promise<T> {
  if (signal?.aborted) throw new InterruptedError(String(signal.reason ?? 'SIGINT'));
  let value: T;
  try {
    value = await select<T>(
      {
        message: wrap(message, '  ', '').join('\n'),
        choices: choices.map((c) => ({ ...c, name: wrapChoice(c.name) })),
        loop: false,
      },
      { clearPromptOnDone: true, ...(signal ? { signal } : {}) },
    );
  } catch (err) {
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError'))
      throw new InterruptedError(String(signal?.reason ?? 'SIGINT'));
    throw err;
  }
  const name = choices.find((c) => c.value === value)?.name ?? String(value);
  if (keepQuestion) say(...wrap(message, '  '));
  say(...wrap(name, '    ', `  ${paint('cyan', '›')} `));
  return value;
}
