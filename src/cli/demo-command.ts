// `lab demo LAB`: checks the lab, the flags and the machine, then hands the terminal to the full-screen demo.
import { toLabError, UsageError } from '../errors.js';
import { LabEvents } from '../engine/events.js';
import type { DriveOptions } from '../engine/driver.js';
import { loadLab } from '../engine/loader.js';
import { checkEnvironment } from '../engine/preflight.js';
import { checkOutputPaths } from './paths.js';
import { printError } from './print-error.js';
import { reportFiles, reportPaths } from './report-flags.js';

export interface DemoFlags {
  junit?: string;
  report?: string;
  savePcap?: string;
  trace?: boolean;
  json?: boolean | string;
  pauseOnFail?: boolean;
}

// The flags of `lab run` that make no sense on the demo's full screen: a usage error naming them.
function refuse(f: DemoFlags): void {
  const bad = [f.json !== undefined ? '--json' : '', f.pauseOnFail ? '--pause-on-fail' : ''].filter(Boolean);
  if (bad.length)
    throw new UsageError(
      'DEMO_FLAG',
      `lab demo does not take ${bad.join(' or ')}: the screen is the demo's, and its sandbox stays up until q`,
      'for a result in JSON or a pause on a failed step, use: lab run LAB --check --json | --pause-on-fail',
    );
}

// Runs the demo and returns its exit code; a report file not written makes it 3.
export async function demoCommand(ref: string, flags: DemoFlags = {}): Promise<number> {
  refuse(flags);
  checkOutputPaths({ ...(flags.savePcap ? { savePcap: flags.savePcap } : {}), ...reportPaths(flags) });
  const loaded = await loadLab(ref);
  checkEnvironment(loaded.def);
  if (!process.stdout.isTTY || !process.stdin.isTTY)
    throw new UsageError(
      'NOT_A_TERMINAL',
      'lab demo needs a terminal (stdin and stdout)',
      `run it in a terminal, or use: lab run ${loaded.def.id} --check`,
    );
  const events = new LabEvents();
  const stop = new AbortController();
  const opts: DriveOptions = {
    events,
    skip: [],
    keep: false,
    signal: stop.signal,
    ...(flags.savePcap ? { savePcap: flags.savePcap } : {}),
    ...(flags.trace ? { trace: true } : {}),
  };
  const reporters = await reportFiles(events, flags, opts, stop.signal);
  const { runDemo } = await import('../ui/demo/demo.js');
  const code = await runDemo(loaded, opts);
  let failed = false;
  for (const r of await Promise.allSettled(reporters.map((x) => x.done())))
    if (r.status === 'rejected') {
      printError(toLabError(r.reason));
      failed = true;
    }
  return failed && code === 0 ? 3 : code;
}
