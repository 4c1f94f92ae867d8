// How an error reaches the user: what went wrong, then what to do.
export function printError(e: { code: string; message: string; hint: string }): void {
  process.stderr.write(`error: ${e.message}\n`);
  if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
}
