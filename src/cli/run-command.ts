// `lab run` and `lab check`: pick a front end, run the engine, return the exit code.
import { EXIT, type ExitCode, toLabError } from '../errors.js';
import { LabEvents } from '../engine/events.js';
import { loadLab } from '../engine/loader.js';
import { exitCodeOf, type LabResult } from '../engine/result.js';
import { runLab, type RunOptions } from '../engine/runner.js';
import { attachCiReporter } from '../ui/ci-reporter.js';
import { attachPlainReporter } from '../ui/plain-reporter.js';
import { summaryLine } from '../ui/lines.js';
import { printError } from './print-error.js';

export interface RunFlags {
  check?: boolean;
  skip?: string[];
  until?: string;
  keep?: boolean;
  json?: boolean;
  savePcap?: string;
  verbose?: boolean;
  reporter?: 'listr' | 'plain';
}

// Runs one lab with the chosen front end; the exit code is computed once, from the result.
export async function runCommand(ref: string, flags: RunFlags): Promise<ExitCode> {
  let loaded;
  try {
    loaded = await loadLab(ref);
  } catch (err) {
    return report(err, flags);
  }
  const interactive = !flags.check && !flags.json && process.stdin.isTTY && process.stdout.isTTY && !process.env.CI;
  const events = new LabEvents();
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => controller.abort(sig);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const opts: RunOptions = { skip: flags.skip ?? [], keep: Boolean(flags.keep), signal: controller.signal, ...(flags.until ? { until: flags.until } : {}), ...(flags.savePcap ? { savePcap: flags.savePcap } : {}) };
  let done: () => Promise<void> = async () => undefined;
  if (interactive) {
    const { askStep } = await import('../ui/walkthrough.js');
    opts.gate = askStep;
    attachPlainReporter(events, { explain: false, verbose: true });
  } else if (!flags.json) {
    if (flags.reporter === 'plain') attachPlainReporter(events, { explain: !flags.check, verbose: Boolean(flags.verbose) });
    else done = attachCiReporter(events, { explain: !flags.check, verbose: Boolean(flags.verbose) }).done;
  }
  let result: LabResult;
  try {
    result = await runLab(loaded, opts, events);
    await done();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const code = exitCodeOf(result);
  if (flags.json) process.stdout.write(`${JSON.stringify({ exitCode: code, ...result }, null, 2)}\n`);
  else {
    process.stdout.write(`\n${summaryLine(result)}\n`);
    if (result.kept) process.stdout.write(`sandbox kept: ${result.kept.shell}\nremove it with: lab clean\n`);
    if (result.error && result.status !== 'interrupted') printError(result.error);
  }
  return code;
}

// An error before the run started: JSON or words, and its exit code.
function report(err: unknown, flags: RunFlags): ExitCode {
  const e = toLabError(err);
  if (flags.json) process.stdout.write(`${JSON.stringify({ exitCode: e.exitCode, status: 'error', error: { code: e.code, message: e.message, hint: e.hint } }, null, 2)}\n`);
  else printError(e);
  return e.exitCode ?? EXIT.internal;
}
