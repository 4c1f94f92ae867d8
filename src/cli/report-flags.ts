// --junit, --report and --pause-on-fail: the reporters and the runner hook they add to `lab run`.
import type { LabEvents } from '../engine/events.js';
import type { DriveOptions } from '../engine/driver.js';
import type { Reporter } from '../ui/shared/reporter.js';

export interface ReportFlags {
  junit?: string;
  report?: string;
  pauseOnFail?: boolean;
}

// The output files these flags name, for the path check before anything is built.
export function reportPaths(f: ReportFlags): { junit?: string; report?: string } {
  return { ...(f.junit ? { junit: f.junit } : {}), ...(f.report ? { report: f.report } : {}) };
}

// Attaches the file reporters and sets the runner's hooks (the HTML report needs the wiring told).
export async function reportFiles(
  events: LabEvents,
  f: ReportFlags,
  opts: DriveOptions,
  signal: AbortSignal,
): Promise<Reporter[]> {
  const out: Reporter[] = [];
  if (f.junit) out.push((await import('../ui/report/junit-reporter.js')).attachJunitReporter(events, f.junit));
  if (f.report) {
    out.push((await import('../ui/report/html-report.js')).attachHtmlReporter(events, f.report));
    opts.links = true;
  }
  if (f.pauseOnFail) opts.onFail = (await import('../ui/ci/pause.js')).pauseOnFail(signal);
  return out;
}
