// A lab module's top-level code is run first in a worker thread, with a time bound: one that never returns
// is named and refused, and the runner (and every other lab) goes on.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LABS_DIST } from './paths.js';

export const LOAD_BOUND_MS = 5_000;
const WORKER = fileURLToPath(new URL('./lab-probe-worker.js', import.meta.url));
const LAB_API = fileURLToPath(new URL('../lab.js', import.meta.url));

export type ProbeVerdict = 'returned' | 'hung';

const KNOWN = join(LABS_DIST, '.load-returned.json'); // lab file -> fingerprint, for labs whose code returned

let shared: string | undefined; // the stats of what every lab's code can run, read once per process

// Size and mtime of a shipped lab and of everything its top-level code can run (shared lab code, the lab
// API, the engine): unchanged since it returned in a worker, it returns again. Undefined outside dist/labs.
function fingerprint(file: string): string | undefined {
  if (relative(LABS_DIST, file).startsWith('..')) return undefined;
  const stat = (f: string): string => {
    const s = statSync(f);
    return `${f}:${s.size}:${s.mtimeMs}`;
  };
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir)
        .filter((n) => n.endsWith('.js'))
        .map((n) => join(dir, n));
    } catch {
      return [];
    }
  };
  try {
    shared ??= [LAB_API, ...list(join(LABS_DIST, 'shared')), ...list(dirname(fileURLToPath(import.meta.url)))]
      .map(stat)
      .join('\n');
    return createHash('sha256')
      .update(`${shared}\n${stat(file)}`)
      .digest('hex')
      .slice(0, 16);
  } catch {
    return undefined;
  }
}

// The fingerprints of labs known to return, as last recorded.
function knownReturned(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(KNOWN, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

// Records labs whose code returned (best effort: a checkout that cannot be written is probed every time).
function rememberReturned(files: string[]): void {
  const known = knownReturned();
  for (const f of files) {
    const fp = fingerprint(f);
    if (fp) known[relative(LABS_DIST, f)] = fp;
  }
  try {
    const tmp = `${KNOWN}.${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(known)}\n`);
    renameSync(tmp, KNOWN);
  } catch {
    // read-only checkout
  }
}

// Starts probing `files` in order; each file's promise settles once its top-level code returned (or threw)
// in the worker, or ran over the bound: then that worker is terminated and a new one takes the files after it.
// Shipped labs unchanged since they last returned are not run again in a worker (the fast path).
export function probeLabs(files: string[], boundMs = LOAD_BOUND_MS): Map<string, Promise<ProbeVerdict>> {
  const known = knownReturned();
  const isKnown = (f: string): boolean =>
    known[relative(LABS_DIST, f)] !== undefined && known[relative(LABS_DIST, f)] === fingerprint(f);
  const verdicts = new Map<string, Promise<ProbeVerdict>>();
  const settle = new Map<string, (v: ProbeVerdict) => void>();
  for (const f of files)
    verdicts.set(
      f,
      isKnown(f) ? Promise.resolve('returned') : new Promise<ProbeVerdict>((resolve) => settle.set(f, resolve)),
    );
  const run = (files: string[]): void => {
    if (!files.length) return;
    const worker = new Worker(WORKER, { workerData: { files, warm: LAB_API }, stdout: true, stderr: true });
    worker.stdout.resume(); // what a lab prints is printed by its real import, once
    worker.stderr.resume();
    let left = [...files];
    const returned: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    let abandoned = false;
    const finish = (file: string, v: ProbeVerdict): void => {
      settle.get(file)?.(v);
      left = left.filter((f) => f !== file);
    };
    worker.on('message', (m: { start?: string; done?: string }) => {
      if (m.start) {
        const file = m.start;
        timer = setTimeout(() => {
          abandoned = true;
          finish(file, 'hung');
          void worker.terminate();
          run(left);
        }, boundMs);
      } else if (m.done) {
        clearTimeout(timer);
        finish(m.done, 'returned');
        returned.push(m.done);
        if (!left.length) void worker.terminate();
      }
    });
    // A worker that ended without a word on some files: their real import says what is wrong with them.
    const ended = (): void => {
      clearTimeout(timer);
      if (!abandoned) for (const f of left) finish(f, 'returned');
      if (returned.length) rememberReturned(returned.splice(0));
    };
    worker.on('error', ended);
    worker.on('exit', ended);
  };
  run(files.filter((f) => settle.has(f)));
  // Meanwhile this thread loads the lab API the labs will import here too: the two threads overlap.
  if (settle.size)
    void Promise.all([import('../model/commands.js'), import('../model/observe.js')]).catch(() => undefined);
  return verdicts;
}
