// The last line of defence: no traffic generator may run in the real machine's network namespace.
import { statSync } from 'node:fs';
import { InternalError } from '../errors.js';

let ownInode: number | undefined;

// Inode of the network namespace the runner itself lives in (the real one).
export function runnerNetnsInode(): number {
  ownInode ??= statSync('/proc/self/ns/net').ino;
  return ownInode;
}

// Refuses (exit 70) when the namespace file is the runner's own network namespace.
export function assertNotRunnerNetns(nsPath: string, what: string): void {
  let ino: number;
  try {
    ino = statSync(nsPath).ino;
  } catch (err) {
    throw new InternalError(`refusing to run ${what}: namespace ${nsPath} cannot be read (${(err as Error).message})`);
  }
  if (ino === runnerNetnsInode()) {
    throw new InternalError(`refusing to run ${what}: ${nsPath} is the real machine's network namespace`);
  }
}
