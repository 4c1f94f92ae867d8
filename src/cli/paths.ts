// Output paths given on the command line are checked before anything is built (exit 2 naming the flag).
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { checkOutputFile, makeOutputDir, OutputFileError } from '../sys/output-file.js';

// The reason of a refused path, in words: the output-file module's own, or the errno.
function reason(err: unknown): string {
  return err instanceof OutputFileError
    ? err.message.replace(/^cannot write [^:]*: /, '')
    : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
}

// The folder exists (or, with `make`, is made along the output-file rules) and is writable; otherwise a usage error naming the flag.
function writableDir(flag: string, dir: string, make: boolean): void {
  try {
    if (make) makeOutputDir(dir);
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UsageError(
      'BAD_PATH',
      `${flag} ${dir}: cannot write there (${reason(err)})`,
      `give ${flag} a folder you can write to`,
    );
  }
}

// A file flag: its folder is writable, and the file could be written (no planted link, not a folder, not another user's).
function writableFile(flag: string, path: string): void {
  const file = resolve(path);
  writableDir(flag, dirname(file), false);
  try {
    checkOutputFile(file, path);
  } catch (err) {
    throw new UsageError(
      'BAD_PATH',
      `${flag} ${path}: cannot write there (${reason(err)})`,
      `give ${flag} a file of your own, in a folder of your own`,
    );
  }
}

// Checks --json FILE, --junit FILE, --report FILE and --save-pcap DIR.
export function checkOutputPaths(p: { json?: string; junit?: string; report?: string; savePcap?: string }): void {
  if (p.json !== undefined) writableFile('--json', p.json);
  if (p.junit !== undefined) writableFile('--junit', p.junit);
  if (p.report !== undefined) writableFile('--report', p.report);
  if (p.savePcap !== undefined) writableDir('--save-pcap', resolve(p.savePcap), true);
}
