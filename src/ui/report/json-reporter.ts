// The whole result as JSON, on stdout or into a file, written once the run has ended.
import type { LabEvents } from '../../engine/events.js';
import { exitCodeOf, type LabResult } from '../../engine/result.js';
import { writeOutputFile } from '../../sys/output-file.js';
import type { Reporter } from '../shared/reporter.js';

// The JSON document of a result: its exit code first, then everything the run recorded.
export function resultJson(result: LabResult): string {
  return `${JSON.stringify({ exitCode: exitCodeOf(result), ...result }, null, 2)}\n`;
}

// Writes the result at lab-end: to `file`, or to stdout when no file is given.
export function attachJsonReporter(events: LabEvents, file?: string): Reporter {
  let written: Promise<void> = Promise.resolve();
  events.on('lab-end', (e) => {
    written = new Promise((resolve, reject) => {
      try {
        if (file) writeOutputFile(file, resultJson(e.result));
        else process.stdout.write(resultJson(e.result));
        resolve();
      } catch (err) {
        reject(err as Error);
      }
    });
  });
  return { done: () => written };
}
