// Runs in a worker thread: imports lab modules one after another and says when each starts and ends, so
// the main thread can give up on one whose top-level code never returns (and terminate this thread).
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { files, warm } = workerData as { files: string[]; warm: string };

// Imports each lab in turn; what a lab throws is the main thread's to report, on its own import.
async function probe(): Promise<void> {
  // A lab that awaits what never comes must be seen as hanging, not let this thread end as if it returned.
  const alive = setInterval(() => undefined, 60_000);
  // The lab API first (with the engine under it), so the clock of each lab counts its own code only.
  await import(pathToFileURL(warm).href).catch(() => undefined);
  for (const file of files) {
    parentPort?.postMessage({ start: file });
    await import(pathToFileURL(file).href).catch(() => undefined);
    parentPort?.postMessage({ done: file });
  }
  clearInterval(alive);
}

void probe();
