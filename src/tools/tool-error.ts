// Errors of the node tools (nat66, lk): each carries the exit code the tool ends with.
// The tools run inside containers with nothing but node, so they cannot share src/errors.ts.

export const TOOL_EXIT = {
  ok: 0,
  refused: 1, // the kernel (or a command it answered) refused the change; its message is shown
  usage: 2, // bad input: the argument is named, nothing was changed
  environment: 3, // a program is missing or the namespace cannot be used; says what to do
  internal: 70,
} as const;

export type ToolExit = (typeof TOOL_EXIT)[keyof typeof TOOL_EXIT];

export class ToolError extends Error {
  readonly exitCode: ToolExit;
  constructor(exitCode: ToolExit, message: string) {
    super(message);
    this.name = 'ToolError';
    this.exitCode = exitCode;
  }
}

// Bad input: names the argument and what is wrong with it.
export function usageError(message: string): ToolError {
  return new ToolError(TOOL_EXIT.usage, message);
}

// Runs a tool's main, prints any error on stderr as "TOOL: message" and sets the exit code.
export function runTool(name: string, main: (argv: string[]) => number): void {
  let code: number;
  try {
    code = main(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ToolError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      code = err.exitCode;
    } else {
      process.stderr.write(
        `${name}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      code = TOOL_EXIT.internal;
    }
  }
  process.exitCode = code;
}
