// `lab run` and `lab check`: check the arguments, pick the reporters, run the engine, return the exit code.
import { EXIT, type ExitCode, toLabError } from '../errors.js';
import { LabEvents } from '../engine/events.js';
import { loadLab } from '../engine/loader.js';
import { exitCodeOf, type LabResult } from '../engine/result.js';
import { driveLab, markInterrupted, type DriveOptions } from '../engine/driver.js';
import { summaryLine } from '../ui/shared/lines.js';
import type { Reporter } from '../ui/shared/reporter.js';
import { checkOutputPaths } from './paths.js';
import { printError } from './print-error.js';
import { reportFiles, reportPaths } from './report-flags.js';

export interface RunFlags {
  check?: boolean;
  skip?: string[];
  until?: string;
  keep?: boolean;
  json?: boolean | string; // true: the result on stdout instead of the report; a path: also into that file
  savePcap?: string;
  verbose?: boolean;
  trace?: boolean;
  reporter?: 'listr' | 'plain';
  junit?: string;
  report?: string;
  pauseOnFail?: boolean;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

// Runs one lab with the chosen reporters; the exit code is computed once, from the result.
export async function runCommand(ref: string, flags: RunFlags): Promise<ExitCode> {
  const jsonOnly = flags.json === true;
  let loaded;
  try {
    checkOutputPaths({
      ...(typeof flags.json === 'string' ? { json: flags.json } : {}),
      ...(flags.savePcap ? { savePcap: flags.savePcap } : {}),
      ...reportPaths(flags),
    });
    loaded = await loadLab(ref);
  } catch (err) {
    return report(err, jsonOnly);
  }
  const interactive = !flags.check && !flags.json && process.stdin.isTTY && process.stdout.isTTY && !process.env.CI;
  const events = new LabEvents();
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => controller.abort(sig);
  for (const s of SIGNALS) process.on(s, onSignal);
  const opts: DriveOptions = {
    events,
    skip: flags.skip ?? [],
    keep: Boolean(flags.keep),
    signal: controller.signal,
    ...(flags.until ? { until: flags.until } : {}),
    ...(flags.savePcap ? { savePcap: flags.savePcap } : {}),
    ...(flags.trace ? { trace: true } : {}),
  };
  const reporters: Reporter[] = [];
  // The walkthrough (predictions, typing, hints, progress) gives the driver its decisions; the rest run straight through.
  const drive = interactive ? (await import('../ui/walk/walkthrough.js')).walkthrough : driveLab;
  if (!interactive && !jsonOnly) {
    const o = { explain: !flags.check, verbose: Boolean(flags.verbose) };
    // Each reporter's module is loaded only when chosen. The task list is for a terminal; anywhere else
    // (CI, a pipe) the stable lines are the default, and listr2 is not loaded at all.
    const reporter = flags.reporter ?? (process.stdout.isTTY ? 'listr' : 'plain');
    reporters.push(
      reporter === 'plain'
        ? (await import('../ui/ci/plain-reporter.js')).attachPlainReporter(events, o)
        : (await import('../ui/ci/ci-reporter.js')).attachCiReporter(events, o),
    );
  }
  if (flags.json)
    reporters.push(
      (await import('../ui/report/json-reporter.js')).attachJsonReporter(
        events,
        typeof flags.json === 'string' ? flags.json : undefined,
      ),
    );
  reporters.push(...(await reportFiles(events, flags, opts, controller.signal)));
  let result: LabResult;
  let writeFailed = false;
  try {
    result = await drive(loaded, opts);
    // A reporter that fails (a file it cannot write) is told, and the run cannot end in success.
    for (const r of await Promise.allSettled(reporters.map((x) => x.done()))) {
      if (r.status !== 'rejected') continue;
      printError(toLabError(r.reason));
      writeFailed = true;
    }
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
  // A signal while the reporters finished: the run is still an interrupted one.
  markInterrupted(result, controller.signal);
  return finish(result, jsonOnly, writeFailed);
}

// The closing lines of a run (unless JSON only) and its one exit code: a file not written is exit 3 over a verdict.
function finish(result: LabResult, jsonOnly: boolean, writeFailed = false): ExitCode {
  if (!jsonOnly) {
    process.stdout.write(`\n${summaryLine(result)}\n`);
    if (result.kept)
      process.stdout.write(`sandbox kept: ${result.kept.shell}\nremove it with: lab clean ${result.kept.runId}\n`);
    if (result.error && result.status !== 'interrupted') printError(result.error);
  }
  const code = exitCodeOf(result);
  return writeFailed && (code === EXIT.pass || code === EXIT.checkFailed) ? EXIT.environment : code;
}

// An error before the run started: JSON or words, and its exit code.
function report(err: unknown, json: boolean): ExitCode {
  const e = toLabError(err);
  if (json)
    process.stdout.write(
      `${JSON.stringify({ exitCode: e.exitCode, status: 'error', error: { code: e.code, message: e.message, hint: e.hint } }, null, 2)}\n`,
    );
  else printError(e);
  return e.exitCode ?? EXIT.internal;
}
