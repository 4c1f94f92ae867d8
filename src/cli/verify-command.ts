// `lab verify LAB [--json]` and `lab new NN-name`: the lab author's kit.
import { EXIT, type ExitCode, toLabError } from '../errors.js';
import { loadLab } from '../engine/loader.js';
import { writeNewLab } from '../engine/new-lab.js';
import { verifyLab, verifyLines } from '../engine/verify.js';
import { printError } from './print-error.js';

// Runs the lab, each step without its commands (and each command alone), and each declared mistake; exit 1
// if a check is not load-bearing or misses a mistake.
export async function verifyCommand(ref: string, o: { json?: boolean; eachCommand?: boolean }): Promise<ExitCode> {
  let loaded;
  try {
    loaded = await loadLab(ref);
  } catch (err) {
    const e = toLabError(err);
    printError(e);
    return e.exitCode;
  }
  const r = await verifyLab(loaded, o.eachCommand !== undefined ? { eachCommand: o.eachCommand } : {});
  if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else process.stdout.write(`${verifyLines(r).join('\n')}\n`);
  return (r.errorExit as ExitCode | undefined) ?? (r.pass ? EXIT.pass : EXIT.checkFailed);
}

// Writes a lab that passes and fails when its step is skipped.
export function newCommand(id: string): ExitCode {
  try {
    const file = writeNewLab(id);
    process.stdout.write(
      `wrote ${file}\nnext: ./lab verify ${id}   (./lab builds it first; docs/authoring.md explains every part)\n`,
    );
    return EXIT.pass;
  } catch (err) {
    const e = toLabError(err);
    printError(e);
    return e.exitCode;
  }
}
