// Output paths given on the command line are checked before anything is built (exit 2 naming the flag).
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';

// mkdir -p one level at a time: Node's recursive mkdir spins forever under /proc.
function makeDirs(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirs(parent);
  mkdirSync(dir);
}

// The folder exists (or, with `make`, can be made) and is writable; otherwise a usage error naming the flag.
function writableDir(flag: string, dir: string, make: boolean): void {
  try {
    if (make) makeDirs(dir);
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UsageError('BAD_PATH', `${flag} ${dir}: cannot write there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, `give ${flag} a folder you can write to`);
  }
}

// A file flag: its folder is writable and the name is not a folder.
function writableFile(flag: string, path: string): void {
  const file = resolve(path);
  writableDir(flag, dirname(file), false);
  try {
    if (statSync(file).isDirectory()) throw new UsageError('BAD_PATH', `${flag} ${path}: is a folder`, `give ${flag} a file name`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
}

// Checks --json FILE, --junit FILE, --report FILE and --save-pcap DIR.
export function checkOutputPaths(p: { json?: string; junit?: string; report?: string; savePcap?: string }): void {
  if (p.json !== undefined) writableFile('--json', p.json);
  if (p.junit !== undefined) writableFile('--junit', p.junit);
  if (p.report !== undefined) writableFile('--report', p.report);
  if (p.savePcap !== undefined) writableDir('--save-pcap', resolve(p.savePcap), true);
}
