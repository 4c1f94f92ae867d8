// `lab check RUN STEP`: one step of a kept (or running) sandbox checked as it is now, with the output
// and exit code of that step in `lab run --check`; --json prints the step's record of `lab run --json`.
import { EXIT, type ExitCode, toLabError, UsageError } from '../errors.js';
import { LabEvents } from '../engine/events.js';
import { writeOutputFile } from '../sys/output-file.js';
import { checkOutputPaths } from './paths.js';
import { printError } from './print-error.js';
import type { RunFlags } from './run-command.js';

// Options of `lab run` that build, run or write a whole run: none means anything for one step.
const RUN_ONLY: [keyof RunFlags, string][] = [
  ['skip', '--skip'],
  ['until', '--until'],
  ['keep', '--keep'],
  ['savePcap', '--save-pcap'],
  ['junit', '--junit'],
  ['report', '--report'],
  ['pauseOnFail', '--pause-on-fail'],
];

// Checks the step and returns its exit code: 0 passed, 1 failed, 2 unknown run or step, 3 a dead sandbox.
export async function checkCommand(ref: string, stepId: string, flags: RunFlags): Promise<ExitCode> {
  const jsonOnly = flags.json === true;
  const events = new LabEvents();
  try {
    const misplaced = RUN_ONLY.filter(([k]) => flags[k] !== undefined && flags[k] !== false).map(([, f]) => f);
    if (misplaced.length)
      throw new UsageError(
        'BAD_OPTION',
        `${misplaced.join(', ')} ${misplaced.length > 1 ? 'are' : 'is'} for a whole run, not for \`lab check RUN STEP\``,
        `check a lab from the start: lab check LAB ${misplaced.join(' ')} ...`,
      );
    if (typeof flags.json === 'string') checkOutputPaths({ json: flags.json });
    if (!jsonOnly)
      (await import('../ui/ci/plain-reporter.js')).attachPlainReporter(events, { verbose: Boolean(flags.verbose) });
    const { checkSandboxStep } = await import('../engine/check-step.js');
    const r = await checkSandboxStep(ref, stepId, events, flags.trace ? { trace: true } : {});
    const json = `${JSON.stringify(r.step, null, 2)}\n`;
    if (jsonOnly) process.stdout.write(json);
    else {
      if (typeof flags.json === 'string') writeOutputFile(flags.json, json);
      process.stdout.write(`\n${r.lab}: step ${r.step.id} of sandbox ${r.runId}: ${verdict(r.step.status)}\n`);
    }
    return r.step.status === 'failed' ? EXIT.checkFailed : EXIT.pass;
  } catch (err) {
    const e = toLabError(err);
    if (jsonOnly)
      process.stdout.write(
        `${JSON.stringify({ exitCode: e.exitCode, status: 'error', error: { code: e.code, message: e.message, hint: e.hint } }, null, 2)}\n`,
      );
    else printError(e);
    return e.exitCode;
  }
}

// The closing word of the step, as the run's summary says it.
function verdict(status: string): string {
  if (status === 'passed') return 'PASSED';
  if (status === 'failed') return 'FAILED';
  return `${status} (it has no check)`;
}
